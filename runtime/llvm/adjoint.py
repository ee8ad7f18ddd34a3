"""Adjoint differentiation on the LLVM back end: one forward kernel call, one adjoint kernel call.

Division of work (the maths is in `qdl.runtime.adjoint`, the table in
`qdl.compiler.backends.llvm.adjoint`):

* host, before: slot values; per unit its U† (products of the gate table's
  matrices, batched per gate name) into the matrix buffer;
* forward kernel (`runtime.llvm.kernel`, fused, shared with plain runs): ψ;
* adjoint kernel: λ_o = H_o ψ, the values <ψ|H_o|ψ>, then the backward table:
  per unit the reductions R (per observable) and U† on φ and every λ_o.
  Memory: the batch's states plus one scratch vector per observable;
* host, after: D_j = P_j (∂g_j g_j†) P_j† from `runtime.adjoint.derivative_at`
  (exact), ∂<H_o>/∂θ = 2 Re Σ D_j ⊙ R, and the program's chain rule to
  argument elements as one matrix product (constant partials) plus the
  expression-valued ones.

Kernels are cached like `runtime.llvm.kernel`'s: linked once per process by
content key, object code on disk (`runtime.llvm.cache`).
"""

from __future__ import annotations

import ctypes
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np

from qdl.compiler.autodiff import GradientProgram
from qdl.compiler.backends.llvm import adjoint as lowering
from qdl.compiler.backends.llvm import adjoint_codegen, adjoint_reductions, adjoint_units, apply, irbuild
from qdl.compiler.backends.llvm import plan as plan_module
from qdl.compiler.backends.llvm.adjoint import AdjointPlan, lower_adjoint
from qdl.compiler.backends.llvm.adjoint_codegen import adjoint_symbol, emit_adjoint
from qdl.compiler.ir import Circuit, ExpVal
from qdl.runtime.llvm import cache, jit
from qdl.runtime.llvm.adjoint_host import Chain, MatrixLayout
from qdl.runtime.llvm.kernel import CompiledCircuit, Kernel, SlotReader, compile_circuit

_GENERATORS = (apply, irbuild, plan_module, lowering, adjoint_units, adjoint_codegen, adjoint_reductions)
_GENERATOR_DIGEST = hashlib.sha256(b"".join(Path(m.__file__).read_bytes() for m in _GENERATORS)).digest()
_PROTO = ctypes.CFUNCTYPE(None, *(ctypes.c_void_p, ctypes.c_int64) + (ctypes.c_void_p,) * 4)


@dataclass
class CompiledAdjoint:
    """A circuit's forward kernel, adjoint kernel and host tables for one set of differentiated slots."""

    forward: CompiledCircuit
    plan: AdjointPlan
    kernel: Kernel
    slots: SlotReader
    layout: MatrixLayout
    chain: Chain

    def slot_derivatives(self, args: Mapping[str, np.ndarray], batch: int) -> tuple[np.ndarray, np.ndarray]:
        """(values (B, O), ∂<H_o>/∂slot (B, O, W)) with W the program's slots in order."""
        plan = self.plan
        slot_values = self.slots.read(args, batch)
        mats, suffixes, occurrences = self.layout.fill(slot_values, batch)
        states = self.forward.states(args, batch)
        work = np.empty((max(plan.num_observables, 1), 2**plan.num_qubits), dtype=np.complex128)
        values = np.empty((batch, plan.num_observables))
        reduced = np.zeros((batch, plan.num_observables, max(plan.num_reduced, 1)), dtype=np.complex128)
        self.kernel.fn(mats.ctypes.data, batch, states.ctypes.data, work.ctypes.data, values.ctypes.data,
                       reduced.ctypes.data)
        return values, self.layout.gradients(slot_values, suffixes, occurrences, reduced)

    def linear_jacobian(self, args: Mapping[str, np.ndarray],
                        batch: int) -> tuple[list[np.ndarray], list[np.ndarray], int]:
        """(values, per result (B, elements), simulations), the shape `runtime.gradients` recombines."""
        values, grads = self.slot_derivatives(args, batch)
        columns = self.chain.apply(grads, args, batch)
        count = values.shape[1]
        return [values[:, o] for o in range(count)], [columns[:, o] for o in range(count)], 1


MAX_CACHED = 256
_BY_PROGRAM: dict[int, tuple[GradientProgram, CompiledAdjoint]] = {}  # id -> (program kept alive, compiled)
_BY_VALUE: dict[tuple[Circuit, tuple[tuple[int, int], ...], tuple[str, ...]], CompiledAdjoint] = {}
_KERNELS: dict[str, Kernel] = {}


def compile_adjoint(program: GradientProgram, linear: Circuit) -> CompiledAdjoint:
    """The compiled adjoint of `linear` (the program's circuit with linear results) for its slots."""
    hit = _BY_PROGRAM.get(id(program))
    if hit is not None and hit[0] is program:
        return hit[1]
    keys = tuple((s.op, s.param) for s in program.slots)
    value_key = (linear, keys, program.wrt)  # the chain rule depends on which arguments are differentiated
    compiled = _BY_VALUE.get(value_key)
    if compiled is None:
        compiled = _build(program, linear, keys)
        _remember(_BY_VALUE, value_key, compiled)
    _remember(_BY_PROGRAM, id(program), (program, compiled))
    return compiled


def _remember(table: dict, key: object, value: object) -> None:
    if len(table) >= MAX_CACHED:
        del table[next(iter(table))]  # oldest first
    table[key] = value


def _build(program: GradientProgram, linear: Circuit, keys: tuple[tuple[int, int], ...]) -> CompiledAdjoint:
    if not all(isinstance(r, ExpVal) for r in linear.results):
        raise ValueError("the adjoint method differentiates expectation values only")
    observables = tuple(r.observable for r in linear.results)
    plan = lower_adjoint(linear, observables, set(keys))
    layout = MatrixLayout.of(plan, keys)
    forward = compile_circuit(linear)
    slots = SlotReader.of(linear, layout.slots)
    return CompiledAdjoint(forward, plan, _kernel(plan), slots, layout, Chain.of(program))


def linear_jacobian(program: GradientProgram, linear: Circuit, args: Mapping[str, np.ndarray],
                    batch: int) -> tuple[list[np.ndarray], list[np.ndarray], int]:
    """`CompiledAdjoint.linear_jacobian` of the cached compiled form."""
    return compile_adjoint(program, linear).linear_jacobian(args, batch)


def _fingerprint(plan: AdjointPlan) -> str:
    """A digest of everything `emit_adjoint` reads, plus the generators' sources."""
    digest = hashlib.sha256(_GENERATOR_DIGEST)
    sizes = [plan.num_qubits, plan.num_entries, plan.num_reduced, plan.num_observables, len(plan.rows)]
    digest.update(np.array(sizes, dtype=np.int64).tobytes())
    digest.update(np.asarray(plan.table(), dtype=np.int64).tobytes())
    digest.update(np.asarray(plan.aux, dtype=np.int64).tobytes())
    digest.update(np.asarray(plan.segment_table() + [plan.chunk_qubits], dtype=np.int64).tobytes())
    digest.update(repr([(s.observable, s.flip, s.sign, s.coeff) for s in plan.strings]).encode())
    return digest.hexdigest()


def _kernel(plan: AdjointPlan) -> Kernel:
    """Linked once per process; object code from disk when present, else from LLVM (then stored)."""
    tag = _fingerprint(plan)
    key = jit.cache_key(tag)
    if key in _KERNELS:
        return _KERNELS[key]
    obj = cache.load(key)
    if obj is None:
        obj = jit.compile_object(str(emit_adjoint(plan, tag[:16])))
        cache.store(key, obj)
    else:
        jit.STATS["disk_hits"] += 1
    address, tracker = jit.link(obj, adjoint_symbol(tag[:16]), key)
    kernel = Kernel(key, _PROTO(address), tracker)
    _KERNELS[key] = kernel
    return kernel
