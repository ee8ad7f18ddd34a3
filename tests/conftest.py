"""Shared pytest configuration for qdl's test suite."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens", action="store_true", default=False,
        help="rewrite golden snapshot files (tests/golden/**) from current output; review the diff",
    )
