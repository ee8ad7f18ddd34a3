"""`qdlc fmt`: in-place rewriting, --check, --diff, stdin, and files with errors left untouched."""

from __future__ import annotations

import io
import os
import sys

from qdl.fmt import format_source

MESSY = "circuit f()->float{qubit q[2];h q[0];  // keep me\ncx q[0],q[1];return expval(Z[0]);}\n"
BROKEN = "circuit f() -> float {\n    qubit q[2];\n    cx q[0] q[1];\n    return expval(Z[0]);\n}\n"


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_rewrites_in_place_then_has_nothing_to_do(qdlc, tmp_path):
    path = _write(tmp_path, "a.qdl", MESSY)
    os.chmod(path, 0o640)
    first = qdlc("fmt", str(path))
    assert first.code == 0 and f"reformatted {path}" in first.err
    assert path.read_text() == format_source(MESSY) and "// keep me" in path.read_text()
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.qdl"]  # no temporary file left behind
    second = qdlc("fmt", str(path))
    assert second.code == 0 and second.err == ""


def test_check_lists_files_that_would_change_and_writes_nothing(qdlc, tmp_path):
    messy = _write(tmp_path, "messy.qdl", MESSY)
    tidy = _write(tmp_path, "tidy.qdl", format_source(MESSY))
    outcome = qdlc("fmt", "--check", str(messy), str(tidy))
    assert outcome.code == 1
    assert f"would reformat {messy}" in outcome.err and "tidy.qdl" not in outcome.err
    assert messy.read_text() == MESSY
    assert qdlc("fmt", "--check", str(tidy)).code == 0


def test_diff_prints_a_unified_diff_and_writes_nothing(qdlc, tmp_path):
    path = _write(tmp_path, "a.qdl", MESSY)
    outcome = qdlc("fmt", "--diff", str(path))
    assert outcome.code == 0
    assert outcome.out.startswith(f"--- {path}\n+++ {path} (formatted)\n")
    assert "+    cx q[0], q[1];" in outcome.out
    assert path.read_text() == MESSY


def test_a_file_with_syntax_errors_is_reported_and_never_touched(qdlc, tmp_path):
    bad = _write(tmp_path, "bad.qdl", BROKEN)
    good = _write(tmp_path, "good.qdl", MESSY)
    stamp = os.stat(bad).st_mtime_ns
    outcome = qdlc("fmt", str(bad), str(good))
    assert outcome.code == 1
    assert "error[E0101]" in outcome.err and "bad.qdl:3:13" in outcome.err
    assert "not formatted: fix the syntax errors first" in outcome.err
    assert bad.read_text() == BROKEN and os.stat(bad).st_mtime_ns == stamp
    assert good.read_text() == format_source(MESSY)  # the other files are still formatted


def test_stdin_to_stdout(qdlc, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(MESSY.encode())))
    outcome = qdlc("fmt", "-")
    assert outcome.code == 0 and outcome.out == format_source(MESSY)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BROKEN.encode())))
    outcome = qdlc("fmt", "-")
    assert outcome.code == 1 and outcome.out == "" and "<stdin>:3:13" in outcome.err


def test_unreadable_files_are_errors_not_tracebacks(qdlc, tmp_path):
    latin = tmp_path / "latin.qdl"
    latin.write_bytes("// café\n".encode("latin-1"))
    outcome = qdlc("fmt", str(latin), str(tmp_path / "missing.qdl"))
    assert outcome.code == 1
    assert "error[E0105]" in outcome.err and "error[E0001]" in outcome.err and "Traceback" not in outcome.err


def test_a_failed_write_leaves_the_file_and_no_temporary(qdlc, tmp_path, monkeypatch):
    path = _write(tmp_path, "a.qdl", MESSY)

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("qdl.cli_fmt.os.replace", refuse)
    outcome = qdlc("fmt", str(path))
    assert outcome.code == 1 and "cannot write" in outcome.err and "No space left" in outcome.err
    assert path.read_text() == MESSY
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.qdl"]



def test_usage_mistakes(qdlc, tmp_path):
    assert qdlc("fmt").code == 2  # no FILE
    outcome = qdlc("fmt", "-h")
    assert outcome.code == 0 and "--check" in outcome.out and "--diff" in outcome.out
    qasm = _write(tmp_path, "a.qasm", "OPENQASM 3.0;\nqubit q;\n")
    outcome = qdlc("fmt", str(qasm))
    assert outcome.code == 1 and "OpenQASM" in outcome.err and qasm.read_text() == "OPENQASM 3.0;\nqubit q;\n"


def test_an_expression_too_deep_to_format_is_an_error_not_a_traceback(qdlc, tmp_path):
    terms = " + ".join(f"{i} * Z[0]" for i in range(5000))
    path = _write(tmp_path, "deep.qdl", f"observable H = {terms};\n")
    outcome = qdlc("fmt", str(path))
    assert outcome.code == 1 and "nested too deeply" in outcome.err and "Traceback" not in outcome.err
    assert path.read_text().startswith("observable H = 0 * Z[0] + 1 * Z[0]")


def test_a_folder_means_the_qdl_files_under_it(qdlc, tmp_path):
    _write(tmp_path, "a.qdl", MESSY)
    (tmp_path / "sub").mkdir()
    _write(tmp_path / "sub", "b.qdl", MESSY)
    _write(tmp_path, "notes.txt", MESSY)
    outcome = qdlc("fmt", "--check", str(tmp_path))
    assert outcome.code == 1
    assert outcome.err.splitlines() == [f"would reformat {tmp_path / 'a.qdl'}", f"would reformat {tmp_path / 'sub' / 'b.qdl'}"]
