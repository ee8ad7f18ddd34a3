"""`cancel-inverse-pairs`: delete `g; g⁻¹` pairs, adjacent up to gates on other qubits."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

from qdl.compiler.expr import Const, Expr
from qdl.compiler.gates import GATES
from qdl.compiler.ir import Circuit, GateOp
from qdl.compiler.passes.analysis.commutation_dag import commutation_dag
from qdl.compiler.passes.manager import CircuitPass, PassContext, register_pass
from qdl.compiler.passes.optimize.peephole import rewrite_pairs, same_wires


@register_pass
@dataclass(frozen=True)
class CancelInversePairs(CircuitPass):
    """Delete a gate followed by its inverse on the same wires (controls included).

    The inverse comes from the gate table (`GateSpec.inverse`), so parametric
    pairs cancel too: `rz(a); rz(-a)`, `u3(t, p, l); u3(-t, -l, -p)`.  Symbolic
    angles must match structurally; constants within `tol`.  The pair may be
    separated by ops on other qubits and by up to `window` ops it commutes
    with (see `peephole`).  A stack, so nested
    pairs (`h; x; x; h`) go too.  Exact: no global phase is introduced.
    """

    name: ClassVar[str] = "cancel-inverse-pairs"
    tol: float = 0.0
    window: int = 20
    dag: bool = True

    def run_circuit(self, circuit: Circuit, ctx: PassContext) -> Circuit:
        ops = rewrite_pairs(circuit.ops, self._combine, self.window,
                            (lambda: commutation_dag(circuit, ctx)) if self.dag else None)
        return circuit if len(ops) == len(circuit.ops) else dataclasses.replace(circuit, ops=ops)

    def _combine(self, earlier: GateOp, later: GateOp) -> tuple[GateOp, ...] | None:
        if not same_wires(earlier, later):
            return None
        name, params = GATES[earlier.gate].inverse(earlier.params)
        if name != later.gate:
            return None
        if all(self._equal(a, b) for a, b in zip(params, later.params)):
            return ()
        return None

    def _equal(self, a: Expr, b: Expr) -> bool:
        if isinstance(a, Const) and isinstance(b, Const):
            return abs(a.value - b.value) <= self.tol
        return a == b
