"""Angle expressions in OpenQASM syntax, exactly.

Numbers print as Python's shortest `repr` of the float (always with a `.` or
an exponent, so OpenQASM 3 never reads an integer and divides by truncation),
`pi` for the float nearest π and `pi / 2`, `pi / 4`, `pi / 8`, `2 * pi` for
its exact multiples by powers of two; every such text reads back as the same
float.  Parentheses follow OpenQASM 3's precedence (`**` binds tighter than
unary minus, which binds tighter than `*`), with a negation always
parenthesised when it is the right operand (`a - (-b)`, `a * (-b)`).

OpenQASM 2 differs: power is `^`, always written parenthesised `(a^b)`
(implementations disagree on its precedence), `log` is `ln`, and there is no
`arcsin`, `arccos` or `arctan`.  Integer and boolean inputs are cast to
`float[64]` in OpenQASM 3, so `n / m` divides as qdl does.
"""

from __future__ import annotations

import math
from typing import Callable

from qdl.compiler.expr import Arg, Binary, Const, Expr, Unary
from qdl.compiler.qasm.export_names import QasmExportError

ADD, MUL, UNARY, POW, ATOM = 1, 2, 3, 4, 5
_PRECEDENCE = {"+": ADD, "-": ADD, "*": MUL, "/": MUL}
_PI_MULTIPLES = {math.pi: ("pi", ATOM), math.pi / 2: ("pi / 2", MUL), math.pi / 4: ("pi / 4", MUL),
                 math.pi / 8: ("pi / 8", MUL), 2 * math.pi: ("2 * pi", MUL)}
_FUNCTIONS = {
    3: {fn: fn for fn in ("sin", "cos", "tan", "exp", "log", "sqrt", "arcsin", "arccos", "arctan")},
    2: {"sin": "sin", "cos": "cos", "tan": "tan", "exp": "exp", "log": "ln", "sqrt": "sqrt"},
}

Text = tuple[str, int]  # printed text and the precedence of its outermost operator
ArgNamer = Callable[[Arg], str]  # the text standing for one argument element (an atom)


def format_angle(expr: Expr, name_of: ArgNamer, version: int) -> str:
    """`expr` as OpenQASM `version` (2 or 3) text; raises QasmExportError if it has none."""
    return _format(expr, name_of, version)[0]


def _format(expr: Expr, name_of: ArgNamer, version: int) -> Text:
    if isinstance(expr, Const):
        return _number(expr.value)
    if isinstance(expr, Arg):
        return name_of(expr), ATOM
    if isinstance(expr, Unary):
        return _unary(expr, name_of, version)
    if isinstance(expr, Binary):
        lhs, rhs = _format(expr.lhs, name_of, version), _format(expr.rhs, name_of, version)
        return _power(lhs, rhs, version) if expr.op == "**" else _arithmetic(expr.op, lhs, rhs)
    raise QasmExportError(f"not an angle expression: {expr!r}")


def _number(value: float) -> Text:
    if not math.isfinite(value):
        raise QasmExportError(f"the angle constant `{value}` has no OpenQASM literal")
    if abs(value) in _PI_MULTIPLES:
        text, prec = _PI_MULTIPLES[abs(value)]
        return (f"-{text}", UNARY) if value < 0 else (text, prec)
    if math.copysign(1.0, value) < 0:
        return f"-{-value!r}", UNARY
    return repr(float(value)), ATOM


def _unary(expr: Unary, name_of: ArgNamer, version: int) -> Text:
    text, prec = _format(expr.arg, name_of, version)
    if expr.fn == "neg":
        return f"-{_wrap(text, prec <= UNARY)}", UNARY
    function = _FUNCTIONS[version].get(expr.fn)
    if function is None:
        raise QasmExportError(f"OpenQASM {version} has no function `{expr.fn}`")
    return f"{function}({text})", ATOM


def _arithmetic(op: str, lhs: Text, rhs: Text) -> Text:
    prec = _PRECEDENCE[op]
    left = _wrap(lhs[0], lhs[1] < prec)
    right = _wrap(rhs[0], rhs[1] <= prec or rhs[1] == UNARY)
    return f"{left} {op} {right}", prec


def _power(lhs: Text, rhs: Text, version: int) -> Text:
    if version == 2:
        return f"({_wrap(lhs[0], lhs[1] < ATOM)}^{_wrap(rhs[0], rhs[1] < ATOM)})", ATOM
    left = _wrap(lhs[0], lhs[1] <= POW)  # `-a ** b` is `-(a ** b)`; `a ** b ** c` is `a ** (b ** c)`
    right = _wrap(rhs[0], rhs[1] < POW)
    return f"{left} ** {right}", POW


def _wrap(text: str, needed: bool) -> str:
    return f"({text})" if needed else text
