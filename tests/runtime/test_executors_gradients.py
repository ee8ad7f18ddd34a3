"""Gradients and Jacobians through executors: identical to the local executor, chunked, cancellable, on the CLI.

One `LocalCluster` (2 worker processes, loopback only) serves the module; no
test here kills a worker (`test_executors.py` does, last).  Skipped, saying
why, without dask; CI sets QDL_REQUIRE_EXTRAS=1 so that they fail there instead.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import qdl
from qdl.runtime.executors import ExecutorError, LocalExecutor

if os.environ.get("QDL_REQUIRE_EXTRAS") != "1":
    pytest.importorskip("distributed", reason="dask.distributed is not installed (pip install 'qdl[dask]')")
import distributed  # noqa: E402,F401  (the `client` fixture of conftest.py starts a LocalCluster)

from qdl.runtime.executors import DaskExecutor  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SOURCE = """
circuit two(x: float, param t: float[2]) -> (float, float[4]) {
    qubit q[2];
    rx(x) q[0]; ry(t[0]) q[0]; cx q[0], q[1]; ry(t[1]) q[1]; rz(x * t[1]) q[1]; rx(t[0]) q[1];
    return (expval(Z[0] Z[1] + 0.5 * X[1]), probs(q));
}
circuit energy(x: float, param t: float[2]) -> float {
    qubit q[2];
    rx(x) q[0]; ry(t[0]) q[0]; cx q[0], q[1]; ry(t[1]) q[1]; rz(x * t[1]) q[1]; rx(t[0]) q[1];
    return expval(Z[0] Z[1] + 0.5 * X[1]);
}
circuit spread(x: float, v: float, param t: float[3]) -> float {
    qubit q[3];
    ry(x) q[0]; rx(t[0]) q[1]; crx(t[1]) q[0], q[1]; cx q[1], q[2]; ry(v * t[2]) q[2];
    return var(X[0] + Z[2]);
}
circuit layers(param w: float[6, 4]) -> float {
    qubit q[4];
    for l in 0..6 { for i in 0..4 { ry(w[l, i]) q[i]; } for i in 0..3 { cx q[i], q[i + 1]; } }
    return expval(Z[0] Z[3] + 0.5 * X[1]);
}
"""


@pytest.fixture(scope="module")
def prog():
    return qdl.compile(SOURCE)


def inputs(batch: int, params: int = 2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(batch)
    return rng.uniform(-2, 2, batch), rng.uniform(-2, 2, (batch, params))


def flat(value) -> list[np.ndarray]:
    """Every array of a (nested tuple of) result(s), in order."""
    if isinstance(value, (tuple, list)):
        return [a for v in value for a in flat(v)]
    return [np.asarray(value)]


def assert_identical(left, right) -> None:
    left, right = flat(left), flat(right)
    assert len(left) == len(right)
    for a, b in zip(left, right):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert np.array_equal(a, b)  # bit for bit: the same kernels on the same slot rows


def executors(client) -> list:
    return [LocalExecutor(threads=2), DaskExecutor(client), DaskExecutor(client, chunk_size=3),
            DaskExecutor(client, chunk_size=1)]


@pytest.mark.parametrize("method", ["parameter-shift", "adjoint", "best", "finite-diff"])
def test_batched_gradients_are_identical_to_the_local_executor(client, prog, method):
    x, t = inputs(7)
    local = prog.energy.value_and_grad(x, t, method=method, executor=LocalExecutor())
    for chosen in executors(client):
        assert_identical(prog.energy.value_and_grad(x, t, method=method, executor=chosen), local)
    reference = qdl.compile(SOURCE, backend="reference").energy.value_and_grad(x, t, method=method)
    np.testing.assert_allclose(local[1], reference[1], atol=1e-12 if method != "finite-diff" else 1e-8)


def test_jacobians_of_tuples_and_variances_are_identical(client, prog):
    x, t = inputs(5)
    for method in ("parameter-shift", "best"):
        local = prog.two.value_and_jacobian(x, t, method=method)
        for chosen in executors(client):
            assert_identical(prog.two.value_and_jacobian(x, t, method=method, executor=chosen), local)
            assert_identical(prog.two.jacobian(x, t, method=method, executor=chosen), local[1])
    v = np.linspace(-1, 1, 5)
    _, t3 = inputs(5, 3)
    local = prog.spread.jacobian(x, v, t3, wrt=["t", "v"], method="parameter-shift")
    for chosen in executors(client):
        assert_identical(prog.spread.jacobian(x, v, t3, wrt=["t", "v"], method="parameter-shift",
                                              executor=chosen), local)


def test_an_unbatched_shift_gradient_is_split_across_its_shifted_evaluations(client, prog):
    w = np.random.default_rng(3).uniform(-np.pi, np.pi, (6, 4))
    local = prog.layers.value_and_grad(w, method="parameter-shift")
    for chunk_size in (None, 1, 5, 48, 1000):  # 49 evaluations: one per task up to all in one
        remote = prog.layers.value_and_grad(w, method="parameter-shift",
                                            executor=DaskExecutor(client, chunk_size=chunk_size))
        assert_identical(remote, local)
    assert_identical(qdl.grad(prog.layers, method="parameter-shift")(w, executor=DaskExecutor(client)), local[1])


def test_context_and_global_executor_reach_gradients(client, prog):
    x, t = inputs(4)
    expected = prog.two.jacobian(x, t, method="parameter-shift")
    submitted = []
    dask = DaskExecutor(client, chunk_size=2)
    real = dask._run

    def counted(task, job, payloads):
        payloads = list(payloads)
        submitted.append(len(payloads))
        return real(task, job, payloads)

    dask._run = counted
    with qdl.executor(dask):
        assert_identical(prog.two.jacobian(x, t, method="parameter-shift"), expected)
    qdl.set_executor(dask)
    try:
        assert_identical(prog.energy.grad(x, t, method="adjoint"), prog.energy.grad(x, t, method="adjoint",
                                                                                      executor=LocalExecutor()))
    finally:
        qdl.set_executor(None)
    assert len(submitted) == 2 and all(n > 1 for n in submitted)  # both went to the cluster, in chunks


def _memo() -> list[str]:
    from qdl.runtime.executors import worker
    return list(worker._COMPILED)


def test_workers_build_the_adjoint_once_and_refuse_another(client, prog):
    from dataclasses import replace
    from qdl.compiler.autodiff.linearize import linear_circuit
    from qdl.runtime.llvm.adjoint import compile_adjoint
    from qdl.runtime.executors.worker import adjoint_job_of, run_adjoint_chunk
    x, t = inputs(6)
    dask = DaskExecutor(client, chunk_size=1)
    for _ in range(2):
        prog.energy.grad(x, t, method="adjoint", executor=dask)
    program = prog.energy.gradient_program()
    job = adjoint_job_of(program, compile_adjoint(program, linear_circuit(program.circuit)))
    assert sum(keys.count(job.digest) for keys in client.run(_memo).values()) in (1, 2)  # once per worker
    with pytest.raises(ExecutorError, match="a worker built another adjoint kernel than the client did"):
        client.gather(client.submit(run_adjoint_chunk, replace(job, key="0" * 64), np.zeros((1, 6)), pure=False))


def _still_there(keys: list, dask_scheduler=None) -> int:
    """How many of `keys` the scheduler still holds."""
    return sum(key in dask_scheduler.tasks for key in keys)


@pytest.mark.parametrize("kind", ["forward", "gradient"])
def test_ctrl_c_cancels_the_futures_and_the_cluster_stays_usable(client, wide, kind):
    """A real SIGINT to the main thread while it waits on a long batch."""
    t = np.random.default_rng(0).uniform(-1, 1, (400, 3))
    if kind == "forward":  # 200 tasks of 2 rows (~4 ms each)
        dask = DaskExecutor(client, chunk_size=2)
        run = (lambda batch: wide(t[:batch], executor=dask))
    else:  # 57 evaluations a row: 228 tasks of 25
        dask = DaskExecutor(client, chunk_size=25)
        run = (lambda batch: wide.value_and_grad(t[:batch // 4], method="parameter-shift", wrt="t", executor=dask))
    run(4)  # both workers compile before the clock starts
    cancelled: list = []
    real_cancel = client.cancel
    client.cancel = lambda futures, *a, **k: cancelled.append(list(futures)) or real_cancel(futures, *a, **k)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    reached = threading.Event()

    def press_ctrl_c() -> None:
        """SIGINT to the main thread; again if it did not get through (Python drops a KeyboardInterrupt
        raised inside a finalizer, such as a garbage-collected future's), as a user would press again."""
        time.sleep(0.3)
        for _ in range(5):
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
            if reached.wait(1.0):
                return

    presser = threading.Thread(target=press_ctrl_c)
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            presser.start()
            try:
                run(400)
            finally:
                reached.set()
                presser.join()  # a batch done before the signal is interrupted here, and the checks below fail
    finally:
        signal.signal(signal.SIGINT, previous)
        del client.cancel
    assert len(cancelled) == 1 and cancelled[0]  # every future submitted so far (the submission may be cut short)
    assert all(f.status == "cancelled" for f in cancelled[0])
    keys, deadline = [f.key for f in cancelled[0]], time.monotonic() + 10
    while client.run_on_scheduler(_still_there, keys) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.run_on_scheduler(_still_there, keys) == 0  # nothing of the batch left on the cluster
    assert time.monotonic() - started < 12
    expected = wide(t[:40]) if kind == "forward" else wide.value_and_grad(t[:10], method="parameter-shift", wrt="t")
    assert_identical(run(40), expected)  # and the cluster still computes


# --- the command line ----------------------------------------------------------------------


def test_qdlc_grad_on_the_cluster_prints_what_local_prints(client, qdlc):
    args = ("grad", "examples/vqe_h2.qdl", "--arg", "theta=[0.1, 0.2, 0.3]", "--format", "json")
    local = qdlc(*args)
    assert local.code == 0, local.err
    for extra in (("--executor", "local", "--threads", "2"),
                  ("--executor", "dask", "--scheduler", client.scheduler.address),
                  ("--method", "parameter-shift", "--executor", "dask", "--scheduler", client.scheduler.address)):
        remote = qdlc(*args, *extra)
        assert remote.code == 0, remote.err
        expected = local.out if "--method" not in extra else qdlc(*args, "--method", "parameter-shift").out
        assert json.loads(remote.out) == json.loads(expected)


def test_qdlc_train_on_the_cluster_reaches_the_same_parameters(client, qdlc, tmp_path):
    x = np.random.default_rng(0).uniform(0, np.pi, (24, 4))
    data = tmp_path / "train.csv"
    np.savetxt(data, np.column_stack([x, np.where(x[:, 0] > np.pi / 2, 1.0, -1.0)]), delimiter=",")
    common = ("train", "examples/classifier.qdl", "--data", str(data), "--steps", "3", "--batch-size", "8")
    local = qdlc(*common, "--checkpoint", str(tmp_path / "local"))
    remote = qdlc(*common, "--checkpoint", str(tmp_path / "dask"), "--executor", "dask",
                  "--scheduler", client.scheduler.address)
    threads = qdlc(*common, "--checkpoint", str(tmp_path / "threads"), "--executor", "local", "--threads", "2")
    assert local.code == remote.code == threads.code == 0, remote.err
    for folder in ("dask", "threads"):
        assert np.array_equal(np.load(tmp_path / folder / "w.npy"), np.load(tmp_path / "local" / "w.npy"))


@pytest.mark.parametrize("command", [
    ("grad", "examples/vqe_h2.qdl", "--arg", "theta=[0.1, 0.2]"),
    ("train", "examples/vqe_h2.qdl", "--steps", "2"),
])
def test_an_unreachable_scheduler_is_a_clear_error_within_the_timeout(qdlc, command, tmp_path):
    start = time.monotonic()
    outcome = qdlc(*command, "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "1")
    assert outcome.code == 1
    assert outcome.err.startswith("error: cannot reach the Dask scheduler at tcp://127.0.0.1:9 within 1 s")
    assert "Traceback" not in outcome.err and time.monotonic() - start < 6
    assert not list(tmp_path.iterdir()) and not (REPO / "vqe_h2-energy.train").exists()  # train wrote nothing


@pytest.mark.parametrize("command", ["grad", "train"])
@pytest.mark.parametrize("flags, message", [
    (("--scheduler", "tcp://127.0.0.1:9"), "--scheduler needs --executor dask"),
    (("--executor", "dask"), "--executor dask needs --scheduler"),
    (("--executor", "dask", "--threads", "2", "--scheduler", "tcp://127.0.0.1:9"), "--threads is for --executor local"),
])
def test_executor_flags_that_do_not_fit_are_usage_errors(qdlc, command, flags, message):
    outcome = qdlc(command, "examples/vqe_h2.qdl", *flags)
    assert outcome.code == 2 and message in outcome.err


# --- docs/scaling.md ------------------------------------------------------------------------


def doc_blocks(lang: str) -> list[str]:
    """The fenced blocks of docs/scaling.md in language `lang`, without those marked `skip:`."""
    import re
    text = (REPO / "docs" / "scaling.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", text, re.M | re.S)
    return [body for info, body in blocks if info.split()[:1] == [lang] and "skip:" not in info]


def test_the_python_examples_of_the_scaling_doc_run(monkeypatch):
    """In order, in one namespace (the later blocks use the first block's cluster), from the repository root."""
    monkeypatch.chdir(REPO)
    blocks = doc_blocks("python")
    assert len(blocks) == 2
    namespace: dict = {}
    try:
        for block in blocks:
            exec(compile(block, "docs/scaling.md", "exec"), namespace)
    finally:
        qdl.set_executor(None)
        for name in ("client", "cluster"):
            if name in namespace:
                namespace[name].close()


def test_the_commands_of_the_scaling_doc_run(client, qdlc, monkeypatch, tmp_path):
    """Against the module's cluster (its address replaces the doc's), in a scratch directory."""
    import shlex
    (tmp_path / "examples").symlink_to(REPO / "examples")
    monkeypatch.chdir(tmp_path)
    commands = [line for block in doc_blocks("sh") for line in block.splitlines() if line.startswith("qdlc ")]
    assert len(commands) == 4 and sum("--executor dask" in c for c in commands) == 3
    for command in commands:
        argv = shlex.split(command.replace("tcp://127.0.0.1:8786", client.scheduler.address))[1:]
        outcome = qdlc(*argv)
        assert outcome.code == 0, (command, outcome.err)
    assert (tmp_path / "vqe.train" / "theta.npy").is_file()
