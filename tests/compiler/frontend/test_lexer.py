"""`FastContextualLexer` yields exactly lark's tokens and raises exactly lark's errors.

Both lexers are built over one parse table (`lexer_pairs`), so parser states
mean the same to both, and are compared three ways:
1. under the real parser: each file of `examples/`, `stdlib/`, `tests/golden/`
   (qdl grammar) and every OpenQASM file of the shared corpus (qasm2 and qasm3
   grammars, both on every file) is parsed once with each lexer; the tokens the
   parser was fed (all eight fields), the tree and any error must agree, and
   qdl's syntax diagnostics (`parse_tree`, with its `;` repair) must be equal;
2. on hypothesis token soups (keywords, names, numbers, operators, whitespace,
   comments, line breaks, stray quotes and `/*`), lexed in parser states that
   switch token by token, and also in every state of its own;
3. on pinned error cases (unterminated strings and comments, stray characters).
Other grammars and the first-character analysis: `test_lexer_rules.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qdl.compiler.frontend import parser as qdl_parser
from qdl.compiler.frontend.lexer import FastContextualLexer
from qdl.compiler.qasm.unsupported import blank_unsupported

from lexer_pairs import CORPUS, GRAMMARS, REPO, SOUPS, lex_fixed, lex_switching, pair, read

# ---------------------------------------------------------------- real programs under the real parser


QDL_FILES = sorted(p for folder in ("examples", "stdlib", "tests/golden") for p in (REPO / folder).rglob("*.qdl"))


@pytest.mark.parametrize("path", QDL_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_qdl_files(path: Path) -> None:
    qdl = pair("qdl.lark")
    qdl.assert_same_parse(read(path))


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
    text = read(path)
    pair(grammar).assert_same_parse(text)
    if grammar == "qasm3.lark":  # what the importer really parses: unsupported statements blanked
        pair(grammar).assert_same_parse(blank_unsupported(text, path.name).text)


def test_fast_path_is_taken() -> None:
    """On a real program lark's own lexer runs once, at the end of input: every token came from the fast path."""
    qdl = pair("qdl.lark")
    qdl.fast.lark_steps = 0
    tokens, outcome = qdl.parse(qdl.fast, read(REPO / "examples" / "vqe_h2.qdl"))
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



@pytest.mark.parametrize("grammar", GRAMMARS)
@SOUPS
@given(data=st.data())
def test_soups_in_switching_states(grammar: str, data: st.DataObject) -> None:
    lexers = pair(grammar)
    text = data.draw(_soup(grammar), label="text")
    states = data.draw(st.lists(st.sampled_from(sorted(lexers.states)), min_size=1, max_size=40), label="states")
    assert lex_switching(lexers.fast, text, states) == lex_switching(lexers.stock, text, states)


@pytest.mark.parametrize("grammar", GRAMMARS)
@settings(SOUPS, max_examples=40)
@given(data=st.data())
def test_soups_in_every_state(grammar: str, data: st.DataObject) -> None:
    lexers = pair(grammar)
    text = data.draw(_soup(grammar), label="text")
    for state in lexers.representatives:
        assert lex_fixed(lexers.fast, text, state) == lex_fixed(lexers.stock, text, state), state


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
        assert lex_fixed(lexers.fast, text, state) == lex_fixed(lexers.stock, text, state), state


# A grammar with what qdl's grammars lack: line breaks as tokens, case-insensitive keywords, a keyword of
# higher priority than names, a terminal that is a prefix of another, and whitespace that is not ignored.

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
