"""Operator precedence: a flat run of operands and operators -> nested `BinOp`/`UnaryOp` nodes.

The grammar reads an expression flat (`expr: prefix* postfix (binop prefix*
postfix)*`): one LALR rule per precedence level cost ten reductions for
every operand, most of a long program's parse.  This module applies the
precedence the levels used to encode, by precedence climbing:

    ||  <  &&  <  prefix !  <  comparisons  <  + -  <  * / %  <  prefix - +  <  **

Binary operators associate to the left except `**` (to the right);
comparisons do not chain, and `!` starts only an operand of `&&`, `||`, `!`
or a whole expression (`a == !b` needs parentheses, as it always did).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from lark import Token

from qdl.compiler.diagnostics import Diagnostic, Span, error
from qdl.compiler.frontend import ast

COMPARISONS = frozenset({"==", "!=", "<", ">", "<=", ">="})
# binding power of each binary operator (higher binds tighter)
BINARY = {"||": 2, "&&": 4, **{op: 8 for op in COMPARISONS}, "+": 10, "-": 10, "*": 12, "/": 12, "%": 12,
          "**": 16}
# what a prefix operator's operand may contain: operators binding at least this tightly
PREFIX = {"!": 7, "-": 15, "+": 15}
NOT_ALLOWED_BELOW = 7  # `!` starts an operand only where weaker operators may follow it


def ast_binary(op: str, lhs: Any, rhs: Any, span: Span | None) -> ast.BinOp:
    return ast.BinOp(op, lhs, rhs, span)


def ast_unary(op: str, operand: Any, span: Span | None) -> ast.UnaryOp:
    return ast.UnaryOp(op, operand, span)


@dataclass
class Folder:
    """Folds one flat run of items (operators are the `Token`s, operands anything else).

    `position(item, last)` is where an item starts (`last`: ends); `binary`
    and `unary` make the nodes (AST nodes by default; the formatter makes trees).
    """

    items: list
    file: str
    position: Callable[[Any, bool], int | None]
    diagnostics: list[Diagnostic]
    binary: Callable[[str, Any, Any, Span | None], Any] = ast_binary
    unary: Callable[[str, Any, Span | None], Any] = ast_unary
    at: int = 0

    def fold(self) -> ast.ExprNode:
        return self._climb(0)

    def _climb(self, min_power: int) -> ast.ExprNode:
        lhs = self._operand(min_power)
        while self.at < len(self.items):
            op = str(self.items[self.at])
            power = BINARY[op]
            if power < min_power:
                break
            self.at += 1
            rhs = self._climb(power if op == "**" else power + 1)
            lhs = self.binary(op, lhs, rhs, self._span(lhs, rhs))
            if op in COMPARISONS and self._next_is_comparison():
                self._chained(op)
        return lhs

    def _operand(self, min_power: int) -> ast.ExprNode:
        item = self.items[self.at]
        self.at += 1
        if not isinstance(item, Token):
            return item
        op = str(item)
        if op == "!" and min_power > NOT_ALLOWED_BELOW:
            self.diagnostics.append(error(
                "E0101", "`!` cannot start this operand", self._span(item, item),
                "a negation inside arithmetic or a comparison",
                help="put the negation in parentheses: `(!x)`"))
        operand = self._climb(PREFIX[op])
        return self.unary(op, operand, self._span(item, operand))

    def _next_is_comparison(self) -> bool:
        return self.at < len(self.items) and str(self.items[self.at]) in COMPARISONS

    def _chained(self, first: str) -> None:
        op = self.items[self.at]
        self.diagnostics.append(error(
            "E0101", "comparisons do not chain", self._span(op, op), "a second comparison",
            help=f"compare twice and combine with `&&`: `a {first} b && b {op} c`"))

    def _span(self, first, last) -> Span | None:
        start, end = self.position(first, False), self.position(last, True)
        return None if start is None or end is None else Span(self.file, start, end)
