"""Expression trees of the JSON pulse schedule (`qdl.pulse_schedule` v0.1, reference note §8a).

A value is a number, `{"param": name}` or `{"op": op, "args": [value, ...]}`
with `op` one of `OPS`.  This module checks, evaluates and prints them; the
printers are shared by the OpenPulse and Quil-T exporters, which differ only
in function names, the power operator and how a parameter is spelled.

Printing is exact: numbers use `repr` (shortest round-tripping decimal) and
parentheses are added wherever the target grammar would otherwise re-associate,
so parsing the text back gives the same tree.  The one normalisation: a
negative number prints as `-1.5`, which a reader returns as the number -1.5
(so `{"op": "neg", "args": [1.5]}` comes back as -1.5).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping, Union

from qdl.errors import QdlError

Value = Union[int, float, dict]

# op -> arity; binary infix operators also get a precedence below
OPS: dict[str, int] = {
    "add": 2, "sub": 2, "mul": 2, "div": 2, "neg": 1, "pow": 2,
    "sin": 1, "cos": 1, "exp": 1, "sqrt": 1, "abs": 1, "atan2": 2,
}
INFIX = {"add": ("+", 1), "sub": ("-", 1), "mul": ("*", 2), "div": ("/", 2)}
PREC_UNARY, PREC_POW, PREC_ATOM = 3, 4, 6

_EVAL: dict[str, Callable[..., float]] = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "neg": lambda a: -a, "pow": lambda a, b: a**b,
    "sin": math.sin, "cos": math.cos, "exp": math.exp, "sqrt": math.sqrt, "abs": abs,
    "atan2": math.atan2,
}


class PulseExportError(QdlError, ValueError):
    """A pulse schedule document that cannot be exported or read back (names the offending part)."""


def is_number(value: object) -> bool:
    """True for an int or float that is not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check(value: object, where: str) -> None:
    """Raise `PulseExportError` unless `value` is a well-formed number or expression tree."""
    if is_number(value):
        if not math.isfinite(value):
            raise PulseExportError(f"{where}: {value!r} is not a finite number")
        return
    if isinstance(value, dict) and set(value) == {"param"} and isinstance(value["param"], str):
        return
    if not (isinstance(value, dict) and set(value) == {"op", "args"} and value["op"] in OPS):
        raise PulseExportError(f"{where}: {value!r} is neither a number, {{'param': name}} nor "
                               f"{{'op': one of {sorted(OPS)}, 'args': [...]}}")
    if not isinstance(value["args"], list) or len(value["args"]) != OPS[value["op"]]:
        raise PulseExportError(f"{where}: `{value['op']}` takes {OPS[value['op']]} argument(s), "
                               f"got {value['args']!r}")
    for arg in value["args"]:
        check(arg, where)


def free_params(value: Value) -> set[str]:
    """The parameter names a value depends on."""
    if is_number(value):
        return set()
    if "param" in value:
        return {value["param"]}
    return set().union(*(free_params(a) for a in value["args"]))


def evaluate(value: Value, params: Mapping[str, float]) -> float:
    """The value of a number or tree with parameters bound from `params` (float64)."""
    if is_number(value):
        return float(value)
    if "param" in value:
        if value["param"] not in params:
            raise PulseExportError(f"parameter `{value['param']}` has no value")
        return float(params[value["param"]])
    return float(_EVAL[value["op"]](*(evaluate(a, params) for a in value["args"])))


def format_number(value: float | int) -> str:
    """`repr`-exact decimal text of a finite number (ints stay ints)."""
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


@dataclass(frozen=True)
class Syntax:
    """How a target language spells parameters, functions and powers."""

    param: Callable[[str], str]
    function: Mapping[str, str]
    power: str  # infix power operator, e.g. "**" or "^"
    strict: bool = False  # parenthesise every non-atomic operand of `-` and the power (grammars that differ)


def to_infix(value: Value, syntax: Syntax, need: int = 0) -> str:
    """Infix text of `value`, parenthesised when its precedence is below `need`."""
    text, prec = _infix(value, syntax)
    return f"({text})" if prec < need else text


def _infix(value: Value, syntax: Syntax) -> tuple[str, int]:
    if is_number(value):
        text = format_number(value)
        return text, (PREC_UNARY if text.startswith("-") else PREC_ATOM)
    if "param" in value:
        return syntax.param(value["param"]), PREC_ATOM
    op, args = value["op"], value["args"]
    if op in INFIX:
        symbol, prec = INFIX[op]
        left = to_infix(args[0], syntax, prec)
        return f"{left} {symbol} {to_infix(args[1], syntax, prec + 1)}", prec
    if op == "neg":
        return "-" + to_infix(args[0], syntax, PREC_ATOM if syntax.strict else PREC_POW), PREC_UNARY
    if op == "pow":
        left = to_infix(args[0], syntax, PREC_ATOM if syntax.strict else PREC_POW + 1)
        right = to_infix(args[1], syntax, PREC_ATOM if syntax.strict else PREC_POW)
        return f"{left} {syntax.power} {right}", PREC_POW
    name = syntax.function.get(op)
    if name is None:
        raise PulseExportError(f"`{op}` has no equivalent in this output format; "
                               f"rewrite the expression without it")
    return f"{name}({', '.join(to_infix(a, syntax) for a in args)})", PREC_ATOM
