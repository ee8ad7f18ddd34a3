"""What a worker runs: a circuit shipped as plain data, compiled once per process, over a chunk of slot rows.

A `CircuitJob` is the circuit's IR text (`compiler.ir_text.format_circuit`,
which `parse_module` reads back as an equal `Circuit`: the round trip is
exact, spans aside), the options `compile_circuit` was given, and the
fingerprint of the kernel plan they made on the client.  A worker parses and
compiles a job once (memoized by its digest; the kernel's object code comes
from the worker's own disk cache, `QDL_CACHE_DIR`), and refuses to run a plan
whose fingerprint differs from the client's: another qdl version or another
`QDL_BLOCK_QUBITS` would compute other bits.

Gradients ship the same way: a parameter-shift part is the circuit's job
(compiled with a slot per gate parameter) and a `ShiftBatch` part; an
adjoint chunk is an `AdjointJob` (the gradient program's circuit and `wrt`,
rebuilt into the compiled adjoint once per worker) and a chunk of slot rows.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from qdl.compiler.autodiff import GradientProgram
    from qdl.runtime.llvm.adjoint import CompiledAdjoint
    from qdl.runtime.llvm.kernel import CompiledCircuit
    from qdl.runtime.llvm.shift import ShiftBatch


@dataclass(frozen=True)
class CircuitJob:
    """A compiled circuit as plain data: IR text, `compile_circuit` options, plan fingerprint, states wanted."""

    ir: str
    options: tuple[int | None, bool, bool, str]
    fingerprint: str
    want_states: bool

    @property
    def digest(self) -> str:
        return hashlib.sha256(f"{self.options}\n{self.fingerprint}\n{self.ir}".encode()).hexdigest()


_JOBS: dict[tuple, "CircuitJob | AdjointJob"] = {}  # on the client, by circuit, options and kernel
MAX_JOBS = 64


def job_of(compiled: "CompiledCircuit") -> CircuitJob:
    """The job that rebuilds `compiled` on a worker (cached: printing and hashing happen once per circuit)."""
    from qdl.compiler.ir_text import format_circuit
    from qdl.runtime.executors import needs_states
    from qdl.runtime.llvm.kernel import fingerprint
    key = (compiled.circuit, compiled.options, compiled.kernel.key)
    job = _JOBS.get(key)
    if job is None:
        if len(_JOBS) >= MAX_JOBS:
            del _JOBS[next(iter(_JOBS))]
        job = _JOBS[key] = CircuitJob(format_circuit(compiled.circuit), compiled.options,
                                      fingerprint(compiled.plan), needs_states(compiled))
    return job


_COMPILED: dict[str, Any] = {}  # per worker process, by job digest
_LOCK = threading.Lock()


def compiled_of(job: CircuitJob) -> "CompiledCircuit":
    """The job's compiled circuit in this process: parsed and compiled on first use."""
    digest = job.digest
    with _LOCK:
        if digest not in _COMPILED:
            _COMPILED[digest] = _compile(job)
        return _COMPILED[digest]


def _compile(job: CircuitJob) -> "CompiledCircuit":
    from qdl.compiler.ir_text import parse_module
    from qdl.runtime.executors import ExecutorError
    from qdl.runtime.llvm.kernel import compile_circuit, fingerprint
    (circuit,) = parse_module(job.ir, "<shipped circuit>").circuits
    block, distinct, relabel, precision = job.options
    compiled = compile_circuit(circuit, block, distinct, relabel, precision)
    if fingerprint(compiled.plan) != job.fingerprint:
        raise ExecutorError("a worker built another kernel plan than the client did: run the same qdl version "
                            "and the same QDL_BLOCK_QUBITS on the workers as on the client")
    return compiled


def run_chunk(job: CircuitJob, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The task: the job's kernel over `slots` (k, slots) -> (states or (k, 0), results)."""
    states, out = compiled_of(job).execute_slots(slots)
    return (states if job.want_states else states[:, :0]), out


def run_shift_chunk(job: CircuitJob, batch: "ShiftBatch", with_base: bool) -> np.ndarray:
    """The task of a parameter-shift part: (count, k, width) reduced results (row 0 unset without `with_base`)."""
    from qdl.runtime.llvm.shift import evaluate_shift_batch
    return evaluate_shift_batch(compiled_of(job), batch, with_base=with_base)


@dataclass(frozen=True)
class AdjointJob:
    """A compiled adjoint as plain data: the gradient program's circuit (IR text), `wrt`, precision, and
    the client's forward plan fingerprint and adjoint kernel key (what the worker must rebuild)."""

    ir: str
    wrt: tuple[str, ...]
    precision: str
    fingerprint: str
    key: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(f"adjoint\n{self.wrt}\n{self.precision}\n{self.key}\n{self.ir}".encode()).hexdigest()


def adjoint_job_of(program: "GradientProgram", adjoint: "CompiledAdjoint") -> AdjointJob:
    """The job that rebuilds `adjoint` (the compiled adjoint of `program`) on a worker (cached per kernel)."""
    from qdl.compiler.ir_text import format_circuit
    from qdl.runtime.llvm.kernel import fingerprint
    key = ("adjoint", program.circuit, program.wrt, adjoint.kernel.key)
    job = _JOBS.get(key)
    if job is None:
        if len(_JOBS) >= MAX_JOBS:
            del _JOBS[next(iter(_JOBS))]
        job = _JOBS[key] = AdjointJob(format_circuit(program.circuit), tuple(program.wrt),
                                      adjoint.forward.plan.precision, fingerprint(adjoint.forward.plan),
                                      adjoint.kernel.key)
    return job


def run_adjoint_chunk(job: AdjointJob, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The task of an adjoint chunk: (values (k, O), slot derivatives (k, O, W)) of its slot rows."""
    digest = job.digest
    with _LOCK:
        if digest not in _COMPILED:
            _COMPILED[digest] = _compile_adjoint(job)
        adjoint = _COMPILED[digest]
    return adjoint.derivatives_of_slots(slots)


def _compile_adjoint(job: AdjointJob) -> "CompiledAdjoint":
    from qdl.compiler.autodiff import gradient_program
    from qdl.compiler.autodiff.linearize import linear_circuit
    from qdl.compiler.ir_text import parse_module
    from qdl.runtime.executors import ExecutorError
    from qdl.runtime.llvm.adjoint import compile_adjoint
    from qdl.runtime.llvm.kernel import fingerprint
    (circuit,) = parse_module(job.ir, "<shipped circuit>").circuits
    program = gradient_program(circuit, job.wrt)
    adjoint = compile_adjoint(program, linear_circuit(program.circuit), job.precision)
    if fingerprint(adjoint.forward.plan) != job.fingerprint or adjoint.kernel.key != job.key:
        raise ExecutorError("a worker built another adjoint kernel than the client did: run the same qdl version "
                            "and the same QDL_BLOCK_QUBITS on the workers as on the client")
    return adjoint
