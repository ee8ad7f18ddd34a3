"""`resynthesize-1q`: runs of constant one-qubit gates -> at most one `u3` (or `phase`)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from qdl.compiler.expr import Const, add
from qdl.compiler.gates import GATES
from qdl.compiler.ir import Circuit, GateOp, Op
from qdl.compiler.passes.manager import CircuitPass, PassContext, register_pass
from qdl.compiler.passes.optimize.peephole import const_values, global_phase, op_qubits, phase_observable


def zyz(u: np.ndarray, tol: float) -> tuple[float, float, float, float]:
    """(θ, φ, λ, α) with u = e^{iα} u3(θ, φ, λ), θ in [0, π]; φ = 0 when it is free."""
    theta = 2 * math.atan2(abs(u[1, 0]), abs(u[0, 0]))
    if abs(u[1, 0]) <= tol:  # diagonal: only φ + λ is defined
        alpha = float(np.angle(u[0, 0]))
        return 0.0, 0.0, _wrap(float(np.angle(u[1, 1])) - alpha), alpha
    if abs(u[0, 0]) <= tol:  # anti-diagonal: only φ - λ is defined
        alpha = float(np.angle(u[1, 0]))
        return theta, 0.0, _wrap(float(np.angle(-u[0, 1])) - alpha), alpha
    alpha = float(np.angle(u[0, 0]))
    return theta, _wrap(float(np.angle(u[1, 0])) - alpha), _wrap(float(np.angle(-u[0, 1])) - alpha), alpha


def _wrap(angle: float) -> float:
    return math.remainder(angle, 2 * math.pi)


def synthesize(u: np.ndarray, qubit: int, tol: float) -> tuple[tuple[GateOp, ...], float]:
    """The shortest form of one constant 2x2 unitary, and the global phase it leaves out."""
    theta, phi, lam, alpha = zyz(u, tol)
    if theta == 0.0 and abs(lam) <= tol:
        return (), alpha
    if theta == 0.0:
        return (GateOp("phase", (qubit,), (Const(lam),)),), alpha
    return (GateOp("u3", (qubit,), (Const(theta), Const(phi), Const(lam))),), alpha


def _is_constant_1q(op: Op) -> bool:
    return (isinstance(op, GateOp) and op.condition is None and not op.controls
            and len(op.qubits) == 1 and const_values(op.params) is not None)


_H = np.array([[1, 1], [1, -1]], dtype=np.complex128) / math.sqrt(2)
_SDG = np.diag([1, -1j])

# Symbolic gates that absorb a constant run commuting with their generator: gate -> (V, e0) with
# V·U·V† = e^{iα}·phase(λ) for such a run U, and U(θ)·U_run = e^{i(α + e0·λ)}·U(θ + λ)
# (`rz(λ)` is `phase(λ)` times e^{-iλ/2}; `rx` and `ry` are `rz` in the bases V = H and H·S†).
ABSORB: dict[str, tuple[np.ndarray, float]] = {
    "rz": (np.eye(2, dtype=np.complex128), 0.5), "phase": (np.eye(2, dtype=np.complex128), 0.0),
    "u1": (np.eye(2, dtype=np.complex128), 0.0), "rx": (_H, 0.5), "ry": (_H @ _SDG, 0.5),
}


def _absorbs(op: Op | None) -> bool:
    """A symbolic `ABSORB` gate on one qubit, unconditioned: it can take a constant added to its angle."""
    return (isinstance(op, GateOp) and op.gate in ABSORB and op.condition is None and not op.controls
            and const_values(op.params) is None)


def _angle_for(u: np.ndarray, gate: str, tol: float) -> tuple[float, float] | None:
    """(λ, α) when the constant `u` is e^{iα}·phase(λ) in `gate`'s basis, else None."""
    v = ABSORB[gate][0]
    w = v @ u @ v.conj().T
    if abs(w[1, 0]) > tol or abs(w[0, 1]) > tol:
        return None
    alpha = float(np.angle(w[0, 0]))
    return _wrap(float(np.angle(w[1, 1])) - alpha), alpha


@register_pass
@dataclass(frozen=True)
class Resynthesize1Q(CircuitPass):
    """Replace each run of constant one-qubit gates on a qubit by its ZYZ Euler form.

    A run collects the constant, unconditioned, uncontrolled one-qubit gates
    on one qubit between two other ops on it (ops on other qubits commute with
    it).  The run's product becomes nothing (identity up to phase), one
    `phase(λ)` (diagonal) or one `u3(θ, φ, λ)`; runs of one gate are kept.
    Mixed runs: a run that commutes with the generator of a symbolic
    `rz`/`phase`/`u1`/`rx`/`ry` next to it on its qubit (the one before it,
    else the one after) is folded into that gate's angle (`rz(a); t` ->
    `rz(a + π/4)`, `x; rx(a)` -> `rx(a + π)`), so the symbolic angle keeps its
    generator and its gradient (off with `mixed=false`); other symbolic
    gates end a run untouched.
    Global phase: the dropped phases are summed into one trailing `gphase`
    only when a `state` result can see it.  Decisions use `tol`; the
    synthesized angles are exact to floating-point round-off.
    """

    name: ClassVar[str] = "resynthesize-1q"
    tol: float = 1e-10
    mixed: bool = True

    def run_circuit(self, circuit: Circuit, ctx: PassContext) -> Circuit:
        pending: dict[int, list[GateOp]] = {}
        last: dict[int, int] = {}  # qubit -> index in `out` of the last op on it
        out: list[Op] = []
        phase = 0.0
        for op in circuit.ops:
            if _is_constant_1q(op):
                pending.setdefault(op.qubits[0], []).append(op)  # type: ignore[union-attr]
                continue
            for q in op_qubits(op):
                op, dropped = self._flush(pending.pop(q, []), out, last, op)
                phase += dropped
            _append(out, last, op)
        for q in sorted(pending):
            phase += self._flush(pending[q], out, last, None)[1]
        out += global_phase(phase, phase_observable(circuit))
        ops = tuple(out)
        return circuit if ops == circuit.ops else dataclasses.replace(circuit, ops=ops)

    def _flush(self, run: list[GateOp], out: list[Op], last: dict[int, int], later: Op | None) -> tuple[Op, float]:
        """Append the run's replacement to `out` (or fold it into a neighbour); `later`, and the phase dropped."""
        if not run:
            return later, 0.0  # type: ignore[return-value]
        q = run[0].qubits[0]
        u = np.eye(2, dtype=np.complex128)
        for op in run:
            u = np.asarray(GATES[op.gate].matrix(*const_values(op.params))) @ u  # type: ignore[misc]
        earlier = out[last[q]] if q in last else None
        for neighbour in (earlier, later) if self.mixed else ():
            hit = _angle_for(u, neighbour.gate, self.tol) if _absorbs(neighbour) else None  # type: ignore[union-attr]
            if hit is None:
                continue
            folded, dropped = _fold(neighbour, *hit)  # type: ignore[arg-type]
            if neighbour is earlier:
                out[last[q]] = folded
                return later, dropped  # type: ignore[return-value]
            return folded, dropped
        if len(run) < 2:
            _append(out, last, run[0])
            return later, 0.0  # type: ignore[return-value]
        ops, alpha = synthesize(u, q, self.tol)
        for op in ops:
            _append(out, last, op)
        return later, alpha  # type: ignore[return-value]


def _fold(op: GateOp, lam: float, alpha: float) -> tuple[GateOp, float]:
    """`op` (an `ABSORB` gate) and a run e^{iα}·phase(λ) in its basis as one gate, and the global phase dropped."""
    if lam == 0.0:
        return op, alpha
    return dataclasses.replace(op, params=(add(op.params[0], Const(lam)),)), alpha + ABSORB[op.gate][1] * lam


def _append(out: list[Op], last: dict[int, int], op: Op) -> None:
    out.append(op)
    for q in op_qubits(op):
        last[q] = len(out) - 1
