"""Compile a circuit to a JIT kernel once, then run it on batches of arguments.

Division of work:

* host, per call: evaluate every distinct parameter expression into a slot
  matrix (B, slots);
* kernel: for each batch element, every gate matrix from the slots (compiled
  from the gate table's trigonometric forms; `plan.fill_matrices` is the
  numpy oracle), |0...0>, then the stages of the op table (see
  `qdl.compiler.backends.llvm.codegen` for the ABI);
* host, after: results (ExpVal, Var, Probs, State, Sample) from the returned
  states with the reference simulator's numpy reductions, so they match the
  oracle by construction.

Caches: compiled circuits in memory (by circuit value), linked kernels in
memory (by object-cache key, so a kernel is linked once per process), object
code on disk (`runtime.llvm.cache`).  The key hashes the plan's tables and the
generator's source files (the LLVM IR is a pure function of both) with the
target CPU, its features and the toolchain versions, so a warm start neither
builds the IR nor calls LLVM.
"""

from __future__ import annotations

import ctypes
import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np

from qdl.compiler.backends.llvm import KernelPlan, emit, kernel_symbol, lower
from qdl.compiler.backends.llvm import codegen
from qdl.compiler.expr import Arg, Expr
from qdl.compiler.ir import Circuit
from qdl.runtime import reference
from qdl.runtime.llvm import cache, jit

# The LLVM IR is a function of the plan and of the generator's source: every module of the package.
_GENERATOR_DIGEST = hashlib.sha256(b"".join(
    path.read_bytes() for path in sorted(Path(codegen.__file__).parent.glob("*.py")))).digest()
_PROTO = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p,
                          ctypes.c_void_p)  # ctypes releases the GIL during the call


@dataclass
class Kernel:
    """A linked kernel; `tracker` keeps its code alive as long as `fn` may be called."""

    key: str
    fn: ctypes._CFuncPtr
    tracker: object = field(repr=False)


@dataclass(frozen=True)
class SlotReader:
    """Evaluates the plan's slots into (B, slots): plain argument elements by one gather per argument."""

    gathers: tuple[tuple[str, np.ndarray, np.ndarray], ...]  # (argument, slot columns, flat element index)
    others: tuple[tuple[int, Expr], ...]
    count: int

    @classmethod
    def of(cls, circuit: Circuit, slots: tuple[Expr, ...]) -> "SlotReader":
        by_name: dict[str, list[tuple[int, int]]] = {}
        others = []
        for j, expr in enumerate(slots):
            argument = circuit.argument(expr.name) if isinstance(expr, Arg) else None
            if argument is None or len(expr.index) != len(argument.shape):
                others.append((j, expr))
                continue
            flat = int(np.ravel_multi_index(expr.index, argument.shape)) if argument.shape else 0
            by_name.setdefault(expr.name, []).append((j, flat))
        gathers = tuple((name, np.array([j for j, _ in pairs], dtype=np.intp),
                         np.array([f for _, f in pairs], dtype=np.intp)) for name, pairs in by_name.items())
        return cls(gathers, tuple(others), len(slots))

    def read(self, args: Mapping[str, np.ndarray], batch: int) -> np.ndarray:
        out = np.empty((batch, self.count), dtype=np.float64)
        for name, columns, flat in self.gathers:
            out[:, columns] = np.asarray(args[name], dtype=np.float64).reshape(batch, -1)[:, flat]
        for j, expr in self.others:
            out[:, j] = np.broadcast_to(np.asarray(expr.evaluate(args), dtype=np.float64), (batch,))
        return out


@dataclass
class CompiledCircuit:
    """A circuit with its plan and kernel: `run(args)` follows `reference.simulate`'s contract."""

    circuit: Circuit
    plan: KernelPlan
    kernel: Kernel
    slots: SlotReader

    def run(self, args: Mapping[str, np.ndarray], *, shots: int | None = None, seed: int | None = None,
            threads: int = 1) -> tuple[np.ndarray, ...]:
        if shots is None and any(isinstance(r, reference.Sample) for r in self.circuit.results):
            raise ValueError("`sample` needs a number of shots; pass shots=...")
        batch = reference._batch_size(self.circuit, args)
        states = self.states(args, batch, threads)
        psi = states.reshape((batch,) + (2,) * self.plan.num_qubits)
        return reference._results(self.circuit, [(np.ones(batch), psi)], shots, np.random.default_rng(seed))

    def states(self, args: Mapping[str, np.ndarray], batch: int, threads: int = 1) -> np.ndarray:
        """The (B, 2**n) final states."""
        _check_memory(batch * 16 * 2**self.plan.num_qubits)
        slots = self.slots.read(args, batch)
        states = np.empty((batch, 2**self.plan.num_qubits), dtype=np.complex128)
        if threads <= 1 or batch == 1:
            self._call(slots, states, 0, batch)
            return states
        chunks = np.array_split(np.arange(batch), min(threads, batch))
        with ThreadPoolExecutor(len(chunks)) as pool:
            list(pool.map(lambda c: self._call(slots, states, c[0], len(c)), chunks))
        return states

    def _call(self, slots: np.ndarray, states: np.ndarray, start: int, count: int) -> None:
        """Batch elements [start, start + count) with work buffers of their own (one set per thread)."""
        mats = np.empty((count, max(self.plan.num_entries, 1)), dtype=np.complex128)
        scratch = np.empty(2**self.plan.chunk_qubits if self.plan.blocked else 1, dtype=np.complex128)
        self.kernel.fn(slots[start:].ctypes.data, count, mats.ctypes.data, states[start:].ctypes.data,
                       scratch.ctypes.data)


def _check_memory(needed: int) -> None:
    """Fail before allocating a state batch larger than the memory the OS reports available."""
    if needed < 1 << 28:
        return
    try:
        with open("/proc/meminfo") as info:
            fields = dict(line.split(":", 1) for line in info)
        available = int(fields["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        return
    if needed > available:
        raise MemoryError(f"the state vectors need {needed / 2**30:.1f} GiB but only "
                          f"{available / 2**30:.1f} GiB are available; use fewer qubits or a smaller batch")


MAX_CACHED_CIRCUITS = 256
_CIRCUITS: dict[tuple[Circuit, int | None], CompiledCircuit] = {}
_KERNELS: dict[str, Kernel] = {}


def compile_circuit(circuit: Circuit, block: int | None = None) -> CompiledCircuit:
    """The compiled form of `circuit`; raises `Unsupported` (a NotImplementedError) for dynamic circuits.

    `block` overrides the cache-blocking chunk size in qubits (tests, tuning).
    """
    hit = _CIRCUITS.get((circuit, block))
    if hit is not None:
        jit.STATS["memory_hits"] += 1
        return hit
    ops = reference.without_terminal_measurements(circuit.ops, reference._z_diagonal_qubits(circuit))
    plan = lower(circuit, ops, block)
    compiled = CompiledCircuit(circuit, plan, _kernel(plan, _fingerprint(plan)), SlotReader.of(circuit, plan.slots))
    if len(_CIRCUITS) >= MAX_CACHED_CIRCUITS:
        del _CIRCUITS[next(iter(_CIRCUITS))]  # oldest first; its kernel stays linked in `_KERNELS`
    _CIRCUITS[(circuit, block)] = compiled
    return compiled


def _fingerprint(plan: KernelPlan) -> str:
    """A digest of everything `emit` reads, plus the generator's own source: the IR is a function of it."""
    digest = hashlib.sha256(_GENERATOR_DIGEST)
    digest.update(np.array([plan.num_qubits, plan.num_entries, len(plan.rows)], dtype=np.int64).tobytes())
    digest.update(np.asarray(plan.table(), dtype=np.int64).tobytes())
    digest.update(np.asarray(plan.aux, dtype=np.int64).tobytes())
    digest.update(np.asarray(plan.stage_table() + [plan.chunk_qubits, len(plan.slots)], dtype=np.int64).tobytes())
    for group in plan.groups:  # the compiled fill: which gate, where its parameters and entries are
        digest.update(f"{group.spec.name}/{group.diagonal}/{group.params.shape}".encode())
        digest.update(np.ascontiguousarray(group.params, dtype=np.int64).tobytes())
        digest.update(np.ascontiguousarray(group.columns, dtype=np.int64).tobytes())
    for product in plan.products:
        digest.update(f"product/{product.diagonal}/{len(product.members)}".encode())
        for columns in (product.out,) + product.members:
            digest.update(np.ascontiguousarray(columns, dtype=np.int64).tobytes())
    return digest.hexdigest()


def code_listing(circuit: Circuit, kind: str) -> str:
    """The kernel of `circuit` as optimised LLVM IR or assembly (`qdlc compile --emit llvm|asm`)."""
    ops = reference.without_terminal_measurements(circuit.ops, reference._z_diagonal_qubits(circuit))
    plan = lower(circuit, ops)
    return jit.listing(str(emit(plan, _fingerprint(plan)[:16])), kind)


def run(circuit: Circuit, args: Mapping[str, np.ndarray], *, shots: int | None = None,
        seed: int | None = None, threads: int = 1) -> tuple[np.ndarray, ...]:
    """`reference.simulate` on the LLVM kernel (static circuits only)."""
    return compile_circuit(circuit).run(args, shots=shots, seed=seed, threads=threads)


def _kernel(plan: KernelPlan, tag: str) -> Kernel:
    """Linked once per process; object code from disk when present, else from LLVM (then stored)."""
    key = jit.cache_key(tag)
    if key in _KERNELS:
        return _KERNELS[key]
    obj = cache.load(key)
    if obj is None:
        obj = jit.compile_object(str(emit(plan, tag[:16])))
        cache.store(key, obj)
    else:
        jit.STATS["disk_hits"] += 1
    address, tracker = jit.link(obj, kernel_symbol(tag[:16]), key)
    kernel = Kernel(key, _PROTO(address), tracker)
    _KERNELS[key] = kernel
    return kernel
