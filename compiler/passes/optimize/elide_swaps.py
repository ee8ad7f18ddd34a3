"""`elide-swaps`: uncontrolled `swap` gates become a relabelling of the later ops and results."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

from qdl.compiler.ir import (
    Circuit, ExpVal, GateOp, MeasureOp, Observable, Op, PauliTerm, Probs, ResetOp, Result, Sample,
    State, Var,
)
from qdl.compiler.passes.manager import CircuitPass, PassContext, register_pass


def _elidable(op: Op) -> bool:
    return isinstance(op, GateOp) and op.gate == "swap" and not op.controls and op.condition is None


def relabel_op(op: Op, where: list[int]) -> Op:
    """`op` on the wires that now hold its qubits (`where[q]`)."""
    if isinstance(op, GateOp):
        return dataclasses.replace(op, qubits=tuple(where[q] for q in op.qubits),
                                   controls=tuple(where[q] for q in op.controls))
    if isinstance(op, (MeasureOp, ResetOp)):
        return dataclasses.replace(op, qubit=where[op.qubit])
    return dataclasses.replace(op, qubits=tuple(where[q] for q in op.qubits))


def relabel_result(result: Result, where: list[int]) -> Result:
    """`result` read from the wires that hold its qubits at the end."""
    if isinstance(result, (Probs, Sample)):
        return dataclasses.replace(result, qubits=tuple(where[q] for q in result.qubits))
    if isinstance(result, (ExpVal, Var)):
        terms = tuple(PauliTerm(t.coeff, tuple(sorted((where[q], p) for q, p in t.paulis)))
                      for t in result.observable.terms)
        return dataclasses.replace(result, observable=Observable(tuple(sorted(terms, key=lambda t: t.paulis))))
    return result


@register_pass
@dataclass(frozen=True)
class ElideSwaps(CircuitPass):
    """Delete every unconditioned, uncontrolled `swap`; later ops and the results follow the qubits.

    After `swap a, b` the state of qubit a lives on wire b: the pass keeps
    that map and rewrites every later op (gates, measurements, resets,
    barriers) and every result (`probs`, `sample` columns, observable terms)
    onto the wires that hold their qubits.  Bits and conditions are
    unchanged, so every output is exactly the same.  Skipped when the
    circuit returns its `state` (whose amplitudes the swaps do move).
    """

    name: ClassVar[str] = "elide-swaps"

    def run_circuit(self, circuit: Circuit, ctx: PassContext) -> Circuit:
        if any(isinstance(r, State) for r in circuit.results) or not any(map(_elidable, circuit.ops)):
            return circuit
        where = list(range(circuit.num_qubits))
        ops: list[Op] = []
        for op in circuit.ops:
            if _elidable(op):
                a, b = op.qubits  # type: ignore[union-attr]
                wa, wb = where[a], where[b]
                where[a], where[b] = wb, wa
                continue
            ops.append(relabel_op(op, where))
        results = tuple(relabel_result(r, where) for r in circuit.results)
        return dataclasses.replace(circuit, ops=tuple(ops), results=results)
