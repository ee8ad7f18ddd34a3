"""`qdlc draw` and `qdlc stats`: outputs, pass selection, formats and clear errors."""

from __future__ import annotations

import json

import pytest

from qdl.compiler.draw.text import draw_text
from qdl.compiler.driver import compile_file
from qdl.compiler.passes import optimize_module


def test_draw_every_circuit_by_default(qdlc):
    out = qdlc("draw", "examples/qaoa_maxcut.qdl", "--width", "90")
    assert out.code == 0, out.err
    module = compile_file("examples/qaoa_maxcut.qdl").module
    assert out.out == "\n".join(draw_text(c, 90) for c in module.circuits)


def test_draw_after_a_level_and_after_a_pass(qdlc):
    module = compile_file("examples/vqe_h2.qdl").module
    o3 = qdlc("draw", "examples/vqe_h2.qdl", "-O3", "--width", "100")
    assert o3.out == draw_text(optimize_module(module, 3)["energy"], 100)
    lowered = qdlc("draw", "examples/vqe_h2.qdl", "--after", "lower-multi-qubit", "--width", "100")
    expected = optimize_module(module, 0, "lower-multi-qubit")["energy"]
    assert lowered.code == 0 and lowered.out == draw_text(expected, 100)
    listed = qdlc("draw", "examples/vqe_h2.qdl", "--after", "lower-multi-qubit,fold-angles", "--width", "100")
    assert listed.out == draw_text(optimize_module(module, 0, "lower-multi-qubit,fold-angles")["energy"], 100)


def test_draw_with_values(qdlc):
    out = qdlc("draw", "examples/teleport.qdl", "--arg", "theta=1.5707963267948966", "--arg", "phi=0.25")
    assert out.code == 0 and "ry(π/2)" in out.out and "rz(0.25)" in out.out


@pytest.mark.parametrize("argv, message", [
    (["--arg", "nope=1"], "has no argument `nope`"),
    (["--arg", "theta=[1, 2]"], "shape"),
    (["--after", "no-such-pass"], "unknown pass `no-such-pass`"),
    (["-O1", "--after", "light-cone"], "not in the -O1 pipeline"),
    (["--format", "png"], "needs -o OUT.png"),
    (["--circuit", "telport"], "did you mean `teleport`"),
])
def test_draw_mistakes_are_usage_errors(qdlc, argv, message):
    out = qdlc("draw", "examples/teleport.qdl", *argv)
    assert out.code == 2 and message in out.err and "Traceback" not in out.err


def test_draw_png_and_svg(qdlc, tmp_path, extra):
    extra("matplotlib", "plot")
    png = tmp_path / "t.png"
    out = qdlc("draw", "examples/teleport.qdl", "--format", "png", "-o", str(png))
    assert out.code == 0 and png.read_bytes()[:4] == b"\x89PNG"
    several = qdlc("draw", "examples/qaoa_maxcut.qdl", "--format", "svg", "-o", str(tmp_path / "q.svg"))
    assert several.code == 2 and "--circuit NAME" in several.err


def test_draw_without_matplotlib_names_the_extra(qdlc, tmp_path, monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    out = qdlc("draw", "examples/ghz.qdl", "--format", "svg", "-o", str(tmp_path / "g.svg"))
    assert out.code == 1 and "qdl[plot]" in out.err


def test_stats_text_and_json(qdlc):
    text = qdlc("stats", "examples/vqe_h2.qdl")
    assert text.code == 0 and text.out.splitlines()[1].split() == ["-O0", "-O1", "-O2", "-O3"]
    data = json.loads(qdlc("stats", "examples/vqe_h2.qdl", "-O0", "-O3", "--format", "json").out)
    levels = data[0]["levels"]
    assert [r["level"] for r in levels] == [0, 3]
    assert levels[0]["by_kind"] == {"double_excitation": 1, "x": 2} and levels[1]["multi_qubit"] == 0
    assert levels[0]["memory_bytes"] == 16 * 2**4


def test_stats_of_a_program_with_errors(qdlc, tmp_path):
    bad = tmp_path / "bad.qdl"
    bad.write_text("circuit c() -> float { qubit q[1]; hh q[0]; return expval(Z[0]); }\n")
    out = qdlc("stats", str(bad))
    assert out.code == 1 and "error" in out.err and "Traceback" not in out.err
