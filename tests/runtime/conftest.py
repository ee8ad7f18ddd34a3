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
