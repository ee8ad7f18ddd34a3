"""`qdl.fmt` on every .qdl file of the repository: idempotent, same IR, comments kept, errors refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qdl.compiler.driver import compile_source
from qdl.compiler.ir_text import format_module
from qdl.fmt import FormatError, format_source

REPO = Path(__file__).resolve().parents[2]
ALL_FILES = sorted([*REPO.glob("examples/*.qdl"), *REPO.glob("stdlib/std/*.qdl"), *REPO.glob("tests/golden/**/*.qdl")])
# Comments and strings found independently of the formatter's parser (strings so `"//"` is not a comment).
_COMMENT_OR_STRING = re.compile(r'//[^\n]*|/\*.*?\*/|"[^"\n]*"', re.S)


def _text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None


def _parses(path: Path) -> bool:
    text = _text(path)
    if text is None:
        return False
    try:
        format_source(text, str(path))
    except FormatError:
        return False
    return True


VALID = [p for p in ALL_FILES if _parses(p)]
INVALID = [p for p in ALL_FILES if p not in VALID and _text(p) is not None]  # not UTF-8: see test_cli_fmt.py


def _id(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def _compile(text: str, path: Path):
    return compile_source(text, path.name, base_dir=path.parent)


def _comments(text: str) -> list[str]:
    """The comments of `text` in order (a line comment's trailing blanks are not part of it)."""
    return [m.rstrip() if m.startswith("//") else m for m in _COMMENT_OR_STRING.findall(text) if not m.startswith('"')]


def test_the_corpus_has_both_kinds():
    assert len(VALID) >= 50 and len(INVALID) >= 8  # examples, stdlib, golden programs; syntax-error goldens


@pytest.mark.parametrize("path", VALID, ids=_id)
def test_idempotent_and_comments_kept(path: Path):
    text = _text(path)
    once = format_source(text, str(path))
    assert format_source(once, str(path)) == once
    assert _comments(once) == _comments(text)
    assert once.endswith("\n") and "\n\n\n" not in once and "\t" not in once


@pytest.mark.parametrize("path", VALID, ids=_id)
def test_same_ir_or_same_diagnostics(path: Path):
    """A valid program compiles to the same IR text; an invalid one gets the same diagnostics."""
    text = _text(path)
    before, after = _compile(text, path), _compile(format_source(text, str(path)), path)
    assert before.ok == after.ok
    if before.ok:
        assert format_module(after.module) == format_module(before.module)
    summary = lambda r: [(d.code, d.message) for d in r.sink.sorted()]  # noqa: E731
    assert summary(after) == summary(before)


@pytest.mark.parametrize("path", INVALID, ids=_id)
def test_syntax_errors_are_refused_with_the_compilers_diagnostic(path: Path):
    text = _text(path)
    with pytest.raises(FormatError) as info:
        format_source(text, str(path))
    expected = _compile(text, path).sink.sorted()
    assert [d.code for d in info.value.diagnostics] == [d.code for d in expected]
    assert "error[E01" in str(info.value)
