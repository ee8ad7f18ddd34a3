"""Mutated corpus files never crash the OpenQASM importer: only diagnostics come back."""

from __future__ import annotations


from hypothesis import HealthCheck, given, settings, strategies as st

from qdl.compiler.diagnostics import render_all
from qdl.compiler.driver import CompileOptions, compile_source

try:
    from .tests_corpus import CORPUS, corpus_dir
except ImportError:  # tests/ is not a package
    from tests_corpus import CORPUS, corpus_dir  # type: ignore[no-redef]

OPTIONS = CompileOptions(max_ops=20_000, max_state_bytes=1 << 22)  # keep each run small


def _sources() -> list[str]:
    if not CORPUS.is_dir():
        return ["OPENQASM 3.0;\nqubit[2] q;\nh q[0];\ncx q[0], q[1];\n"]
    out = []
    for directory in ("qasm2", "qasm3", "gradients"):
        for path in sorted((CORPUS / directory).glob("*.qasm")):
            text = path.read_text(encoding="utf-8")
            if len(text) < 6000:
                out.append(text)
    return out


SOURCES = _sources()
PIECES = ["{", "}", ";", "(", ")", "[", "]", ",", "->", "@", "ctrl", "inv", "pow(0.5)", "measure",
          "if", "for", "gate", "qubit[2] r;", "input float x;", "$0", "π", "1e400", "0x1F", "//", "/*",
          '"', "#pragma", "defcal", "U(0,0,0)", "q[99]", "-", "**", "==", "\n"]


@st.composite
def mutated(draw) -> str:
    text = draw(st.sampled_from(SOURCES))
    for _ in range(draw(st.integers(1, 4))):
        if not text:
            break
        at = draw(st.integers(0, len(text) - 1))
        action = draw(st.sampled_from(["delete", "insert", "duplicate", "truncate"]))
        if action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 12)):]
        elif action == "insert":
            text = text[:at] + draw(st.sampled_from(PIECES)) + text[at:]
        elif action == "duplicate":
            end = min(len(text), at + draw(st.integers(1, 40)))
            text = text[:end] + text[at:end] + text[end:]
        else:
            text = text[:at]
    return text


def check_no_crash(text: str) -> None:
    result = compile_source(text, "fuzz.qasm", OPTIONS, language="qasm")
    for diagnostic in result.sink.diagnostics:
        span = diagnostic.span
        assert span is None or span.file in ("fuzz.qasm", "<observable>") or span.file.startswith("<stdlib>")
    render_all(result.sink.sorted(), result.sink.sources)


def test_corpus_is_present_for_fuzzing() -> None:
    corpus_dir()
    assert len(SOURCES) > 20


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_corpus_files_give_diagnostics_not_tracebacks(text: str) -> None:
    check_no_crash(text)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_random_text_after_a_header_gives_diagnostics(text: str) -> None:
    check_no_crash("OPENQASM 3.0;\n" + text)
    check_no_crash("OPENQASM 2.0;\n" + text)
