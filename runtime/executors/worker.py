"""What a worker runs: a circuit shipped as plain data, compiled once per process, over a chunk of slot rows.

A `CircuitJob` is the circuit's IR text (`compiler.ir_text.format_circuit`,
which `parse_module` reads back as an equal `Circuit`: the round trip is
exact, spans aside), the options `compile_circuit` was given, and the
fingerprint of the kernel plan they made on the client.  A worker parses and
compiles a job once (memoized by its digest; the kernel's object code comes
from the worker's own disk cache, `QDL_CACHE_DIR`), and refuses to run a plan
whose fingerprint differs from the client's: another qdl version or another
`QDL_BLOCK_QUBITS` would compute other bits.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from qdl.runtime.llvm.kernel import CompiledCircuit


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


_JOBS: dict[tuple[object, tuple, str], CircuitJob] = {}  # on the client, by circuit, options and kernel
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


_COMPILED: dict[str, "CompiledCircuit"] = {}  # per worker process, by job digest
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
