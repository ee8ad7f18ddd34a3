"""Indexing in the elaborator: registers (`q[3]`, `q[1:4]`, `q[{0, 2}]`), arrays, bits of an integer.

A mixin of `expressions.Evaluator`, whose `eval`, `constant_int`,
`_eval_Name` and `scope` it uses; kept apart for its size.
"""

from __future__ import annotations

import numpy as np

from qdl.compiler.diagnostics import Span
from qdl.compiler.frontend import ast
from qdl.compiler.frontend.arithmetic import MAX_INT, article, fail
from qdl.compiler.frontend.context import ARGUMENT, BITS, CONST, LOCAL, OBSERVABLE, QUBITS
from qdl.compiler.frontend.values import Bits, Qubits, describe

VALUE_KINDS = (CONST, ARGUMENT, LOCAL, OBSERVABLE, QUBITS, BITS)  # symbols a name may evaluate to
_INDEX_WHAT = {"qubit": "a qubit index", "bit": "a bit index"}  # built once, not per index


def literal_index(item: object) -> int | None:
    """The value of an integer literal index such as the 3 of `q[3]`, or None.

    Exactly what `constant_int` gives for it (a literal has one value in every
    scope); None for anything else, including a literal `_eval_Number` rejects.
    """
    if type(item) is ast.Number and type(item.value) is int and abs(item.value) <= MAX_INT:
        return item.value
    return None


def to_python(value: object) -> object:
    """numpy scalars become Python numbers; arrays and expressions pass through."""
    return value.item() if isinstance(value, np.generic) else value


class Indexing:
    """`Evaluator`'s indexing methods."""

    def literal_qubit(self, node: ast.ExprNode) -> int | None:
        """The global qubit of `q[3]` (a register indexed by an in-range literal), else None.

        Never raises: None means "not this simple form, or a mistake", and the
        caller then evaluates the operand the general way, which reports it.
        """
        if type(node) is not ast.Index or type(node.base) is not ast.Name or len(node.items) != 1:
            return None
        symbol = self.scope.lookup(node.base.id)
        if symbol is None or type(symbol.value) is not Qubits or symbol.kind not in VALUE_KINDS:
            return None
        qubits, index = symbol.value, literal_index(node.items[0])
        if qubits.single or index is None or not 0 <= index < len(qubits.indices):
            return None
        symbol.used = True  # as `_eval_Name` marks it
        return qubits.indices[index]

    def _eval_Index(self, node: ast.Index) -> object:
        base = self._eval_Name(node.base) if type(node.base) is ast.Name else self.eval(node.base)
        if isinstance(base, (Qubits, Bits)):
            return self._index_register(base, node)
        if isinstance(base, (int, np.integer)) and not isinstance(base, (bool, np.bool_)) and len(node.items) == 1:
            return bool((int(base) >> self.constant_int(node.items[0], "a bit index")) & 1)  # bit i of an int
        if not isinstance(base, np.ndarray):
            raise fail("E0205", f"cannot index a {describe(base)}", node.base.span,
                       f"this is {article(describe(base))}, not an array or register")
        if len(node.items) == 1 and base.ndim:  # `t[3]`: a literal in range needs none of the checks below
            index = literal_index(node.items[0])
            if index is not None and -base.shape[0] <= index < base.shape[0]:
                return to_python(base[index])
        keys = tuple(self._index_key(item, base, axis) for axis, item in enumerate(node.items))
        if len(keys) > base.ndim:
            raise fail("E0212", f"too many indices: the array has {base.ndim} dimension(s)",
                       node.span, f"{len(keys)} indices into {describe(base)}")
        return to_python(base[keys])

    def _index_key(self, item, base: np.ndarray, axis: int):
        size = base.shape[axis] if axis < base.ndim else 0
        if isinstance(item, ast.Slice):
            lo = 0 if item.lo is None else self.constant_int(item.lo, "a slice bound")
            hi = size if item.hi is None else self.constant_int(item.hi, "a slice bound")
            self._check_slice(lo, hi, size, item.span)
            return slice(lo, hi)
        index = self.constant_int(item, "an index")
        if axis < base.ndim and not -size <= index < size:
            raise fail("E0212", f"index {index} is out of range for size {size}", item.span,
                       f"valid indices are 0 to {size - 1}")
        return index

    def _check_slice(self, lo: int, hi: int, size: int, span: Span | None) -> None:
        if not (0 <= lo <= hi <= size):
            raise fail("E0212", f"slice {lo}:{hi} is out of range for size {size}", span,
                       f"bounds must satisfy 0 <= start <= stop <= {size}")

    def _index_register(self, base: Qubits | Bits, node: ast.Index) -> Qubits | Bits:
        if not base.single and len(node.items) == 1:  # `q[3]`: a literal in range cannot fail
            index = literal_index(node.items[0])
            if index is not None and 0 <= index < len(base.indices):
                return type(base)((base.indices[index],), True, f"{base.label}[{index}]")
        kind = "qubit" if isinstance(base, Qubits) else "bit"
        if base.single:
            raise fail("E0205", f"cannot index the single {kind} `{base.label}`", node.span,
                       f"`{base.label}` is one {kind}, not a register")
        if len(node.items) != 1:
            raise fail("E0212", f"a {kind} register takes one index", node.span)
        item, size = node.items[0], len(base.indices)
        if isinstance(item, ast.Slice):
            lo = 0 if item.lo is None else self.constant_int(item.lo, "a slice bound")
            hi = size if item.hi is None else self.constant_int(item.hi, "a slice bound")
            self._check_slice(lo, hi, size, item.span)
            return type(base)(base.indices[lo:hi], False, f"{base.label}[{lo}:{hi}]")
        if isinstance(item, ast.ArrayLit):  # an index set: the listed elements, in order
            picked = [self._register_index(element, base, kind) for element in item.items]
            return type(base)(tuple(base.indices[i] for i in picked), False,
                              f"{base.label}[{{{', '.join(map(str, picked))}}}]")
        index = self._register_index(item, base, kind)
        return type(base)((base.indices[index],), True, f"{base.label}[{index}]")

    def _register_index(self, item: ast.ExprNode, base: Qubits | Bits, kind: str) -> int:
        size = len(base.indices)
        index = self.constant_int(item, _INDEX_WHAT[kind])
        if not 0 <= index < size:
            raise fail("E0212", f"{kind} index {index} is out of range for `{base.label}` of size {size}",
                        item.span, f"valid indices are 0 to {size - 1}")
        return index
