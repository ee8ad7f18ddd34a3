"""`release-qubits`: qubits that no op and no result uses leave the circuit; the rest are renumbered."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

from qdl.compiler.ir import BarrierOp, Circuit, ExpVal, Op, Probs, Register, Sample, State, Var
from qdl.compiler.passes.manager import CircuitPass, PassContext, register_pass
from qdl.compiler.passes.optimize.elide_swaps import relabel_op, relabel_result
from qdl.compiler.passes.optimize.peephole import op_qubits


def used_qubits(circuit: Circuit) -> set[int]:
    """Qubits that an op other than a barrier, or a result, refers to."""
    used = {q for op in circuit.ops if not isinstance(op, BarrierOp) for q in op_qubits(op)}
    for result in circuit.results:
        if isinstance(result, (ExpVal, Var)):
            used.update(result.observable.qubits)
        elif isinstance(result, (Probs, Sample)):
            used.update(result.qubits)
    return used


def _registers(registers: tuple[Register, ...], new: dict[int, int]) -> tuple[Register, ...]:
    """Each register shrunk to its kept qubits (renumbering keeps them contiguous); empty ones go."""
    out = []
    for r in registers:
        kept = [new[q] for q in range(r.start, r.start + r.size) if q in new]
        if kept:
            out.append(Register(r.name, kept[0], len(kept)))
    return tuple(out)


def _without(op: Op, new: dict[int, int]) -> Op | None:
    """Barriers lose released qubits (and go when none is left); other ops are kept as they are."""
    if not isinstance(op, BarrierOp):
        return op
    qubits = tuple(q for q in op.qubits if q in new)
    return dataclasses.replace(op, qubits=qubits) if qubits else None


@register_pass
@dataclass(frozen=True)
class ReleaseQubits(CircuitPass):
    """Drop the qubits that nothing uses and renumber the others in order.

    Run after `light-cone`: the qubits it leaves without ops and that no
    result reads are released, so the simulated state halves per qubit.
    Results (`probs`/`sample` qubits, observable terms) and ops follow the
    new numbers, so every output is the same; bits are untouched.  Registers
    shrink to their kept qubits (so `q[2]` may print as `q[0]`).  Skipped
    when the circuit returns its `state` (its size is the output) and when
    nothing would be left.
    """

    name: ClassVar[str] = "release-qubits"

    def run_circuit(self, circuit: Circuit, ctx: PassContext) -> Circuit:
        used = used_qubits(circuit)
        if len(used) in (0, circuit.num_qubits) or any(isinstance(r, State) for r in circuit.results):
            return circuit
        new = {q: i for i, q in enumerate(sorted(used))}
        where = [new.get(q, -1) for q in range(circuit.num_qubits)]
        kept = (_without(op, new) for op in circuit.ops)
        ops = tuple(relabel_op(op, where) for op in kept if op is not None)
        results = tuple(relabel_result(r, where) for r in circuit.results)
        return dataclasses.replace(circuit, num_qubits=len(used), ops=ops, results=results,
                                   qubit_registers=_registers(circuit.qubit_registers, new))
