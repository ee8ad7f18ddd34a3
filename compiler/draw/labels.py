"""What each row of an op shows: gate roles read from the gate table, compact angle text.

A gate's *role* on one of its qubits is a control (filled for `ctrl`, hollow
for `negctrl`), the X target of a controlled X (⊕), a swap end (×) or a box
with the gate's label.  Named controlled gates (`cx`, `crz`, `ccx`, `cswap`,
...) are recognised through `compiler.gates.controlled_form`, so the drawing
knows exactly the controlled forms the compiler knows.

Angles print compactly: `2*gamma[0]`, `w[0,1,2]`; constants as multiples
of π where they are one (`π/2`, `-3π/4`), else to 4 significant digits.
With values bound, every angle is evaluated to a number.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from functools import cache
from typing import Mapping

import numpy as np

from qdl.compiler.expr import Expr, format_expr
from qdl.compiler.gates import GATES, controlled_form, lookup
from qdl.compiler.ir import GateOp

CONTROL, NEG_CONTROL, X_TARGET, SWAP = "●", "○", "⊕", "×"
_LONG_NUMBER = re.compile(r"(?<![\w.])\d+\.\d*(?:e[-+]?\d+)?|(?<![\w.])\d+e[-+]?\d+|\bpi\b")
_NEGATIVE_FACTOR = re.compile(r"(^|\(|,)\((-[\w.π/]+)\)\*")
Values = Mapping[str, np.ndarray]


@cache
def control_split(gate: str) -> tuple[int, str]:
    """(number of leading control qubits, base gate) of a named gate: `ccx` -> (2, "x")."""
    best = (0, gate)
    for base, spec in GATES.items():
        if spec.num_qubits == 0:  # a controlled global phase is a phase gate, drawn as one
            continue
        for controls in (1, 2, 3):
            if controlled_form(base, controls) == gate and controls > best[0]:
                best = (controls, base)
    return best


@cache
def symmetric(gate: str) -> bool:
    """True when the gate's matrix is the same under any order of its qubits (checked on two qubits)."""
    spec = lookup(gate)
    if spec is None or spec.num_qubits != 2:
        return spec is not None and spec.num_qubits < 2
    params = np.linspace(0.3, 0.9, spec.num_params)
    matrix = spec.matrix(*params)
    swap = GATES["swap"].matrix()
    return bool(np.allclose(swap @ matrix @ swap, matrix))


def number_text(value: float) -> str:
    """A number as a short label: a simple multiple of π as such, else 4 significant digits."""
    if not math.isfinite(value):
        return str(value)
    ratio = Fraction(value / math.pi).limit_denominator(16)
    if ratio != 0 and abs(float(ratio) * math.pi - value) < 1e-12:
        top = {1: "", -1: "-"}.get(ratio.numerator, str(ratio.numerator))
        return f"{top}π" + (f"/{ratio.denominator}" if ratio.denominator != 1 else "")
    return f"{value:.4g}"


def expr_text(expr: Expr, values: Values | None = None) -> str:
    """An angle as a compact label: symbolic, or evaluated when `values` binds its arguments."""
    if values is not None or expr.is_constant:
        try:
            return number_text(float(np.asarray(expr.evaluate(values or {})).reshape(-1)[0]))
        except (KeyError, IndexError, TypeError, ValueError):
            pass  # an argument without a value stays symbolic
    text = format_expr(expr).replace(" * ", "*").replace(" / ", "/").replace(" ** ", "**")
    text = re.sub(r"\[([^\]]*)\]", lambda m: "[" + m.group(1).replace(", ", ",") + "]", text)
    text = _LONG_NUMBER.sub(lambda m: _constant_text(m.group(0)), text)
    return _NEGATIVE_FACTOR.sub(r"\1\2*", text)  # `(-0.125)*theta` reads fine as `-0.125*theta` here


def _constant_text(literal: str) -> str:
    return "π" if literal == "pi" else number_text(float(literal))


def gate_label(gate: str, params: tuple[Expr, ...], values: Values | None = None) -> str:
    """`h`, `ry(theta)`, `rzz(2*gamma[0])`: the gate's canonical name and its angles."""
    if not params:
        return gate
    return f"{gate}({','.join(expr_text(p, values) for p in params)})"


def roles(op: GateOp, values: Values | None = None) -> dict[int, str]:
    """Qubit -> what its row shows for this gate (a control mark, ⊕, × or a label)."""
    out = {q: CONTROL if on else NEG_CONTROL for q, on in zip(op.controls, op.control_values)}
    count, base = control_split(op.gate)
    out.update((q, CONTROL) for q in op.qubits[:count])
    targets = op.qubits[count:]
    controlled = count > 0 or bool(op.controls)
    if base == "x" and controlled:  # a plain `x` stays a labelled box; ⊕ means "controlled NOT"
        out.update((q, X_TARGET) for q in targets)
    elif base == "swap":
        out.update((q, SWAP) for q in targets)
    else:
        label = gate_label(base, op.params, values)
        numbered = len(targets) > 1 and not symmetric(base) and list(targets) != sorted(targets)
        out.update((q, f"{label}#{k}" if numbered else label) for k, q in enumerate(targets))
        if not targets and out:  # a controlled global phase: its label goes on the last control
            out[op.all_qubits[-1]] = label
    return out
