"""`if` on measured bits: any condition over bits -> disjoint `Condition`s.

A condition that reads measured bits (`c[0]`, `!c[1]`, `c == 3`,
`c[0] == 1 || c[1] == 1`, ...) is evaluated for every assignment of the bits
it reads; each satisfying assignment becomes one `Condition(bits, value)`.
The cases are disjoint, so the block is emitted once per case and exactly one
copy runs, whatever the outcomes; `else` takes the remaining assignments.
`RuntimeIf`, a mixin of the statement elaborator, does that emitting.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np

from qdl.compiler.diagnostics import Span
from qdl.compiler.frontend import ast
from qdl.compiler.frontend.context import BITS
from qdl.compiler.frontend.expressions import Evaluator, fail
from qdl.compiler.frontend.values import Bits
from qdl.compiler.ir import BarrierOp, Condition, GateOp, Op

MAX_CONDITION_BITS = 8  # 2**8 cases at most: more is a program to restructure


class BitCondition:
    """A condition over measured bits, as the satisfying assignments of its bits."""

    def __init__(self, evaluator: Evaluator, node: ast.ExprNode) -> None:
        self.evaluator = evaluator
        self.node = node
        self.leaves: dict[int, Bits] = {}  # id(AST node) -> the bits it names
        self._collect(node)
        self.bits = tuple(sorted({b for bits in self.leaves.values() for b in bits.indices}))
        self.equality = self._register_equality(node)

    @property
    def reads_bits(self) -> bool:
        return bool(self.leaves)

    def cases(self, want: bool = True) -> list[Condition]:
        """The assignments under which the condition is `want`, one `Condition` each."""
        if want and self.equality is not None:  # `c == 5` on any register: one case, no enumeration
            return [self.equality] if self.equality.value < 2 ** len(self.equality.bits) else []
        if len(self.bits) > MAX_CONDITION_BITS:
            raise fail("E0309", f"this condition reads {len(self.bits)} bits; at most "
                       f"{MAX_CONDITION_BITS} are supported here", self.node.span,
                       help="compare a register with one value (`c == 5`) without `else`, "
                            "or test fewer bits")
        out = []
        for values in itertools.product((0, 1), repeat=len(self.bits)):
            assignment = dict(zip(self.bits, values))
            if self._truth(self.node, assignment) == want:
                out.append(Condition(self.bits, sum(v << i for i, v in enumerate(values))))
        return out

    def _register_equality(self, node: ast.ExprNode) -> Condition | None:
        """`bits == constant`: the common case, as one Condition."""
        if not (isinstance(node, ast.BinOp) and node.op == "==" and id(node.lhs) in self.leaves):
            return None
        if self._mentions_bits(node.rhs):
            return None
        value = self.evaluator.eval(node.rhs) if not isinstance(node.rhs, ast.BoolLit) else int(node.rhs.value)
        if isinstance(value, (bool, np.bool_)):
            value = int(value)
        if not isinstance(value, (int, np.integer)) or value < 0:
            return None
        return Condition(self.leaves[id(node.lhs)].indices, int(value))

    # ------------------------------------------------------------ reading the tree

    def _collect(self, node: ast.ExprNode) -> None:
        bits = self._bits_or_none(node)
        if bits is not None:
            self.leaves[id(node)] = bits
            return
        for child in _children(node):
            self._collect(child)

    def _bits_or_none(self, node: ast.ExprNode) -> Bits | None:
        base = node
        while isinstance(base, ast.Index):
            base = base.base
        if not isinstance(base, ast.Name):
            return None
        symbol = self.evaluator.scope.lookup(base.id)
        if symbol is None or symbol.kind != BITS:
            return None
        value = self.evaluator.eval(node)
        return value if isinstance(value, Bits) else None

    def _value(self, node: ast.ExprNode, assignment: dict[int, int]) -> object:
        bits = self.leaves.get(id(node))
        if bits is not None:
            return sum(assignment[b] << i for i, b in enumerate(bits.indices))
        if isinstance(node, ast.BoolLit):
            return int(node.value)
        if isinstance(node, (ast.BinOp, ast.UnaryOp)) and self._mentions_bits(node):
            return int(self._truth(node, assignment))
        return self.evaluator.eval(node)

    def _truth(self, node: ast.ExprNode, assignment: dict[int, int]) -> bool:
        if isinstance(node, ast.UnaryOp) and node.op == "!":
            return not self._truth(node.operand, assignment)
        if isinstance(node, ast.BinOp) and node.op in ("&&", "||"):
            lhs, rhs = self._truth(node.lhs, assignment), self._truth(node.rhs, assignment)
            return (lhs and rhs) if node.op == "&&" else (lhs or rhs)
        if isinstance(node, ast.BinOp) and node.op in _COMPARE:
            lhs, rhs = self._value(node.lhs, assignment), self._value(node.rhs, assignment)
            return bool(_COMPARE[node.op](_number(lhs, node.lhs), _number(rhs, node.rhs)))
        bits = self.leaves.get(id(node))
        if bits is not None:
            if not bits.single:
                raise fail("E0205", f"a register `{bits.label}` is not a condition", node.span,
                           help=f"compare it with a value: `if ({bits.label} == 1)`")
            return bool(assignment[bits.indices[0]])
        value = self.evaluator.eval(node)
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        raise fail("E0205", "a condition must be true or false", node.span,
                   help="compare bits with values: `c[0] == 1`")

    def _mentions_bits(self, node: ast.ExprNode) -> bool:
        return id(node) in self.leaves or any(self._mentions_bits(c) for c in _children(node))


def _number(value: object, node: ast.ExprNode) -> int | float:
    if isinstance(value, (bool, int, float, np.integer, np.floating)):
        return value
    raise fail("E0205", "bits can only be compared with numbers", node.span)


_COMPARE = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def _children(node: ast.ExprNode) -> tuple:
    if isinstance(node, ast.BinOp):
        return (node.lhs, node.rhs)
    if isinstance(node, ast.UnaryOp):
        return (node.operand,)
    return ()


class RuntimeIf:
    """The statement elaborator's `if` on measured bits: each branch once per case, each op conditioned.

    Uses the elaborator's `condition` (the enclosing case, or None),
    `run_block` and `scope`.
    """

    def _runtime_if(self, node: ast.If, condition: BitCondition) -> None:
        """Emit each branch once per disjoint case of its condition (see above)."""
        branches = [(node.then, condition.cases(True))]
        if not branches[0][1]:
            raise fail("E0212", "this condition on measured bits can never be true", node.cond.span,
                       "no outcome of the bits it reads satisfies it",
                       help="a bit is 0 or 1; a register of n bits holds 0 .. 2**n - 1")
        if node.orelse:
            branches.append((node.orelse, condition.cases(False)))
        for body, cases in branches:
            for case in cases:
                saved = self.condition
                self.condition = case if saved is None else merge_conditions(saved, case, node.span)
                if self.condition is None:  # contradicts an enclosing condition: never runs
                    self.condition = saved
                    continue
                try:
                    self.run_block(body, self.scope.child())
                finally:
                    self.condition = saved

    def _conditioned(self, op: Op) -> Op:
        if isinstance(op, BarrierOp):
            return op
        if not isinstance(op, GateOp):
            raise fail("E0309", "only gates can be conditioned on measured bits", op.span,
                       "not a gate", help="move the measurement or reset out of the `if`")
        if op.condition is None:
            return replace(op, condition=self.condition)
        merged = merge_conditions(self.condition, op.condition, op.span)
        if merged is None:
            raise fail("E0309", "this gate's condition contradicts the enclosing one", op.span,
                       "can never run")
        return replace(op, condition=merged)


def merge_conditions(outer: Condition, inner: Condition, span: Span | None) -> Condition | None:
    """Both conditions at once; None when they contradict each other (the code can never run)."""
    wanted = _bit_values(outer)
    for bit, value in _bit_values(inner).items():
        if wanted.setdefault(bit, value) != value:
            return None
    bits = tuple(wanted)
    return Condition(bits, sum(wanted[b] << i for i, b in enumerate(bits)))


def _bit_values(condition: Condition) -> dict[int, int]:
    return {bit: (condition.value >> i) & 1 for i, bit in enumerate(condition.bits)}
