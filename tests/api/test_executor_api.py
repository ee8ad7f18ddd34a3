"""Choosing an executor: per call, by context, globally; the local executor; `qdlc run --executor local`.

Needs no dask: a recording executor stands in for a remote one (tests/runtime/test_executors.py runs Dask).
"""

from __future__ import annotations

import numpy as np
import pytest

import qdl
from qdl.runtime.executors import Executor, ExecutorError, LocalExecutor, current_executor

SOURCE = "circuit c(t: float[2]) -> float[4] { qubit q[2]; ry(t[0]) q[0]; cx q[0], q[1]; rx(t[1]) q[1]; return probs(q); }"


class Recording(Executor):
    """The local executor, counting the slot rows it ran."""

    def __init__(self) -> None:
        self.rows: list[int] = []

    def execute_slots(self, compiled, slots):
        self.rows.append(len(slots))
        return LocalExecutor().execute_slots(compiled, slots)


@pytest.fixture(scope="module")
def c():
    return qdl.compile(SOURCE).c


def test_per_call_executor_runs_batches(c):
    rec, t = Recording(), np.linspace(0, 1, 10).reshape(5, 2)
    assert np.array_equal(c(t, executor=rec), c(t))
    assert rec.rows == [5]


def test_unbatched_calls_stay_in_process(c):
    rec = Recording()
    c(np.array([0.1, 0.2]), executor=rec)
    assert rec.rows == []


def test_context_overrides_the_global_executor_and_a_call_overrides_both(c):
    outer, inner, call, t = Recording(), Recording(), Recording(), np.ones((2, 2))
    qdl.set_executor(outer)
    try:
        c(t)
        with qdl.executor(inner) as chosen:
            assert chosen is inner and current_executor() is inner
            c(t)
            c(t, executor=call)
        c(t)
    finally:
        qdl.set_executor(None)
    assert (outer.rows, inner.rows, call.rows) == ([2, 2], [2], [2])
    assert current_executor() == LocalExecutor()


def test_threads_split_the_batch_with_identical_results(c):
    t = np.random.default_rng(3).uniform(-3, 3, (9, 2))
    assert np.array_equal(c(t, executor=LocalExecutor(threads=4)), c(t, executor=LocalExecutor()))


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_bad_thread_counts(bad):
    with pytest.raises(ExecutorError, match="threads must be a positive integer"):
        LocalExecutor(threads=bad)


def test_not_an_executor():
    with pytest.raises(ExecutorError, match="must be a qdl Executor"):
        qdl.set_executor("tcp://127.0.0.1:8786")


def test_cli_local_threads(qdlc):
    args = ("run", "examples/vqe_h2.qdl", "--arg", "theta=[0.1, 0.2, 0.3]")
    assert qdlc(*args, "--executor", "local", "--threads", "2").out == qdlc(*args).out


@pytest.mark.parametrize("flags, message", [
    (("--scheduler", "tcp://127.0.0.1:8786"), "--scheduler needs --executor dask"),
    (("--executor", "dask"), "--executor dask needs --scheduler"),
    (("--executor", "dask", "--threads", "2", "--scheduler", "tcp://127.0.0.1:8786"), "--threads is for --executor local"),
    (("--threads", "0"), "--threads"),
])
def test_cli_executor_usage_errors(qdlc, flags, message):
    outcome = qdlc("run", "examples/vqe_h2.qdl", "--arg", "theta=0.1", *flags)
    assert outcome.code == 2 and message in outcome.err


def test_a_job_rebuilds_the_same_circuit_and_kernel(c):
    from qdl.compiler.ir_text import parse_module
    from qdl.runtime.executors.worker import compiled_of, job_of, run_chunk
    compiled = c._compiled()
    job = job_of(compiled)
    assert parse_module(job.ir).circuits == (compiled.circuit,)
    assert compiled_of(job).kernel.key == compiled.kernel.key
    slots = compiled.slots.read({"t": np.ones((3, 2))}, 3)
    states, out = run_chunk(job, slots)
    assert states.shape == (3, 0) and np.array_equal(out, compiled.execute_slots(slots)[1])


def test_a_worker_refuses_another_plan(c):
    from dataclasses import replace
    from qdl.runtime.executors.worker import job_of, run_chunk
    job = replace(job_of(c._compiled()), fingerprint="0" * 64)
    with pytest.raises(ExecutorError, match="another kernel plan than the client"):
        run_chunk(job, np.zeros((1, 2)))
