"""`FastContextualLexer` yields exactly lark's tokens and raises exactly lark's errors.

Both lexers are built over one parse table, so parser states mean the same to
both, and are compared three ways:
1. under the real parser: each file of `examples/`, `stdlib/`, `tests/golden/`
   (qdl grammar) and every OpenQASM file of the shared corpus (qasm2 and qasm3
   grammars, both on every file) is parsed once with each lexer; the tokens the
   parser was fed (all eight fields), the tree and any error must agree, and
   qdl's syntax diagnostics (`parse_tree`, with its `;` repair) must be equal;
2. on hypothesis token soups (keywords, names, numbers, operators, whitespace,
   comments, line breaks, stray quotes and `/*`), lexed in parser states that
   switch token by token, and also in every state of its own;
3. on pinned error cases (unterminated strings and comments, stray characters).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark import Lark, UnexpectedInput
from lark.lexer import ContextualLexer, LexerState
from lark.parsers.lalr_parser_state import ParserState
from lark.utils import TextSlice

from qdl.compiler.diagnostics import DiagnosticSink, render
from qdl.compiler.frontend import parser as qdl_parser
from qdl.compiler.frontend.lexer import FastContextualLexer, first_characters
from qdl.compiler.qasm.unsupported import blank_unsupported

REPO = Path(__file__).resolve().parents[3]
CORPUS = REPO.parent / "shared" / "corpus"
GRAMMARS = ("qdl.lark", "qasm2.lark", "qasm3.lark")
FIELDS = ("type", "value", "start_pos", "end_pos", "line", "column", "end_line", "end_column")
SOUPS = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                 suppress_health_check=list(HealthCheck))


def _fields(token: Any) -> tuple:
    return tuple(getattr(token, f) for f in FIELDS)


def _recording(base: type[ContextualLexer]) -> type[ContextualLexer]:
    class Recording(base):  # type: ignore[misc, valid-type]
        """Keeps every token the parser is fed, and counts lark's own lexer steps."""

        seen: list[tuple]
        lark_steps = 0

        def lex(self, lexer_state: LexerState, parser_state: Any):
            for token in base.lex(self, lexer_state, parser_state):
                self.seen.append(_fields(token))
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
        self.stock = _recording(ContextualLexer)(self.lark.lexer_conf, states)
        self.fast = _recording(FastContextualLexer)(self.lark.lexer_conf, states)
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
            return lexer.seen, ("error", _describe(exc, text))

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
        assert fast[1] == stock[1]
        assert self.diagnostics(self.fast, text) == self.diagnostics(self.stock, text)


def _describe(exc: BaseException, text: str) -> tuple:
    """Everything an error tells: its kind, place, expectations, tokens, context."""
    token = getattr(exc, "token", None)
    expected = getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ()
    history = getattr(exc, "token_history", None) or ()
    return (type(exc).__name__, getattr(exc, "pos_in_stream", None), getattr(exc, "line", None),
            getattr(exc, "column", None), sorted(expected), _fields(token) if token is not None else None,
            [_fields(t) if t is not None else None for t in history], getattr(exc, "state", None) is not None,
            exc.get_context(text) if isinstance(exc, UnexpectedInput) else str(exc))


_PAIRS: dict[str, Pair] = {}


def pair(grammar: str) -> Pair:
    if grammar not in _PAIRS:
        _PAIRS[grammar] = Pair(grammar)
    return _PAIRS[grammar]


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")


# ---------------------------------------------------------------- real programs under the real parser


QDL_FILES = sorted(p for folder in ("examples", "stdlib", "tests/golden") for p in (REPO / folder).rglob("*.qdl"))


@pytest.mark.parametrize("path", QDL_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_qdl_files(path: Path) -> None:
    qdl = pair("qdl.lark")
    qdl.assert_same_parse(_read(path))


def _corpus_files() -> list[Path]:
    files = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".qasm", ".inc")) if CORPUS.is_dir() else []
    return files or [CORPUS / "missing.qasm"]


@pytest.mark.parametrize("grammar", ["qasm2.lark", "qasm3.lark"])
@pytest.mark.parametrize("path", _corpus_files(), ids=lambda p: p.name)
def test_corpus_files(path: Path, grammar: str) -> None:
    if not path.is_file():
        reason = f"the reference corpus is not at {CORPUS}"
        if os.environ.get("QDL_REQUIRE_CORPUS") == "1":
            pytest.fail(reason + " (QDL_REQUIRE_CORPUS=1)")
        pytest.skip(reason)
    text = _read(path)
    pair(grammar).assert_same_parse(text)
    if grammar == "qasm3.lark":  # what the importer really parses: unsupported statements blanked
        pair(grammar).assert_same_parse(blank_unsupported(text, path.name).text)


def test_fast_path_is_taken() -> None:
    """On a real program lark's own lexer runs once, at the end of input: every token came from the fast path."""
    qdl = pair("qdl.lark")
    qdl.fast.lark_steps = 0
    tokens, outcome = qdl.parse(qdl.fast, _read(REPO / "examples" / "vqe_h2.qdl"))
    assert outcome[0] == "tree" and len(tokens) > 100
    assert qdl.fast.lark_steps == 1


def test_cached_parser_uses_the_fast_lexer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A parser loaded from lark's cache file is still built with the fast lexer."""
    monkeypatch.setenv("QDL_CACHE_DIR", str(tmp_path))
    first = qdl_parser.make_parser(grammar="qasm2.lark")
    assert (tmp_path / "qasm2.lark.cache").is_file()
    loaded = qdl_parser.make_parser(grammar="qasm2.lark")
    assert loaded.source_path == "<deserialized>"  # lark's mark of a parser read from its cache
    for parser in (first, loaded):
        assert type(parser.parser.lexer) is FastContextualLexer
    text = 'OPENQASM 2.0;\nqreg q[2];\nU(0.5, 0, pi/2) q[0]; // c\nCX q[0], q[1];\n'
    assert loaded.parse(text) == first.parse(text)


# ---------------------------------------------------------------- token soups


def soup_words(grammar: str) -> list[str]:
    """Keywords and punctuation of the grammar, names, numbers, blanks, comments and troublemakers."""
    words = sorted({t.pattern.value for t in pair(grammar).lark.terminals if t.pattern.type == "str"})
    return words + ["q", "theta", "X", "Z", "Ix", "floaty", "float", "int", "angle", "pi", "π", "ns", "dt",
                    "0", "12", "3.5", "1e-3", ".25", "2.", "0x1F", "1_000", "10ns", "2.5us", "3 im", "1.5\nim",
                    "$3", '"lib.qasm"', '"', "'", "/*", "*/", "/* a\nb */", "// c\n", "//", "/", "*", "#",
                    "^", "é", "\t", "\r\n", "\n", " ", "  ", "\f", "@", ".."]


def _soup(grammar: str) -> st.SearchStrategy[str]:
    words = st.sampled_from(soup_words(grammar))
    gaps = st.sampled_from(["", "", " ", "\n", "  "])
    return st.lists(st.tuples(words, gaps), max_size=40).map(lambda parts: "".join(w + g for w, g in parts))


def _lex_switching(lexer: ContextualLexer, text: str, states: list[int]) -> tuple[list[tuple], Any]:
    """Lex `text` in lark's `ParserState`, moving to the next of `states` after each token."""
    parser_state = ParserState.__new__(ParserState)
    parser_state.state_stack = [states[0]]
    tokens: list[tuple] = []
    lexer_state = LexerState(TextSlice.cast_from(text))
    lexer.seen = []
    try:
        for token in lexer.lex(lexer_state, parser_state):
            tokens.append(_fields(token))
            parser_state.state_stack[-1] = states[len(tokens) % len(states)]
    except UnexpectedInput as exc:
        return tokens, _describe(exc, text)
    return tokens, (lexer_state.line_ctr.char_pos, lexer_state.line_ctr.line, lexer_state.line_ctr.column)


class _Position:
    """A parser state that is not lark's: only `position`."""

    def __init__(self, position: int) -> None:
        self.position = position


def _lex_fixed(lexer: ContextualLexer, text: str, state: int) -> tuple[list[tuple], Any]:
    """Lex `text` all in one parser state."""
    tokens: list[tuple] = []
    lexer.seen = []
    try:
        for token in lexer.lex(LexerState(TextSlice.cast_from(text)), _Position(state)):
            tokens.append(_fields(token))
    except UnexpectedInput as exc:
        return tokens, _describe(exc, text)
    return tokens, None


@pytest.mark.parametrize("grammar", GRAMMARS)
@SOUPS
@given(data=st.data())
def test_soups_in_switching_states(grammar: str, data: st.DataObject) -> None:
    lexers = pair(grammar)
    text = data.draw(_soup(grammar), label="text")
    states = data.draw(st.lists(st.sampled_from(sorted(lexers.states)), min_size=1, max_size=40), label="states")
    assert _lex_switching(lexers.fast, text, states) == _lex_switching(lexers.stock, text, states)


@pytest.mark.parametrize("grammar", GRAMMARS)
@settings(SOUPS, max_examples=40)
@given(data=st.data())
def test_soups_in_every_state(grammar: str, data: st.DataObject) -> None:
    lexers = pair(grammar)
    text = data.draw(_soup(grammar), label="text")
    for state in lexers.representatives:
        assert _lex_fixed(lexers.fast, text, state) == _lex_fixed(lexers.stock, text, state), state


@pytest.mark.parametrize("grammar", GRAMMARS)
@settings(SOUPS, max_examples=60)
@given(data=st.data())
def test_soups_under_the_parser(grammar: str, data: st.DataObject) -> None:
    """Soups are mostly bad programs: the parser's errors and qdl's diagnostics (with repairs) agree."""
    pair(grammar).assert_same_parse(data.draw(_soup(grammar), label="text"))


# A line break inside a token (OpenQASM 3's `1.5 im` allows one), names beyond ASCII, comments in every place.
TRICKY = ["1.5\n  im + 2 im\nx", "π + τ_1 * αβ é", "a/* x\n y */b // z\n/c", "x /*/ y", "2..3 .5e3 7e 0x1F_",
          "float[32] floaty intx", "if iffy ifx X Xa Z1", '"a" "b\n"', "10ns 2.5 us 3dt", "$12 $x", "a\r\nb\fc"]


@pytest.mark.parametrize("grammar", GRAMMARS)
@pytest.mark.parametrize("text", TRICKY)
def test_tricky_text_in_every_state(grammar: str, text: str) -> None:
    lexers = pair(grammar)
    for state in lexers.representatives:
        assert _lex_fixed(lexers.fast, text, state) == _lex_fixed(lexers.stock, text, state), state


# A grammar with what qdl's grammars lack: line breaks as tokens, case-insensitive keywords, a keyword of
# higher priority than names, a terminal that is a prefix of another, and whitespace that is not ignored.
# (Its ignored blanks are written so that lark counts line breaks in them: else the fast path stands aside.)
TOY = r"""
start: (_line | _NL)*
_line: stmt (";" stmt)* _NL
stmt: "if"i NAME | "let" NAME "=" expr | LOUD | NAME "(" [expr ("," expr)*] ")"
expr: NUMBER | NAME | expr "+" expr | expr "->" NAME | TAB
LOUD.2: "SHOUT"
TAB: /\t+/
NAME: /[a-zA-Z_]\w*/
NUMBER: /\d+(\.\d+)?/
_NL: "\n"
%ignore /[^\S\n]+/
%ignore /#[^\n]*/
"""
TOY_WORDS = ["if", "IF", "If", "let", "x", "SHOUT", "SHOUTx", "=", "+", "->", "-", ">", ";", ",", "(", ")", "1",
             "2.5", "\t", "\n", " ", "# c", "#", "é", "ifx"]


_TOYS: dict[bool, tuple] = {}


def toy_lexers(callbacks: bool) -> tuple[dict, ContextualLexer, ContextualLexer]:
    """The toy grammar's parse states, lark's lexer and the fast one (with a user lexer callback or not)."""
    if callbacks not in _TOYS:
        options = {"lexer_callbacks": {"NAME": lambda t: t}} if callbacks else {}
        lark = Lark(TOY, parser="lalr", lexer="contextual", **options)
        states = {state: list(row) for state, row in lark.parser.parser._parse_table.states.items()}
        _TOYS[callbacks] = (states, _recording(ContextualLexer)(lark.lexer_conf, states),
                            _recording(FastContextualLexer)(lark.lexer_conf, states))
    return _TOYS[callbacks]


@pytest.mark.parametrize("callbacks", [False, True])
@settings(SOUPS, max_examples=120)
@given(words=st.lists(st.sampled_from(TOY_WORDS), max_size=30), data=st.data())
def test_other_grammars(callbacks: bool, words: list[str], data: st.DataObject) -> None:
    """Beyond qdl's grammars: the same tokens too, and lark's own path where a lexer callback is set."""
    states, stock, fast = toy_lexers(callbacks)
    text = " ".join(words)
    chosen = data.draw(st.lists(st.sampled_from(sorted(states)), min_size=1, max_size=30), label="states")
    assert _lex_switching(fast, text, chosen) == _lex_switching(stock, text, chosen)
    for state in sorted(states):
        assert _lex_fixed(fast, text, state) == _lex_fixed(stock, text, state), state
    assert any(fast._fast.values()) is not callbacks  # the fast path ran, except where lark's must


# ---------------------------------------------------------------- pinned errors

ERRORS = [
    'import "lib.qdl;\ncircuit c() { }\n',  # unterminated string
    "circuit c() {\n  qubit q; /* never closed\n}\n",  # unterminated block comment
    "circuit c() { qubit q[2]; h q[0] }\n",  # missing `;` (repaired)
    "circuit c() {\n  qubit q[2]\n  h q[0];\n  x q[1]\n  y q[0];\n}\n",  # two missing `;`
    "circuit c() { qubit q; h q; # comment\n}\n",  # stray character
    "circuit c() { qubit q; rx('a') q; }\n",
    "circuit c() { qubit q; rx(2 ^ 3) q; }\n",
    "circuit c() { qubit q; é q; }\n",
    "circuit c() -> float { qubit q; return expval(Z[0]) }",  # end of input
    "gate g a { ctrl @ x a; } circuit if() { }",  # a keyword where a name goes
    "const x = 1 /",
    "",
    "   \n  // only a comment",
]


@pytest.mark.parametrize("text", ERRORS)
def test_errors_are_lark_errors(text: str) -> None:
    pair("qdl.lark").assert_same_parse(text)


@pytest.mark.parametrize("text", ["qreg q[1]; U(0.5, 0, 0) q[0] /* c */", 'include "qelib1.inc;\n', "qreg q[2]; $"])
def test_qasm_errors_are_lark_errors(text: str) -> None:
    for grammar in ("qasm2.lark", "qasm3.lark"):
        pair(grammar).assert_same_parse(text)


@pytest.mark.parametrize("regexp, starts, not_starts", [
    (r"[A-Za-z_]\w*", "aZ_", "0 /é"),
    (r"(\d+\.\d+|\.\d+)([eE][+-]?\d+)?|\d+[eE][+-]?\d+", "0.9", "e -"),
    (r"(?:float|int)(?!\w)", "fi", "ngx"),
    (r"[^\W\d]\w*", "aπé_", "0 -"),
    (r"\s*im", " \ni\t", "xm"),
    (r"[ \t\r\n\f]+", " \t\n", "a/"),
])
def test_first_characters(regexp: str, starts: str, not_starts: str) -> None:
    first = first_characters(regexp)
    assert first is not None
    assert all(first.match(c) for c in starts)
    assert not any(first.match(c) for c in not_starts)


@pytest.mark.parametrize("grammar", GRAMMARS)
@settings(SOUPS, max_examples=300)
@given(data=st.data())
def test_first_characters_cover_every_match(grammar: str, data: st.DataObject) -> None:
    """Whatever a terminal of the grammars matches starts with a character its first set accepts."""
    terminal = data.draw(st.sampled_from(pair(grammar).lark.terminals), label="terminal")
    regexp = terminal.pattern.to_regexp()
    text = data.draw(st.from_regex(regexp), label="text")
    match = re.search(regexp, text)
    first = first_characters(regexp)
    assert match is not None and match.end() > match.start()
    assert first is None or first.match(text[match.start()]), (terminal.name, text)


def test_first_characters_gives_up_on_what_it_does_not_model() -> None:
    assert first_characters(r"(?i:abc)") is None
    assert first_characters(r".x") is None
    assert first_characters(r"(a)\1") is not None  # `a` comes first: the back reference never starts it
