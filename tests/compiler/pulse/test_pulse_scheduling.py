"""Scheduling native circuits on the t5 device: golden ASAP/ALAP start times, timing grid, barriers, errors.

The golden t0 lists below were worked out by hand from t5's durations
(sx/x 160 dt, ECR(2,1) = 2·1280 + 160 dt, measure 22400 dt + 1680 dt ring-down),
not produced by the code under test.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from qdl.compiler.device import load_device
from qdl.compiler.expr import Arg, Const
from qdl.compiler.ir import Argument, BarrierOp, Circuit, GateOp, MeasureOp
from qdl.compiler.passes.schedule import DelayOp, ScheduleError, schedule_circuit
from qdl.compiler.pulse.schedule import Acquire, Barrier, Delay, Play, ShiftPhase
from qdl.compiler.pulse.timing import timing_violations

# t5 without its ECRs' local-Z corrections, which add `shift_phase`s at each ECR's end: the golden lists below
# are about timing (`test_ecr_phases_are_virtual_z_after_the_pulses` covers the corrections)
T5 = load_device("t5")
T5 = dataclasses.replace(T5, calibrations={**T5.calibrations, "ecr": tuple(
    dataclasses.replace(c, control_phase=0.0, target_phase=0.0) for c in T5.calibrations["ecr"])})


def g(name: str, *qubits: int, params=()) -> GateOp:
    return GateOp(name, qubits, tuple(params))


def circuit(ops, n: int = 3, args=()) -> Circuit:
    return Circuit("c", tuple(args), n, tuple(ops), ())


def starts(ops, method: str, n: int = 3, device=T5) -> list[tuple[int, str, str]]:
    schedule = schedule_circuit(circuit(ops, n), device, method, native=False)
    return [(i.t0, type(i).__name__, getattr(i, "frame", "")) for i in schedule.instructions]


THETA = Arg("theta")
C1 = [g("rz", 0, params=(THETA,)), g("sx", 0), g("x", 0), MeasureOp(0, 0)]
C1_T0 = [(0, "ShiftPhase", "q0_drive"), (0, "Play", "q0_drive"), (160, "Play", "q0_drive"),
         (320, "Play", "m0_frame"), (320, "Acquire", "a0_frame"), (22720, "Delay", "m0_frame")]  # §8a example

C2 = [g("sx", 0), g("sx", 1), g("x", 1), MeasureOp(0, 0), MeasureOp(1, 1)]
# the two measurements are read out together: a barrier over both qubits' frames, then both from 320
C2_ASAP = [0, 0, 160, 320, 320, 320, 320, 320, 22720, 22720]
C2_ALAP = [0, 160, 160, 320, 320, 320, 320, 320, 22720, 22720]

C3 = [g("sx", 0), g("x", 2), g("ecr", 2, 1), g("sx", 1)]
ECR_AT_160 = [160, 160, 1440, 1600, 1600]  # CR+ and cancel, echo X on the control, CR- and cancel
C3_ASAP = [0, 0] + ECR_AT_160 + [2880]
C3_ALAP = [0] + ECR_AT_160 + [2880, 2880]  # the lone sx on q0 moves to the end

C4 = [g("sx", 0), g("x", 0), BarrierOp((0, 1)), g("sx", 1)]
C4_T0 = [0, 160, 320, 320]


@pytest.mark.parametrize("method", ["asap", "alap"])
def test_single_qubit_matches_the_reference_example(method):
    assert starts(C1, method) == C1_T0


@pytest.mark.parametrize("ops, asap, alap", [(C2, C2_ASAP, C2_ALAP), (C3, C3_ASAP, C3_ALAP), (C4, C4_T0, C4_T0)])
def test_golden_start_times(ops, asap, alap):
    assert [t for t, _, _ in starts(ops, "asap")] == asap
    assert [t for t, _, _ in starts(ops, "alap")] == alap


@pytest.mark.parametrize("ops", [C1, C2, C3, C4])
def test_alap_and_asap_have_the_same_length(ops):
    lengths = {schedule_circuit(circuit(ops), T5, m, native=False).duration for m in ("asap", "alap")}
    assert len(lengths) == 1


def test_ecr_lowering_plays_cr_cancel_echo_cr():
    schedule = schedule_circuit(circuit(C3), T5, "asap", native=False)
    plays = [(i.t0, i.frame, i.name) for i in schedule.instructions if isinstance(i, Play) and i.gate.startswith("ecr")]
    assert plays == [(160, "cr2_1", "cr_p_q2_q1"), (160, "q1_drive", "cancel_p_q2_q1"), (1440, "q2_drive", "x_q2"),
                     (1600, "cr2_1", "cr_m_q2_q1"), (1600, "q1_drive", "cancel_m_q2_q1")]
    cr = {i.name: i.waveform for i in schedule.instructions if isinstance(i, Play)}
    assert cr["cr_m_q2_q1"].amp == -cr["cr_p_q2_q1"].amp and cr["cancel_m_q2_q1"].amp == -cr["cancel_p_q2_q1"].amp
    assert schedule.frame("cr2_1").port == "d2" and schedule.frame("cr2_1").tracks_qubit == 1
    assert schedule.frame("cr2_1").frequency_ghz == T5.qubits[1].frequency_ghz  # control port, target frequency


def test_virtual_z_shifts_every_frame_tracking_the_qubit_by_minus_theta():
    schedule = schedule_circuit(circuit([g("ecr", 2, 1), g("rz", 1, params=(THETA,))]), T5, "asap", native=False)
    shifts = [(i.frame, i.phase) for i in schedule.instructions if isinstance(i, ShiftPhase)]
    assert sorted(f for f, _ in shifts) == ["cr2_1", "q1_drive"]
    assert all(str(p) == "-theta" for _, p in shifts)
    assert {k: str(v) for k, v in schedule.final_frame_phases.items()} == {"q1_drive": "-theta", "cr2_1": "-theta"}


def test_ecr_phases_are_virtual_z_after_the_pulses():
    """`control_phase`/`target_phase` lower exactly as `rz` gates after an uncorrected ECR would."""
    ecr = tuple(dataclasses.replace(c, control_phase=0.3, target_phase=-0.5) if c.qubits == (2, 1) else c
                for c in T5.calibrations["ecr"])
    corrected = dataclasses.replace(T5, calibrations={**T5.calibrations, "ecr": ecr})
    ops = [g("ecr", 2, 1), g("ecr", 3, 1)]  # cr3_1 also tracks q1
    schedule = schedule_circuit(circuit(ops, 4), corrected, "asap", native=False)
    shifts = sorted((i.t0, i.frame, i.phase) for i in schedule.instructions if isinstance(i, ShiftPhase))
    assert shifts == [(2720, "cr2_1", 0.5), (2720, "cr3_1", 0.5), (2720, "q1_drive", 0.5), (2720, "q2_drive", -0.3)]
    assert all(i.gate == "ecr q2, q1" for i in schedule.instructions if isinstance(i, ShiftPhase))
    explicit = [ops[0], g("rz", 2, params=(Const(0.3),)), g("rz", 1, params=(Const(-0.5),)), ops[1]]
    reference = schedule_circuit(circuit(explicit, 4), T5, "asap", native=False)
    key = lambda i: (i.t0, type(i).__name__, i.frame, getattr(i, "phase", None))  # noqa: E731
    assert sorted(map(key, schedule.instructions)) == sorted(map(key, reference.instructions))
    assert schedule.duration == reference.duration


@pytest.mark.parametrize("method", ["asap", "alap"])
def test_delay_before_measure_is_stretched_to_the_acquire_grid(method):
    schedule = schedule_circuit(circuit([g("x", 0), DelayOp(0, 100), MeasureOp(0, 0)]), T5, method, native=False)
    delays = [i for i in schedule.instructions if isinstance(i, Delay) and i.frame == "q0_drive"]
    assert [(d.t0, d.duration) for d in delays] == [(160, 112)]
    acquire = next(i for i in schedule.instructions if isinstance(i, Acquire))
    assert acquire.t0 == 272 and acquire.t0 % 16 == 0


def test_barrier_aligns_every_frame_of_its_qubits():
    schedule = schedule_circuit(circuit([g("x", 2), g("ecr", 2, 1), g("sx", 0), BarrierOp((0, 1)), g("sx", 0)]),
                                T5, "asap", native=False)
    barrier = next(i for i in schedule.instructions if isinstance(i, Barrier))
    assert set(barrier.frames) == {"q0_drive", "q1_drive", "cr2_1"}
    assert barrier.t0 == 160 + 2720  # the end of the ECR, the latest of R(0) ∪ R(1)
    last_sx = [i for i in schedule.instructions if isinstance(i, Play) and i.frame == "q0_drive"][-1]
    assert last_sx.t0 == barrier.t0


def test_measurement_ring_down_blocks_the_qubit():
    schedule = schedule_circuit(circuit([MeasureOp(0, 0), g("sx", 0), g("sx", 1)]), T5, "asap", native=False)
    plays = {i.frame: i.t0 for i in schedule.instructions if isinstance(i, Play) and i.frame.endswith("drive")}
    assert plays == {"q0_drive": 22400 + 1680, "q1_drive": 0}


def test_lowered_circuits_meet_the_grid_and_never_overlap():
    import qdl
    prog = qdl.compile("""
circuit f(param a: float, param b: float) -> float {
    qubit q[4];
    bit c[4];
    ry(a) q[0];
    cx q[0], q[1];
    h q[3];
    cx q[3], q[1];
    rz(b) q[2];
    cx q[1], q[2];
    c = measure q;
    return expval(Z[0]);
}""")
    for method in ("asap", "alap"):
        schedule = schedule_circuit(prog.f.circuit, T5, method)
        assert timing_violations(schedule) == []
        assert {p.name for p in schedule.parameters} == {"a", "b"}


def test_timing_violations_reports_overlaps_and_grid():
    schedule = schedule_circuit(circuit([g("sx", 0)]), T5, "asap", native=False)
    play = schedule.instructions[0]
    bad = dataclasses.replace(schedule, instructions=(play, dataclasses.replace(play, t0=24)))
    problems = timing_violations(bad)
    assert any("overlapping" in p for p in problems) and any("alignment" in p for p in problems)


def _with_x(**changes) -> object:
    x = dataclasses.replace(T5.calibrations["x"], **changes)
    return dataclasses.replace(T5, calibrations={**T5.calibrations, "x": x})


def test_amplitude_tolerance_is_that_of_qiskit():
    ok = _with_x(amp=(1.0 + 1e-7,) * 5, beta=(0.0,) * 5)
    assert schedule_circuit(circuit([g("x", 0)]), ok, native=False).duration == 160
    with pytest.raises(ScheduleError, match=r"(?s)E0606.*over 1.*t5\.toml"):
        schedule_circuit(circuit([g("x", 0)]), _with_x(amp=(1.01,) * 5), native=False)


def test_duration_off_the_granularity_names_the_calibration_line():
    with pytest.raises(ScheduleError) as info:
        schedule_circuit(circuit([g("x", 0)]), _with_x(duration=170), native=False)
    text = str(info.value)
    assert "E0607" in text and "170 dt" in text and "granularity 16" in text and "[calibrations.x]" in text
    assert re.search(r"t5\.toml:\d+:1", text)


def test_gate_without_calibration_names_the_source_line(tmp_path):
    import qdl
    source = tmp_path / "h.qdl"
    source.write_text("circuit f() -> float {\n    qubit q;\n    h q;\n    return expval(Z[0]);\n}\n")
    prog = qdl.load(source)
    with pytest.raises(ScheduleError) as info:
        schedule_circuit(prog.f.circuit, T5, native=False)
    text = str(info.value)
    assert "E0609" in text and "no calibration for `h`" in text and f"{source}:3:5" in text


def test_uncalibrated_ecr_direction_is_an_error():
    with pytest.raises(ScheduleError, match="no ECR calibration for control 1, target 2"):
        schedule_circuit(circuit([g("ecr", 1, 2)]), T5, native=False)


def test_circuit_needing_more_qubits_than_the_device():
    with pytest.raises(ScheduleError, match="needs 6 qubits; device `qdl-fake-t5` has 5"):
        schedule_circuit(circuit([g("sx", 5)], n=6), T5, native=False)


def test_unknown_method():
    with pytest.raises(ValueError, match="asap, alap"):
        schedule_circuit(circuit([g("sx", 0)]), T5, "late", native=False)


def test_parameters_are_declared_with_values_and_trainability():
    args = (Argument("theta", "float", (), True), Argument("w", "float", (2,), False))
    ops = [g("rz", 0, params=(THETA,)), g("sx", 0), g("rz", 0, params=(Arg("w", (1,)) * Const(2.0),))]
    schedule = schedule_circuit(Circuit("c", args, 1, tuple(ops), ()), T5, values={"theta": 0.3, "w": [0.0, 0.5]},
                                native=False)
    assert [(p.name, p.kind, p.trainable, p.value) for p in schedule.parameters] == [
        ("theta", "angle", True, 0.3), ("w[1]", "angle", False, 0.5)]


def test_integer_arguments_are_int_parameters():
    args = (Argument("k", "int"),)
    schedule = schedule_circuit(Circuit("c", args, 1, (g("rz", 0, params=(Arg("k") * Const(0.5),)),), ()), T5,
                                values={"k": 3}, native=False)
    assert [(p.name, p.kind, p.value) for p in schedule.parameters] == [("k", "int", 3.0)]


def _embedded_state(psi: np.ndarray, positions: tuple[int, ...], num_physical: int) -> np.ndarray:
    """`psi` of the program's qubits with program qubit i on physical qubit positions[i], others |0>."""
    out = np.zeros(2**num_physical, dtype=complex)
    for index, amplitude in enumerate(psi):
        out[sum(((index >> i) & 1) << p for i, p in enumerate(positions))] = amplitude
    return out


def _number(value, env) -> float:
    return float(value.evaluate(env)) if hasattr(value, "evaluate") else float(value)


def test_a_circuit_off_the_coupling_map_is_routed_and_its_placement_recorded():
    """A triangle of cx on t5 (which has none): routed, every ECR calibrated, the state equal up to the placement."""
    from qdl.compiler.pulse.serialize import load
    from qdl.runtime import reference
    ops = [g("h", 0), g("ry", 2, params=(THETA,)), g("cx", 0, 2), g("cx", 2, 1), g("rx", 1, params=(Const(0.4),)),
           g("cx", 1, 0), g("ry", 0, params=(THETA,))]
    source = circuit(ops, 3, (Argument("theta", "float"),))
    schedule = schedule_circuit(source, T5, "alap", values={"theta": 0.7})
    placed = schedule.placement
    assert placed is not None and placed.swaps >= 1 and sorted(placed.initial) == sorted(set(placed.initial))
    ecrs = [gate.qubits for gate in schedule.gates if gate.name == "ecr"]
    assert ecrs and all(T5.calibrated_direction(*pair) for pair in ecrs)
    assert load(schedule.to_json()).placement == placed
    env = {"theta": np.float64(0.7)}
    native = [GateOp(gate.name, gate.qubits, tuple(Const(_number(p, env)) for p in gate.params))
              for gate in schedule.gates]
    u_native, u_source = reference.unitary(native, T5.num_qubits), reference.unitary(ops, 3, env)
    overlaps = []
    for k in range(8):  # program basis state k, placed on the initial qubits, ends as U|k> on the final ones
        start = _embedded_state(np.eye(8)[k], placed.initial, T5.num_qubits)
        want = _embedded_state(u_source[:, k], placed.final, T5.num_qubits)
        overlaps.append(np.vdot(want, u_native @ start))
    np.testing.assert_allclose(overlaps, overlaps[0], atol=1e-9)  # one global phase for every column
    assert abs(abs(overlaps[0]) - 1) < 1e-9
