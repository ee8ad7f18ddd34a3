"""Parameter-shift rules derived from generator spectra (Wierichs et al. 2022).

A gate parameter θ enters the circuit as U(θ) = A exp(-iθG) B, so every
expectation value (and every probability) is a trigonometric polynomial

    f(θ) = a_0 + Σ_k a_k cos(ω_k θ) + b_k sin(ω_k θ),

whose frequencies ω_k are the distinct positive differences of G's
eigenvalues (the spectrum in `compiler.gates`).  A *shift rule* writes
f'(θ) = Σ_m c_m f(θ + x_m) exactly, from R = #frequencies pairs of shifts.

Equidistant frequencies (every ω_k an integer multiple of Ω = min ω_k, with
R = max ω_k / Ω; missing multiples only have zero amplitude).  Substituting
g(φ) = f(φ/Ω) gives integer frequencies 1..R, for which (Wierichs eq. 13)

    g'(0) = Σ_{μ=1}^{2R} g(x_μ) (-1)^(μ-1) / (4R sin²(x_μ/2)),  x_μ = (2μ-1)π/(2R).

x_{2R+1-μ} = 2π - x_μ ≡ -x_μ carries the opposite coefficient, so the rule
is antisymmetric; undoing the substitution (f' = Ω g') gives the shifts
±x_μ/Ω with coefficients ±Ω (-1)^(μ-1) / (4R sin²(x_μ/2)), μ = 1..R.
One frequency (RX, RZ, phase, RZZ, ...): shifts ±π/(2Ω), coefficients ±Ω/2,
i.e. the familiar ½[f(θ+π/2) - f(θ-π/2)] for Ω = 1.  Two frequencies ½ and 1
(controlled rotations, excitations): shifts ±π/2, ±3π/2 with coefficients
±(√2+1)/(4√2), ∓(√2-1)/(4√2), PennyLane's four-term rule.

Other frequency sets: shifts x_μ = μπ/((R+1) ω_max) and coefficients from the
linear system f(x) - f(-x) = 2 Σ_k b_k sin(ω_k x), f'(0) = Σ_k ω_k b_k
(Wierichs sec. 3.2).  A spectrum with one distinct eigenvalue (an uncontrolled
global phase) has no frequency: its rule has no terms and the derivative is 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from qdl.compiler.gates import GATES

# Eigenvalue differences closer than this are one frequency (the table's values are exact halves).
TOLERANCE = 1e-9


@dataclass(frozen=True, slots=True)
class ShiftTerm:
    """`coeff * f(angle + shift)`: one shifted evaluation of a rule."""

    shift: float
    coeff: float


@dataclass(frozen=True, slots=True)
class ShiftRule:
    """f'(θ) = Σ coeff · f(θ + shift) for every f with these frequencies."""

    frequencies: tuple[float, ...]
    terms: tuple[ShiftTerm, ...]

    @property
    def kind(self) -> str:
        count = len(self.terms)
        return "zero (no frequency)" if count == 0 else f"{count}-term"


def frequencies(spectrum: tuple[float, ...]) -> tuple[float, ...]:
    """Distinct positive differences of the eigenvalues, ascending."""
    values = sorted(spectrum)
    diffs = sorted(b - a for i, a in enumerate(values) for b in values[i + 1:] if b - a > TOLERANCE)
    distinct: list[float] = []
    for d in diffs:
        if not distinct or d - distinct[-1] > TOLERANCE:
            distinct.append(d)
    return tuple(distinct)


@lru_cache(maxsize=None)
def shift_rule(spectrum: tuple[float, ...]) -> ShiftRule:
    """The rule for a parameter whose generator has `spectrum` (see the module docstring)."""
    freqs = frequencies(spectrum)
    if not freqs:
        return ShiftRule((), ())
    base = freqs[0]
    multiples = [f / base for f in freqs]
    if all(abs(m - round(m)) < 1e-9 for m in multiples):
        return ShiftRule(freqs, _equidistant(base, round(multiples[-1])))
    return ShiftRule(freqs, _general(freqs))


def _equidistant(base: float, count: int) -> tuple[ShiftTerm, ...]:
    terms = []
    for mu in range(1, count + 1):
        x = (2 * mu - 1) * math.pi / (2 * count)
        coeff = base * (-1) ** (mu - 1) / (4 * count * math.sin(x / 2) ** 2)
        terms += [ShiftTerm(x / base, coeff), ShiftTerm(-x / base, -coeff)]
    return tuple(terms)


def _general(freqs: tuple[float, ...]) -> tuple[ShiftTerm, ...]:
    count = len(freqs)
    omega = np.array(freqs)
    shifts = np.arange(1, count + 1) * math.pi / ((count + 1) * omega[-1])
    system = 2 * np.sin(np.outer(omega, shifts))  # rows: frequencies, columns: shift pairs
    if np.linalg.cond(system) > 1e8:
        raise ValueError(f"no well-conditioned shift rule for frequencies {freqs}")
    coeffs = np.linalg.solve(system, omega)
    return tuple(t for x, c in zip(shifts, coeffs)
                 for t in (ShiftTerm(float(x), float(c)), ShiftTerm(float(-x), float(-c))))


def controlled_spectrum(spectrum: tuple[float, ...], num_controls: int) -> tuple[float, ...]:
    """Spectrum of the generator of `ctrl @ gate`: G on the controlled subspace, 0 elsewhere."""
    if num_controls == 0:
        return spectrum
    return tuple(sorted(spectrum + (0.0,)))


def rule_for(gate: str, param: int, num_controls: int = 0) -> ShiftRule | None:
    """The rule of one gate parameter (with extra controls), or None when it has none."""
    spectrum = GATES[gate].generator_eigenvalues[param]
    if spectrum is None:
        return None
    return shift_rule(controlled_spectrum(tuple(spectrum), num_controls))


# Rules as a table: every parametric gate of `compiler.gates`, one rule per parameter.
GRADIENT_RULES: dict[str, tuple[ShiftRule | None, ...]] = {
    name: tuple(rule_for(name, j) for j in range(spec.num_params))
    for name, spec in GATES.items() if spec.num_params
}
