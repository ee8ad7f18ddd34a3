"""Lark's contextual lexer and `FastContextualLexer` side by side, for the lexer tests.

Both are built over one parse table, so a parser state means the same to
both; `Pair.assert_same_parse` runs the real parser with each, the `lex_*`
drivers run a lexer alone in chosen parser states.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from lark import Lark, Tree, UnexpectedInput
from lark.lexer import ContextualLexer, LexerState
from lark.parsers.lalr_parser_state import ParserState
from lark.utils import TextSlice

from qdl.compiler.diagnostics import DiagnosticSink, render
from qdl.compiler.frontend import parser as qdl_parser
from qdl.compiler.frontend.lexer import FastContextualLexer

REPO = Path(__file__).resolve().parents[3]
CORPUS = REPO.parent / "shared" / "corpus"
GRAMMARS = ("qdl.lark", "qasm2.lark", "qasm3.lark")
FIELDS = ("type", "value", "start_pos", "end_pos", "line", "column", "end_line", "end_column")
SOUPS = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                 suppress_health_check=list(HealthCheck))


def fields(token: Any) -> tuple:
    """The eight fields a token is compared by."""
    return tuple(getattr(token, f) for f in FIELDS)


def recording(base: type[ContextualLexer]) -> type[ContextualLexer]:
    """`base` keeping the fields of each token it yields (in `seen`)."""
    class Recording(base):  # type: ignore[misc, valid-type]
        """Keeps every token the parser is fed, and counts lark's own lexer steps."""

        seen: list[tuple]
        lark_steps = 0

        def lex(self, lexer_state: LexerState, parser_state: Any):
            for token in base.lex(self, lexer_state, parser_state):
                self.seen.append(fields(token))
                yield token

        def _lark_step(self, lexer_state: LexerState, parser_state: Any):
            self.lark_steps += 1
            return FastContextualLexer._lark_step(self, lexer_state, parser_state)

    return Recording


class Pair:
    """A grammar's LALR parser, with lark's lexer and the fast one over its parse table."""

    def __init__(self, grammar: str) -> None:
        self.lark = Lark(qdl_parser.grammar_text(grammar), parser="lalr", lexer="contextual",
                         maybe_placeholders=True)
        states = {state: list(row) for state, row in self.lark.parser.parser._parse_table.states.items()}
        self.states = states
        self.stock = recording(ContextualLexer)(self.lark.lexer_conf, states)
        self.fast = recording(FastContextualLexer)(self.lark.lexer_conf, states)
        # One state per distinct terminal set: the states whose lexers differ.
        by_set = {frozenset(row): state for state, row in states.items()}
        self.representatives = sorted(by_set.values())

    def parse(self, lexer: ContextualLexer, text: str) -> tuple[list[tuple], Any]:
        """The tokens fed to the parser and the outcome (tree or error) with `lexer`."""
        lexer.seen = []
        self.lark.parser.lexer = lexer
        try:
            return lexer.seen, ("tree", self.lark.parse(text))
        except UnexpectedInput as exc:
            return lexer.seen, ("error", describe(exc, text))

    def diagnostics(self, lexer: ContextualLexer, text: str) -> list[str]:
        """qdl's rendered syntax diagnostics for `text`, lexing with `lexer`."""
        lexer.seen = []
        self.lark.parser.lexer = lexer
        sink = DiagnosticSink()
        qdl_parser.parse_tree(self.lark, text, "soup.qdl", sink)
        return [render(d, sink.sources) for d in sink.diagnostics]

    def assert_same_parse(self, text: str) -> None:
        stock, fast = self.parse(self.stock, text), self.parse(self.fast, text)
        assert fast[0] == stock[0]
        assert walked(fast[1]) == walked(stock[1])
        assert self.diagnostics(self.fast, text) == self.diagnostics(self.stock, text)


def walked(outcome: tuple) -> list:
    """An outcome with its tree as a flat list of nodes and leaves, in order (list rules nest deep:
    comparing trees recursively would overflow the stack on a long file)."""
    kind, value = outcome
    if kind != "tree":
        return [outcome]
    out: list = []
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, Tree):
            out.append(("node", node.data, len(node.children)))
            stack.extend(reversed(node.children))
        else:
            out.append(("leaf", node, getattr(node, "type", None)))
    return out


def describe(exc: BaseException, text: str) -> tuple:
    """Everything an error tells: its kind, place, expectations, tokens, context."""
    token = getattr(exc, "token", None)
    expected = getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ()
    history = getattr(exc, "token_history", None) or ()
    return (type(exc).__name__, getattr(exc, "pos_in_stream", None), getattr(exc, "line", None),
            getattr(exc, "column", None), sorted(expected), fields(token) if token is not None else None,
            [fields(t) if t is not None else None for t in history], getattr(exc, "state", None) is not None,
            exc.get_context(text) if isinstance(exc, UnexpectedInput) else str(exc))


_PAIRS: dict[str, Pair] = {}


def pair(grammar: str) -> Pair:
    """The `Pair` of a grammar of `qdl.grammar`, built once."""
    if grammar not in _PAIRS:
        _PAIRS[grammar] = Pair(grammar)
    return _PAIRS[grammar]


def read(path: Path) -> str:
    """A file as text (bytes that are not UTF-8 become U+FFFD, as the compiler reads them)."""
    return path.read_bytes().decode("utf-8", errors="replace")


def lex_switching(lexer: ContextualLexer, text: str, states: list[int]) -> tuple[list[tuple], Any]:
    """Lex `text` in lark's `ParserState`, moving to the next of `states` after each token."""
    parser_state = ParserState.__new__(ParserState)
    parser_state.state_stack = [states[0]]
    tokens: list[tuple] = []
    lexer_state = LexerState(TextSlice.cast_from(text))
    lexer.seen = []
    try:
        for token in lexer.lex(lexer_state, parser_state):
            tokens.append(fields(token))
            parser_state.state_stack[-1] = states[len(tokens) % len(states)]
    except UnexpectedInput as exc:
        return tokens, describe(exc, text)
    return tokens, (lexer_state.line_ctr.char_pos, lexer_state.line_ctr.line, lexer_state.line_ctr.column)


class _Position:
    """A parser state that is not lark's: only `position`."""

    def __init__(self, position: int) -> None:
        self.position = position


def lex_fixed(lexer: ContextualLexer, text: str, state: int) -> tuple[list[tuple], Any]:
    """Lex `text` all in one parser state."""
    tokens: list[tuple] = []
    lexer.seen = []
    try:
        for token in lexer.lex(LexerState(TextSlice.cast_from(text)), _Position(state)):
            tokens.append(fields(token))
    except UnexpectedInput as exc:
        return tokens, describe(exc, text)
    return tokens, None
