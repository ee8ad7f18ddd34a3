"""Source text -> AST, with syntax errors turned into diagnostics.

The grammar is `grammar/qdl.lark` (package data), parsed LALR(1) with the
contextual lexer.  The AST is built during the parse (`build`): each
reduction calls the builder's method for its rule (`tree_rules`), so no
parse tree is made and no second pass walks one; on a 100,000-op program
that is 3-4x faster than a tree with propagated positions.  A missing `;`
is repaired by insertion so that one run reports every such slip; any other
syntax error ends the parse of that file (skipping tokens only produces
cascades of bogus errors).
"""

from __future__ import annotations

import os
import re
import threading
from importlib import resources
from pathlib import Path
from typing import Any

from lark import Lark, Token, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from qdl.compiler.diagnostics import Diagnostic, DiagnosticSink, Label, Span, error
from qdl.compiler.frontend import ast
from qdl.compiler.frontend.build_ast import AstBuilder
from qdl.compiler.frontend.lalr_loop import PLUGINS as LOOP_PLUGINS  # lark's LALR loop, inlined
from qdl.compiler.frontend.lexer import PLUGINS  # lark's contextual lexer, faster (same tokens, same errors)
from qdl.compiler.frontend.reductions import BuildingLark
from qdl.compiler.frontend.tree_rules import SourceTransformer

MAX_SYNTAX_ERRORS = 20

# How the parser's terminal names read in a message.
TOKEN_NAMES = {
    "SEMICOLON": "`;`", "COMMA": "`,`", "LPAR": "`(`", "RPAR": "`)`", "LSQB": "`[`",
    "RSQB": "`]`", "LBRACE": "`{`", "RBRACE": "`}`", "COLON": "`:`", "EQUAL": "`=`",
    "AT": "`@`", "ARROW": "`->`", "RANGE": "`..`", "PLUS": "`+`", "MINUS": "`-`",
    "STAR": "`*`", "SLASH": "`/`", "MORETHAN": "`>`", "LESSTHAN": "`<`", "BANG": "`!`",
    "NAME": "a name", "INT": "an integer", "FLOAT": "a number", "STRING": "a string",
    "PAULI": "a Pauli operator", "TYPE_NAME": "a type", "CMP_OP": "a comparison",
    "PARAM": "`param`", "$END": "end of file", "__ANON_0": "`**`",
}

_parser_lock = threading.Lock()
_parsers: dict[str, Lark] = {}
_building = threading.local()  # per thread: (grammar, builder type) -> (parser, its builder)


def cache_dir() -> Path:
    """Where qdl keeps its caches (`QDL_CACHE_DIR`, else ~/.cache/qdl)."""
    root = os.environ.get("QDL_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "qdl")
    return Path(root)


def grammar_text(name: str = "qdl.lark") -> str:
    return resources.files("qdl.grammar").joinpath(name).read_text(encoding="utf-8")


def make_parser(strict: bool = False, cache: bool = True, grammar: str = "qdl.lark",
                builder: SourceTransformer | None = None) -> Lark:
    """Build an LALR parser for a grammar of `qdl.grammar`; `strict=True` (tests) rejects conflicts.

    Without `builder` it makes parse trees with positions (tools, tests);
    with one, the parse returns what the builder makes (`build`).
    """
    options: dict[str, Any] = dict(parser="lalr", lexer="contextual", propagate_positions=builder is None,
                                   maybe_placeholders=True, strict=strict, _plugins=PLUGINS)
    if builder is not None:
        options["transformer"] = builder
        options["_plugins"] = {**PLUGINS, **LOOP_PLUGINS}  # the inlined loop needs `BuildingLark`'s table
    if cache and not strict:
        try:
            directory = cache_dir()
            directory.mkdir(parents=True, exist_ok=True)
            options["cache"] = str(directory / (f"{grammar}.cache" if builder is None else f"{grammar}.build.cache"))
        except OSError:
            pass  # an unwritable cache only costs start-up time
    return (Lark if builder is None else BuildingLark)(grammar_text(grammar), **options)


def get_parser(grammar: str = "qdl.lark") -> Lark:
    """The shared parser of a grammar, built once (from the disk cache when possible)."""
    with _parser_lock:
        if grammar not in _parsers:
            try:
                _parsers[grammar] = make_parser(grammar=grammar)
            except Exception:  # a corrupt cache file must not break the compiler
                _parsers[grammar] = make_parser(cache=False, grammar=grammar)
        return _parsers[grammar]


def parse(text: str, file: str, sink: DiagnosticSink) -> ast.Program | None:
    """Parse one qdl file; report syntax errors to `sink` and return None on any."""
    program, builder = build("qdl.lark", AstBuilder, text, file, sink)
    for diagnostic in builder.diagnostics:
        sink.emit(diagnostic)
    return None if builder.diagnostics else program


def build(grammar: str, builder_type: type[SourceTransformer], text: str, file: str,
          sink: DiagnosticSink) -> tuple[Any, SourceTransformer]:
    """Parse with `grammar`, building with a `builder_type` for `file`: (what it built or None, the builder).

    The builder is this thread's, made afresh for the file; read what it
    holds (its diagnostics) before this thread parses again.
    """
    parser, builder = _building_parser(grammar, builder_type)
    builder.__init__(file)  # per-file state afresh: the parser keeps this builder object
    try:
        return parse_tree(parser, text, file, sink), builder
    finally:
        builder.finish()


def _building_parser(grammar: str, builder_type: type[SourceTransformer]) -> tuple[Lark, SourceTransformer]:
    parsers = _building.__dict__.setdefault("parsers", {})
    key = (grammar, builder_type)
    if key not in parsers:
        builder = builder_type("")
        try:
            parsers[key] = (make_parser(grammar=grammar, builder=builder), builder)
        except Exception:  # a corrupt cache file must not break the compiler
            parsers[key] = (make_parser(cache=False, grammar=grammar, builder=builder), builder)
    return parsers[key]


def parse_tree(parser: Lark, text: str, file: str, sink: DiagnosticSink):
    """Run a Lark LALR parser with qdl's syntax diagnostics (any grammar: qdl, OpenQASM)."""
    sink.sources.add(file, text)
    errors: list[Diagnostic] = []
    names = _terminal_names(parser)

    def on_error(exc: UnexpectedInput) -> bool:
        errors.append(_syntax_diagnostic(exc, file, text, names))
        return len(errors) < MAX_SYNTAX_ERRORS and _repair(exc)

    try:
        tree = parser.parse(text, on_error=on_error)
    except UnexpectedInput as exc:
        last = _syntax_diagnostic(exc, file, text, names)
        if not errors or last.span != errors[-1].span:
            errors.append(last)
        tree = None
    for diagnostic in errors:
        sink.emit(diagnostic)
    return None if errors else tree


def _repair(exc: UnexpectedInput) -> bool:
    """Insert the missing `;` (at a line break) or `,` before the unexpected token, then resume.

    A repair is kept only if the parser accepts the inserted token *and* the
    token that failed, so a guess never turns one mistake into two.
    """
    if not isinstance(exc, UnexpectedToken) or exc.token.type == "$END":
        return False
    previous = exc.token_history[-1] if exc.token_history else None
    at_line_break = previous is not None and previous.end_line is not None and exc.token.line > previous.end_line
    candidates = [("SEMICOLON", ";")] if at_line_break else []
    candidates.append(("COMMA", ","))
    for kind, text in candidates:
        if kind not in exc.accepts:
            continue
        trial = exc.interactive_parser.copy()
        try:
            trial.feed_token(Token(kind, text))
            trial.feed_token(exc.token)
        except UnexpectedInput:
            continue
        exc.interactive_parser.feed_token(Token(kind, text))
        exc.interactive_parser.feed_token(exc.token)
        return True
    return False


def _terminal_names(parser: Lark) -> dict[str, str]:
    """How each terminal reads in a message: its literal text, or a description."""
    names = dict(TOKEN_NAMES)
    for terminal in parser.terminals:
        pattern = terminal.pattern
        if terminal.name not in TOKEN_NAMES and type(pattern).__name__ == "PatternStr":
            names[terminal.name] = f"`{pattern.value}`"
    return names


def _syntax_diagnostic(exc: UnexpectedInput, file: str, text: str, names: dict[str, str]) -> Diagnostic:
    if isinstance(exc, UnexpectedCharacters):
        return _unexpected_character(exc, file, text)
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        if text.startswith("/*", exc.token.start_pos):  # the lexer fell back to `/`
            start = exc.token.start_pos
            return error("E0104", "unterminated block comment", Span(file, start, start + 2),
                         "this comment is never closed", help="close the comment with `*/`")
        return _unexpected_token(exc, file, names)
    return _unexpected_end(exc, file, text, names)


def _unexpected_character(exc: UnexpectedCharacters, file: str, text: str) -> Diagnostic:
    pos = exc.pos_in_stream
    char = text[pos] if pos < len(text) else ""
    if char == '"':
        return error("E0104", "unterminated string", Span(file, pos, pos + 1),
                     "this string has no closing `\"` on its line",
                     help='close the string with `"` before the end of the line')
    if text.startswith("/*", pos):
        return error("E0104", "unterminated block comment", Span(file, pos, pos + 2),
                     "this comment is never closed", help="close the comment with `*/`")
    shown = char if char.isprintable() and not char.isspace() else repr(char)
    return error("E0102", f"unexpected character `{shown}`", Span(file, pos, pos + 1),
                 "not valid here", help=_character_help(char))


def _character_help(char: str) -> str | None:
    if char == "'":
        return 'strings use double quotes: "file.qdl"'
    if char in "#$":
        return "comments start with `//` or are enclosed in `/* */`"
    if char == "^":
        return "powers are written `a ** b`"
    return None


def _unexpected_token(exc: UnexpectedToken, file: str, names: dict[str, str]) -> Diagnostic:
    found = exc.token
    expected = _describe_expected(exc.accepts, names)
    found_text = _describe_token(found)
    span = Span(file, found.start_pos, found.end_pos)
    prev = exc.token_history[-1] if exc.token_history else None
    if "SEMICOLON" in exc.accepts and prev is not None and prev.end_pos is not None \
            and prev.end_line is not None and found.line > prev.end_line:
        after = Span(file, prev.end_pos, prev.end_pos + 1)
        return error("E0101", f"expected `;`, found {found_text}", after, "expected `;` here",
                     secondary=(Label(span, f"unexpected {found_text}", primary=False),),
                     help="every statement ends with `;`")
    return error("E0101", f"expected {expected}, found {found_text}", span,
                 f"expected {expected}", help=_token_help(found, exc.accepts, prev))


def _unexpected_end(exc: UnexpectedInput, file: str, text: str, names: dict[str, str]) -> Diagnostic:
    code_end = _last_code_offset(text)
    expected = _describe_expected(getattr(exc, "expected", None) or getattr(exc, "accepts", set()), names)
    where = Span(file, max(code_end - 1, 0), max(code_end, 1))
    unclosed = _unclosed_brace(text)
    if unclosed is not None:
        return error("E0103", "unexpected end of file: a `{` is never closed", where, "the code ends here",
                     secondary=(Label(Span(file, unclosed, unclosed + 1), "this `{` has no `}`",
                                      primary=False),),
                     help="add the missing `}`")
    return error("E0103", "unexpected end of file", where, f"expected {expected} after this")


_CODE = re.compile(r'//[^\n]*|/\*.*?\*/|"[^"\n]*"|[{}]|\S', re.S)


def _code_tokens(text: str):
    """Braces and other visible characters, outside comments and strings."""
    for match in _CODE.finditer(text):
        token = match.group()
        if not token.startswith(("//", "/*", '"')):
            yield match.start(), token


def _last_code_offset(text: str) -> int:
    """Just after the last character that is not space or comment."""
    last = 0
    for start, token in _code_tokens(text):
        last = start + len(token)
    return last


def _unclosed_brace(text: str) -> int | None:
    """Offset of the innermost `{` left open at the end, if any."""
    stack: list[int] = []
    for start, token in _code_tokens(text):
        if token == "{":
            stack.append(start)
        elif token == "}" and stack:
            stack.pop()
    return stack[-1] if stack else None


_OPERATORS = {"`+`", "`-`", "`*`", "`/`", "`%`", "`**`", "`&&`", "`||`", "a comparison", "`==`",
              "`!=`", "`<`", "`>`", "`<=`", "`>=`", "`[`", "`^`", "`&`", "`|`", "`<<`", "`>>`"}


def _describe_expected(accepts, terminal_names: dict[str, str]) -> str:
    names = sorted({terminal_names.get(t, _literal_name(t)) for t in accepts or ()})
    if not names:
        return "something else"
    operators = [n for n in names if n in _OPERATORS]
    others = [n for n in names if n not in _OPERATORS]
    if len(names) > 6 and others and len(operators) > 2:
        names = others + ["an operator"]  # after a complete expression: say what may close it
    if len(names) > 6:
        return "one of " + ", ".join(names[:6]) + ", ..."
    return names[0] if len(names) == 1 else "one of " + ", ".join(names[:-1]) + " or " + names[-1]


def _literal_name(terminal: str) -> str:
    if terminal.isupper() and terminal.isalpha():
        return f"`{terminal.lower()}`"  # keywords: IF -> `if`
    return terminal


def _describe_token(token: Token) -> str:
    if token.type == "$END":
        return "end of file"
    return f"`{token}`"


def _token_help(found: Token, accepts, previous: Token | None = None) -> str | None:
    if previous is not None and previous.type in ("IF", "WHILE") and "LPAR" in accepts:
        return f"the condition goes in parentheses: `{previous} (...) {{ ... }}`"
    if found.type == "NAME" and "LPAR" in accepts and "NAME" not in accepts:
        return "gate angles go in parentheses before the qubits: `rx(theta) q[0];`"
    if found.type == "__ANON_0" or str(found) == "=" and "EQUAL" not in accepts:
        return None
    return None
