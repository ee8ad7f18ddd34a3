"""`merge-rotations`: `rz(a); rz(b)` -> `rz(a + b)` for every one-angle additive gate."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from typing import ClassVar

from qdl.compiler.expr import Const, Expr, add
from qdl.compiler.gates import GATES
from qdl.compiler.ir import Circuit, GateOp
from qdl.compiler.passes.analysis.commutation_dag import commutation_dag
from qdl.compiler.passes.manager import CircuitPass, PassContext, register_pass
from qdl.compiler.passes.optimize.peephole import global_phase, phase_observable, rewrite_pairs, same_wires

# One-parameter gates U(θ) = exp(-iθG) with U(a) U(b) = U(a + b).
ADDITIVE = frozenset({"rx", "ry", "rz", "phase", "u1", "crx", "cry", "crz", "cphase",
                      "rxx", "ryy", "rzz", "single_excitation", "double_excitation"})


@cache
def periods(gate: str) -> tuple[float, float]:
    """(θ with U(θ) = I, θ with U(θ) ∝ I), smallest positive, from the generator spectrum.

    U(θ) = exp(-iθG) is I when θ·e ∈ 2πZ for every eigenvalue e, and a global
    phase when θ·(e - e₀) ∈ 2πZ.  The table's eigenvalues are multiples of 1/2.
    """
    spectrum = [Fraction(e).limit_denominator(8) for e in GATES[gate].generator_eigenvalues[0] or ()]
    return _period(spectrum), _period([e - spectrum[0] for e in spectrum])


def _period(values: list[Fraction]) -> float:
    step = Fraction(0)
    for v in values:  # gcd of rationals: gcd of numerators over lcm of denominators
        step = Fraction(math.gcd(step.numerator * v.denominator, abs(v.numerator) * step.denominator),
                        step.denominator * v.denominator) if step else abs(v)
    return 2 * math.pi / float(step) if step else math.inf


def multiple_of(angle: float, period: float, tol: float) -> bool:
    if not math.isfinite(period) or not math.isfinite(angle):
        return False
    return abs(math.remainder(angle, period)) <= tol


@register_pass
@dataclass(frozen=True)
class MergeRotations(CircuitPass):
    """Merge same-gate rotations on the same wires, adding their angles symbolically.

    Gates: `ADDITIVE` (one angle, U(a)U(b) = U(a+b)), also under `ctrl`.  A
    constant merged angle that is a multiple of the identity period (4π for
    `rz`, 2π for `phase`) removes the gate; a multiple of the phase period
    (2π for `rz`) removes it only without controls (under `ctrl` a 2π rotation
    is a relative phase, not the identity), leaving a `gphase` if a `state`
    result can see it.  Merged pairs may be separated by gates on other qubits and by up to
    `window` gates they commute with (`rz` through a `cx` control).
    """

    name: ClassVar[str] = "merge-rotations"
    tol: float = 1e-12
    window: int = 20
    dag: bool = True

    def run_circuit(self, circuit: Circuit, ctx: PassContext) -> Circuit:
        keep_phase = phase_observable(circuit)
        ops = rewrite_pairs(circuit.ops, lambda a, b: self._combine(a, b, keep_phase), self.window,
                            (lambda: commutation_dag(circuit, ctx)) if self.dag else None)
        return circuit if ops == circuit.ops else dataclasses.replace(circuit, ops=ops)

    def _combine(self, earlier: GateOp, later: GateOp, keep_phase: bool) -> tuple[GateOp, ...] | None:
        if earlier.gate != later.gate or earlier.gate not in ADDITIVE or not same_wires(earlier, later):
            return None
        angle = add(earlier.params[0], later.params[0])
        return self.reduce(dataclasses.replace(earlier, params=(angle,)), keep_phase)

    def reduce(self, op: GateOp, keep_phase: bool) -> tuple[GateOp, ...]:
        """`op` itself, or nothing (plus a global phase) when its angle makes it trivial."""
        angle: Expr = op.params[0]
        if not isinstance(angle, Const):
            return (op,)
        identity, phase = periods(op.gate)
        if multiple_of(angle.value, identity, self.tol):
            return ()
        if not op.controls and multiple_of(angle.value, phase, self.tol):
            e0 = GATES[op.gate].generator_eigenvalues[0][0]  # type: ignore[index]
            return global_phase(-angle.value * e0, keep_phase)
        return (op,)
