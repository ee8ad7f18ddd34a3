"""Executors on a real Dask cluster: forward batches identical to the local executor, chunking, faults, the CLI.

One `LocalCluster` (2 worker processes, loopback only) serves the module.
Skipped, saying why, without dask; CI sets QDL_REQUIRE_EXTRAS=1 so that they fail there instead.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import qdl
from qdl.runtime.executors import ExecutorError, LocalExecutor, MissingExtraError

if os.environ.get("QDL_REQUIRE_EXTRAS") != "1":
    pytest.importorskip("distributed", reason="dask.distributed is not installed (pip install 'qdl[dask]')")
import distributed  # noqa: E402,F401  (the `client` fixture of conftest.py starts a LocalCluster)

from qdl.runtime.executors import DaskExecutor  # noqa: E402
from qdl.runtime.executors.worker import job_of  # noqa: E402

SOURCE = """
circuit two(x: float, param t: float[2]) -> (float, float[4]) {
    qubit q[2];
    rx(x) q[0]; ry(t[0]) q[0]; cx q[0], q[1]; ry(t[1]) q[1]; rz(x * t[1]) q[1]; rx(t[0]) q[1];
    return (expval(Z[0] Z[1] + 0.5 * X[1]), probs(q));
}
circuit s(t: float) -> complex[4] { qubit q[2]; ry(t) q[0]; cx q[0], q[1]; rz(t / 2) q[1]; return state(); }
circuit shots(t: float) -> int[2] { qubit q[2]; ry(t) q[0]; cx q[0], q[1]; return sample(q); }
"""


@pytest.fixture(scope="module")
def prog():
    return qdl.compile(SOURCE)


def inputs(batch: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(batch)
    return rng.uniform(-2, 2, batch), rng.uniform(-2, 2, (batch, 2))


def assert_identical(left, right) -> None:
    left, right = (left, right) if isinstance(left, tuple) else ((left,), (right,))
    assert len(left) == len(right)
    for a, b in zip(left, right):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert np.array_equal(a, b)  # bit for bit, not within a tolerance


@pytest.mark.parametrize("batch, chunk_size", [(7, None), (7, 3), (1, None), (5, 5), (4, 10)])
def test_forward_batches_are_identical_to_the_local_executor(client, prog, batch, chunk_size):
    x, t = inputs(batch)
    remote = prog.two(x, t, executor=DaskExecutor(client, chunk_size=chunk_size))
    assert_identical(remote, prog.two(x, t, executor=LocalExecutor()))
    assert_identical(remote, prog.two(x, t, executor=LocalExecutor(threads=2)))


def test_states_and_shots_come_back_identical(client, prog):
    x, _ = inputs(6)
    dask = DaskExecutor(client, chunk_size=4)
    assert_identical(prog.s(x, executor=dask), prog.s(x))
    assert_identical(prog.shots(x, shots=64, seed=11, executor=dask), prog.shots(x, shots=64, seed=11))


def test_chunks_cover_uneven_batches_in_order(client):
    assert [(c.start, c.stop) for c in DaskExecutor(client, chunk_size=3).chunks(7)] == [(0, 3), (3, 6), (6, 7)]
    assert [(c.start, c.stop) for c in DaskExecutor(client).chunks(1)] == [(0, 1)]
    default = DaskExecutor(client).chunks(100)  # 2 workers × 1 thread: 2 tasks per thread
    assert [(c.start, c.stop) for c in default] == [(0, 25), (25, 50), (50, 75), (75, 100)]


def _memo() -> list[str]:
    from qdl.runtime.executors import worker
    return list(worker._COMPILED)


def _clear_memo() -> None:
    from qdl.runtime.executors import worker
    worker._COMPILED.clear()


def test_each_worker_compiles_a_circuit_once(client, prog):
    x, t = inputs(8)
    client.run(_clear_memo)
    dask = DaskExecutor(client, chunk_size=1)
    for _ in range(2):
        prog.two(x, t, executor=dask)  # 16 tasks
    digest = job_of(prog.two._compiled()).digest
    memos = client.run(_memo)
    assert all(keys in ([], [digest]) for keys in memos.values()) and any(memos.values())


def test_context_and_global_executor_reach_batched_calls(client, prog):
    x, t = inputs(3)
    expected = prog.two(x, t)
    with qdl.executor(DaskExecutor(client)):
        assert_identical(prog.two(x, t), expected)
    qdl.set_executor(DaskExecutor(client, chunk_size=2))
    try:
        assert_identical(prog.two(x, t), expected)
    finally:
        qdl.set_executor(None)


def test_an_address_connects_to_the_scheduler(client, prog):
    x, t = inputs(3)
    dask = DaskExecutor(client.scheduler.address)
    try:
        assert_identical(prog.two(x, t, executor=dask), prog.two(x, t))
    finally:
        dask.client.close()


def test_an_unreachable_scheduler_is_a_clear_error_within_the_timeout():
    start = time.monotonic()
    with pytest.raises(ExecutorError, match=r"cannot reach the Dask scheduler at tcp://127.0.0.1:9 within 1 s"):
        DaskExecutor("tcp://127.0.0.1:9", timeout=1)
    assert time.monotonic() - start < 5


def test_bad_chunk_sizes_and_clients_are_errors(client):
    with pytest.raises(ExecutorError, match="chunk_size must be a positive integer"):
        DaskExecutor(client, chunk_size=0)
    with pytest.raises(ExecutorError, match="needs a distributed.Client or a scheduler address"):
        DaskExecutor(42)


def test_without_dask_the_import_names_the_extra():
    code = ("import sys; sys.modules['distributed'] = None\n"
            "try:\n    from qdl.runtime.executors import DaskExecutor\n"
            "except ImportError as e:\n    print(type(e).__name__, e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == (f"{MissingExtraError.__name__} DaskExecutor needs dask.distributed; "
                           "install it with: pip install 'qdl[dask]'")


def test_cli_runs_a_batch_on_the_cluster(client, qdlc):
    args = ("run", "examples/vqe_h2.qdl", "--arg", "theta=[0.1, 0.2, 0.3]", "--format", "json")
    local = qdlc(*args)
    remote = qdlc(*args, "--executor", "dask", "--scheduler", client.scheduler.address)
    assert local.code == remote.code == 0
    assert remote.out == local.out


def test_cli_unreachable_scheduler_is_an_error_without_traceback(qdlc):
    outcome = qdlc("run", "examples/vqe_h2.qdl", "--arg", "theta=[0.1, 0.2]", "--executor", "dask",
                   "--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "1")
    assert outcome.code == 1
    assert outcome.err.startswith("error: cannot reach the Dask scheduler at tcp://127.0.0.1:9 within 1 s")
    assert "Traceback" not in outcome.err


def test_an_interrupt_cancels_the_batch_futures(client, prog, monkeypatch):
    dask, cancelled = DaskExecutor(client, chunk_size=2), []

    def interrupted(futures, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(client, "gather", interrupted)
    monkeypatch.setattr(client, "cancel", lambda futures, *a, **k: cancelled.append(len(futures)))
    x, t = inputs(5)
    with pytest.raises(KeyboardInterrupt):
        prog.two(x, t, executor=dask)
    assert cancelled == [3]


def test_a_worker_with_another_plan_is_an_executor_error_on_the_client(client, prog):
    from dataclasses import replace
    from qdl.runtime.executors.worker import run_chunk
    job = replace(job_of(prog.two._compiled()), fingerprint="0" * 64)
    with pytest.raises(ExecutorError, match="a worker built another kernel plan than the client did"):
        client.gather(client.submit(run_chunk, job, np.zeros((1, 3)), pure=False))


@pytest.mark.parametrize("kind", ["forward", "gradient"])
def test_a_worker_killed_mid_batch_has_its_chunks_recomputed(client, wide, kind):
    """Last in the module: it kills a worker (its nanny starts a new one, awaited at the end)."""
    t = np.random.default_rng(0).uniform(-1, 1, (400, 3))
    if kind == "forward":  # 200 tasks of ~4 ms: about a second of work for 2 workers
        dask = DaskExecutor(client, chunk_size=2)
        run = (lambda batch: wide(t[:batch], executor=dask))
    else:  # parameter shift, 57 evaluations a point: 228 tasks of 25 evaluations
        dask = DaskExecutor(client, chunk_size=25)
        run = (lambda batch: wide.value_and_grad(t[:batch // 4], method="parameter-shift", wrt="t", executor=dask))
    client.wait_for_workers(2, timeout=30)
    run(8)  # both workers compile before the clock starts
    victim = sorted(client.nthreads())[0]
    pid = client.run(os.getpid, workers=[victim])[victim]
    killer = threading.Timer(0.15, os.kill, (pid, signal.SIGKILL))
    killer.start()
    try:
        got = run(400)
    finally:
        killer.join()
    assert victim not in client.nthreads()  # it did die, while the batch ran
    expected = wide(t) if kind == "forward" else wide.value_and_grad(t[:100], method="parameter-shift", wrt="t")
    assert_identical(got, expected)
    client.wait_for_workers(2, timeout=30)
