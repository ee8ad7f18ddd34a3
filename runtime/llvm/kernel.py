"""Compile a circuit to a JIT kernel once, then run it on batches of arguments.

Division of work:

* host, per call: evaluate every distinct parameter expression into a slot
  matrix (B, slots);
* kernel: for each batch element, every gate matrix from the slots (compiled
  from the gate table's trigonometric forms; `kernel_plan.fill_matrices` is the
  numpy oracle), |0...0>, then the stages of the op table (see
  `qdl.compiler.backends.llvm.codegen` for the ABI);
* kernel: the reductions of ExpVal, Var and Probs from the final states;
* runtime library, after the kernel: Sample's basis indices from the final
  states (`runtime.llvm.sample`, the seeded generator of `runtime.sampling`:
  the reference simulator draws the same shots);
* host, after: the few results the kernel does not reduce
  (`ReductionLayout.host`) with the reference simulator's numpy code.

Caches: compiled circuits in memory (by circuit value), linked kernels in
memory (by object-cache key, so a kernel is linked once per process), object
code on disk (`runtime.llvm.cache`).  The key hashes the plan's tables and the
generator's source files (the LLVM IR is a pure function of both) with the
target CPU, its features and the toolchain versions, so a warm start neither
builds the IR nor calls LLVM.  A kernel's module holds only its tables, walk,
fill and reduction; the gate application functions it calls are the runtime
library's (`runtime.llvm.library`: compiled once per machine, linked once per
process), which every kernel links against.

Precision: `compile_circuit(..., precision="single")` makes a kernel whose
states are complex64 (`plan.precision`; the runtime library of that
precision); slots, matrices and reduced results stay double, so only
`state()` and the memory per amplitude (8 bytes instead of 16) differ.
"""

from __future__ import annotations

import ctypes
import hashlib
import math
from concurrent.futures import ThreadPoolExecutor
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from qdl.compiler.backends.llvm import KernelPlan, emit, kernel_symbol, lower
from qdl.compiler.backends.llvm import codegen, library
from qdl.compiler.backends.llvm.codegen import REDUCE, START, resume_symbol
from qdl.compiler.backends.llvm.irbuild import REALS
from qdl.compiler.backends.llvm.results_layout import SAMPLE, STATE, VALUE, ReductionLayout
from qdl.compiler.ir import Argument, Circuit
from qdl.runtime import reference, reference_results, sampling
from qdl.runtime.llvm import ahead, jit, sample
from qdl.runtime.llvm.buffers import (
    PRECISIONS, SlotReader, WorkBuffers, check_memory, fill_slot_row, gather_plan, scalar_floats,
)
from qdl.runtime.llvm.library import LinkedLibrary, runtime_library

# The LLVM IR is a function of the plan and of the generator's source: every module of the package.
_GENERATOR_DIGEST = hashlib.sha256(b"".join(
    path.read_bytes() for path in sorted(Path(codegen.__file__).parent.glob("*.py")))).digest()
FAST_PATH_MAX_QUBITS = 20  # its state buffer stays allocated: small circuits only, where calls are short
_PROTO = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p,
                          ctypes.c_void_p, ctypes.c_void_p)  # ctypes releases the GIL during the call
_RESUME_PROTO = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p,
                                 ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64)


@dataclass
class Kernel:
    """A linked kernel; `tracker` and `runtime` keep its code and the code it calls alive while `fn` may be called."""

    key: str
    fn: ctypes._CFuncPtr
    tracker: object = field(repr=False)
    runtime: LinkedLibrary | None = field(default=None, repr=False)
    resume: ctypes._CFuncPtr | None = field(default=None, repr=False)  # rows [first, end) of given states


@dataclass
class CompiledCircuit:
    """A circuit with its plan and kernel: `run(args)` follows `reference.simulate`'s contract."""

    circuit: Circuit
    plan: KernelPlan
    kernel: Kernel
    slots: SlotReader
    options: tuple[int | None, bool, bool, str] = (None, False, False, "double")  # compile_circuit's, resolved
    _single: "WorkBuffers | None" = field(default=None, repr=False)  # reused by unbatched calls
    _single_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def run(self, args: Mapping[str, np.ndarray], *, shots: int | None = None, seed: int | None = None,
            threads: int = 1, executor: Any = None) -> tuple[np.ndarray, ...]:
        """`executor` (a `runtime.executors.Executor`) runs the kernel on the slot rows; default: `threads` here."""
        if shots is None and any(isinstance(r, reference.Sample) for r in self.circuit.results):
            raise ValueError("`sample` needs a number of shots; pass shots=...")
        batch = reference.batch_size(self.circuit, args)
        if executor is None:
            states, out = self.execute(args, batch, threads)
        else:
            states, out = executor.execute_slots(self, self.slots.read(args, batch))
        return self.results_of(states, out, shots, seed, threads)

    def results_of(self, states: np.ndarray, out: np.ndarray, shots: int | None = None,
                   seed: int | None = None, threads: int = 1) -> tuple[np.ndarray, ...]:
        """The circuit's results, as `reference.simulate` gives them, from what `execute` returned."""
        batch = states.shape[0]
        layout = self.plan.results
        results = list(layout.unpack(out[:, :layout.width], states[:, :0], batch))
        indices = None  # one set of shots for every Sample result, so that they correlate
        for k, slot in enumerate(layout.slots):
            if slot.kind == STATE:
                results[k] = states  # the caller's own array: a 30-qubit state is never copied
            elif slot.kind == SAMPLE:  # drawn from complex128 (a single-precision state is widened first)
                if indices is None:
                    indices = sample.sample_indices(states, shots or 0, sampling.seed_word(seed), threads)
                results[k] = reference_results.bits_of(indices, self._places(self.circuit.results[k].qubits))
        if layout.host:  # a Var too long to square in the kernel, a Probs that must raise: no shots here
            wide = states.astype(np.complex128, copy=False)  # host results of a single-precision state: in double
            psi = wide.reshape((batch,) + (2,) * self.plan.num_qubits)
            host = replace(self.circuit, results=tuple(self.circuit.results[k] for k in layout.host))
            for k, value in zip(layout.host, reference_results.results(host, [(np.ones(batch), psi)], shots, 0)):
                results[k] = value
        return tuple(results)

    def _places(self, qubits: tuple[int, ...]) -> tuple[int, ...]:
        """Where `qubits` sit in the final state's indices (moved only by relabelled swaps)."""
        places = self.plan.final_places
        return tuple(places[q] for q in qubits) if places else qubits

    def states(self, args: Mapping[str, np.ndarray], batch: int, threads: int = 1) -> np.ndarray:
        """The (B, 2**n) final states."""
        return self.execute(args, batch, threads)[0]

    def execute(self, args: Mapping[str, np.ndarray], batch: int, threads: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """The (B, 2**n) final states and the (B, width) reduced results."""
        return self.execute_slots(self.slots.read(args, batch), threads)

    def execute_slots(self, slots: np.ndarray, threads: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """`execute` from the slot values themselves, (B, len(plan.slots)) float64."""
        batch = slots.shape[0]
        dtype = PRECISIONS[self.plan.precision]
        check_memory(batch * dtype.itemsize * 2**self.plan.num_qubits)
        states = np.empty((batch, 2**self.plan.num_qubits), dtype=dtype)
        return states, self.resume(slots, states, 0, row_count(self.plan), START | REDUCE, threads)

    def resume(self, slots: np.ndarray, states: np.ndarray, first_row: int, end_row: int, flags: int,
               threads: int = 1) -> np.ndarray:
        """Apply the op-table rows [first_row, end_row) to `states` (B, 2**n) in place -> (B, width) results.

        `flags`: `START` begins from |0...0> (the states' contents are ignored),
        `REDUCE` fills the results (otherwise they are left unset); the
        matrices come from `slots` (B, len(plan.slots)).
        """
        batch = slots.shape[0]
        slots = np.ascontiguousarray(slots, dtype=np.float64)
        dtype = PRECISIONS[self.plan.precision]
        if states.shape != (batch, 2**self.plan.num_qubits) or states.dtype != dtype \
                or not states.flags.c_contiguous:
            raise ValueError(f"resume needs a C-contiguous {dtype} state per slot vector")
        out = np.empty((batch, max(self.plan.results.width, 1)), dtype=np.float64)
        parts = np.array_split(np.arange(batch), max(1, min(threads, batch)))
        call = (lambda c: self._call(slots, states, out, c[0], len(c), (first_row, end_row, flags)))
        if len(parts) == 1:
            if batch:
                call(parts[0])
            return out
        with ThreadPoolExecutor(len(parts)) as pool:
            list(pool.map(call, parts))
        return out

    def _call(self, slots: np.ndarray, states: np.ndarray, out: np.ndarray, start: int, count: int,
              rows: tuple[int, int, int]) -> None:
        """Batch elements [start, start + count) with work buffers of their own (one set per thread)."""
        work = WorkBuffers.of(self.plan, count)
        self.kernel.resume(slots[start:].ctypes.data, count, work.mats_at, states[start:].ctypes.data,
                           work.scratch_at, out[start:].ctypes.data, *rows)

    def call_unbatched(self, arguments: tuple[Argument, ...], values: tuple[Any, ...], shots: int | None = None,
                       seed: int | None = None) -> tuple[Any, ...] | None:
        """The fast path of a plain call: float arrays of exactly the declared shapes, results all compiled.

        Returns None when the call needs the general path (batches, conversions,
        host results, States, samples without shots, or a non-finite result, so
        that its error is raised there).  `shots` and `seed` are valid (the caller checked).
        """
        work = self._single or self._prepare_single(arguments)
        if work is None or len(values) != len(arguments) or (work.samples and shots is None) \
                or not self._single_lock.acquire(blocking=False):
            return None
        try:
            row = work.slots[0]
            if not fill_slot_row(row, work.gathers, work.shapes, work.scalar_floats, values):
                return None
            if work.samples and not np.isfinite(row).all():
                return None  # shots of a NaN state are no values to check: the general path rejects the arguments
            self.kernel.fn(work.slots_at, 1, work.mats_at, work.state_at, work.scratch_at, work.out_at)
            out = work.out[0]
            if work.scalars is not None:
                results = tuple(out[k] for k in work.scalars)
                return results if all(map(math.isfinite, results)) else None
            results = self._single_results(work, shots, seed)
        finally:
            self._single_lock.release()
        finite = all(math.isfinite(r) if isinstance(r, float) else bool(np.isfinite(r).all()) for r in results)
        return results if finite else None

    def _single_results(self, work: "WorkBuffers", shots: int | None, seed: int | None) -> tuple[Any, ...]:
        """The unbatched results from the fast path's buffers: reduced values, then shots of its state."""
        out, indices, results = work.out[0], None, []
        for k, slot in enumerate(self.plan.results.slots):
            if slot.kind != SAMPLE:
                end = slot.offset + slot.size
                results.append(out[slot.offset] if slot.kind == VALUE else out[slot.offset:end].copy())
                continue
            if indices is None:
                indices = sample.sample_indices(work.state, shots or 0, sampling.seed_word(seed))
            results.append(reference_results.bits_of(indices, self._places(self.circuit.results[k].qubits))[0])
        return tuple(results)

    def _prepare_single(self, arguments: tuple[Argument, ...]) -> "WorkBuffers | None":
        """Buffers for unbatched calls, when every result is compiled (reduced or sampled); else None (general path)."""
        layout = self.plan.results
        samples = any(s.kind == SAMPLE for s in layout.slots)
        if layout.host or not (layout.width or samples) or any(s.kind == STATE for s in layout.slots) \
                or self.slots.others or self.plan.num_qubits > FAST_PATH_MAX_QUBITS:
            return None
        work = WorkBuffers.of(self.plan, 1, with_slots=True, with_state=True)
        work.samples = samples
        work.gathers = gather_plan(arguments, self.slots)
        work.shapes = tuple(tuple(a.shape) for a in arguments)
        work.scalar_floats = scalar_floats(arguments)
        work.scalars = tuple(s.offset for s in layout.slots) if all(s.kind == VALUE for s in layout.slots) else None
        self._single = work
        return work


MAX_CACHED_CIRCUITS = 256
_CIRCUITS: dict[tuple[Circuit, int | None, bool, bool | None, str], CompiledCircuit] = {}
_KERNELS: dict[str, Kernel] = {}


def check_precision(precision: object) -> str:
    """`precision` if it names one ("double", "single"); else a ValueError that lists them."""
    if not isinstance(precision, str) or precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose one of {', '.join(map(repr, PRECISIONS))}")
    return precision


def compile_circuit(circuit: Circuit, block: int | None = None, distinct_slots: bool = False,
                    relabel_swaps: bool | None = None, precision: str = "double") -> CompiledCircuit:
    """The compiled form of `circuit`; raises `Unsupported` (a NotImplementedError) for dynamic circuits.

    `block` overrides the cache-blocking chunk size in qubits (tests, tuning);
    `distinct_slots` gives every gate parameter its own slot (`plan.lower`);
    `relabel_swaps` turns uncontrolled SWAPs into relabellings, leaving the
    final state permuted: by default only when every result is reduced in the
    kernel, so nobody sees that state (callers of `execute`/`states` that need
    the state in qubit order pass False).  `precision` is "double"
    (complex128 states) or "single" (complex64; see the module docstring).
    """
    precision = check_precision(precision)
    prebuilt = getattr(circuit, "prebuilt_kernel", None)  # a circuit of the program cache brings its plan
    if prebuilt is not None and (ready := prebuilt(block, distinct_slots, relabel_swaps, precision)) is not None:
        return ready
    key = (circuit, block, distinct_slots, relabel_swaps, precision)
    hit = _CIRCUITS.get(key)
    if hit is not None:
        jit.STATS["memory_hits"] += 1
        return hit
    plan, options = plan_circuit(circuit, block, distinct_slots, relabel_swaps, precision)
    compiled = link_circuit(circuit, plan, SlotReader.of(circuit, plan.slots), options, fingerprint(plan))
    if len(_CIRCUITS) >= MAX_CACHED_CIRCUITS:
        del _CIRCUITS[next(iter(_CIRCUITS))]  # oldest first; its kernel stays linked in `_KERNELS`
    _CIRCUITS[key] = compiled
    return compiled


def plan_circuit(circuit: Circuit, block: int | None = None, distinct_slots: bool = False,
                 relabel_swaps: bool | None = None,
                 precision: str = "double") -> tuple[KernelPlan, tuple[int | None, bool, bool, str]]:
    """The kernel plan of `circuit` and `compile_circuit`'s options resolved (`relabel_swaps` decided)."""
    if relabel_swaps is None:
        layout = ReductionLayout.of(circuit)  # samples walk the state in qubit order, as the reference's do
        relabel_swaps = not layout.host and all(slot.kind not in (STATE, SAMPLE) for slot in layout.slots)
    ops = reference.without_terminal_measurements(circuit.ops, reference.z_diagonal_qubits(circuit))
    plan = lower(circuit, ops, block, distinct_slots, relabel_swaps, precision)
    return plan, (block, distinct_slots, relabel_swaps, precision)


def link_circuit(circuit: Circuit, plan: KernelPlan, slots: SlotReader,
                 options: tuple[int | None, bool, bool, str], tag: str) -> CompiledCircuit:
    """A `CompiledCircuit` from a plan whose fingerprint is `tag`: object code from disk or LLVM, then linked."""
    return CompiledCircuit(circuit, plan, _kernel(plan, tag), slots, options)


def row_count(plan: KernelPlan) -> int:
    """`len(plan.rows)`, without building the rows of a plan the program cache loads lazily."""
    count = getattr(plan, "row_count", None)
    return len(plan.rows) if count is None else count


def fingerprint(plan: KernelPlan) -> str:
    """A digest of everything `emit` reads, plus the generator's own source: the IR is a function of it."""
    digest = hashlib.sha256(_GENERATOR_DIGEST)
    digest.update(plan.precision.encode())  # the same tables make a complex128 or a complex64 kernel
    digest.update(np.array([plan.num_qubits, plan.num_entries, len(plan.rows)], dtype=np.int64).tobytes())
    digest.update(np.asarray(plan.table(), dtype=np.int64).tobytes())
    digest.update(np.asarray(plan.aux, dtype=np.int64).tobytes())
    digest.update(np.asarray(plan.stage_table() + [plan.chunk_qubits, len(plan.slots)], dtype=np.int64).tobytes())
    digest.update(repr(plan.results).encode())  # the compiled reduction
    for group in plan.groups:  # the compiled fill: which gate, where its parameters and entries are
        digest.update(f"{group.spec.name}/{group.diagonal}/{group.params.shape}".encode())
        digest.update(np.ascontiguousarray(group.params, dtype=np.int64).tobytes())
        digest.update(np.ascontiguousarray(group.columns, dtype=np.int64).tobytes())
    for product in plan.products + plan.blocks2:
        digest.update(f"product/{product.diagonal}/{product.dim}/{len(product.members)}".encode())
        for columns in (product.out,) + product.members:
            digest.update(np.ascontiguousarray(columns, dtype=np.int64).tobytes())
    for gather in plan.gathers:
        digest.update(b"gather")
        for column in (gather.out, gather.base, gather.pattern, gather.patterns, [gather.zero, gather.one]):
            digest.update(np.ascontiguousarray(column, dtype=np.int64).tobytes())
    return digest.hexdigest()


def code_listing(circuit: Circuit, kind: str, precision: str = "double") -> str:
    """The kernel of `circuit` as optimised LLVM IR or assembly (`qdlc compile --emit llvm|asm`).

    Only the circuit's own module: the application functions it calls are
    declarations, defined in the runtime library named in the first line.
    """
    ops = reference.without_terminal_measurements(circuit.ops, reference.z_diagonal_qubits(circuit))
    plan = lower(circuit, ops, precision=precision)
    comment, real = (";" if kind == "llvm" else "#"), REALS[precision]
    header = (f"{comment} calls the runtime library {library.library_name(real)} (compiled once, not shown): "
              f"{', '.join(library.symbols(real))}\n")
    return header + jit.listing(str(emit(plan, fingerprint(plan)[:16])), kind)


def run(circuit: Circuit, args: Mapping[str, np.ndarray], *, shots: int | None = None,
        seed: int | None = None, threads: int = 1) -> tuple[np.ndarray, ...]:
    """`reference.simulate` on the LLVM kernel (static circuits only)."""
    return compile_circuit(circuit).run(args, shots=shots, seed=seed, threads=threads)


def _kernel(plan: KernelPlan, tag: str) -> Kernel:
    """Linked once per process; object code from disk when present, else from LLVM (then stored)."""
    key = jit.cache_key(tag)
    if key in _KERNELS:
        return _KERNELS[key]
    runtime = runtime_library(plan.precision)
    ahead.wait(key)  # a cold load may have started it (`ahead`): then its object code is on disk
    obj = ahead.object_code(plan, tag, key)
    resume = resume_symbol(tag[:16])
    address, tracker = jit.link(obj, kernel_symbol(tag[:16]), key, needs=(runtime.name,), also=(resume,))
    kernel = Kernel(key, _PROTO(address), tracker, runtime, _RESUME_PROTO(tracker[resume]))
    _KERNELS[key] = kernel
    return kernel
