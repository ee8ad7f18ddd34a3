"""Compile-time arithmetic and the wording of elaboration errors.

`combine` is the one place where values meet operators: numbers (exact
integers while they fit in 64 bits), symbolic angles, numpy arrays and
observables.  Every result is a finite real number, or the mistake is
reported with a located diagnostic.
"""

from __future__ import annotations

import math
import operator
from typing import Callable

import numpy as np

from qdl.compiler.diagnostics import Span, error
from qdl.compiler.expr import Expr
from qdl.compiler.frontend import ast
from qdl.compiler.frontend.context import ElabError
from qdl.compiler.frontend.values import Bits, PauliSum, Qubits, describe, is_constant

MAX_INT = 2**63 - 1
# Python ints and floats (not bools, not numpy scalars) under + - *: the operation cannot raise,
# only its result needs checking (overflow, infinity); `%` likewise unless dividing by zero.
_PLAIN = (int, float)
_NEVER_RAISE = frozenset({"+", "-", "*"})
_ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
          "**": operator.pow, "%": operator.mod}


def fail(code: str, message: str, span: Span | None, label: str = "", **kw) -> ElabError:
    """An `ElabError` carrying one located error diagnostic."""
    return ElabError(error(code, message, span, label, **kw))


def plural(count: int, word: str) -> str:
    """`1 qubit`, `2 qubits`."""
    return f"{count} {word}" + ("" if count == 1 else "s")


def article(description: str) -> str:
    """`an int`, `a float[2]`, `a qubit`: the description with its indefinite article."""
    return ("an " if description[:1] in "aeiou" else "a ") + description


def combine(op: str, lhs: object, rhs: object, span: Span | None, node: ast.BinOp | None,
            not_constant: Callable[..., ElabError]) -> object:
    """Arithmetic on any two values: numbers, expressions, arrays or observables.

    Integers stay exact while they fit in 64 bits; every result is finite and
    real, or the mistake is reported (E0217) at `span`.
    """
    if type(lhs) in _PLAIN and type(rhs) in _PLAIN and (op in _NEVER_RAISE or (op == "%" and rhs != 0)):
        return _checked(_ARITH[op](lhs, rhs), span)  # `i % 16`, `i + 1`: none of the checks below apply
    if isinstance(lhs, PauliSum) or isinstance(rhs, PauliSum):
        return observable_arith(op, lhs, rhs, span, node)
    for value, child in ((lhs, node.lhs if node else None), (rhs, node.rhs if node else None)):
        if isinstance(value, (Qubits, Bits)) or (isinstance(value, (bool, np.bool_))):
            raise fail("E0205", f"cannot use a {describe(value)} in arithmetic",
                       child.span if child else span, f"this is {article(describe(value))}")
    if op == "%" and not (is_constant(lhs) and is_constant(rhs)):
        raise not_constant(node.rhs if node and not is_constant(rhs) else node.lhs if node else None,
                                rhs if not is_constant(rhs) else lhs, "an operand of `%`")
    if op in "/%" and is_constant(rhs) and np.any(np.asarray(rhs) == 0):
        raise fail("E0217", "division by zero", span, "the divisor is zero")
    if op == "**" and _is_int(lhs) and _is_int(rhs) and (rhs < 0 or _power_too_large(lhs, rhs)):
        lhs = float(lhs)  # exact integer powers only while they fit in 64 bits
    if op == "**" and isinstance(lhs, np.ndarray) and lhs.dtype.kind in "iu":
        lhs = lhs.astype(np.float64)  # numpy refuses integers to negative integer powers
    if isinstance(lhs, np.ndarray) and isinstance(rhs, np.ndarray) and not _broadcastable(lhs, rhs):
        raise fail("E0206", f"arrays of shapes {list(lhs.shape)} and {list(rhs.shape)} cannot be "
                   f"combined with `{op}`", span, "shapes differ")
    try:
        with np.errstate(all="raise"):
            result = _ARITH[op](lhs, rhs)
    except ZeroDivisionError:
        raise fail("E0217", "division by zero", span, "the divisor is zero")
    except (ValueError, FloatingPointError, OverflowError):
        raise fail("E0217", "the result is not a finite number", span, "overflows or is undefined")
    except TypeError:
        raise fail("E0205", f"cannot apply `{op}` to {article(describe(lhs))} and "
                   f"{article(describe(rhs))}", span)
    return _checked(result, span)


def _checked(result: object, span: Span | None) -> object:
    """`result` if it is a finite real number (or array of them) in range, else the E0217 error."""
    if isinstance(result, int) and not isinstance(result, bool) and abs(result) > MAX_INT:
        raise fail("E0217", "integer overflow: the result does not fit in 64 bits", span,
                   "too large")
    if isinstance(result, complex):
        raise fail("E0217", "the result is not a real number", span,
                   "a negative number to a fractional power")
    if isinstance(result, float) and not math.isfinite(result):
        raise fail("E0217", "the result is not a finite number", span, "overflows or is undefined")
    if isinstance(result, np.ndarray) and result.dtype.kind in "fc" and not np.all(np.isfinite(result)):
        raise fail("E0217", "the result has values that are not finite numbers", span,
                   "overflows or is undefined")
    return result


def observable_arith(op: str, lhs, rhs, span, node) -> PauliSum:
    """Pauli algebra: sums, products and constant scalings of observables."""
    def as_sum(value, child) -> PauliSum:
        if isinstance(value, PauliSum):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return PauliSum.constant(value)
        where = child.span if child else span
        if isinstance(value, Expr):
            raise fail("E0304", "observable coefficients must be compile-time constants", where,
                       "depends on a circuit argument",
                       help="scale the result instead: return `expval(H)` and multiply in Python")
        raise fail("E0205", f"cannot combine an observable with a {describe(value)}", where)
    a = as_sum(lhs, node.lhs if node else None)
    if op == "/":
        if not isinstance(rhs, (int, float)) or isinstance(rhs, bool) or rhs == 0:
            raise fail("E0205", "an observable can only be divided by a non-zero number", span)
        return a.scale(1 / rhs)
    b = as_sum(rhs, node.rhs if node else None)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    raise fail("E0205", f"`{op}` is not defined for observables", span)


def _broadcastable(a: np.ndarray, b: np.ndarray) -> bool:
    try:
        np.broadcast_shapes(a.shape, b.shape)
        return True
    except ValueError:
        return False


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _power_too_large(base: int, exponent: int) -> bool:
    return abs(base) > 1 and exponent * math.log2(abs(base)) > 62
