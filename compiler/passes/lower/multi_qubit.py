"""`lower-multi-qubit`: gates on three or more qubits -> one- and two-qubit gates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from qdl.compiler.ir import Circuit
from qdl.compiler.passes.lower.expand import Call
from qdl.compiler.passes.lower.lowering import lower_circuit
from qdl.compiler.passes.manager import CircuitPass, PassContext, register_pass


def _narrow(call: Call) -> bool:
    return len(call.qubits) + len(call.controls) <= 2


@register_pass
@dataclass(frozen=True)
class LowerMultiQubit(CircuitPass):
    """Decompose every gate acting on three or more wires (controls included).

    `ccx` becomes the standard six-`cx` circuit, `cswap` is `cx · ccx · cx`,
    `double_excitation` and other table gates use the table's decompositions,
    and gates under `ctrl @` follow `lower.expand` (multi-controlled rotations
    as Gray-code multiplexors).  Exact including the global phase; symbolic
    angles stay symbolic (scaled by constants), so gradients are unchanged.
    Conditions and spans are copied onto every piece.
    """

    name: ClassVar[str] = "lower-multi-qubit"

    def run_circuit(self, circuit: Circuit, ctx: PassContext) -> Circuit:
        return lower_circuit(circuit, _narrow)
