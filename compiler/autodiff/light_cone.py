"""Backward light cone: which ops can influence a circuit's results.

An analysis, not a transform.  Walking the ops backwards from the qubits the
results read, a gate is *live* when it touches a live qubit; then all of its
qubits (controls included) become live, since a multi-qubit gate carries
influence between them.  A live conditioned gate makes the bits it reads
live; a measurement into a live bit makes its qubit live (and ends the bit's
liveness further back, because the measurement overwrites it).  A reset ends
a qubit's liveness further back: the qubit restarts in |0>, and what happened
to it before cannot reach other qubits except through gates that are already
live through them (no-signalling).  Ops that are not live cannot change any
result, so their angles need no shifted evaluations.
"""

from __future__ import annotations

from qdl.compiler.ir import (
    BarrierOp, Circuit, ExpVal, GateOp, MeasureOp, Op, Probs, ResetOp, Result, Sample, State, Var,
)


def observed_qubits(circuit: Circuit) -> set[int]:
    """The qubits any result reads."""
    return set().union(*(_read_by(r, circuit.num_qubits) for r in circuit.results))


def _read_by(result: Result, num_qubits: int) -> set[int]:
    if isinstance(result, (ExpVal, Var)):
        return set(result.observable.qubits)
    if isinstance(result, (Probs, Sample)):
        return set(result.qubits)
    assert isinstance(result, State)
    return set(range(num_qubits))


def light_cone(circuit: Circuit) -> frozenset[int]:
    """Indices (into `circuit.ops`) of the ops inside the backward light cone of the results."""
    qubits = observed_qubits(circuit)
    bits: set[int] = set()
    live: set[int] = set()
    for index in range(len(circuit.ops) - 1, -1, -1):
        if _step(circuit.ops[index], qubits, bits):
            live.add(index)
    return frozenset(live)


def _step(op: Op, qubits: set[int], bits: set[int]) -> bool:
    """Update the live sets for one op (walking backwards); True when the op is live."""
    if isinstance(op, GateOp):
        if not qubits.intersection(op.all_qubits):
            return False
        qubits.update(op.all_qubits)
        bits.update(op.condition.bits if op.condition else ())
        return True
    if isinstance(op, MeasureOp):
        if op.bit in bits:
            bits.discard(op.bit)
            qubits.add(op.qubit)
        return op.qubit in qubits
    if isinstance(op, ResetOp):
        live = op.qubit in qubits
        qubits.discard(op.qubit)
        return live
    assert isinstance(op, BarrierOp)
    return False
