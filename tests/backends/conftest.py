"""Every test module of the back ends compiles into a throw-away kernel cache, never the user's."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="module")
def _private_cache(private_kernel_cache):
    yield
