"""`remove-diagonal-before-measure`: drop diagonal gates that only precede Z-basis readout."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

from qdl.compiler.gates import GATES
from qdl.compiler.ir import Circuit, ExpVal, GateOp, MeasureOp, Op, State, Var
from qdl.compiler.passes.manager import CircuitPass, PassContext, register_pass
from qdl.compiler.passes.optimize.peephole import op_qubits


def z_diagonal_qubits(circuit: Circuit) -> set[int]:
    """Qubits on which every result is diagonal in Z (none when a `state` is returned)."""
    if any(isinstance(r, State) for r in circuit.results):
        return set()
    qubits = set(range(circuit.num_qubits))
    for result in circuit.results:
        if isinstance(result, (ExpVal, Var)):
            qubits -= {q for t in result.observable.terms for q, letter in t.paulis if letter != "Z"}
    return qubits


@register_pass
@dataclass(frozen=True)
class RemoveDiagonalBeforeMeasure(CircuitPass):
    """Remove diagonal gates followed on all their qubits only by diagonal gates and Z measurements.

    Walking backwards, a qubit stays on the *frontier* while every later op on
    it is an unconditioned diagonal gate or a Z-basis measurement, and every
    result is Z-diagonal on it (probs, sample, Z-type expval/var).  A diagonal
    gate entirely on the frontier commutes to the end and only changes phases
    of basis states, which no such readout sees: it is removed.  Non-diagonal
    gates, resets, barriers and conditioned gates take their qubits off the
    frontier.  Skipped entirely when a `state` result sees every phase.
    """

    name: ClassVar[str] = "remove-diagonal-before-measure"

    def run_circuit(self, circuit: Circuit, ctx: PassContext) -> Circuit:
        frontier = z_diagonal_qubits(circuit)
        if not frontier:
            return circuit
        kept: list[Op] = []
        for op in reversed(circuit.ops):
            if not self._removable(op, frontier):
                kept.append(op)
        ops = tuple(reversed(kept))
        return circuit if len(ops) == len(circuit.ops) else dataclasses.replace(circuit, ops=ops)

    @staticmethod
    def _removable(op: Op, frontier: set[int]) -> bool:
        """Decide for one op (walking backwards) and update the frontier."""
        if isinstance(op, MeasureOp):
            return False  # a Z measurement commutes with diagonal gates
        diagonal = isinstance(op, GateOp) and op.condition is None and GATES[op.gate].diagonal
        if not diagonal:
            frontier.difference_update(op_qubits(op))
            return False
        return frontier.issuperset(op_qubits(op))
