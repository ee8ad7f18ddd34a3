"""`fold-angles`: fold constant angle arithmetic; drop gates whose fixed angles make them trivial."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable, ClassVar

import numpy as np

from qdl.compiler.expr import Arg, Binary, Const, Expr, Unary, add, apply, div, mul, power, sub
from qdl.compiler.gates import GATES
from qdl.compiler.ir import Circuit, GateOp, Op
from qdl.compiler.passes.manager import CircuitPass, PassContext, register_pass
from qdl.compiler.passes.optimize.peephole import const_values, global_phase, phase_observable

_BUILD: dict[str, Callable[[Expr, Expr], Expr]] = {"+": add, "-": sub, "*": mul, "/": div, "**": power}


def fold(expr: Expr) -> Expr:
    """Rebuild `expr` bottom-up with the folding constructors (`1 * (2 - 2) + a` -> `a`)."""
    if isinstance(expr, (Const, Arg)):
        return expr
    if isinstance(expr, Unary):
        return apply(expr.fn, fold(expr.arg))
    assert isinstance(expr, Binary)
    return _BUILD[expr.op](fold(expr.lhs), fold(expr.rhs))


def identity_phase(matrix: np.ndarray, tol: float) -> float | None:
    """φ when `matrix` = e^{iφ} I within `tol`, else None."""
    c = matrix[0, 0]
    if not abs(abs(c) - 1.0) <= tol or not np.abs(matrix - c * np.eye(len(matrix))).max() <= tol:
        return None
    return float(np.angle(c))


def _constant_global_phase(op: Op) -> bool:
    """An unconditioned, uncontrolled `gphase` with a constant angle (they all commute: one suffices)."""
    return (isinstance(op, GateOp) and op.gate == "gphase" and not op.controls and op.condition is None
            and isinstance(op.params[0], Const))


@register_pass
@dataclass(frozen=True)
class FoldAngles(CircuitPass):
    """Fold constant sub-expressions of every angle, then drop trivial constant gates.

    A gate whose constant matrix is the identity within `tol` is removed (`id`,
    `rz(0)`, `rz(4π)`, `ctrl @ rx(4π)`).  Without controls, a gate that is a
    global phase (`rz(2π)`, `gphase`) is removed too, leaving a `gphase` only
    when a `state` result can see it; constant global phases are summed into
    one trailing `gphase`.  Symbolic angles stay symbolic, so
    gradients are unchanged: folding preserves each angle's value and derivative.
    """

    name: ClassVar[str] = "fold-angles"
    tol: float = 1e-12

    def run_circuit(self, circuit: Circuit, ctx: PassContext) -> Circuit:
        keep_phase = phase_observable(circuit)
        folded = [out for op in circuit.ops for out in self._fold_op(op, keep_phase)]
        phases = [op for op in folded if _constant_global_phase(op)]
        ops = tuple(op for op in folded if not _constant_global_phase(op))
        ops += global_phase(sum(op.params[0].value for op in phases), keep_phase)  # type: ignore[union-attr]
        return circuit if ops == circuit.ops else dataclasses.replace(circuit, ops=ops)

    def _fold_op(self, op: Op, keep_phase: bool) -> tuple[Op, ...]:
        if not isinstance(op, GateOp):
            return (op,)
        params = tuple(fold(p) for p in op.params)
        if params != op.params:
            op = dataclasses.replace(op, params=params)
        values = const_values(params)
        if values is None or op.condition is not None:
            return (op,)
        return self._trivial(op, values, keep_phase)

    def _trivial(self, op: GateOp, values: tuple[float, ...], keep_phase: bool) -> tuple[Op, ...]:
        if op.gate == "gphase" and op.controls == () and keep_phase:
            return global_phase(values[0], True)  # normalised into (-π, π]
        phase = identity_phase(np.asarray(GATES[op.gate].matrix(*values)), self.tol)
        if phase is None:
            return (op,)
        if op.controls and abs(phase) > self.tol:
            return (op,)  # under `ctrl` a phase is a relative phase, not the identity
        return global_phase(phase, keep_phase) if not op.controls else ()
