"""Fixtures of the runtime tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def client():
    """A Dask client of a `LocalCluster` of 2 one-thread worker processes on loopback, one per test module.

    Modules that use it import `distributed` first (skipping without the dask extra).
    """
    from distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                           dashboard_address=None)
    client = Client(cluster, set_as_default=False)
    yield client
    client.close()
    cluster.close()


WIDE = """
circuit wide(t: float[3]) -> float {
    qubit q[14];
    for i in 0..14 { ry(t[0]) q[i]; }
    for i in 0..13 { cx q[i], q[i + 1]; }
    for i in 0..14 { rx(t[1] * t[2]) q[i]; }
    return expval(Z[0] Z[13]);
}
"""


@pytest.fixture(scope="module")
def wide():
    """A 14-qubit circuit whose batches and gradients take long enough to interrupt or lose a worker in."""
    import qdl
    return qdl.compile(WIDE).wide


@pytest.fixture
def rejects(capsys):
    """`rejects(main, argv, message)`: a module's command-line entry point exits non-zero, saying `message`."""
    def check(main, argv: list[str], message: str) -> None:
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code != 0
        assert message in capsys.readouterr().err + str(exit_.value.code)
    return check
