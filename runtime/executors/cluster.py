"""`DaskExecutor`: chunks of a batch's slot rows as tasks on a Dask cluster (`pip install 'qdl[dask]'`).

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

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from qdl.runtime.executors import Executor, ExecutorError, MissingExtraError
from qdl.runtime.executors.worker import job_of, run_chunk

try:
    from distributed import Client
except ImportError:  # pragma: no cover - exercised in a subprocess test
    raise MissingExtraError("DaskExecutor needs dask.distributed; install it with: pip install 'qdl[dask]'") from None

if TYPE_CHECKING:
    from qdl.runtime.llvm.kernel import CompiledCircuit

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
        size = self.chunk_size or max(1, math.ceil(batch / (CHUNKS_PER_WORKER * self._threads())))
        return [slice(start, min(start + size, batch)) for start in range(0, batch, size)]

    def _threads(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def execute_slots(self, compiled: "CompiledCircuit", slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        slots = np.ascontiguousarray(slots, dtype=np.float64)
        if slots.shape[0] == 0:
            return compiled.execute_slots(slots)
        job = job_of(compiled)
        futures = [self.client.submit(run_chunk, job, slots[rows], pure=False) for rows in self.chunks(len(slots))]
        try:
            parts = self.client.gather(futures)
        except BaseException:
            self.client.cancel(futures)  # Ctrl-C or a failed chunk: drop the rest of the batch
            raise
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _connect(address: object, timeout: float) -> Client:
    """A client of the scheduler at `address`, or an `ExecutorError` within about `timeout` seconds."""
    if not isinstance(address, str) or not address:
        raise ExecutorError(f"DaskExecutor needs a distributed.Client or a scheduler address, got {address!r}")
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ExecutorError(f"cannot reach the Dask scheduler at {address} within {timeout:g} s ({reason})") from None
