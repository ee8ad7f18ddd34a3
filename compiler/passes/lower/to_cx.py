"""`lower-to-cx`: every gate on two or more wires -> `cx` and one-qubit gates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from qdl.compiler.ir import Circuit
from qdl.compiler.passes.lower.expand import Call
from qdl.compiler.passes.lower.lowering import lower_circuit
from qdl.compiler.passes.manager import CircuitPass, PassContext, register_pass


def _cx_basis(call: Call) -> bool:
    if call.controls:
        return False
    return len(call.qubits) <= 1 or call.gate == "cx"


@register_pass
@dataclass(frozen=True)
class LowerToCx(CircuitPass):
    """Rewrite the circuit over `cx` plus uncontrolled one-qubit gates (a hardware-like basis).

    Uses the gate table's exact decompositions (`cz` = `h · cx · h`, `swap` =
    three `cx`, `cphase` = two `cx` and phases, ...) and `lower.expand` for
    controlled and multi-qubit gates; symbolic angles stay symbolic.  Not in
    the presets (the simulator runs `cphase` or `swap` faster than their
    `cx` forms); the Qiskit comparison in `benchmarks/passes.py` uses it.
    """

    name: ClassVar[str] = "lower-to-cx"

    def run_circuit(self, circuit: Circuit, ctx: PassContext) -> Circuit:
        return lower_circuit(circuit, _cx_basis)
