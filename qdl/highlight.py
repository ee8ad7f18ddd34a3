"""Syntax highlighting of qdl: the Pygments lexer `QdlLexer` and the word lists editors share.

The word lists come from the compiler, not from a copy: keywords and type
names from the terminals of `grammar/qdl.lark`, number and comment syntax from
the same terminals' regular expressions, gate names from the gate table
(`qdl.compiler.gates`), functions and constants from the front end.  The
TextMate grammar in `editors/qdl.tmLanguage.json` is generated from these
lists by `editors/make_tmlanguage.py`, and a test checks the two agree.

Gate names are highlighted only where a gate is applied (followed by `(` or
by a qubit operand), so that a variable `x` is not coloured as the gate `x`.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pygments.lexer import RegexLexer, bygroups, words
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Whitespace

__all__ = ["QdlLexer", "word_lists", "token_patterns"]

CONSTANT_WORDS = ("true", "false")
IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_]*"
# A gate is applied when its name is followed by its angles `(` or by a qubit operand.
GATE_CALL_LOOKAHEAD = r"(?=\s*\(|\s+[A-Za-z_])"
OPERATORS = r"->|\.\.|\*\*|==|!=|<=|>=|&&|\|\||[-+*/%<>=!@]"
PUNCTUATION = r"[{}()\[\];,:]"


@lru_cache(maxsize=1)
def word_lists() -> dict[str, tuple[str, ...]]:
    """The highlighted words by kind: keywords, types, constants, gates, functions, builtin_constants."""
    from qdl.compiler.frontend import expressions
    from qdl.compiler.gates import ALIASES, GATES

    terminals = _terminals()
    literal = {str(v) for v in terminals.values() if isinstance(v, str) and re.fullmatch(IDENTIFIER, v)}
    types = tuple(sorted(re.findall(r"\w+", terminals["TYPE_NAME"][1])))
    functions = {*expressions.MATH_FUNCTIONS, *expressions.INTEGER_FUNCTIONS, *expressions.RESULT_FUNCTIONS, "len"}
    return {
        "keywords": tuple(sorted(literal - set(CONSTANT_WORDS))),
        "types": types,
        "constants": CONSTANT_WORDS,
        "gates": tuple(sorted({*GATES, *ALIASES})),
        "functions": tuple(sorted(functions)),
        "builtin_constants": tuple(sorted(expressions.BUILTIN_CONSTANTS)),
    }


@lru_cache(maxsize=1)
def token_patterns() -> dict[str, str]:
    """Regular expressions of the grammar's lexical terminals: float, integer, pauli, string, comments."""
    terminals = _terminals()
    return {"float": terminals["FLOAT"][1], "integer": terminals["INT"][1], "pauli": terminals["PAULI"][1],
            "string": terminals["STRING"][1], "line_comment": terminals["LINE_COMMENT"][1]}


def _terminals() -> dict[str, object]:
    """Each terminal of the qdl grammar: its literal text, or ("re", pattern) for a regular expression."""
    from qdl.compiler.frontend.parser import get_parser

    out: dict[str, object] = {}
    for terminal in get_parser().terminals:
        pattern = terminal.pattern
        out[terminal.name] = pattern.value if type(pattern).__name__ == "PatternStr" else ("re", pattern.value)
    return out


def _root() -> list:
    """The lexer's rules, in priority order."""
    w, p = word_lists(), token_patterns()
    return [
        (r"\s+", Whitespace),
        (p["line_comment"], Comment.Single),
        (r"/\*[\s\S]*?\*/", Comment.Multiline),
        (p["string"], String.Double),
        (rf"(gate|circuit)(\s+)({IDENTIFIER})", bygroups(Keyword, Whitespace, Name.Function)),
        (rf"(for)(\s+)({IDENTIFIER})", bygroups(Keyword, Whitespace, Name.Variable)),
        (p["float"], Number.Float),
        (p["integer"], Number.Integer),
        (words(w["keywords"], prefix=r"\b", suffix=r"\b"), Keyword),
        (words(w["types"], prefix=r"\b", suffix=r"\b"), Keyword.Type),
        (words(w["constants"], prefix=r"\b", suffix=r"\b"), Keyword.Constant),
        (words(w["gates"], prefix=r"\b", suffix=r"\b" + GATE_CALL_LOOKAHEAD), Name.Builtin),
        (words(w["functions"], prefix=r"\b", suffix=r"\b(?=\s*\()"), Name.Builtin),
        (words(w["builtin_constants"], prefix=r"\b", suffix=r"\b"), Name.Constant),
        (r"\b" + p["pauli"], Name.Builtin.Pseudo),
        (IDENTIFIER + GATE_CALL_LOOKAHEAD, Name.Function),
        (IDENTIFIER, Name),
        (OPERATORS, Operator),
        (PUNCTUATION, Punctuation),
    ]


class QdlLexer(RegexLexer):
    """Pygments lexer for qdl programs (`.qdl`); registered as the `qdl` lexer through an entry point."""

    name = "qdl"
    aliases = ["qdl"]
    filenames = ["*.qdl"]
    mimetypes = ["text/x-qdl"]
    tokens = {"root": _root()}
