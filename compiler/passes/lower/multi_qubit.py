"""`lower-multi-qubit`: gates on three or more qubits -> one- and two-qubit gates."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

from qdl.compiler.ir import Circuit, GateOp, Op
from qdl.compiler.passes.lower.expand import Call, toffoli
from qdl.compiler.passes.lower.lowering import lower_circuit, to_ops
from qdl.compiler.passes.manager import CircuitPass, PassContext, register_pass
from qdl.compiler.passes.optimize.peephole import op_qubits


def _narrow(call: Call) -> bool:
    return len(call.qubits) + len(call.controls) <= 2


@register_pass
@dataclass(frozen=True)
class LowerMultiQubit(CircuitPass):
    """Decompose every gate acting on three or more wires (controls included).

    `ccx` becomes six `cx` (`lower.expand.toffoli`: four on the target, a
    `cphase` on the controls), oriented to its neighbours (`_toffolis`);
    `cswap` is `cx · ccx · cx` with the textbook Toffoli,
    `double_excitation` and other table gates use the table's decompositions,
    and gates under `ctrl @` follow `lower.expand` (multi-controlled rotations
    as Gray-code multiplexors).  Exact including the global phase; symbolic
    angles stay symbolic (scaled by constants), so gradients are unchanged.
    Conditions and spans are copied onto every piece.
    """

    name: ClassVar[str] = "lower-multi-qubit"

    def run_circuit(self, circuit: Circuit, ctx: PassContext) -> Circuit:
        if any(map(_plain_toffoli, circuit.ops)):
            circuit = dataclasses.replace(circuit, ops=tuple(_toffolis(circuit.ops)))
        return lower_circuit(circuit, _narrow)


def _plain_toffoli(op: Op) -> bool:
    return isinstance(op, GateOp) and op.gate == "ccx" and not op.controls


def _shared_control(op: Op | None, toffoli_op: GateOp) -> int | None:
    """The control that `op`, a two-qubit op on the Toffoli's target and one control, shares."""
    if op is None or len(op_qubits(op)) != 2:
        return None
    a, b, t = toffoli_op.qubits
    others = set(op_qubits(op)) - {t}
    return others.pop() if len(others) == 1 and others <= {a, b} else None


def _toffolis(ops: tuple[Op, ...]) -> list[Op]:
    """Plain `ccx` lowered to fit their neighbours on the target.

    The target part starts with a `cx` from its first control and ends with
    one from its second: a control shared with the next (previous) two-qubit
    op on the target goes last (first), so that `cx` can join that op's
    block in `consolidate-2q`; the `cphase` goes on the side without such a
    neighbour, so it does not sit in between.
    """
    before, after = _neighbours(ops)
    out: list[Op] = []
    for i, op in enumerate(ops):
        if not _plain_toffoli(op):
            out.append(op)
            continue
        prev, following = _shared_control(before[i], op), _shared_control(after[i], op)  # type: ignore[arg-type]
        a, b, t = op.qubits  # type: ignore[union-attr]
        if following == a or (following is None and prev == b):
            a, b = b, a
        call = Call("ccx", (a, b, t))
        out += to_ops(toffoli(call, phase_first=following is not None and prev is None), op)  # type: ignore[arg-type]
    return out


def _neighbours(ops: tuple[Op, ...]) -> tuple[list[Op | None], list[Op | None]]:
    """For each op, the previous and the next op on the last of its qubits (a Toffoli's target)."""
    before: list[Op | None] = [None] * len(ops)
    after: list[Op | None] = [None] * len(ops)
    for order, store in ((range(len(ops)), before), (range(len(ops) - 1, -1, -1), after)):
        last: dict[int, Op] = {}
        for i in order:
            qubits = op_qubits(ops[i])
            if qubits:
                store[i] = last.get(qubits[-1])
            last.update((q, ops[i]) for q in qubits)
    return before, after
