"""`qdlc compile -O/--passes/--print-after/--time-passes/--stats/--verify-each` and `opt_level=`."""

from __future__ import annotations

import numpy as np
import pytest

import qdl
from qdl.errors import ArgumentError

SOURCE = """
circuit f(param t: float) -> float {
  qubit q[2];
  h q[0];
  h q[0];
  rz(t) q[1];
  rz(t) q[1];
  rx(t) q[1];
  cx q[0], q[1];
  return expval(Z[1]);
}
"""


@pytest.fixture
def source_file(tmp_path):
    path = tmp_path / "f.qdl"
    path.write_text(SOURCE)
    return str(path)


def test_default_is_unoptimized(qdlc, source_file):
    out = qdlc("compile", source_file)
    assert out.code == 0 and out.out.count("h %0") == 2


def test_o2_merges_and_cancels(qdlc, source_file):
    out = qdlc("compile", source_file, "-O2", "--verify-each")
    assert out.code == 0, out.err
    assert "h %0" not in out.out and "rz(t + t) %1" in out.out


def test_explicit_passes_print_after_time_and_stats(qdlc, source_file):
    out = qdlc("compile", source_file, "--passes", "cancel-inverse-pairs,merge-rotations{tol=1e-9}",
               "--print-after", "all", "--time-passes", "--stats")
    assert out.code == 0, out.err
    assert out.err.count("// IR after") == 2
    assert "ms" in out.err and "2q=1" in out.err and "params=3 " in out.err


@pytest.mark.parametrize("argv, message", [
    (["--passes", "nope"], "unknown pass `nope`"),
    (["--print-after", "light-cone"], "not in the pipeline"),
    (["-O9"], "-O"),
])
def test_usage_errors(qdlc, source_file, argv, message):
    out = qdlc("compile", source_file, *argv)
    assert out.code == 2 and message in out.err


def test_api_opt_level_keeps_values_and_gradients(source_file):
    plain, fast = qdl.load(source_file), qdl.load(source_file, opt_level=3)
    assert len(fast.module.circuits[0].ops) < len(plain.module.circuits[0].ops)
    assert np.isclose(plain.f(0.7), fast.f(0.7))
    assert np.isclose(plain.f.grad(0.7), fast.f.grad(0.7))
    compiled = qdl.compile(SOURCE, passes="cancel-inverse-pairs")
    assert "h %0" not in compiled.ir


def test_api_rejects_bad_pipelines():
    with pytest.raises(ArgumentError, match="0..3"):
        qdl.compile(SOURCE, opt_level=5)
    with pytest.raises(ArgumentError, match="unknown pass"):
        qdl.compile(SOURCE, passes="nope")


def test_corpus_qasm_loads_optimized():
    prog = qdl.load(qdl_corpus("qb_bell_n4.qasm"), opt_level=3)
    assert np.isclose(prog.main().sum(), 1.0)


def qdl_corpus(name: str) -> str:
    from pathlib import Path
    path = Path("/work/shared/corpus/qasm2") / name
    if not path.exists():
        pytest.skip("shared corpus not available")
    return str(path)


def test_docs_example_output_is_current():
    import re
    from pathlib import Path
    text = (Path(__file__).resolve().parents[3] / "docs" / "passes.md").read_text()
    source = re.search(r"```qdl\n(.*?)```", text, re.S).group(1)
    shown = re.search(r"-O3` prints\n\n```text\n(.*?)```", text, re.S).group(1)
    assert qdl.compile(source, opt_level=3).ir == shown
