"""Random circuits for the drawing tests: every op kind, controls, conditions, barriers, global phases."""

from __future__ import annotations

from hypothesis import strategies as st

from qdl.compiler.expr import Arg, Const
from qdl.compiler.gates import GATES
from qdl.compiler.ir import (
    FLOAT, Argument, BarrierOp, Circuit, Condition, ExpVal, GateOp, MeasureOp, Observable, PauliTerm, Register,
    ResetOp,
)

GATE_NAMES = sorted(GATES)


@st.composite
def ops(draw: st.DrawFn, num_qubits: int, num_bits: int):
    kind = draw(st.sampled_from(["gate", "gate", "gate", "measure", "reset", "barrier"] if num_bits else
                                ["gate", "gate", "gate", "reset", "barrier"]))
    if kind == "measure":
        return MeasureOp(draw(st.integers(0, num_qubits - 1)), draw(st.integers(0, num_bits - 1)))
    if kind == "reset":
        return ResetOp(draw(st.integers(0, num_qubits - 1)))
    if kind == "barrier":
        return BarrierOp(tuple(draw(st.lists(st.integers(0, num_qubits - 1), unique=True, max_size=num_qubits))))
    spec = GATES[draw(st.sampled_from([g for g in GATE_NAMES if GATES[g].num_qubits <= num_qubits]))]
    wires = draw(st.permutations(range(num_qubits)))
    extra = draw(st.integers(0, min(2, num_qubits - spec.num_qubits)))
    params = tuple(draw(st.sampled_from([Arg("theta"), Const(0.5), 2 * Arg("theta")])) for _ in range(spec.num_params))
    condition = None
    if num_bits and draw(st.booleans()):
        bits = tuple(draw(st.lists(st.integers(0, num_bits - 1), unique=True, min_size=1, max_size=num_bits)))
        condition = Condition(bits, draw(st.integers(0, 2 ** len(bits) - 1)))
    controls = tuple(wires[spec.num_qubits:spec.num_qubits + extra])
    values = tuple(draw(st.booleans()) for _ in controls)
    return GateOp(spec.name, tuple(wires[:spec.num_qubits]), params, controls, values, condition)


@st.composite
def circuits(draw: st.DrawFn, max_qubits: int = 5, max_ops: int = 25) -> Circuit:
    num_qubits = draw(st.integers(1, max_qubits))
    num_bits = draw(st.integers(0, 3))
    body = tuple(draw(st.lists(ops(num_qubits, num_bits), max_size=max_ops)))
    return Circuit("random", (Argument("theta", FLOAT, trainable=True),), num_qubits, body,
                   (ExpVal(Observable((PauliTerm(1.0, ((0, "Z"),)),))),), num_bits=num_bits,
                   qubit_registers=(Register("q", 0, num_qubits),),
                   bit_registers=(Register("c", 0, num_bits),) if num_bits else ())
