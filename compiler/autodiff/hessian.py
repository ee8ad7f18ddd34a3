"""Second-order gradient programs: shift rules applied twice, evaluations deduplicated.

For slots i ≠ j, ∂²f/∂θi∂θj = Σ_a Σ_b c_a c_b f(θ + s_a e_i + s_b e_j) (both
rules in turn).  For i = j the two shifts add on one angle, and many sums
coincide: s + (-s) = 0 is the unshifted value, and for equidistant
frequencies (base Ω) shifts are reduced modulo the period 2π/Ω, so the
two-term rule's diagonal needs f(θ+π) and f(θ) only: ¼[2 f(θ+π) - 2 f(θ)].
Every distinct shifted circuit is one `Evaluation`; an entry of the Hessian
is a list of (evaluation, coefficient).  The classical chain rule of second
order, Σ_ij H_ij ∂θi/∂a ∂θj/∂b + Σ_i ∂f/∂θi ∂²θi/∂a∂b, is left to the runner,
which has the gradient program's partials.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from qdl.compiler.autodiff.program import GradientProgram
from qdl.compiler.autodiff.shift_rules import ShiftRule

ROUND = 12  # decimals that identify equal shifts


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One circuit evaluation: (slot number, shift) pairs, sorted; () is the unshifted circuit."""

    shifts: tuple[tuple[int, float], ...]


@dataclass(frozen=True)
class HessianProgram:
    """The distinct evaluations and, per slot pair (i ≤ j), the terms of ∂²f/∂θi∂θj."""

    gradient: GradientProgram
    evaluations: tuple[Evaluation, ...]
    entries: tuple[tuple[tuple[int, int], tuple[tuple[int, float], ...]], ...]

    @property
    def shifted_evaluations(self) -> int:
        return sum(1 for e in self.evaluations if e.shifts)


def hessian_program(gradient: GradientProgram) -> HessianProgram:
    """The second-order program of `gradient`'s slots (see the module docstring)."""
    index: dict[tuple, int] = {(): 0}  # rounded shifts -> evaluation number
    evaluations = [Evaluation(())]
    entries = []
    slots = gradient.slots
    for i in range(len(slots)):
        for j in range(i, len(slots)):
            terms: dict[int, float] = {}
            for evaluation, coeff in _pair_terms(i, slots[i].rule, j, slots[j].rule):
                key = tuple((slot, round(shift, ROUND)) for slot, shift in evaluation.shifts)
                if key not in index:
                    index[key] = len(evaluations)
                    evaluations.append(evaluation)
                terms[index[key]] = terms.get(index[key], 0.0) + coeff
            entries.append(((i, j), tuple((k, c) for k, c in terms.items() if abs(c) > 1e-15)))
    return HessianProgram(gradient, tuple(evaluations), tuple(entries))


def _pair_terms(i: int, rule_i: ShiftRule, j: int, rule_j: ShiftRule):
    for a in rule_i.terms:
        for b in rule_j.terms:
            if i == j:
                shift = _reduce(a.shift + b.shift, _period(rule_i))
                shifts = ((i, shift),) if shift else ()
            else:
                shifts = ((i, a.shift), (j, b.shift))
            yield Evaluation(shifts), a.coeff * b.coeff


def _period(rule: ShiftRule) -> float | None:
    base = rule.frequencies[0]
    if all(abs(f / base - round(f / base)) < 1e-9 for f in rule.frequencies):
        return 2 * math.pi / base
    return None


def _reduce(shift: float, period: float | None) -> float:
    """The shift in (-period/2, period/2]; 0.0 when it vanishes (up to rounding)."""
    if period is not None:
        shift = shift - period * math.floor(shift / period + 0.5)
        if round(shift + period / 2, ROUND) == 0:
            shift += period
    return 0.0 if round(shift, ROUND) == 0 else shift
