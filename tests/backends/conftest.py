"""Every test module of the back ends compiles into a throw-away kernel cache, never the user's."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True, scope="module")
def _private_cache(tmp_path_factory: pytest.TempPathFactory):
    old = os.environ.get("QDL_CACHE_DIR")
    os.environ["QDL_CACHE_DIR"] = str(tmp_path_factory.mktemp("qdl-cache"))
    yield
    if old is None:
        del os.environ["QDL_CACHE_DIR"]
    else:
        os.environ["QDL_CACHE_DIR"] = old
