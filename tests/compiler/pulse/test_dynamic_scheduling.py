"""Measurements read out together, `reset` and classically conditioned gates on a pulse device (issue 7).

The start times below follow from t5's durations by hand (sx/x 160 dt,
measure 22400 dt + 1680 dt ring-down, pulse and acquire alignment 16 dt);
the gate-level checks replay the schedule's own record of its gates,
conditions and measurements through the reference simulator and compare the
outcome distribution with the original circuit's.  test_dynamic_exports.py
covers the JSON document and the OpenPulse/Quil-T exports.
"""

from __future__ import annotations

import json
import math

import openpulse
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from quil.program import Program

from qdl.compiler.driver import compile_source
from qdl.compiler.expr import Const
from qdl.compiler.ir import Circuit, Condition, GateOp, MeasureOp, ResetOp
from qdl.compiler.passes.schedule import ScheduleError, schedule_circuit
from qdl.compiler.pulse import export_common as common
from qdl.compiler.pulse.openpulse import export_openpulse, import_openpulse
from qdl.compiler.pulse.quilt import export_quilt
from qdl.compiler.pulse.schedule import Acquire, Barrier, BitCondition, Conditional, Play, PulseSchedule
from qdl.compiler.pulse.serialize import dump, load
from qdl.compiler.pulse.timing import timing_violations
from qdl.runtime.reference import outcome_probabilities

from dynamic_helpers import T5, T5_ACQ64, VALIDATOR, circuit, dynamic_programs, g, teleport_schedule


def acquire_starts(schedule: PulseSchedule) -> dict[int, int]:
    return {i.qubit: i.t0 for i in schedule.instructions if isinstance(i, Acquire)}


@pytest.fixture(scope="module")
def teleport() -> tuple[Circuit, PulseSchedule]:
    return teleport_schedule()


# ---- measurements read out together ----------------------------------------------------------------------

@pytest.mark.parametrize("method", ["asap", "alap"])
def test_terminal_measurements_start_together_on_the_acquire_grid(method):
    # q0 is done at 160, q1 at 320, q2 at 480 (ASAP); the readout of all three starts at 512 (= 8·64)
    ops = [g("x", 0), g("sx", 1), g("x", 1), g("sx", 2), g("x", 2), g("sx", 2),
           MeasureOp(0, 0), MeasureOp(1, 1), MeasureOp(2, 2)]
    schedule = schedule_circuit(circuit(ops), T5_ACQ64, method, native=False)
    assert set(acquire_starts(schedule).values()) == {512}
    barrier = next(i for i in schedule.instructions if isinstance(i, Barrier))
    assert barrier.t0 == 512 and {"q0_drive", "m0_frame", "a2_frame", "q2_drive"} <= set(barrier.frames)
    assert timing_violations(schedule) == []


def test_terminal_measurements_move_to_the_end_together():
    # measure q0 comes first in the program, but nothing after it touches q0 or c[0]: it joins q1's readout
    ops = [g("x", 0), MeasureOp(0, 0), g("x", 1), g("sx", 1), g("x", 1), MeasureOp(1, 1)]
    schedule = schedule_circuit(circuit(ops, 2, 2), T5, "asap", native=False)
    assert acquire_starts(schedule) == {0: 480, 1: 480}


def test_a_measurement_stays_apart_when_a_later_gate_reads_its_bit():
    ops = [g("x", 0), MeasureOp(0, 0), g("x", 1, condition=Condition((0,), 1)), g("sx", 1), MeasureOp(1, 1)]
    schedule = schedule_circuit(circuit(ops, 2, 2), T5, "asap", native=False)
    starts = acquire_starts(schedule)
    block = next(i for i in schedule.instructions if isinstance(i, Conditional))
    assert starts[0] == 160 and block.t0 == 160 + 22400 + 1680  # the branch waits for the ring-down
    assert starts[1] == block.t0 + 160 + 160


def test_every_acquire_start_is_on_the_lcm_grid_with_odd_gate_lengths():
    ops = [g("sx", 0), MeasureOp(0, 0), g("x", 0), g("x", 1), g("x", 1), g("sx", 1), MeasureOp(1, 1)]
    for method in ("asap", "alap"):
        schedule = schedule_circuit(circuit(ops, 2, 2), T5_ACQ64, method, native=False)
        assert all(t % 64 == 0 for t in acquire_starts(schedule).values())
        assert timing_violations(schedule) == []
        common.check_timing(dump(schedule))


# ---- reset and conditional blocks ------------------------------------------------------------------------

def test_reset_is_a_measurement_and_a_conditional_x_into_a_scratch_slot():
    schedule = schedule_circuit(circuit([g("sx", 0), ResetOp(0), g("x", 0)], 1, 1), T5, "asap", native=False)
    acquire = next(i for i in schedule.instructions if isinstance(i, Acquire))
    block = next(i for i in schedule.instructions if isinstance(i, Conditional))
    assert (acquire.t0, acquire.memory_slot) == (160, 1)  # slot 0 is the circuit's own bit
    assert block.condition == BitCondition((1,), 1) and block.t0 == 160 + 24080
    assert [(i.t0, i.name) for i in block.body] == [(block.t0, "x_q0")]
    last = [i for i in schedule.instructions if isinstance(i, Play) and i.frame == "q0_drive"][-1]
    assert last.t0 == block.t0 + 160  # the x after the reset waits for the block whichever branch runs


def test_a_conditional_block_lasts_its_branch_and_holds_its_frames():
    ops = [MeasureOp(0, 0), g("ecr", 2, 1, condition=Condition((0,), 1)), g("sx", 1)]
    schedule = schedule_circuit(circuit(ops), T5, "asap", native=False)
    block = next(i for i in schedule.instructions if isinstance(i, Conditional))
    body_end = max(i.t0 + (i.waveform.duration if isinstance(i, Play) else 0) for i in block.body)
    assert block.duration == body_end - block.t0 == 2 * 1280 + 160
    assert {"q1_drive", "q2_drive", "cr2_1"} <= set(block.frames)
    sx = [i for i in schedule.instructions if isinstance(i, Play) and i.gate == "sx q1"]
    assert sx[0].t0 == block.t0 + block.duration


@pytest.mark.parametrize("method", ["asap", "alap"])
def test_readers_of_one_bit_run_together_and_the_next_write_waits_for_them(method):
    ops = [MeasureOp(0, 0), g("x", 1, condition=Condition((0,), 1)), g("x", 2, condition=Condition((0,), 1)),
           MeasureOp(0, 0), g("x", 1, condition=Condition((0,), 1))]
    schedule = schedule_circuit(circuit(ops), T5, method, native=False)
    blocks = [i.t0 for i in schedule.instructions if isinstance(i, Conditional)]
    acquires = [i.t0 for i in schedule.instructions if isinstance(i, Acquire)]
    # q0 is free again at 24080, but the second measurement into c[0] waits for both readers (24080 + 160)
    assert blocks == [24080, 24080, 24240 + 24080] and acquires == [0, 24240]


def test_conditional_blocks_reject_bodies_outside_their_duration():
    play = schedule_circuit(circuit([g("x", 0)], 1, 1), T5, native=False).instructions[0]
    Conditional(0, 160, ("q0_drive",), BitCondition((0,), 1), (play,))
    with pytest.raises(ValueError, match="its branch's duration"):
        Conditional(0, 100, ("q0_drive",), BitCondition((0,), 1), (play,))
    with pytest.raises(ValueError, match="outside the block"):
        Conditional(0, 160, ("q1_drive",), BitCondition((0,), 1), (play,))
    with pytest.raises(ValueError, match="does not fit"):
        BitCondition((0,), 2)


# ---- errors ----------------------------------------------------------------------------------------------

def test_a_condition_on_a_bit_never_measured_is_an_error():
    with pytest.raises(ScheduleError, match="E0609.*no earlier measurement writes"):
        schedule_circuit(circuit([g("x", 0, condition=Condition((0,), 1))], 1, 1), T5, native=False)


def test_the_pulse_simulator_refuses_dynamic_schedules(teleport):
    with pytest.raises(ValueError, match=r"conditional block at t0 = \d+ dt \(`if \(c\[1\] == 1\) x q2`\)"):
        teleport[1].simulate()
    mid = schedule_circuit(circuit([g("x", 0), MeasureOp(0, 0), g("sx", 0)], 1, 1), T5, native=False)
    with pytest.raises(ValueError, match=r"qubit 0 is measured mid-circuit: the acquire into c\[0\] at t0 = 160 dt "
                                         r"is followed by `sx q0` on `q0_drive` at t0 = 24240 dt"):
        mid.simulate()
    twice = schedule_circuit(circuit([g("x", 0), MeasureOp(0, 0), MeasureOp(0, 1)], 1, 2), T5, native=False)
    with pytest.raises(ValueError, match="qubit 0 is measured mid-circuit"):
        load(dump(twice)).simulate(T5)  # from the document alone
    final = schedule_circuit(circuit([g("x", 0), g("sx", 1), MeasureOp(0, 0), MeasureOp(1, 1)], 2, 2), T5,
                             native=False)
    assert final.dynamic_reason() is None  # terminal measurements leave one unitary to verify


# ---- the schedule implements the circuit -----------------------------------------------------------------

def replayed(schedule: PulseSchedule, num_qubits: int) -> list:
    """The schedule's record of its gates (with conditions) and measurements as circuit ops, in order."""
    ops: list = []
    for k in range(len(schedule.gates) + 1):
        ops += [MeasureOp(m.qubit, m.bit) for m in schedule.measurements if m.position == k]
        if k < len(schedule.gates):
            gate = schedule.gates[k]
            params = tuple(p if not isinstance(p, (int, float)) else Const(float(p)) for p in gate.params)
            condition = Condition(gate.condition.bits, gate.condition.value) if gate.condition else None
            ops.append(GateOp(gate.name, gate.qubits, params, condition=condition))
    return ops


def distribution(ops: list, num_qubits: int, keep: list[int], final: list[int], program: Circuit,
                 args=None) -> dict[tuple, float]:
    """Outcome distribution of the bits `keep` and of the qubits `final` measured at the end."""
    top = max([m.bit for m in ops if isinstance(m, MeasureOp)] + keep + [-1]) + 1
    ops = ops + [MeasureOp(q, top + j) for j, q in enumerate(final)]
    replay = Circuit("r", program.arguments, num_qubits, tuple(ops), (), num_bits=top + len(final))
    probs = outcome_probabilities(replay, args)
    out: dict[tuple, float] = {}
    for value, p in probs.items():
        key = tuple((value >> b) & 1 for b in keep) + tuple((value >> (top + j)) & 1 for j in range(len(final)))
        out[key] = out.get(key, 0.0) + p
    return out


def assert_same_outcomes(program: Circuit, schedule: PulseSchedule, args=None) -> None:
    final = schedule.placement.final if schedule.placement else tuple(range(program.num_qubits))
    bits = list(range(program.num_bits))
    want = distribution(list(program.ops), program.num_qubits, bits, list(range(program.num_qubits)), program, args)
    got = distribution(replayed(schedule, T5.num_qubits), T5.num_qubits, bits, list(final), program, args)
    for key in set(want) | set(got):
        assert math.isclose(want.get(key, 0.0), got.get(key, 0.0), abs_tol=1e-9), key


def test_teleport_schedule_gives_the_circuits_outcomes(teleport):
    program, schedule = teleport
    args = {"theta": 0.7, "phi": 0.3}
    assert_same_outcomes(program, schedule_circuit(program, "t5", values=args).bind(), args)


RESETS = """
circuit r(theta: float) -> float[4] {
    qubit q[3];
    bit c[2];
    ry(theta) q[0];
    cx q[0], q[1];
    c[0] = measure q[1];
    reset q[0];
    reset q[1];
    if (c[0] == 1) { h q[2]; }
    cx q[2], q[0];
    c[1] = measure q[0];
    if (c == 3) { x q[1]; }
    return probs(q[0], q[1]);
}
"""


def test_resets_and_multi_bit_conditions_keep_the_outcomes():
    result = compile_source(RESETS, "resets.qdl")
    assert result.ok
    program = result.module.circuits[0]
    schedule = schedule_circuit(program, "t5", values={"theta": 1.1}).bind()
    assert_same_outcomes(program, schedule, {"theta": 1.1})
    assert timing_violations(schedule) == []
    text = export_openpulse(dump(schedule))
    assert "if (c[0] == 1 && c[1] == 1) {" in text  # `c == 3` on the program's bits; the resets add slots 2, 3
    assert import_openpulse(text) == json.loads(json.dumps(dump(schedule)))
    Program.parse(export_quilt(dump(schedule)))


def terminal_bits(schedule: PulseSchedule) -> set[int]:
    """Bits of the measurements that no later gate, condition or measurement touches, on the physical qubits.

    Read from the schedule's record (whose order the outcome replay checks): routing may reuse a
    measured program qubit's physical qubit, which makes that measurement mid-circuit.
    """
    gates, measures = schedule.gates, schedule.measurements
    return {m.bit for k, m in enumerate(measures)
            if not any(m.qubit in g.qubits or (g.condition and m.bit in g.condition.bits)
                       for g in gates[m.position:])
            and not any(n.qubit == m.qubit or n.bit == m.bit for n in measures[k + 1:])}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dynamic_programs(), st.sampled_from(["asap", "alap"]))
def test_random_dynamic_circuits_keep_outcomes_and_timing(program, method):
    schedule = schedule_circuit(program, T5_ACQ64, method)
    assert_same_outcomes(program, schedule)
    assert timing_violations(schedule) == []
    doc = dump(schedule)
    VALIDATOR.validate(json.loads(json.dumps(doc)))
    assert load(doc) == schedule
    common.check_timing(doc)
    assert all(i.t0 % 64 == 0 for i in schedule.instructions if isinstance(i, Acquire))
    text = export_openpulse(doc)
    openpulse.parse(text)
    assert import_openpulse(text) == json.loads(json.dumps(doc))
    Program.parse(export_quilt(doc))
    acquires = [i for i in schedule.instructions if isinstance(i, Acquire)]
    last_into = {a.memory_slot: a for a in acquires}
    assert len({last_into[b].t0 for b in terminal_bits(schedule)}) <= 1  # the final readout starts together
    for block in (i for i in schedule.instructions if isinstance(i, Conditional)):
        # a branch starts only once every acquire before it into the bits it reads has ended
        assert all(a.t0 + a.duration <= block.t0 for a in acquires
                   if a.memory_slot in block.condition.bits and a.t0 < block.t0 + max(block.duration, 1))


def test_the_pulse_gradient_refuses_dynamic_circuits():
    from qdl.compiler.passes.schedule.gradient import gradient_schedules
    source = ("circuit g(theta: float) -> float {\n    qubit q[2];\n    bit c[1];\n    h q[0];\n"
              "    c[0] = measure q[0];\n    if (c[0] == 1) { rz(theta) q[1]; }\n    ry(theta) q[1];\n"
              "    return expval(Z[1]);\n}\n")
    program = compile_source(source, "g.qdl").module.circuits[0]
    with pytest.raises(ScheduleError, match=r"E0609.*pulse gradient of `g`.*conditional block"):
        gradient_schedules(program, "t5")

