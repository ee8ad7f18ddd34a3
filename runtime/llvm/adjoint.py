"""Adjoint differentiation on the LLVM back end: one forward kernel call, one adjoint kernel call.

Division of work (the maths is in `qdl.runtime.adjoint`, the table in
`qdl.compiler.backends.llvm.adjoint`):

* host, before: the slot row (B, slots) of the forward kernel, which both
  kernels read;
* forward kernel (`runtime.llvm.kernel`, fused, shared with plain runs): ψ;
* adjoint kernel, per batch element: every unit's U† from the slot row
  (`adjoint_fill`), λ_o = H_o ψ, the values <ψ|H_o|ψ>, the backward table
  (per unit the reductions R per observable, and U† on φ and every λ_o),
  then ∂<H_o>/∂θ = 2 Re Σ D_j ⊙ R with D_j = P_j ∂g_j (P_j g_j)†, ∂g_j
  exact from the gate table's trigonometric form.  Memory: the batch's
  states plus one scratch buffer (a vector per observable and the matrices);
* host, after: the program's chain rule to argument elements, one matrix
  product (constant partials) plus the expression-valued ones (`Chain`).

An unbatched call of plain float arrays (`value_and_grad_unbatched`) uses
buffers allocated once: a slot gather, two ctypes calls and one product.

Kernels are cached like `runtime.llvm.kernel`'s: linked once per process by
content key, object code on disk (`runtime.llvm.cache`).  Their module only
declares the runtime library's application functions and the adjoint
library's reductions (`adjoint_library`, compiled once per machine and linked
once per process like the runtime library) and links against both, in the
precision of the states (complex128, or complex64 with `precision="single"`:
φ and the λ's in single, every sum, value and gradient in double).
"""

from __future__ import annotations

import ctypes
import hashlib
import math
import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from qdl.compiler.autodiff import GradientProgram
from qdl.compiler.autodiff.linearize import linear_circuit
from qdl.compiler.backends.llvm import adjoint_codegen, adjoint_library, library
from qdl.compiler.backends.llvm.adjoint import AdjointPlan, lower_adjoint
from qdl.compiler.backends.llvm.adjoint_codegen import adjoint_symbol, emit_adjoint, scratch_parts
from qdl.compiler.backends.llvm.adjoint_matrices import MatrixTables, matrix_tables
from qdl.compiler.backends.llvm.irbuild import REALS
from qdl.compiler.backends.llvm.fill import derivative_form, trig_form
from qdl.compiler.backends.llvm.plan import Unsupported
from qdl.compiler.ir import Argument, Circuit, ExpVal
from qdl.runtime.adjoint import adjoint_unsupported
from qdl.runtime.llvm import cache, jit
from qdl.runtime.llvm.adjoint_host import Chain, UnbatchedBuffers
from qdl.runtime.llvm.buffers import PRECISIONS, WorkBuffers, check_memory
from qdl.runtime.llvm.kernel import CompiledCircuit, Kernel, compile_circuit
from qdl.runtime.llvm.library import LinkedLibrary, runtime_library

# The IR is a function of the plans and of the generators' sources: every module of the back end package
# (the sweep, the matrices, the fill forms, the library's declarations).
_GENERATOR_DIGEST = hashlib.sha256(b"".join(
    path.read_bytes() for path in sorted(Path(adjoint_codegen.__file__).parent.glob("*.py")))).digest()
_PROTO = ctypes.CFUNCTYPE(None, *(ctypes.c_void_p, ctypes.c_int64) + (ctypes.c_void_p,) * 4)


@dataclass
class CompiledAdjoint:
    """A circuit's forward kernel, adjoint kernel and chain rule for one set of differentiated slots."""

    forward: CompiledCircuit
    plan: AdjointPlan
    matrices: MatrixTables
    kernel: Kernel
    chain: Chain
    _single: UnbatchedBuffers | None = field(default=None, repr=False)
    _single_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @cached_property
    def scratch_doubles(self) -> int:
        return scratch_parts(self.plan, self.matrices)[4]

    def slot_derivatives(self, args: Mapping[str, np.ndarray], batch: int) -> tuple[np.ndarray, np.ndarray]:
        """(values (B, O), ∂<H_o>/∂slot (B, O, W)) with W the program's slots in order."""
        return self.derivatives_of_slots(self.forward.slots.read(args, batch))

    def derivatives_of_slots(self, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`slot_derivatives` of the forward kernel's slot rows (B, slots) (what executors ship)."""
        slots = np.ascontiguousarray(slots, dtype=np.float64)  # the kernels read raw rows
        batch = slots.shape[0]
        states = self._states(slots)
        values = np.empty((batch, self.plan.num_observables))
        grads = np.empty((batch, self.plan.num_observables, self.matrices.outputs))
        scratch = np.empty(self.scratch_doubles)
        self.kernel.fn(slots.ctypes.data, batch, states.ctypes.data, values.ctypes.data, grads.ctypes.data,
                       scratch.ctypes.data)
        return values, grads

    def _states(self, slots: np.ndarray) -> np.ndarray:
        """ψ (B, 2**n) of every slot row: one call of the fused forward kernel.

        What `forward.execute_slots` computes, without its per-call thread
        split (the adjoint runs on one thread): a batch of small circuits
        (training) spends as long in that Python as in the kernel.
        """
        batch = slots.shape[0]
        if not batch:
            return self.forward.execute_slots(slots)[0]
        amplitude = PRECISIONS[self.forward.plan.precision].itemsize  # 8 bytes in single precision
        check_memory(batch * amplitude * 2**self.forward.plan.num_qubits + 8 * self.scratch_doubles)
        work = WorkBuffers.of(self.forward.plan, batch, with_state=True)
        self.forward.kernel.fn(slots.ctypes.data, batch, work.mats_at, work.state_at, work.scratch_at, work.out_at)
        return work.state

    def linear_jacobian(self, args: Mapping[str, np.ndarray], batch: int,
                        run: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None,
                        ) -> tuple[list[np.ndarray], list[np.ndarray], int]:
        """(values, per result (B, elements), simulations), the shape `runtime.gradients` recombines.

        `run` computes `derivatives_of_slots` of the slot rows (an executor's); default: here.
        """
        values, grads = (run or self.derivatives_of_slots)(self.forward.slots.read(args, batch))
        columns = self.chain.apply(grads, args, batch)
        count = values.shape[1]
        return [values[:, o] for o in range(count)], [columns[:, o] for o in range(count)], 1

    def value_and_grad_unbatched(self, arguments: tuple[Argument, ...],
                                 values: tuple[Any, ...]) -> tuple[list, list] | None:
        """(values, per result its derivatives per argument) of a plain call, or None for the general path.

        The shapes are the general path's for an unbatched call.  Plain:
        float64 arrays of exactly the declared shapes, slots that are argument
        elements, constant chain-rule partials, finite results (a non-finite
        one goes the general way, so its handling stays in one place).
        """
        work = self._single or self._prepare_single(arguments)
        if work is None or not self._single_lock.acquire(blocking=False):
            return None
        try:
            if not work.gather(values):
                return None
            slots_at, state_at, values_at, grads_at, scratch_at = work.addresses
            forward = work.forward
            self.forward.kernel.fn(slots_at, 1, forward.mats_at, state_at, forward.scratch_at, forward.out_at)
            self.kernel.fn(slots_at, 1, state_at, values_at, grads_at, scratch_at)
            out, columns = work.values[0].copy(), self.chain.columns(work.grads[0])
        finally:
            self._single_lock.release()
        if not math.isfinite(out.sum() + columns.sum()):  # NaN and ±Inf survive a sum (overflow: general path)
            return None
        return list(out), [self.chain.split(row) for row in columns]

    def _prepare_single(self, arguments: tuple[Argument, ...]) -> UnbatchedBuffers | None:
        if self.chain.varying or self.forward.slots.others or self.plan.num_qubits > FAST_PATH_MAX_QUBITS:
            return None
        self._single = UnbatchedBuffers.of(self.forward, arguments, self.plan.num_observables,
                                           self.matrices.outputs, self.scratch_doubles)
        return self._single


FAST_PATH_MAX_QUBITS = 16  # its buffers (states, one per observable + 1) stay allocated: small circuits only


def fast_adjoint(program: GradientProgram, precision: str = "double") -> CompiledAdjoint | None:
    """The compiled adjoint for `value_and_grad_unbatched` when the general path would take it, else None.

    Only programs whose results are all expectation values (no variance to
    recombine) and whose circuit the adjoint method supports.  A circuit the
    kernels cannot compile, or any other failure (a ValueError, an
    Unsupported), also answers None: the general path meets it again and
    reports it in its own words.
    """
    results = program.circuit.results
    if not program.wrt or not results or not all(isinstance(r, ExpVal) for r in results):
        return None
    try:
        linear = linear_circuit(program.circuit)
        return None if adjoint_unsupported(linear) else compile_adjoint(program, linear, precision)
    except (ValueError, NotImplementedError):  # AutodiffError is a ValueError, Unsupported a NotImplementedError
        return None


MAX_CACHED = 256
_BY_PROGRAM: dict[tuple[int, str], tuple[GradientProgram, CompiledAdjoint]] = {}  # (id, precision) -> ...
_BY_VALUE: dict[tuple[Circuit, tuple[tuple[int, int], ...], tuple[str, ...], str], CompiledAdjoint] = {}
_KERNELS: dict[str, Kernel] = {}


def compile_adjoint(program: GradientProgram, linear: Circuit, precision: str = "double") -> CompiledAdjoint:
    """The compiled adjoint of `linear` (the program's circuit with linear results) for its slots."""
    hit = _BY_PROGRAM.get((id(program), precision))
    if hit is not None and hit[0] is program:
        return hit[1]
    keys = tuple((s.op, s.param) for s in program.slots)
    value_key = (linear, keys, program.wrt, precision)  # the chain rule depends on which arguments are differentiated
    compiled = _BY_VALUE.get(value_key)
    if compiled is None:
        compiled = _build(program, linear, keys, precision)
        _remember(_BY_VALUE, value_key, compiled)
    _remember(_BY_PROGRAM, (id(program), precision), (program, compiled))
    return compiled


def _remember(table: dict, key: object, value: object) -> None:
    if len(table) >= MAX_CACHED:
        del table[next(iter(table))]  # oldest first
    table[key] = value


def _build(program: GradientProgram, linear: Circuit, keys: tuple[tuple[int, int], ...],
           precision: str) -> CompiledAdjoint:
    if not all(isinstance(r, ExpVal) for r in linear.results):
        raise ValueError("the adjoint method differentiates expectation values only")
    observables = tuple(r.observable for r in linear.results)
    plan = lower_adjoint(linear, observables, set(keys), precision)
    forward = compile_circuit(linear, relabel_swaps=False, precision=precision)  # the sweep starts from the true state
    slot_of = {expr: column for column, expr in enumerate(forward.plan.slots)}
    try:
        matrices = matrix_tables(plan, keys, slot_of)
    except KeyError:
        raise Unsupported("the forward kernel does not evaluate every angle of the adjoint") from None
    return CompiledAdjoint(forward, plan, matrices, _kernel(plan, matrices, len(forward.plan.slots)),
                           Chain.of(program))


def linear_jacobian(program: GradientProgram, linear: Circuit, args: Mapping[str, np.ndarray],
                    batch: int, precision: str = "double",
                    executor: Any = None) -> tuple[list[np.ndarray], list[np.ndarray], int]:
    """`CompiledAdjoint.linear_jacobian` of the cached compiled form, its kernels run by `executor` (default: here)."""
    compiled = compile_adjoint(program, linear, precision)
    run = None if executor is None else (lambda slots: executor.adjoint_derivatives(program, compiled, slots))
    return compiled.linear_jacobian(args, batch, run)


def _fingerprint(plan: AdjointPlan, matrices: MatrixTables, num_slots: int) -> str:
    """A digest of everything `emit_adjoint` reads, plus the generators' sources and the gate forms used."""
    digest = hashlib.sha256(_GENERATOR_DIGEST)
    digest.update(plan.precision.encode())  # the same tables make a complex128 or a complex64 sweep
    sizes = [plan.num_qubits, plan.num_entries, plan.num_reduced, plan.num_observables, len(plan.rows), num_slots]
    digest.update(np.array(sizes, dtype=np.int64).tobytes())
    digest.update(np.asarray(plan.table(), dtype=np.int64).tobytes())
    digest.update(np.asarray(plan.aux, dtype=np.int64).tobytes())
    digest.update(np.asarray(plan.segment_table() + [plan.chunk_qubits], dtype=np.int64).tobytes())
    digest.update(repr([(s.observable, s.flip, s.sign, s.coeff) for s in plan.strings]).encode())
    digest.update(repr(matrices).encode())
    forms = [[trig_form(name, False)] + [derivative_form(name, p) for p in params] for name, params, _ in matrices.gates]
    digest.update(repr(forms).encode())  # the gate table's matrices, compiled into the module
    digest.update(library.LIBRARY_VERSION.encode())  # the versioned symbols it binds to
    digest.update(adjoint_library.ADJOINT_LIBRARY_VERSION.encode())
    return digest.hexdigest()


def _kernel(plan: AdjointPlan, matrices: MatrixTables, num_slots: int) -> Kernel:
    """Linked once per process against the runtime library; object code from disk when present, else from LLVM."""
    tag = _fingerprint(plan, matrices, num_slots)
    key = jit.cache_key(tag)
    if key in _KERNELS:
        return _KERNELS[key]
    runtime, reductions = runtime_library(plan.precision), linked_adjoint_library(plan.precision)
    obj = _object_code(key, lambda: str(emit_adjoint(plan, matrices, num_slots, tag[:16])))
    address, tracker = jit.link(obj, adjoint_symbol(tag[:16]), key, needs=(runtime.name, reductions.name))
    kernel = Kernel(key, _PROTO(address), (tracker, reductions), runtime)  # both libraries live as long as it
    _KERNELS[key] = kernel
    return kernel


_LIBRARIES: dict[str, LinkedLibrary] = {}  # the adjoint library by cache key; one entry per process in practice


def linked_adjoint_library(precision: str = "double") -> LinkedLibrary:
    """The adjoint library (`adjoint_library`) of one precision in the JIT: compiled once per machine, linked once
    per process."""
    real = REALS[precision]
    key = jit.cache_key(f"{adjoint_library.adjoint_library_name(real)}/{adjoint_library.SOURCE_DIGEST}")
    with jit.COMPILE_LOCK:  # two threads compiling their first adjoint must not link it twice
        if key not in _LIBRARIES:
            obj = _object_code(key, lambda: str(adjoint_library.emit_adjoint_library(real)))
            name, tracker = jit.link_library(obj, key)
            _LIBRARIES[key] = LinkedLibrary(key, name, tracker)
        return _LIBRARIES[key]


def _object_code(key: str, ir_text: Callable[[], str]) -> bytes:
    """Object code from the disk cache, else from LLVM (then stored)."""
    obj = cache.load(key)
    if obj is not None:
        jit.STATS["disk_hits"] += 1
        return obj
    obj = jit.compile_object(ir_text())
    cache.store(key, obj)
    return obj
