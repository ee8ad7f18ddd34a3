"""The text form of a gradient program (`qdlc compile --emit grad`).

    gradient program `main` wrt (theta, phi)
      evaluations: 1 unshifted + 6 shifted; 2 slots, 1 pruned
    slot s0: op 2 `rx` angle 0 = 2 * theta                      [line 5]
      rule: frequencies (1); 2-term
        s0[0] = +0.5 * f(angle + pi/2)
        s0[1] = -0.5 * f(angle - pi/2)
      d angle/d theta = 2
    pruned: op 4 `ry` angle 0 (outside the light cone of every result)
    recombination:
      d f/d theta = D(s0) * (2) + D(s1) * (cos(theta))

`D(s)` is the slot's shift-rule sum Σ coeff · f(circuit with only that angle
shifted), the derivative of every result with respect to that angle; `f` is
the whole result tuple, so one shifted evaluation serves every result (and
every entry of `probs`).  Ops count from 0 in the IR text (`--emit ir`).
"""

from __future__ import annotations

import math
from fractions import Fraction

from qdl.compiler.autodiff.metric import MetricProgram
from qdl.compiler.autodiff.program import GradientProgram, Slot
from qdl.compiler.expr import format_expr
from qdl.compiler.ir_text import format_observable


def format_gradient_program(program: GradientProgram) -> str:
    """The documented text form above, ending with a newline."""
    circuit = program.circuit
    lines = [f"gradient program `{circuit.name}` wrt ({', '.join(program.wrt)})",
             f"  evaluations: 1 unshifted + {program.shifted_evaluations} shifted; "
             f"{len(program.slots)} slots, {len(program.pruned)} pruned"]
    for number, slot in enumerate(program.slots):
        lines += _slot(number, slot)
    for pruned in program.pruned:
        lines.append(f"pruned: op {pruned.op} `{pruned.gate}` angle {pruned.param} ({pruned.reason})")
    lines.append("recombination:")
    for arg in program.elements:
        parts = [f"D(s{n}) * ({format_expr(p.derivative)})"
                 for n, slot in enumerate(program.slots) for p in slot.partials if p.arg == arg]
        lines.append(f"  d f/d {format_expr(arg)} = {' + '.join(parts) or '0'}")
    return "\n".join(lines) + "\n"


def _slot(number: int, slot: Slot) -> list[str]:
    freqs = ", ".join(format_angle(f, pi=False) for f in slot.rule.frequencies)
    lines = [f"slot s{number}: op {slot.op} `{slot.gate}` angle {slot.param} = {format_expr(slot.angle)}",
             f"  rule: frequencies ({freqs}); {slot.rule.kind}"]
    for k, term in enumerate(slot.rule.terms):
        sign = "-" if term.shift < 0 else "+"
        lines.append(f"    s{number}[{k}] = {term.coeff:+.15g} * f(angle {sign} {format_angle(abs(term.shift))})")
    lines += [f"  d angle/d {format_expr(p.arg)} = {format_expr(p.derivative)}" for p in slot.partials]
    return lines


def format_angle(value: float, pi: bool = True) -> str:
    """`3*pi/2` for simple multiples of π (or simple fractions with pi=False), else the float."""
    ratio = value / math.pi if pi else value
    fraction = Fraction(ratio).limit_denominator(16)
    if abs(float(fraction) - ratio) > 1e-12:
        return repr(value)
    top = fraction.numerator
    text = ("pi" if top == 1 else f"{top}*pi") if pi else str(top)
    return text if fraction.denominator == 1 else f"{text}/{fraction.denominator}"


def format_metric_program(program: MetricProgram) -> str:
    """The metric program as text: per block its prefix length, slots, generators and expectations.

        metric program `f` wrt (t) block-diag
          evaluations: 2 circuits, 5 expectation values
        block b0: after 1 op
          s0: op 1 `rx` angle = t[0]; G = 0.5 * X[0]
            d angle/d t[0] = 1
          expectations: <G0>, <G0 G0>
    """
    total = sum(len(b.slots) + len(b.pairs) for b in program.blocks)
    lines = [f"metric program `{program.circuit.name}` wrt ({', '.join(program.wrt)}) {program.approx}",
             f"  evaluations: {program.evaluations} circuit{'s' if program.evaluations != 1 else ''}, "
             f"{total} expectation values"]
    for number, block in enumerate(program.blocks):
        ops = len(block.prefix.ops)
        lines.append(f"block b{number}: after {ops} op{'s' if ops != 1 else ''}")
        for k, slot in enumerate(block.slots):
            source = program.circuit.ops[slot.op]
            part = f" (part of `{source.gate}`)" if getattr(source, "gate", slot.gate) != slot.gate else ""
            lines.append(f"  s{k}: op {slot.op} `{slot.gate}`{part} angle = {format_expr(slot.angle)}; "
                         f"G = {format_observable(slot.generator)}")
            lines += [f"    d angle/d {format_expr(p.arg)} = {format_expr(p.derivative)}" for p in slot.partials]
        means = [f"<G{k}>" for k in range(len(block.slots))]
        lines.append("  expectations: " + ", ".join(means + [f"<G{i} G{j}>" for i, j in block.pairs]))
    return "\n".join(lines) + "\n"
