"""`DaskExecutor`: chunks of a batch's slot rows as tasks on a Dask cluster (`pip install 'qdl[dask]'`).

Forward batches and the compiled adjoint's batches go in row chunks, a
parameter-shift gradient's evaluations in parts (`chunking.shift_parts`).

Each task carries the circuit as plain data (`worker.CircuitJob`: IR text,
options, plan fingerprint) and one chunk of slot rows; each worker compiles a
circuit once and answers with the chunk's results (and states, when a result
reads them).  The chunks are gathered in batch order, so the results are the
local executor's, bit for bit, on workers with the same CPU.  Ctrl-C (or any
error) while waiting cancels the batch's futures, best effort: a chunk a
worker already runs finishes there.  A worker that dies mid-batch is Dask's
to handle: the scheduler reruns its chunks elsewhere (tested).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable

import numpy as np

from qdl.runtime.executors import Executor, ExecutorError, MissingExtraError
from qdl.runtime.executors.chunking import row_chunks, shift_parts
from qdl.runtime.executors.worker import adjoint_job_of, job_of, run_adjoint_chunk, run_chunk, run_shift_chunk

try:
    from distributed import Client
except ImportError:  # pragma: no cover - exercised in a subprocess test
    raise MissingExtraError("DaskExecutor needs dask.distributed; install it with: pip install 'qdl[dask]'") from None

if TYPE_CHECKING:
    from qdl.compiler.autodiff import GradientProgram
    from qdl.runtime.llvm.adjoint import CompiledAdjoint
    from qdl.runtime.llvm.kernel import CompiledCircuit
    from qdl.runtime.llvm.shift import ShiftBatch

CHUNKS_PER_WORKER = 2  # a little slack for uneven workers, few enough that dispatch (~ms a task) stays small


class DaskExecutor(Executor):
    """Runs batches on the Dask cluster of `client` (a `distributed.Client` or a scheduler address).

    An address is connected to at once, within `timeout` seconds, or an
    `ExecutorError` says it cannot be reached.  `chunk_size` fixes the slot rows
    per task; by default a batch makes `CHUNKS_PER_WORKER` tasks per worker thread.
    """

    def __init__(self, client: Any, chunk_size: int | None = None, timeout: float = 10.0) -> None:
        if chunk_size is not None and (isinstance(chunk_size, bool) or not isinstance(chunk_size, int)
                                       or chunk_size < 1):
            raise ExecutorError(f"chunk_size must be a positive integer, got {chunk_size!r}")
        self.chunk_size = chunk_size
        self.client = client if isinstance(client, Client) else _connect(client, timeout)

    def __repr__(self) -> str:
        return f"DaskExecutor({self.client.scheduler.address!r}, chunk_size={self.chunk_size})"

    def chunks(self, batch: int) -> list[slice]:
        """The row ranges of the tasks of a batch of `batch` rows."""
        return row_chunks(batch, CHUNKS_PER_WORKER * self._threads(), self.chunk_size)

    def _threads(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def execute_slots(self, compiled: "CompiledCircuit", slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        slots = np.ascontiguousarray(slots, dtype=np.float64)
        if slots.shape[0] == 0:
            return compiled.execute_slots(slots)
        parts = self._run(run_chunk, job_of(compiled), [(slots[rows],) for rows in self.chunks(len(slots))])
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def shift_results(self, compiled: "CompiledCircuit", batch: "ShiftBatch") -> np.ndarray:
        """The parameter-shift batch in parts (`chunking.shift_parts`), assembled in order."""
        size = len(batch.base)
        if size == 0:
            return super().shift_results(compiled, batch)
        parts = shift_parts(size, batch.starts, len(compiled.plan.rows), CHUNKS_PER_WORKER * self._threads(),
                            self.chunk_size)
        got = self._run(run_shift_chunk, job_of(compiled),
                        ((batch.part(elements, terms), base) for elements, terms, base in parts))
        out = np.empty((batch.count, size, max(compiled.plan.results.width, 1)))
        for (elements, terms, base), result in zip(parts, got):
            out[1 + terms, elements] = result[1:]
            if base:
                out[0, elements] = result[0]
        return out

    def adjoint_derivatives(self, program: "GradientProgram", adjoint: "CompiledAdjoint",
                            slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The adjoint's slot rows in chunks, like a forward batch."""
        slots = np.ascontiguousarray(slots, dtype=np.float64)
        if slots.shape[0] == 0:
            return adjoint.derivatives_of_slots(slots)
        parts = self._run(run_adjoint_chunk, adjoint_job_of(program, adjoint),
                          ((slots[rows],) for rows in self.chunks(len(slots))))
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def _run(self, task: Callable[..., Any], job: Any, payloads: Iterable[tuple]) -> list:
        """`task(job, *payload)` for every payload on the cluster, results in order.

        Ctrl-C or a failed task, while submitting or waiting, cancels every future submitted first.
        """
        futures: list = []
        try:
            for payload in payloads:
                futures.append(self.client.submit(task, job, *payload, pure=False))
            return self.client.gather(futures)
        except BaseException:
            self.client.cancel(futures)  # Ctrl-C or a failed chunk: drop the rest of the batch
            raise


def _connect(address: object, timeout: float) -> Client:
    """A client of the scheduler at `address`, or an `ExecutorError` within about `timeout` seconds."""
    if not isinstance(address, str) or not address:
        raise ExecutorError(f"DaskExecutor needs a distributed.Client or a scheduler address, got {address!r}")
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ExecutorError(f"cannot reach the Dask scheduler at {address} within {timeout:g} s ({reason})") from None
