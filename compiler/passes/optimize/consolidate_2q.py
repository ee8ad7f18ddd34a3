"""`consolidate-2q`: blocks of constant gates on one qubit pair -> at most three `cx` (KAK)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import ClassVar, Iterator, Sequence

import numpy as np

from qdl.compiler.ir import Circuit, GateOp, Op
from qdl.compiler.passes.manager import CircuitPass, PassContext, register_pass
from qdl.compiler.passes.optimize.peephole import const_values, global_phase, op_qubits, phase_observable
from qdl.compiler.passes.optimize.resynthesize_1q import synthesize
from qdl.compiler.passes.optimize.two_qubit_synthesis import decompose, global_phase_of, local_factors, templates
from qdl.runtime.reference import unitary


@dataclass
class _Block:
    """An open block: constant gates on `qubits`, to be placed at `slot` of the output."""

    qubits: tuple[int, int]
    slot: int
    ops: list[GateOp] = field(default_factory=list)
    two_qubit: int = 0


def _constant(op: Op) -> bool:
    return (isinstance(op, GateOp) and op.condition is None and 1 <= len(op.all_qubits) <= 2
            and const_values(op.params) is not None)


def _relabel(op: GateOp, mapping: dict[int, int]) -> GateOp:
    return dataclasses.replace(op, qubits=tuple(mapping[q] for q in op.qubits),
                               controls=tuple(mapping[q] for q in op.controls))


def _locals(factors: Sequence[tuple[np.ndarray, int]], tol: float) -> list[GateOp]:
    return [op for matrix, qubit in factors for op in synthesize(matrix, qubit, tol)[0]]


@register_pass
@dataclass(frozen=True)
class Consolidate2Q(CircuitPass):
    """Replace a block of constant gates on one qubit pair by a cheaper exact equivalent.

    A block starts at a constant two-qubit gate (controls count as qubits) and
    collects the following constant one- and two-qubit gates on the same pair
    until another op touches one of its qubits (ops on other qubits commute
    with it).  Its 4x4 unitary becomes two one-qubit gates when it is local,
    else local gates around the fewest `cx` that reach it (one, two or three;
    KAK, `two_qubit_synthesis`) when that is fewer than the block has.  Each replacement is checked
    numerically against the block (`tol`) or dropped; global phase as in
    `resynthesize-1q`.  Symbolic gates end blocks, so gradients are untouched.
    """

    name: ClassVar[str] = "consolidate-2q"
    tol: float = 1e-9

    def run_circuit(self, circuit: Circuit, ctx: PassContext) -> Circuit:
        slots: list[list[Op]] = []
        blocks: dict[int, _Block] = {}
        phase = 0.0
        for op in circuit.ops:
            qubits = op_qubits(op)
            block = blocks.get(qubits[0]) if qubits else None
            if _constant(op) and block is not None and all(blocks.get(q) is block for q in qubits):
                block.ops.append(op)  # type: ignore[arg-type]
                block.two_qubit += len(qubits) == 2
                continue
            phase += self._close(qubits, blocks, slots)
            if _constant(op) and len(qubits) == 2:
                blocks[qubits[0]] = blocks[qubits[1]] = _Block((qubits[0], qubits[1]), len(slots), [op], 1)  # type: ignore[list-item]
            slots.append([] if _constant(op) and len(qubits) == 2 else [op])
        phase += self._close(tuple(blocks), blocks, slots)
        ops = tuple(op for slot in slots for op in slot) + global_phase(phase, phase_observable(circuit))
        return circuit if ops == circuit.ops else dataclasses.replace(circuit, ops=ops)

    def _close(self, qubits: Sequence[int], blocks: dict[int, _Block], slots: list[list[Op]]) -> float:
        """Emit the open blocks on `qubits` into their slots; the global phase they dropped."""
        phase = 0.0
        for q in qubits:
            block = blocks.get(q)
            if block is None:
                continue
            for p in block.qubits:
                del blocks[p]
            ops, dropped = self._rewrite(block)
            slots[block.slot] = list(ops)
            phase += dropped
        return phase

    def _rewrite(self, block: _Block) -> tuple[Sequence[GateOp], float]:
        if block.two_qubit < 2:
            return block.ops, 0.0
        to_local = {block.qubits[0]: 0, block.qubits[1]: 1}
        u = unitary([_relabel(op, to_local) for op in block.ops], 2)
        for candidate in self._candidates(u, block.two_qubit):
            phase = global_phase_of(u, candidate, self.tol)
            if phase is not None:
                return [_relabel(op, dict(enumerate(block.qubits))) for op in candidate], phase
        return block.ops, 0.0

    def _candidates(self, u: np.ndarray, two_qubit: int) -> Iterator[list[GateOp]]:
        """Replacements with fewer two-qubit gates than the block, fewest first."""
        factors = local_factors(u)
        if factors is not None:
            yield _locals([(factors[0], 0), (factors[1], 1)], self.tol)
            return
        for skeleton in templates(u):
            if sum(len(op.all_qubits) == 2 for op in skeleton) >= two_qubit:
                return
            parts = decompose(u, skeleton)
            if parts is not None:
                yield _locals(parts[0], self.tol) + parts[1] + _locals(parts[2], self.tol)
