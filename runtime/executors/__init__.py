"""Executors: where the kernel of a batched call runs, chunk by chunk of slot rows.

An `Executor` runs three kinds of batch, each plain data in, arrays out, rows
in batch order:

* `execute_slots(compiled, slots)`: a forward batch, what
  `CompiledCircuit.execute_slots` returns (final states, reduced results);
* `shift_results(compiled, batch)`: the evaluations of a parameter-shift
  gradient (`runtime.llvm.shift.ShiftBatch`);
* `adjoint_derivatives(program, adjoint, slots)`: the compiled adjoint's
  values and slot derivatives (`runtime.llvm.adjoint.CompiledAdjoint` of the
  gradient program `program`).

Everything before (binding arguments, evaluating parameter expressions into
slots) and after (unpacking results, drawing shots, the chain rule) runs in
the calling process, so an executor changes where the simulation runs, never
what it computes.

* `LocalExecutor(threads=N)`, the default: `execute_slots` itself, the batch
  split across N threads of this process (the kernel releases the GIL);
* `DaskExecutor(client or address)` (`qdl[dask]`): chunks of slot rows as
  tasks on a Dask cluster (`runtime.executors.cluster`).

Which executor a call uses: its `executor=` keyword, else the innermost
`executor(...)` context, else the one given to `set_executor`, else a
one-thread `LocalExecutor`.
"""

from __future__ import annotations

import contextvars
from concurrent.futures import ThreadPoolExecutor
from abc import ABC, abstractmethod
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np

from qdl.errors import QdlError

if TYPE_CHECKING:
    from qdl.compiler.autodiff import GradientProgram
    from qdl.runtime.llvm.adjoint import CompiledAdjoint
    from qdl.runtime.llvm.kernel import CompiledCircuit
    from qdl.runtime.llvm.shift import ShiftBatch


class ExecutorError(QdlError):
    """An executor cannot run the work: an unreachable scheduler, a missing extra, a mismatched worker."""


class MissingExtraError(ExecutorError, ImportError):
    """An optional dependency of an executor is not installed."""


class Executor(ABC):
    """Runs a compiled circuit's kernel over the rows of a slot matrix.

    Contract: `execute_slots(compiled, slots)` equals
    `compiled.execute_slots(slots)` bit for bit, except that the states may
    come back with zero columns when no result of the circuit reads them
    (`needs_states`).
    """

    @abstractmethod
    def execute_slots(self, compiled: "CompiledCircuit", slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The (B, 2**n or 0) final states and the (B, width) reduced results of the slot rows."""

    def shift_results(self, compiled: "CompiledCircuit", batch: "ShiftBatch") -> np.ndarray:
        """(count, B, width) reduced results of a parameter-shift batch (default: this process, one thread)."""
        from qdl.runtime.llvm.shift import evaluate_shift_batch
        return evaluate_shift_batch(compiled, batch)

    def adjoint_derivatives(self, program: "GradientProgram", adjoint: "CompiledAdjoint",
                            slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(values (B, O), ∂<H_o>/∂slot (B, O, W)) of the slot rows (default: this process, one thread)."""
        return adjoint.derivatives_of_slots(slots)


@dataclass(frozen=True)
class LocalExecutor(Executor):
    """The batch in this process, split across `threads` threads (one kernel call per thread)."""

    threads: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.threads, bool) or not isinstance(self.threads, int) or self.threads < 1:
            raise ExecutorError(f"threads must be a positive integer, got {self.threads!r}")

    def execute_slots(self, compiled: "CompiledCircuit", slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return compiled.execute_slots(slots, self.threads)

    def shift_results(self, compiled: "CompiledCircuit", batch: "ShiftBatch") -> np.ndarray:
        from qdl.runtime.llvm.shift import evaluate_shift_batch
        return evaluate_shift_batch(compiled, batch, self.threads)

    def adjoint_derivatives(self, program: "GradientProgram", adjoint: "CompiledAdjoint",
                            slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One adjoint call per thread, each on its own rows (the kernel releases the GIL)."""
        if self.threads == 1 or len(slots) < 2:  # training steps of small circuits: no overhead per call
            return adjoint.derivatives_of_slots(slots)
        parts = np.array_split(np.arange(len(slots)), min(self.threads, len(slots)))
        with ThreadPoolExecutor(len(parts)) as pool:
            got = list(pool.map(lambda p: adjoint.derivatives_of_slots(slots[p[0]:p[-1] + 1]), parts))
        return np.concatenate([g[0] for g in got]), np.concatenate([g[1] for g in got])


def needs_states(compiled: "CompiledCircuit") -> bool:
    """Whether a result reads the final states (state, sample, or one the host computes)."""
    from qdl.compiler.backends.llvm.results_layout import SAMPLE, STATE
    layout = compiled.plan.results
    return bool(layout.host) or any(slot.kind in (STATE, SAMPLE) for slot in layout.slots)


def __getattr__(name: str) -> Any:
    """`DaskExecutor` on first use: importing it without dask raises `MissingExtraError` naming `qdl[dask]`."""
    if name == "DaskExecutor":
        from qdl.runtime.executors.cluster import DaskExecutor
        return DaskExecutor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_DEFAULT = LocalExecutor()
_GLOBAL: list[Executor] = [_DEFAULT]
_CONTEXT: contextvars.ContextVar[Executor | None] = contextvars.ContextVar("qdl_executor", default=None)


def _checked(executor: object) -> Executor:
    if executor is None:
        return _DEFAULT
    if not isinstance(executor, Executor):
        raise ExecutorError(f"an executor must be a qdl Executor (LocalExecutor, DaskExecutor), got {executor!r}")
    return executor


def set_executor(executor: Executor | None) -> None:
    """Make `executor` the default of every later call (None: back to a one-thread `LocalExecutor`)."""
    _GLOBAL[0] = _checked(executor)


@contextmanager
def executor(executor: Executor | None) -> Iterator[Executor]:
    """`with qdl.executor(e):` calls in the block (in this thread or task) use `e`."""
    token = _CONTEXT.set(_checked(executor))
    try:
        yield _CONTEXT.get() or _DEFAULT
    finally:
        _CONTEXT.reset(token)


def current_executor(override: Executor | None = None) -> Executor:
    """The executor of a call: `override`, else the innermost context's, else the global one."""
    if override is not None:
        return _checked(override)
    return _CONTEXT.get() or _GLOBAL[0]


__all__ = ["DaskExecutor", "Executor", "ExecutorError", "LocalExecutor", "MissingExtraError", "current_executor", "executor",
           "needs_states", "set_executor"]
