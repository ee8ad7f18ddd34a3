"""Symbolic angle expressions: the tiny algebra every angle in the IR is written in.

An `Expr` is an immutable tree over constants and *argument elements* (`Arg`,
one scalar element of a circuit argument).  Expressions can be evaluated
(vectorised over any leading batch axes), differentiated with respect to an
argument element, and printed in a form that `compiler.ir_text` parses back.

The smart constructors (`add`, `mul`, ... and the Python operators on `Expr`)
fold constants and drop neutral elements, so elaboration never produces
`0 + theta` or `1 * theta`; they do not reorder or factor terms, so the printed
form stays close to what the user wrote.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable, Mapping, Union

import numpy as np

from qdl.compiler.pickling import fields_pickled

Number = Union[int, float]

# Unary functions the language and the IR know, with their numpy implementation
# and their derivative written as an expression of the argument.
UNARY_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "neg": np.negative,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "arcsin": np.arcsin,
    "arccos": np.arccos,
    "arctan": np.arctan,
}

BINARY_OPERATORS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.divide,
    "**": np.power,
}


class Expr:
    """Base of the expression algebra; see the module docstring."""

    __slots__ = ()

    def evaluate(self, env: Mapping[str, np.ndarray]) -> np.ndarray | float:
        """Value of the expression; `env[name]` has shape `batch + arg.shape`."""
        raise NotImplementedError

    def diff(self, wrt: "Arg") -> "Expr":
        """Exact symbolic derivative with respect to one argument element."""
        raise NotImplementedError

    def free_args(self) -> frozenset["Arg"]:
        """The argument elements this expression depends on."""
        raise NotImplementedError

    @property
    def is_constant(self) -> bool:
        return isinstance(self, Const)

    # Operators build folded expressions, so `2 * theta + 0` stays `2 * theta`.
    def __add__(self, other: "ExprLike") -> "Expr":
        return add(self, other)

    def __radd__(self, other: "ExprLike") -> "Expr":
        return add(other, self)

    def __sub__(self, other: "ExprLike") -> "Expr":
        return sub(self, other)

    def __rsub__(self, other: "ExprLike") -> "Expr":
        return sub(other, self)

    def __mul__(self, other: "ExprLike") -> "Expr":
        return mul(self, other)

    def __rmul__(self, other: "ExprLike") -> "Expr":
        return mul(other, self)

    def __truediv__(self, other: "ExprLike") -> "Expr":
        return div(self, other)

    def __rtruediv__(self, other: "ExprLike") -> "Expr":
        return div(other, self)

    def __pow__(self, other: "ExprLike") -> "Expr":
        return power(self, other)

    def __rpow__(self, other: "ExprLike") -> "Expr":
        return power(other, self)

    def __neg__(self) -> "Expr":
        return neg(self)

    def __str__(self) -> str:
        return format_expr(self)


ExprLike = Union[Expr, Number]


@fields_pickled
@dataclass(frozen=True, slots=True)
class Const(Expr):
    """A real constant."""

    value: float

    def evaluate(self, env: Mapping[str, np.ndarray]) -> float:
        return self.value

    def diff(self, wrt: "Arg") -> Expr:
        return ZERO

    def free_args(self) -> frozenset["Arg"]:
        return frozenset()


@fields_pickled
@dataclass(frozen=True, slots=True)
class Arg(Expr):
    """One scalar element of a circuit argument: `theta`, `x[2]`, `w[1, 0, 2]`."""

    name: str
    index: tuple[int, ...] = ()

    def evaluate(self, env: Mapping[str, np.ndarray]) -> np.ndarray | float:
        value = np.asarray(env[self.name])
        return value[(Ellipsis, *self.index)] if self.index else value

    def diff(self, wrt: "Arg") -> Expr:
        return ONE if self == wrt else ZERO

    def free_args(self) -> frozenset["Arg"]:
        return frozenset((self,))


@fields_pickled
@dataclass(frozen=True, slots=True)
class Unary(Expr):
    """A unary function (`neg`, `sin`, `cos`, ...) applied to an expression."""

    fn: str
    arg: Expr

    def evaluate(self, env: Mapping[str, np.ndarray]) -> np.ndarray | float:
        return UNARY_FUNCTIONS[self.fn](self.arg.evaluate(env))

    def diff(self, wrt: "Arg") -> Expr:
        inner = self.arg.diff(wrt)
        if inner == ZERO:
            return ZERO
        return mul(_unary_derivative(self.fn, self.arg), inner)

    def free_args(self) -> frozenset["Arg"]:
        return self.arg.free_args()


@fields_pickled
@dataclass(frozen=True, slots=True)
class Binary(Expr):
    """A binary operation `lhs op rhs` with op in `+ - * / **`."""

    op: str
    lhs: Expr
    rhs: Expr

    def evaluate(self, env: Mapping[str, np.ndarray]) -> np.ndarray | float:
        return BINARY_OPERATORS[self.op](self.lhs.evaluate(env), self.rhs.evaluate(env))

    def diff(self, wrt: "Arg") -> Expr:
        a, b = self.lhs, self.rhs
        da, db = a.diff(wrt), b.diff(wrt)
        if self.op == "+":
            return add(da, db)
        if self.op == "-":
            return sub(da, db)
        if self.op == "*":
            return add(mul(da, b), mul(a, db))
        if self.op == "/":
            return div(sub(mul(da, b), mul(a, db)), power(b, 2))
        return _power_derivative(a, b, da, db)

    def free_args(self) -> frozenset["Arg"]:
        return self.lhs.free_args() | self.rhs.free_args()


ZERO = Const(0.0)
ONE = Const(1.0)


def as_expr(value: ExprLike) -> Expr:
    """Wrap a Python number as a `Const`; expressions pass through."""
    if isinstance(value, Expr):
        return value
    if isinstance(value, (bool, np.bool_)):
        return Const(float(value))
    if isinstance(value, (int, float, np.integer, np.floating)):
        return Const(float(value))
    raise TypeError(f"not an expression: {value!r}")


def _fold(op: str, a: Expr, b: Expr) -> Expr | None:
    if isinstance(a, Const) and isinstance(b, Const):
        with np.errstate(all="ignore"):
            return Const(float(BINARY_OPERATORS[op](np.float64(a.value), np.float64(b.value))))
    return None


def add(a: ExprLike, b: ExprLike) -> Expr:
    a, b = as_expr(a), as_expr(b)
    if a == ZERO:
        return b
    if b == ZERO:
        return a
    if isinstance(b, Unary) and b.fn == "neg":
        return sub(a, b.arg)
    return _fold("+", a, b) or _merge_constant(a, b) or Binary("+", a, b)


def sub(a: ExprLike, b: ExprLike) -> Expr:
    a, b = as_expr(a), as_expr(b)
    if b == ZERO:
        return a
    if a == ZERO:
        return neg(b)
    if a == b:
        return ZERO
    return _fold("-", a, b) or _merge_constant(a, neg(b)) or Binary("-", a, b)


def _merge_constant(a: Expr, c: Expr) -> Expr | None:
    """`(k + x) + c` and `(x ± k) + c` as one sum with the constants added (runs of rz angles, say).

    Only when `a` is a sum with a constant side and `c` a constant, so sums
    of symbols keep the order they were written in.
    """
    if not (isinstance(c, Const) and isinstance(a, Binary) and a.op in ("+", "-")):
        return None
    if isinstance(a.lhs, Const) and a.op == "+":
        rest, total = a.rhs, a.lhs.value + c.value
    elif isinstance(a.rhs, Const):
        rest, total = a.lhs, (a.rhs.value if a.op == "+" else -a.rhs.value) + c.value
    else:
        return None
    return sub(rest, -total) if total < 0 else add(rest, total)


def mul(a: ExprLike, b: ExprLike) -> Expr:
    a, b = as_expr(a), as_expr(b)
    if a == ZERO or b == ZERO:
        return ZERO
    if a == ONE:
        return b
    if b == ONE:
        return a
    if a == Const(-1.0):
        return neg(b)
    if b == Const(-1.0):
        return neg(a)
    return _fold("*", a, b) or Binary("*", a, b)


def div(a: ExprLike, b: ExprLike) -> Expr:
    a, b = as_expr(a), as_expr(b)
    if b == ONE:
        return a
    if a == ZERO and not (isinstance(b, Const) and b.value == 0.0):
        return ZERO
    return _fold("/", a, b) or Binary("/", a, b)


def power(a: ExprLike, b: ExprLike) -> Expr:
    a, b = as_expr(a), as_expr(b)
    if b == ONE:
        return a
    if b == ZERO:
        return ONE
    return _fold("**", a, b) or Binary("**", a, b)


def neg(a: ExprLike) -> Expr:
    a = as_expr(a)
    if isinstance(a, Const):
        return Const(-a.value)
    if isinstance(a, Unary) and a.fn == "neg":
        return a.arg
    return Unary("neg", a)


def apply(fn: str, a: ExprLike) -> Expr:
    """Apply a named unary function, folding constants."""
    a = as_expr(a)
    if fn == "neg":
        return neg(a)
    if isinstance(a, Const):
        with np.errstate(all="ignore"):
            return Const(float(UNARY_FUNCTIONS[fn](np.float64(a.value))))
    return Unary(fn, a)


def _unary_derivative(fn: str, x: Expr) -> Expr:
    """d fn(x) / dx as an expression of x."""
    if fn == "neg":
        return Const(-1.0)
    if fn == "sin":
        return apply("cos", x)
    if fn == "cos":
        return neg(apply("sin", x))
    if fn == "tan":
        return add(ONE, power(apply("tan", x), 2))
    if fn == "exp":
        return apply("exp", x)
    if fn == "log":
        return div(ONE, x)
    if fn == "sqrt":
        return div(Const(0.5), apply("sqrt", x))
    if fn == "arcsin":
        return div(ONE, apply("sqrt", sub(ONE, power(x, 2))))
    if fn == "arccos":
        return neg(div(ONE, apply("sqrt", sub(ONE, power(x, 2)))))
    if fn == "arctan":
        return div(ONE, add(ONE, power(x, 2)))
    raise ValueError(f"unknown function {fn!r}")


def _power_derivative(a: Expr, b: Expr, da: Expr, db: Expr) -> Expr:
    """d(a**b) = b a**(b-1) da + a**b log(a) db (the second term only when b varies)."""
    term = mul(mul(b, power(a, sub(b, ONE))), da)
    if db == ZERO:
        return term
    return add(term, mul(mul(power(a, b), apply("log", a)), db))


# --- printing -----------------------------------------------------------------

_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "**": 4}


def format_number(value: float) -> str:
    """Shortest text that reads back as exactly `value` (`pi`, `nan`, `inf`, `-0.0` included)."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == 0.0 and math.copysign(1.0, value) < 0:
        return "-0.0"
    if value == math.pi:
        return "pi"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


# A `-` directly before a digit or `inf` reads as part of the literal.
_LITERAL_START = re.compile(r"\d|inf(?!\w)")


def format_expr(expr: Expr) -> str:
    """Print with the fewest parentheses that keep the tree unambiguous."""
    return _format(expr, 0)


def _format(expr: Expr, outer: int) -> str:
    if isinstance(expr, Const):
        text = format_number(expr.value)
        return f"({text})" if text.startswith("-") and outer > 0 else text
    if isinstance(expr, Arg):
        return expr.name + (f"[{', '.join(map(str, expr.index))}]" if expr.index else "")
    if isinstance(expr, Unary):
        if expr.fn == "neg":
            operand = _format(expr.arg, _PRECEDENCE["neg"])
            if _LITERAL_START.match(operand):  # `-3` would read back as the constant -3
                operand = f"({operand})"
            return f"(-{operand})" if outer >= _PRECEDENCE["neg"] else f"-{operand}"
        return f"{expr.fn}({_format(expr.arg, 0)})"
    assert isinstance(expr, Binary)
    prec = _PRECEDENCE[expr.op]
    if expr.op == "**":  # right associative
        text = f"{_format(expr.lhs, prec + 1)} ** {_format(expr.rhs, prec)}"
    else:  # left associative: the right operand needs parentheses at equal precedence
        text = f"{_format(expr.lhs, prec)} {expr.op} {_format(expr.rhs, prec + 1)}"
    return f"({text})" if outer > prec else text
