"""Parse qdl source for the formatter: the parse tree plus every comment, in order.

The grammar `%ignore`s comments, so the tree has none.  Lark still runs
`lexer_callbacks` on ignored terminals, so a parser built with callbacks on
`LINE_COMMENT` and `BLOCK_COMMENT` sees each comment token with its offsets
while the tree is built.  The printer then re-attaches comments by source
position (see `qdl.fmt.printer`).  This is robust because it needs nothing from
the grammar beyond the two comment terminals: the tree and the diagnostics are
exactly the compiler's (same grammar text, same `parse_tree` error handling).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from lark import Lark, Token, Tree

from qdl.compiler.diagnostics import DiagnosticSink, render_all
from qdl.compiler.frontend.operators import COMPARISONS, Folder
from qdl.compiler.frontend.parser import cache_dir, grammar_text, parse_tree
from qdl.errors import QdlError
from qdl.fmt.expressions import listed

COMMENT_TERMINALS = ("LINE_COMMENT", "BLOCK_COMMENT")


class FormatError(QdlError):
    """The source has syntax errors; `str(err)` is the rendered diagnostics (nothing is formatted)."""

    def __init__(self, rendered: str, diagnostics: list) -> None:
        super().__init__(rendered)
        self.diagnostics = diagnostics


@dataclass(frozen=True)
class Comment:
    """One comment of the source: its text (a `//` comment without trailing spaces) and offsets."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Parsed:
    """A syntactically valid program: its text, parse tree and comments in source order."""

    text: str
    tree: Tree
    comments: tuple[Comment, ...]


_lock = threading.Lock()
_collected: list[Token] = []
_parser: Lark | None = None


def _comment_parser() -> Lark:
    """The qdl grammar with comment callbacks (built once per process; callers hold `_lock`)."""
    global _parser
    if _parser is None:
        options = dict(parser="lalr", lexer="contextual", propagate_positions=True, maybe_placeholders=True,
                       lexer_callbacks={name: _collected.append for name in COMMENT_TERMINALS})
        try:  # the cache file holds the grammar's hash: a changed grammar is rebuilt, not misread
            directory = cache_dir()
            directory.mkdir(parents=True, exist_ok=True)
            _parser = Lark(grammar_text(), cache=str(directory / "qdl.lark.fmt.cache"), **options)
        except Exception:  # an unwritable or corrupt cache only costs start-up time
            _parser = Lark(grammar_text(), **options)
    return _parser


def parse_with_comments(text: str, filename: str = "<stdin>") -> Parsed:
    """Parse `text`; raise `FormatError` with the compiler's syntax diagnostics if it is not valid."""
    sink = DiagnosticSink()
    with _lock:
        parser = _comment_parser()
        _collected.clear()
        tree = parse_tree(parser, text, filename, sink)
        tokens = list(_collected)
        _collected.clear()
    if tree is not None and not sink.has_errors:
        tree = nested(flat_lists(tree), filename, sink)
    if tree is None or sink.has_errors:
        diagnostics = sink.sorted()
        raise FormatError(render_all(diagnostics, sink.sources), diagnostics)
    comments = sorted({(t.start_pos, t.end_pos, str(t)) for t in tokens})
    return Parsed(text, tree, tuple(Comment(_tidy(body), start, end) for start, end, body in comments))


# the rule each operator had when the grammar nested them, which the printer reads
_BINARY_RULES = {"||": "or_", "&&": "and_", "+": "add", "-": "sub", "*": "mul", "/": "div", "%": "mod",
                 "**": "pow_"}
_PREFIX_RULES = {"-": "neg", "+": "pos", "!": "not_"}


LIST_RULES = frozenset({"statements", "modifiers", "qubit_list", "index_list"})  # left-recursive in the grammar


def flat_lists(tree: Tree) -> Tree:
    """Each list rule's nesting (one tree an element) made one node holding the elements in order.

    A block of 100,000 statements would otherwise be a tree 100,000 deep,
    which comparing or printing recursively could not handle.
    """
    for node in tree.iter_subtrees_topdown():  # (a node's new children are walked after it)
        first = node.children[0] if node.data in LIST_RULES else None
        if isinstance(first, Tree) and first.data == node.data:
            node.children = listed(node, node.data)
    return tree


def nested(tree: Tree, filename: str, sink: DiagnosticSink) -> Tree:
    """Each flat `expr` run folded by precedence (`operators`) into one tree node per operator."""
    def binary(op: str, lhs, rhs, _span) -> Tree:
        if op in COMPARISONS:
            return Tree("compare", [lhs, Token("CMP_OP", op), rhs])
        return Tree(_BINARY_RULES[op], [lhs, rhs])

    def unary(op: str, operand, _span) -> Tree:
        return Tree(_PREFIX_RULES[op], [operand])

    def position(item, last: bool) -> int | None:
        if isinstance(item, Token):
            return item.end_pos if last else item.start_pos
        return None

    for node in list(tree.iter_subtrees()):  # bottom-up: inner runs are folded first
        for i, child in enumerate(node.children):
            if isinstance(child, Tree) and child.data == "expr":
                diagnostics: list = []
                node.children[i] = Folder(child.children, filename, position, diagnostics, binary, unary).fold()
                for diagnostic in diagnostics:
                    sink.emit(diagnostic)
    return tree


def _tidy(comment: str) -> str:
    """Trailing blanks of a line comment are dropped; a block comment is kept exactly."""
    return comment.rstrip() if comment.startswith("//") else comment
