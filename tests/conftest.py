"""Shared pytest configuration for qdl's test suite.

`qdlc` runs the CLI in-process, exactly as the console script does, and
returns its exit code and output.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

# The pulse simulators multiply many small matrices: OpenBLAS threads cost more than they
# give there (5-10x slower on a loaded 2-core machine). Set before numpy loads its BLAS.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from qdl.cli import main  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


@dataclass
class CliOutcome:
    code: int
    out: str
    err: str


@pytest.fixture
def qdlc(capsys, monkeypatch):
    """`qdlc("run", "examples/ghz.qdl", ...)` from the repository root, exactly as `qdl.cli.main`."""
    monkeypatch.chdir(REPO)

    def run(*argv: str) -> CliOutcome:
        capsys.readouterr()
        try:
            main(list(argv))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return CliOutcome(code, captured.out, captured.err)

    return run


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens", action="store_true", default=False,
        help="rewrite golden snapshot files (tests/golden/**) from current output; review the diff",
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest):
    """`golden(path, text)`: text must equal the snapshot at `path`; `--update-goldens` rewrites it first."""
    def check(path: Path, text: str) -> None:
        if request.config.getoption("--update-goldens"):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        assert path.exists(), f"missing {path.name}: run pytest --update-goldens and review it"
        assert text == path.read_text(encoding="utf-8"), f"{path.name} is stale; review, then --update-goldens"
    return check


@pytest.fixture(scope="module")
def private_kernel_cache(tmp_path_factory: pytest.TempPathFactory):
    """Point QDL_CACHE_DIR at a throw-away directory for one test module: never the user's cache."""
    old = os.environ.get("QDL_CACHE_DIR")
    os.environ["QDL_CACHE_DIR"] = str(tmp_path_factory.mktemp("qdl-cache"))
    yield
    if old is None:
        del os.environ["QDL_CACHE_DIR"]
    else:
        os.environ["QDL_CACHE_DIR"] = old


@pytest.fixture
def extra():
    """`extra("matplotlib", "plot")`: import an optional extra's module; skip, saying why, where it is absent.

    CI sets QDL_REQUIRE_EXTRAS=1: there a missing extra fails the test instead.
    """
    def need(module: str, name: str):
        if os.environ.get("QDL_REQUIRE_EXTRAS") == "1":
            return importlib.import_module(module)
        return pytest.importorskip(module, reason=f"{module} is not installed (pip install 'qdl[{name}]')")
    return need
