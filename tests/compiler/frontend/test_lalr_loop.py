"""The inlined LALR loop parses exactly as lark's own: same ASTs, same syntax errors and repairs."""

from __future__ import annotations

from pathlib import Path

import pytest

from qdl.compiler.diagnostics import DiagnosticSink, render_all
from qdl.compiler.frontend import lalr_loop
from qdl.compiler.frontend.build_ast import AstBuilder
from qdl.compiler.frontend.lexer import PLUGINS as LEXER_PLUGINS
from qdl.compiler.frontend.parser import grammar_text, parse_tree
from qdl.compiler.frontend.reductions import BuildingLark

ROOT = Path(__file__).resolve().parents[3]
SOURCES = sorted(p for folder in ("examples", "stdlib", "tests/golden") for p in (ROOT / folder).rglob("*.qdl"))
BROKEN = [
    "circuit f() { qubit q\n h q; }",
    "circuit f() { h q[0] $; }",
    "const A = 1\nconst B = 2\nconst C = 3;",
    "circuit f() { for (i = 0; i < 3; i++) { } }",
    "circuit f(a: float, b float) { rx(a b) q; }",
    "circuit f() { qubit q[2]; cx q[0] q[1]; ry(0.5 q[0]; }",
    "gate g a { x a; ",
]


def parser_with(plugins: dict):
    """text -> (what the parse built, the rendered syntax errors), on one parser."""
    builder = AstBuilder("t.qdl")
    parser = BuildingLark(grammar_text("qdl.lark"), parser="lalr", lexer="contextual", maybe_placeholders=True,
                          propagate_positions=False, transformer=builder, _plugins=plugins)

    def parse(text: str) -> tuple[object, str]:
        builder.__init__("t.qdl")
        sink = DiagnosticSink()
        result = parse_tree(parser, text, "t.qdl", sink)
        return result, render_all(sink.sorted(), sink.sources, "plain")
    parse.loop = parser.parser.parser.parser  # type: ignore[attr-defined]
    return parse


@pytest.fixture(scope="module")
def both():
    lark_s, ours = parser_with(LEXER_PLUGINS), parser_with({**LEXER_PLUGINS, **lalr_loop.PLUGINS})
    assert type(ours.loop) is lalr_loop._FastLoop and type(lark_s.loop) is not lalr_loop._FastLoop
    return lambda text: (lark_s(text), ours(text))


def test_the_compiler_s_parsers_run_the_inlined_loop() -> None:
    from qdl.compiler.frontend.parser import _building_parser
    parser, _builder = _building_parser("qdl.lark", AstBuilder)
    assert type(parser.parser.parser.parser) is lalr_loop._FastLoop


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(ROOT)) for p in SOURCES])
def test_programs_parse_the_same(both, path: Path) -> None:
    lark_s, ours = both(path.read_text(encoding="utf-8", errors="replace"))
    assert ours == lark_s


@pytest.mark.parametrize("text", BROKEN)
def test_syntax_errors_and_repairs_are_the_same(both, text: str) -> None:
    lark_s, ours = both(text)
    assert ours == lark_s
    assert ours[1]  # there was something to report
