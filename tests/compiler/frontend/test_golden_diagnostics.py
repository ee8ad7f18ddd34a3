"""The diagnostics golden corpus: `tests/golden/diagnostics/*.qdl`.

Each case is compiled with `compile_file` from inside the corpus folder (so
file names in messages are short and machine-independent) and checked twice:
1. the (file, line, severity, code) of every diagnostic equals the `//~`
   annotations exactly (a multiset: two errors on one line need two annotations);
2. the rich rendering equals the `<case>.stderr` snapshot; `pytest
   --update-goldens` rewrites the snapshots (review the diff before committing).
A case with a `//@ xfail: reason` header documents a known compiler bug: its
annotations say what the compiler *should* report, and check 1 is expected to
fail (strictly) until the bug is fixed.  See the corpus README for the format.
"""

from __future__ import annotations

import pytest

from qdl.compiler.diagnostic_codes import CODES
from qdl.compiler.diagnostics import Severity
from qdl.compiler.driver import CompileResult, compile_file

from golden_corpus import (ANNOTATION, GOLDEN_DIR, Case, all_cases, annotations, describe, emitted, expected,
                           read_text)

CASES = all_cases()
# Codes that no golden case can reach, and where they are tested instead.
NOT_IN_CORPUS = {"E0001": "test_elaborate.py::test_unreadable_file (the corpus files exist)",
                 "E0401": "tests/compiler/autodiff (raised when differentiating, not when compiling)",
                 "E0402": "tests/compiler/autodiff/test_metric.py (raised when building the metric tensor)",
                 **{f"E06{k:02d}": "tests/compiler/device (device files, not programs)" for k in range(1, 12)},
                 "E0612": "tests/compiler/passes/test_routing.py (raised by the `layout` and `route` passes)"}


def _compile(case: Case, monkeypatch: pytest.MonkeyPatch) -> CompileResult:
    monkeypatch.chdir(GOLDEN_DIR)
    return compile_file(case.path.name, case.options())


def _annotation_params() -> list:
    marks = lambda c: [pytest.mark.xfail(reason=c.xfail, strict=True)] if c.xfail else []
    return [pytest.param(c, id=c.name, marks=marks(c)) for c in CASES]


@pytest.mark.parametrize("case", _annotation_params())
def test_annotations(case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _compile(case, monkeypatch)
    bugs = [d for d in result.sink.diagnostics if d.severity is Severity.BUG]
    assert not bugs, result.render()
    want, got = expected(case, result.sink.sources), emitted(result.sink.diagnostics, result.sink.sources)
    assert want, f"{case.path.name} has no `//~` annotation: every case shows at least one diagnostic"
    if want != got:
        pytest.fail(f"diagnostics of {case.path.name} differ from its annotations\n"
                    f"expected but not emitted:\n{describe(want - got)}\n"
                    f"emitted but not annotated:\n{describe(got - want)}\n\n"
                    f"full output:\n{result.render()}", pytrace=False)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
def test_snapshot(case: Case, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    actual = _compile(case, monkeypatch).render() + "\n"
    if request.config.getoption("--update-goldens"):
        case.snapshot.write_text(actual, encoding="utf-8")
        return
    if not case.snapshot.exists():
        pytest.fail(f"no snapshot {case.snapshot.name}; run `pytest --update-goldens` and review it",
                    pytrace=False)
    assert actual == case.snapshot.read_text(encoding="utf-8"), \
        f"{case.snapshot.name} is stale; run `pytest --update-goldens` and review the diff"


def test_annotation_syntax() -> None:
    text = ("h q;  //~ ERROR E0201 //~| WARNING W0202\n"
            "x q;\n"
            "//~^ ERROR E0202\n"
            "//~^^^ ERROR E0204\n"
            "//~? ERROR E0001\n")
    assert annotations(text, "a.qdl") == {
        ("a.qdl", 1, "error", "E0201"): 1, ("a.qdl", 1, "warning", "W0202"): 1,
        ("a.qdl", 2, "error", "E0202"): 1, ("a.qdl", 1, "error", "E0204"): 1, (None, None, "error", "E0001"): 1}


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= 35


def test_no_orphan_snapshots() -> None:
    orphans = [p.name for p in GOLDEN_DIR.glob("*.stderr") if not p.with_suffix(".qdl").exists()]
    assert not orphans, f"snapshots without a case: {orphans}"


def test_every_code_is_covered() -> None:
    """Each code in the `qdlc explain` table is annotated somewhere in the corpus (or listed above)."""
    texts = [read_text(p) for p in GOLDEN_DIR.rglob("*.qdl")]
    covered = {m["code"] for text in texts for m in ANNOTATION.finditer(text)}
    # Codes of the OpenQASM importer belong to its own tests (tests/compiler/qasm).
    qasm_only = {code for code, (title, text) in CODES.items() if "OpenQASM" in title + text}
    missing = set(CODES) - covered - set(NOT_IN_CORPUS) - qasm_only
    assert not missing, f"no golden case annotates {sorted(missing)}"
