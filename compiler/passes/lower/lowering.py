"""Shared driver of the lowering passes: every gate op that `keep` rejects is expanded."""

from __future__ import annotations

import dataclasses

from qdl.compiler.ir import Circuit, GateOp, Op
from qdl.compiler.passes.lower.expand import Call, Keep, expand


def lower_circuit(circuit: Circuit, keep: Keep) -> Circuit:
    """`circuit` with each rejected gate replaced by its expansion (same condition and span)."""
    ops: list[Op] = []
    changed = False
    for op in circuit.ops:
        if not isinstance(op, GateOp) or keep(Call(op.gate, op.qubits, op.params, op.controls)):
            ops.append(op)
            continue
        ops += lower_op(op, keep)
        changed = True
    return dataclasses.replace(circuit, ops=tuple(ops)) if changed else circuit


def lower_op(op: GateOp, keep: Keep) -> list[GateOp]:
    """`op` as gates that pass `keep`; a `negctrl` is an `x` before and after on its control."""
    flips = [c for c, value in zip(op.controls, op.control_values) if not value]
    calls = [Call("x", (c,)) for c in flips]
    calls += expand(Call(op.gate, op.qubits, op.params, op.controls), keep)
    calls += [Call("x", (c,)) for c in flips]
    return to_ops(calls, op)


def to_ops(calls: list[Call], op: GateOp) -> list[GateOp]:
    """`calls` as gate ops with `op`'s condition and span."""
    return [GateOp(c.gate, c.qubits, c.params, c.controls, (True,) * len(c.controls), op.condition, op.span)
            for c in calls]
