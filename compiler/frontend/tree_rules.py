"""What the qdl, OpenQASM 2 and OpenQASM 3 tree builders share: spans, operators, modifiers.

Each builder subclasses `SourceTransformer`; both are decorated with
`@v_args(inline=True, meta=True)` (lark wraps a class's own rules only).
"""

from __future__ import annotations

from lark import Token, Transformer, v_args

from qdl.compiler.diagnostics import Span
from qdl.compiler.frontend import ast


def _binary(op: str):
    def build(self, meta, lhs, rhs):
        return ast.BinOp(op, lhs, rhs, self._span(meta))
    return build


@v_args(inline=True, meta=True)
class SourceTransformer(Transformer):
    """Rules whose AST is the same in every language qdl reads."""

    def __init__(self, file: str) -> None:
        super().__init__()
        self.file = file

    def _span(self, meta) -> Span | None:
        return None if getattr(meta, "empty", True) else Span(self.file, meta.start_pos, meta.end_pos)

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
