"""`qdlc`: every command's happy path, output formats, exit codes and user mistakes.

Most tests call `qdl.cli.main` in-process (the `qdlc` fixture); the traceback
tests run the real entry point in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import qdl

REPO = Path(__file__).resolve().parents[2]
VQE = "examples/vqe_h2.qdl"
GHZ = "examples/ghz.qdl"
TWO = """
circuit first(t: float) -> float { qubit q; rx(t) q; return expval(Z[0]); }
circuit second(x: float[2]) -> float[2] { qubit q; ry(x[0] + x[1]) q; return probs(q); }
"""
BAD = "circuit c() -> float {\n    qubit q;\n    hh q;\n    return expval(Z[0]);\n}\n"
WARN = "circuit c(t: float, unused: int) -> float {\n    qubit q[2];\n    rx(t) q[0];\n    return expval(Z[0]);\n}\n"


@pytest.fixture
def files(tmp_path) -> dict[str, str]:
    """Absolute paths of small programs and argument files."""
    texts = {"two.qdl": TWO, "bad.qdl": BAD, "warn.qdl": WARN, "empty.qdl": "",
             "x.json": "[0.25, 0.5]", "bad.json": "{bad", "x.txt": "[1, 2]"}
    for name, text in texts.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    np.save(tmp_path / "x.npy", np.array([0.25, 0.5]))
    (tmp_path / "latin1.qdl").write_bytes(b"// caf\xe9\ncircuit c() -> float { qubit q; return expval(Z[0]); }\n")
    return {name: str(tmp_path / name) for name in [*texts, "x.npy", "latin1.qdl"]}


# ---------------------------------------------------------------- top level


def test_version(qdlc):
    outcome = qdlc("--version")
    assert (outcome.code, outcome.out) == (0, f"qdlc, version {qdl.__version__}\n")


@pytest.mark.parametrize("command", [[], ["check"], ["compile"], ["run"], ["explain"]])
def test_help(qdlc, command):
    for flag in ("--help", "-h"):
        outcome = qdlc(*command, flag)
        assert outcome.code == 0 and outcome.out.startswith("Usage: qdlc")
    if not command:
        assert all(name in outcome.out for name in ("check", "compile", "run", "explain"))


def test_unknown_command_and_option(qdlc):
    assert qdlc("frobnicate").code == 2
    outcome = qdlc("run", VQE, "--bogus")
    assert outcome.code == 2 and "No such option '--bogus'" in outcome.err


# ---------------------------------------------------------------- check


def test_check_clean_files_is_silent(qdlc):
    outcome = qdlc("check", VQE, GHZ)
    assert (outcome.code, outcome.out, outcome.err) == (0, "", "")


def test_check_reports_errors_with_exit_1(qdlc, files):
    outcome = qdlc("check", VQE, files["bad.qdl"])
    assert outcome.code == 1 and outcome.out == ""
    assert "error[E0202]: unknown gate `hh`" in outcome.err
    assert "bad.qdl:3:5" in outcome.err and "^^" in outcome.err


def test_check_warnings_exit_0(qdlc, files):
    outcome = qdlc("check", files["warn.qdl"])
    assert outcome.code == 0
    assert "warning[W0201]: argument `unused` is never used" in outcome.err
    assert "warning[W0202]" in outcome.err


def test_short_diagnostics(qdlc, files):
    outcome = qdlc("check", files["bad.qdl"], "--diagnostics-format", "short")
    assert outcome.code == 1
    assert outcome.err.strip().endswith("bad.qdl:3:5: error[E0202]: unknown gate `hh`")
    assert len(outcome.err.strip().splitlines()) == 1


def test_json_diagnostics(qdlc, files):
    outcome = qdlc("check", files["bad.qdl"], files["warn.qdl"], "--diagnostics-format", "json")
    assert outcome.code == 1
    # one json document per file, in order
    decoder, text, docs = json.JSONDecoder(), outcome.err.strip(), []
    while text:
        doc, end = decoder.raw_decode(text)
        docs.append(doc)
        text = text[end:].strip()
    [bad], warns = docs
    assert bad | {"file": "-"} == {"severity": "error", "code": "E0202", "message": "unknown gate `hh`",
                                   "file": "-", "line": 3, "column": 5, "end_line": 3, "end_column": 7,
                                   "notes": [], "help": "did you mean `h`?"}
    assert bad["file"].endswith("bad.qdl")
    assert [w["code"] for w in warns] == ["W0201", "W0202"]
    assert {w["severity"] for w in warns} == {"warning"}


# ---------------------------------------------------------------- compile


def test_compile_emits_ir_by_default(qdlc):
    outcome = qdlc("compile", GHZ)
    assert outcome.code == 0
    assert outcome.out == qdl.load(REPO / GHZ).ir
    assert outcome.out.startswith("circuit ghz() {")
    assert qdlc("compile", GHZ, "--emit", "ir").out == outcome.out


def test_compile_emits_ast(qdlc):
    outcome = qdlc("compile", GHZ, "--emit", "ast")
    assert outcome.code == 0
    assert outcome.out.startswith("Program(file=")
    assert "CircuitDef(name='ghz'" in outcome.out


def test_compile_bad_emit(qdlc):
    outcome = qdlc("compile", GHZ, "--emit", "bogus")
    assert outcome.code == 2 and "'bogus' is not one of 'ast', 'ir'" in outcome.err


def test_compile_output_file(qdlc, tmp_path):
    target = tmp_path / "ghz.ir"
    outcome = qdlc("compile", GHZ, "-o", str(target))
    assert (outcome.code, outcome.out) == (0, "")
    assert target.read_text(encoding="utf-8") == qdl.load(REPO / GHZ).ir
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ghz.ir"]  # no temporary file left
    assert qdlc("compile", GHZ, "--emit", "ast", "--output", str(target)).code == 0
    assert target.read_text(encoding="utf-8").startswith("Program(")


def test_compile_output_dash_is_stdout(qdlc):
    outcome = qdlc("compile", GHZ, "-o", "-")
    assert outcome.code == 0 and outcome.out.startswith("circuit ghz()")


def test_compile_error_writes_nothing(qdlc, files, tmp_path):
    fresh = tmp_path / "fresh.ir"
    assert qdlc("compile", files["bad.qdl"], "-o", str(fresh)).code == 1
    assert not fresh.exists()
    kept = tmp_path / "kept.ir"
    kept.write_text("old contents")
    assert qdlc("compile", files["bad.qdl"], "-o", str(kept)).code == 1
    assert kept.read_text() == "old contents"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_compile_output_into_a_missing_directory(qdlc, tmp_path):
    outcome = qdlc("compile", GHZ, "-o", str(tmp_path / "no" / "such" / "dir.ir"))
    assert outcome.code == 1 and "Could not open file" in outcome.err


# ---------------------------------------------------------------- run


def test_run_text(qdlc):
    outcome = qdlc("run", VQE, "--arg", "theta=0")
    assert outcome.code == 0
    assert outcome.out.startswith("expval(")
    assert float(outcome.out.split(": ")[1]) == pytest.approx(-1.11734903, abs=1e-8)


def test_run_json(qdlc):
    outcome = qdlc("run", VQE, "--arg", "theta=0", "--format", "json")
    payload = json.loads(outcome.out)
    assert payload["circuit"] == "energy"
    [result] = payload["results"]
    assert result["kind"] == "expval" and result["value"] == pytest.approx(-1.11734903, abs=1e-8)


def test_run_json_complex_state(qdlc, tmp_path):
    program = tmp_path / "state.qdl"
    program.write_text("circuit s(t: float) -> complex[2] { qubit q; rx(t) q; return state(); }")
    payload = json.loads(qdlc("run", str(program), "--arg", "t=1", "--format", "json").out)
    value = payload["results"][0]["value"]
    np.testing.assert_allclose(value["real"], [np.cos(0.5), 0], atol=1e-12)
    np.testing.assert_allclose(value["imag"], [0, -np.sin(0.5)], atol=1e-12)


def test_run_batched(qdlc):
    outcome = qdlc("run", VQE, "--arg", "theta=[0, 0.1, 0.2]", "--format", "json")
    values = json.loads(outcome.out)["results"][0]["value"]
    np.testing.assert_allclose(values, qdl.load(REPO / VQE).energy([0, 0.1, 0.2]), atol=1e-12)


def test_run_shots_and_seed(qdlc):
    first = qdlc("run", GHZ, "--shots", "20", "--seed", "5", "--format", "json")
    again = qdlc("run", GHZ, "--shots", "20", "--seed", "5", "--format", "json")
    assert first.code == 0 and first.out == again.out
    probs, samples = (r["value"] for r in json.loads(first.out)["results"])
    assert len(samples) == 20 and {tuple(s) for s in samples} <= {(0,) * 5, (1,) * 5}


def test_run_needs_shots_for_sample(qdlc):
    outcome = qdlc("run", GHZ)
    assert outcome.code == 2 and "returns `sample`: pass --shots N" in outcome.err


def test_run_circuit_choice(qdlc, files):
    outcome = qdlc("run", files["two.qdl"], "--circuit", "second", "--arg", "x=[0, 0]")
    assert outcome.code == 0 and outcome.out == "probs(0): [1., 0.]\n"
    several = qdlc("run", files["two.qdl"], "--arg", "t=0")
    assert several.code == 2
    assert "defines several circuits (first, second); choose one with --circuit NAME" in several.err
    typo = qdlc("run", files["two.qdl"], "--circuit", "secnd")
    assert typo.code == 2 and "has no circuit `secnd`; did you mean `second`?" in typo.err
    none = qdlc("run", files["empty.qdl"])
    assert none.code == 2 and "defines no circuit to run" in none.err


@pytest.mark.parametrize("value", ["[0.25, 0.5]", "@x.json", "@x.npy"])
def test_arg_forms(qdlc, files, value):
    if value.startswith("@"):
        value = "@" + files[value[1:]]
    outcome = qdlc("run", files["two.qdl"], "--circuit", "second", "--arg", f"x={value}", "--format", "json")
    assert outcome.code == 0, outcome.err
    probs = json.loads(outcome.out)["results"][0]["value"]
    np.testing.assert_allclose(probs, [np.cos(0.375) ** 2, np.sin(0.375) ** 2], atol=1e-12)


def test_number_forms(qdlc, files):
    for text in ("1", "-0.5", "2e-1", "+3", "1E3", "[1.5]"):
        outcome = qdlc("run", files["two.qdl"], "--circuit", "first", "--arg", f"t={text}")
        assert outcome.code == 0, (text, outcome.err)


def test_limits(qdlc):
    assert qdlc("check", GHZ, "--max-ops", "3").code == 1
    assert qdlc("check", GHZ, "--max-ops", "5").code == 0
    assert qdlc("check", GHZ, "--max-memory", "100").code == 1
    for size in ("1K", "1KB", "1KiB", "2M", "0.5G"):
        assert qdlc("check", GHZ, "--max-memory", size).code == 0, size
    outcome = qdlc("check", GHZ, "--max-memory", "12Q")
    assert outcome.code == 2 and "--max-memory: cannot read `12Q`" in outcome.err


def test_explain(qdlc):
    outcome = qdlc("explain", "E0301")
    assert outcome.code == 0 and outcome.out.startswith("E0301: a qubit used twice")
    assert qdlc("explain", "e0301").out == outcome.out
    unknown = qdlc("explain", "E9999")
    assert unknown.code == 2 and "unknown diagnostic code `E9999`" in unknown.err


# ---------------------------------------------------------------- exit codes of mistakes

MISTAKES = {
    # name: (argv, exit code, a piece of the message)
    "missing source file": (["run", "nope.qdl"], 1, "error[E0001]: cannot read `nope.qdl`"),
    "directory as source": (["check", "examples"], 2, "is a directory"),
    "syntax error": (["run", "{bad.qdl}"], 1, "error[E0202]"),
    "not UTF-8": (["check", "{latin1.qdl}"], 1, "error[E0105]: the file is not valid UTF-8"),
    "no files": (["check"], 2, "Missing argument 'FILES...'"),
    "missing argument": (["run", VQE], 2, "circuit `energy` is missing argument(s) `param theta: float`"),
    "unknown argument": (["run", VQE, "--arg", "thta=1"], 2, "has no argument `thta`; did you mean `theta`?"),
    "arg without =": (["run", VQE, "--arg", "theta"], 2, "--arg `theta`: write NAME=VALUE"),
    "arg not a number": (["run", VQE, "--arg", "theta=abc"], 2, "--arg theta: cannot read `abc`"),
    "arg broken list": (["run", VQE, "--arg", "theta=[1,"], 2, "--arg theta: cannot read `[1,`"),
    "arg missing file": (["run", VQE, "--arg", "theta=@nope.npy"], 2, "--arg theta: no such file `nope.npy`"),
    "arg bad json file": (["run", VQE, "--arg", "theta=@{bad.json}"], 2, "cannot read"),
    "arg unknown file type": (["run", VQE, "--arg", "theta=@{x.txt}"], 2, "is neither .npy nor .json"),
    "arg wrong shape": (["run", VQE, "--arg", "theta=[[1, 2]]"], 2, "expects shape () (or a batch (B,)), got (1, 2)"),
    "arg text": (["run", VQE, "--arg", 'theta="x"'], 2, "expects float values, got text"),
    "unknown circuit": (["run", VQE, "--circuit", "energi"], 2, "did you mean `energy`?"),
    "bad shots": (["run", GHZ, "--shots", "0"], 2, "Invalid value for '--shots'"),
    "bad seed": (["run", GHZ, "--shots", "2", "--seed", "x"], 2, "Invalid value for '--seed'"),
    "bad max-ops": (["check", GHZ, "--max-ops", "-1"], 2, "Invalid value for '--max-ops'"),
    "bad format": (["run", GHZ, "--format", "xml"], 2, "Invalid value for '--format'"),
    "no shots": (["run", GHZ], 2, "returns `sample`: pass --shots N"),
}


def _argv(argv: list[str], files: dict[str, str]) -> list[str]:
    """Replace `{name}` by the path of the scratch file `name`."""
    out = []
    for arg in argv:
        for name, path in files.items():
            arg = arg.replace("{" + name + "}", path)
        out.append(arg)
    return out


@pytest.mark.parametrize("name", MISTAKES)
def test_mistake_exit_code_and_message(qdlc, files, name):
    argv, code, message = MISTAKES[name]
    outcome = qdlc(*_argv(argv, files))
    assert outcome.code == code, outcome.err
    assert message in outcome.err
    assert "internal compiler error" not in outcome.err and "Traceback" not in outcome.err


def test_no_traceback_from_the_real_entry_point(files):
    """The same mistakes through `python -m qdl.cli`: no traceback, no internal error."""
    env = dict(os.environ)
    env.pop("QDL_DEBUG", None)
    for name, (argv, code, message) in MISTAKES.items():
        done = subprocess.run([sys.executable, "-m", "qdl.cli", *_argv(argv, files)], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == code, (name, done.stderr)
        assert "Traceback" not in done.stderr and "internal compiler error" not in done.stderr, name
        assert message in done.stderr, name


def test_negative_max_memory_is_a_usage_error(qdlc):
    assert qdlc("check", GHZ, "--max-memory", "-5").code == 2


def test_repeated_arg_is_a_usage_error(qdlc):
    assert qdlc("run", VQE, "--arg", "theta=0", "--arg", "theta=1").code == 2


def test_negative_seed_is_a_usage_error(qdlc):
    outcome = qdlc("run", GHZ, "--shots", "2", "--seed", "-1")
    assert outcome.code == 2 and "--seed" in outcome.err
