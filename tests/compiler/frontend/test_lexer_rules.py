"""The fast lexer's rules beyond qdl's grammars, and its first-character analysis.

A toy grammar has what qdl's grammars lack (line breaks as tokens,
case-insensitive keywords, a user lexer callback): the tokens must be lark's
there too.  `first_characters` must accept the first character of whatever a
terminal of the three grammars matches (hypothesis draws the matches).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lark import Lark
from lark.lexer import ContextualLexer

from qdl.compiler.frontend.lexer import FastContextualLexer, first_characters

from lexer_pairs import GRAMMARS, SOUPS, lex_fixed, lex_switching, pair, recording

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
        _TOYS[callbacks] = (states, recording(ContextualLexer)(lark.lexer_conf, states),
                            recording(FastContextualLexer)(lark.lexer_conf, states))
    return _TOYS[callbacks]


@pytest.mark.parametrize("callbacks", [False, True])
@settings(SOUPS, max_examples=120)
@given(words=st.lists(st.sampled_from(TOY_WORDS), max_size=30), data=st.data())
def test_other_grammars(callbacks: bool, words: list[str], data: st.DataObject) -> None:
    """Beyond qdl's grammars: the same tokens too, and lark's own path where a lexer callback is set."""
    states, stock, fast = toy_lexers(callbacks)
    text = " ".join(words)
    chosen = data.draw(st.lists(st.sampled_from(sorted(states)), min_size=1, max_size=30), label="states")
    assert lex_switching(fast, text, chosen) == lex_switching(stock, text, chosen)
    for state in sorted(states):
        assert lex_fixed(fast, text, state) == lex_fixed(stock, text, state), state
    assert any(fast._fast.values()) is not callbacks  # the fast path ran, except where lark's must




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
