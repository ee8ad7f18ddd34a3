"""What the qdl, OpenQASM 2 and OpenQASM 3 AST builders share: spans, operators, modifiers.

The builders run inside the LALR parse (`parser.build`): each reduction calls
one method with the rule's kept children (`reductions` decides how), and no
parse tree is made.  Lark computes positions only for trees, so a method's
first argument, `meta`, is the rule's *raw* children instead (keywords and
punctuation included), and
`_span(meta)` runs from the first one with a position to the last: a token,
an AST node's span, or the whole extent of a child that was a container (a
parenthesized expression, a block).  Each builder subclasses
`SourceTransformer` and is decorated with `@v_args(wrapper=with_raw)` (lark
wraps a class's own methods only).
"""

from __future__ import annotations

from typing import Any, Callable

from lark import Token, Transformer, Tree, v_args

from qdl.compiler.diagnostics import Span
from qdl.compiler.frontend import ast


def with_raw(method, _rule, children, _meta):
    """Lark visit wrapper: call a builder method with the reduction's raw children first."""
    bound = method.base_func  # lark hands over its wrapper of the bound method
    return bound(bound.__self__.raw, *children)


class Listed(list):
    """The elements of a list rule, as the builder extends it (an element may itself be a plain list)."""


def items_of(value: Any) -> tuple:
    """The elements where the grammar takes none (None), one (the node itself) or a list rule (`Listed`)."""
    if value is None:
        return ()
    return tuple(value) if type(value) is Listed else (value,)


def _binary(op: str):
    def build(self, meta, lhs, rhs):
        return ast.BinOp(op, lhs, rhs, self._span(meta))
    return build


@v_args(wrapper=with_raw)
class SourceTransformer(Transformer):
    """Rules whose AST is the same in every language qdl reads."""

    def __init__(self, file: str) -> None:
        super().__init__()
        self.file = file
        self.diagnostics: list = []  # mistakes the grammar lets through (chained comparisons)
        self.raw: list = []  # the children of the reduction being built, as the parser holds them
        # id -> (value, its raw children): values whose extent is more than their own span
        self._extents: dict[int, tuple[Any, list]] = {}

    def recording(self, callback: Callable[[list], Any], hands_up: bool = False) -> Callable[[list], Any]:
        """Wrap a rule's lark callback: keep its raw children, and the extent of what it returns.

        `hands_up`: the rule may return one of its children (a `?rule` such as
        `( expr )`), whose extent is then the whole rule, parentheses included.
        """
        def reduce(children: list) -> Any:
            self.raw = children
            return self._remembered(callback(children), children)

        def reduce_handing_up(children: list) -> Any:
            value = reduce(children)
            if len(children) > 1 and any(value is child for child in children):
                self._extents[id(value)] = (value, children)
            return value
        return reduce_handing_up if hands_up else reduce

    def direct(self, method: Callable[..., Any], kept: Callable[[list], tuple]) -> Callable[[list], Any]:
        """A reduction that calls a rule's method straight from the raw children (`reductions`)."""
        def reduce(children: list) -> Any:
            return self._remembered(method(children, *kept(children)), children)
        return reduce

    def _remembered(self, value: Any, children: list) -> Any:
        """`value`; a tuple, list or tree (which have no span) keeps its raw children for its extent.

        A list a left-recursive rule extends in place (`_listed`) is its own
        first child: its extent runs from where it started to the new children.
        """
        if isinstance(value, (tuple, list, Tree)):
            if children and value is children[0]:
                held = self._extents.get(id(value))
                children = (held[1][:1] if held else []) + children[1:]
            self._extents[id(value)] = (value, children)
        return value

    @staticmethod
    def _listed(parts: tuple) -> "Listed":
        """A list rule (`xs: x | xs x`, `xs: x "," x | xs "," x`): the list so far extended, or a new one."""
        if type(parts[0]) is Listed:
            parts[0].append(parts[-1])
            return parts[0]
        return Listed(parts)

    def _handed_up(self, raw: list, value: Any) -> Any:
        """`value`, a child a rule method returns as its own result: it now extends over the whole rule."""
        self._extents[id(value)] = (value, raw)
        return value

    def finish(self) -> None:
        """Let go of the parse's bookkeeping (the AST keeps what it needs)."""
        self.raw, self._extents = [], {}

    def _span(self, raw: list) -> Span | None:
        start, end = self._edge(raw, False), self._edge(raw, True)
        return None if start is None or end is None else Span(self.file, start, end)

    def _edge(self, children, last: bool) -> int | None:
        """Where the first (`last`: the end of the last) child with a position starts."""
        for child in reversed(children) if last else children:
            position = self._position(child, last)
            if position is not None:
                return position
        return None

    def _position(self, child, last: bool) -> int | None:
        if isinstance(child, Token):  # (a token the error repair inserted has no position)
            return child.end_pos if last else child.start_pos
        held = self._extents.get(id(child))
        if held is not None and held[0] is child:
            return self._edge(held[1], last)
        span = getattr(child, "span", None)
        if isinstance(span, Span):
            return span.end if last else span.start
        if isinstance(child, Tree):  # an inlined helper rule (`_stmt`)
            return self._edge(child.children, last)
        return None

    def _tok(self, tok: Token) -> Span:
        return Span(self.file, tok.start_pos, tok.end_pos)

    add = _binary("+")
    sub = _binary("-")
    mul = _binary("*")
    div = _binary("/")
    mod = _binary("%")
    pow_ = _binary("**")
    and_ = _binary("&&")
    or_ = _binary("||")

    def compare(self, meta, lhs, op, rhs):
        return ast.BinOp(str(op), lhs, rhs, self._span(meta))

    def neg(self, meta, operand):
        return ast.UnaryOp("-", operand, self._span(meta))

    def not_(self, meta, operand):
        return ast.UnaryOp("!", operand, self._span(meta))

    def call_args(self, meta, *args):
        return tuple(a for a in args if a is not None)

    def ctrl(self, meta, arg):
        return ast.Modifier("ctrl", arg, self._span(meta))

    def negctrl(self, meta, arg):
        return ast.Modifier("negctrl", arg, self._span(meta))

    def inv(self, meta):
        return ast.Modifier("inv", None, self._span(meta))

    def pow(self, meta, arg):
        return ast.Modifier("pow", arg, self._span(meta))
