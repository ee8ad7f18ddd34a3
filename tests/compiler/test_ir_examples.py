"""Every example program, the corpus' OpenQASM circuits and the docs' programs round-trip through IR text."""

from __future__ import annotations

from pathlib import Path

import pytest

from qdl.compiler.driver import compile_file
from qdl.compiler.ir_text import format_module, parse_module

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus"
PROGRAMS = sorted((REPO / "examples").glob("*.qdl")) + sorted((CORPUS / "gradients").glob("*.qasm"))[:6] + \
    sorted((CORPUS / "qasm2").glob("qb_*.qasm"))[:12]


@pytest.mark.parametrize("path", PROGRAMS, ids=[p.name for p in PROGRAMS])
def test_ir_text_round_trips(path: Path) -> None:
    result = compile_file(path)
    assert result.ok, result.render()
    text = format_module(result.module)
    again = parse_module(text, path.name)
    assert again == result.module
    assert format_module(again) == text
