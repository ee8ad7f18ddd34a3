"""Highlighting: the Pygments lexer and the TextMate grammar on every qdl file and docs block, kept in sync."""

from __future__ import annotations

import importlib.util
import json
import os
import re
from pathlib import Path

import pytest
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import Comment, Error, Keyword, Name, Number, Operator, Punctuation, String

from qdl.fmt import FormatError, format_source
from qdl.highlight import QdlLexer, word_lists

REPO = Path(__file__).resolve().parents[2]
GRAMMAR_FILE = REPO / "editors" / "qdl.tmLanguage.json"


def _valid(path: Path) -> bool:
    try:
        format_source(path.read_text(encoding="utf-8"), str(path))
    except (UnicodeDecodeError, FormatError):
        return False
    return True


QDL_FILES = [p for p in sorted([*REPO.glob("examples/*.qdl"), *REPO.glob("stdlib/std/*.qdl"),
                                *REPO.glob("tests/golden/**/*.qdl")]) if _valid(p)]
DOC_BLOCKS = [(f"{md.name}#{i}", block) for md in sorted([*REPO.glob("docs/*.md"), REPO / "README.md"])
              for i, block in enumerate(re.findall(r"```qdl\n(.*?)```", md.read_text(encoding="utf-8"), re.S))]
SOURCES = [(p.relative_to(REPO).as_posix(), p.read_text(encoding="utf-8")) for p in QDL_FILES] + DOC_BLOCKS

SAMPLE = """// a comment
import "std/qft.qdl";
/* block */ const N: int = 2;
gate g(theta) q { rx(theta / 2) q; }
circuit f(param t: float[2], x: float) -> float {
    qubit q[N];
    for i in 0..N { ctrl @ my_gate(t[0]) q[0], q[1]; h q[i]; }
    if (true) { x q[0]; }
    return expval(0.5 * Z[0] Z[1] + 1e-3 * pi * sin(x));
}
"""


def _category(kind: str) -> str:
    """A token's category, from a Pygments token type name or a TextMate scope."""
    table = [("comment", "comment"), ("Comment", "comment"), ("string", "string"), ("String", "string"),
             ("keyword.operator", "operator"), ("Operator", "operator"), ("storage.type", "type"),
             ("Keyword.Type", "type"), ("constant.language", "literal"), ("Keyword.Constant", "literal"),
             ("keyword", "keyword"), ("Keyword", "keyword"), ("constant.numeric.float", "float"),
             ("Number.Float", "float"), ("constant.numeric.integer", "int"), ("Number.Integer", "int"),
             ("support.constant.pauli", "pauli"), ("Name.Builtin.Pseudo", "pauli"), ("support.constant", "constant"),
             ("Name.Constant", "constant"), ("support.function", "builtin"), ("Name.Builtin", "builtin"),
             ("entity.name.function", "function"), ("Name.Function", "function"), ("variable", "name"),
             ("Name", "name"), ("punctuation", "punctuation"), ("Punctuation", "punctuation")]
    for prefix, category in table:
        if kind.startswith(prefix):
            return category
    return "?" + kind


def _pygments_categories(text: str) -> list[str]:
    out = [""] * len(text)
    for index, token, value in QdlLexer().get_tokens_unprocessed(text):
        out[index:index + len(value)] = [_category(str(token).replace("Token.", "").replace("Literal.", ""))] * len(value)
    return out


# ---------------------------------------------------------------- Pygments


def test_the_lexer_is_found_by_name_and_file_name():
    from importlib.metadata import entry_points

    registered = {e.name: e.value for e in entry_points(group="pygments.lexers")}
    assert registered.get("qdl") == "qdl.highlight:QdlLexer", \
        "the installed metadata has no `pygments.lexers` entry point: reinstall with pip install -e '.[test]'"
    assert isinstance(get_lexer_by_name("qdl"), QdlLexer)
    assert isinstance(get_lexer_for_filename("circuit.qdl"), QdlLexer)


@pytest.mark.parametrize("name,text", SOURCES, ids=[n for n, _ in SOURCES])
def test_pygments_tokenizes_without_errors(name: str, text: str):
    tokens = list(QdlLexer(stripnl=False).get_tokens(text))
    assert [v for t, v in tokens if t in Error] == []
    assert "".join(v for _, v in tokens) == text + ("" if text.endswith("\n") else "\n")


def test_key_constructs_get_the_expected_pygments_tokens():
    tokens = [(t, v) for t, v in QdlLexer().get_tokens(SAMPLE) if not v.isspace()]
    expected = [
        (Comment.Single, "// a comment"), (Keyword, "import"), (String.Double, '"std/qft.qdl"'),
        (Comment.Multiline, "/* block */"), (Keyword, "const"), (Keyword.Type, "int"), (Number.Integer, "2"),
        (Keyword, "gate"), (Name.Function, "g"), (Name.Builtin, "rx"), (Keyword, "circuit"), (Keyword, "param"),
        (Keyword, "for"), (Name.Variable, "i"), (Operator, ".."), (Keyword, "ctrl"), (Operator, "@"),
        (Name.Function, "my_gate"), (Name.Builtin, "h"), (Keyword.Constant, "true"), (Name.Builtin, "x"),
        (Keyword, "return"), (Name.Builtin, "expval"), (Number.Float, "0.5"), (Name.Builtin.Pseudo, "Z"),
        (Number.Float, "1e-3"), (Name.Constant, "pi"), (Name.Builtin, "sin"), (Name, "x"), (Punctuation, "}"),
    ]
    remaining = iter(tokens)
    for want in expected:  # in this order, other tokens in between
        assert any(got == want for got in remaining), f"{want} not found in order"


def test_a_variable_named_like_a_gate_is_not_a_gate():
    tokens = dict((v, t) for t, v in QdlLexer().get_tokens("rx(x[0] * h) q;") if v in ("x", "h", "rx"))
    assert tokens == {"rx": Name.Builtin, "x": Name, "h": Name}


def test_word_lists_come_from_the_grammar_and_the_gate_table():
    words = word_lists()
    assert {"gate", "circuit", "measure", "ctrl", "negctrl", "inv", "pow", "param", "sum"} <= set(words["keywords"])
    assert words["types"] == ("bool", "complex", "float", "int") and words["constants"] == ("true", "false")
    assert {"cx", "rx", "u3", "toffoli", "double_excitation"} <= set(words["gates"])
    assert {"expval", "probs", "sin", "len", "floor"} <= set(words["functions"])


# ---------------------------------------------------------------- TextMate


@pytest.fixture(scope="module")
def textmate(tmp_path_factory):
    """A TextMate engine loaded with the grammar (imported from a scratch folder: it makes a cache folder there)."""
    here = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("textmate"))
    try:
        base = pytest.importorskip("textmate_grammar.parsers.base", reason="needs textmate-grammar-python (test extra)")
    finally:
        os.chdir(here)
    return base.LanguageParser(json.loads(GRAMMAR_FILE.read_text(encoding="utf-8")))


def _textmate_categories(parser, text: str) -> list[str]:
    """The category of every character of `text` under the TextMate grammar ("" where no rule matched)."""
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    out = [""] * len(text)
    element = parser.parse_string(text)
    for (line, column), content, scopes in (element.flatten() if element is not None else []):
        offset = starts[line] + column
        category = _category(scopes[-1]) if len(scopes) > 1 else ""
        out[offset:offset + len(content)] = [category] * len(content)
    return out


@pytest.mark.parametrize("name,text", SOURCES, ids=[n for n, _ in SOURCES])
def test_textmate_matches_all_text_and_agrees_with_pygments(textmate, name: str, text: str):
    tm = _textmate_categories(textmate, text)
    unmatched = [(i, text[i]) for i, c in enumerate(tm) if not c and not text[i].isspace()]
    assert unmatched == []
    pyg = _pygments_categories(text)
    differ = [(i, text[max(0, i - 10):i + 10], tm[i], pyg[i]) for i in range(len(text))
              if not text[i].isspace() and tm[i] != pyg[i]]
    assert differ[:5] == []


def test_key_constructs_get_the_expected_scopes(textmate):
    element = textmate.parse_string(SAMPLE)
    scopes = {content: items[-1] for _, content, items in element.flatten()}
    assert scopes["// a comment"] == "comment.line.double-slash.qdl"
    assert scopes["/* block */"] == "comment.block.qdl"
    assert scopes['"std/qft.qdl"'] == "string.quoted.double.qdl"
    assert scopes["import"] == scopes["circuit"] == scopes["return"] == "keyword.control.qdl"
    assert scopes["int"] == "storage.type.qdl" and scopes["true"] == "constant.language.qdl"
    assert scopes["0.5"] == scopes["1e-3"] == "constant.numeric.float.qdl"
    assert scopes["rx"] == "support.function.gate.qdl" and scopes["expval"] == "support.function.builtin.qdl"
    assert scopes["my_gate"] == "entity.name.function.call.qdl" and scopes["pi"] == "support.constant.qdl"


def _grammar_words(grammar: dict, scope: str) -> set[str]:
    """The words of the `\\b(?:a|b)\\b` rules of the grammar that give `scope`."""
    found: set[str] = set()
    for group in grammar["repository"].values():
        for rule in group["patterns"]:
            if rule.get("name") == scope and rule["match"].startswith(r"\b(?:"):
                found |= set(re.match(r"\\b\(\?:([^)]*)\)", rule["match"]).group(1).split("|"))
    return found


def test_textmate_and_pygments_word_lists_agree():
    grammar = json.loads(GRAMMAR_FILE.read_text(encoding="utf-8"))
    words = word_lists()
    hint = "regenerate with `python editors/make_tmlanguage.py`"
    assert _grammar_words(grammar, "keyword.control.qdl") == set(words["keywords"]), hint
    assert _grammar_words(grammar, "storage.type.qdl") == set(words["types"]), hint
    assert _grammar_words(grammar, "constant.language.qdl") == set(words["constants"]), hint
    assert _grammar_words(grammar, "support.function.gate.qdl") == set(words["gates"]), hint
    assert _grammar_words(grammar, "support.function.builtin.qdl") == set(words["functions"]), hint
    assert _grammar_words(grammar, "support.constant.qdl") == set(words["builtin_constants"]), hint


def test_the_grammar_file_is_what_the_generator_writes():
    spec = importlib.util.spec_from_file_location("make_tmlanguage", REPO / "editors" / "make_tmlanguage.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert json.loads(GRAMMAR_FILE.read_text(encoding="utf-8")) == module.grammar(), \
        "regenerate with `python editors/make_tmlanguage.py`"
    assert module.grammar()["scopeName"] == "source.qdl"



def test_the_vscode_extension_points_at_the_grammar():
    package = json.loads((REPO / "editors" / "vscode" / "package.json").read_text(encoding="utf-8"))
    (grammar,) = package["contributes"]["grammars"]
    assert grammar["scopeName"] == "source.qdl" and grammar["path"] == "./syntaxes/qdl.tmLanguage.json"
    assert package["contributes"]["languages"][0]["extensions"] == [".qdl"]
    config = json.loads((REPO / "editors" / "vscode" / "language-configuration.json").read_text(encoding="utf-8"))
    assert config["comments"] == {"lineComment": "//", "blockComment": ["/*", "*/"]}
