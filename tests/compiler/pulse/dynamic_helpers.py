"""Shared programs and builders for the tests of readout grouping, reset and conditional blocks."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import jsonschema
from hypothesis import strategies as st

from qdl.compiler.device import load_device
from qdl.compiler.driver import compile_file
from qdl.compiler.expr import Const
from qdl.compiler.ir import Circuit, Condition, GateOp, MeasureOp, ResetOp
from qdl.compiler.passes.schedule import schedule_circuit
from qdl.compiler.pulse.schedule import PulseSchedule

REPO = Path(__file__).resolve().parents[3]
VALIDATOR = jsonschema.Draft202012Validator(json.loads((REPO / "docs" / "pulse_schedule.schema.json").read_text()))
T5 = load_device("t5")
# acquire_alignment 64 ≠ pulse_alignment 16, so a measurement start on the pulse grid alone would be caught
T5_ACQ64 = dataclasses.replace(T5, timing=dataclasses.replace(T5.timing, acquire_alignment=64))
TELEPORT = REPO / "examples" / "teleport.qdl"


def g(name: str, *qubits: int, params=(), condition: Condition | None = None) -> GateOp:
    """A gate op with constant parameters."""
    return GateOp(name, qubits, tuple(Const(p) for p in params), condition=condition)


def circuit(ops, n: int = 3, bits: int = 3) -> Circuit:
    """A circuit of `ops` on n qubits and `bits` bits, without results."""
    return Circuit("c", (), n, tuple(ops), (), num_bits=bits)


def teleport_schedule() -> tuple[Circuit, PulseSchedule]:
    """examples/teleport.qdl and its schedule on t5 (theta = 0.7, phi = 0.3)."""
    result = compile_file(TELEPORT)
    assert result.ok
    program = result.module.circuits[0]
    return program, schedule_circuit(program, "t5", values={"theta": 0.7, "phi": 0.3})


@st.composite
def dynamic_programs(draw: st.DrawFn) -> Circuit:
    """Random 3-qubit circuits with measurements, resets and gates conditioned on measured bits."""
    ops: list = []
    measured: list[int] = []
    for _ in range(draw(st.integers(3, 9))):
        kind = draw(st.sampled_from(["1q", "1q", "cx", "measure", "reset", "if"]))
        q, other = draw(st.permutations([0, 1, 2]))[:2]
        if kind == "1q":
            ops.append(g(draw(st.sampled_from(["h", "sx", "t"])), q))
        elif kind == "cx":
            ops.append(g("cx", q, other))
        elif kind == "measure":
            bit = draw(st.integers(0, 2))
            ops.append(MeasureOp(q, bit))
            measured.append(bit)
        elif kind == "reset":
            ops.append(ResetOp(q))
        elif measured:
            bits = tuple(sorted(set(draw(st.lists(st.sampled_from(measured), min_size=1, max_size=2)))))
            value = draw(st.integers(0, 2 ** len(bits) - 1))
            name = draw(st.sampled_from(["x", "h", "z", "cx"]))
            ops.append(g(name, *((q, other) if name == "cx" else (q,)), condition=Condition(bits, value)))
    if draw(st.booleans()):  # a final readout of every qubit, as most programs end
        ops += [MeasureOp(q, q) for q in draw(st.permutations([0, 1, 2]))]
    return circuit(ops, 3, 3)
