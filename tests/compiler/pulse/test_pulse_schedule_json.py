"""The JSON schedule `qdl.pulse_schedule` v0.1 (reference note §8a, §8d item 4): schema, round trip, binding."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qdl.compiler.device import load_device
from qdl.compiler.expr import Arg, Binary, Const, Unary
from qdl.compiler.ir import Argument, Circuit, GateOp, MeasureOp
from qdl.compiler.passes.schedule import schedule_circuit
from qdl.compiler.pulse import Drag, Samples
from qdl.compiler.pulse.schedule import Frame, Parameter, Play, PulseSchedule, ShiftPhase
from qdl.compiler.pulse.serialize import ScheduleFormatError, dump, load, value_from_json, value_to_json

REPO = Path(__file__).resolve().parents[3]
SCHEMA = json.loads((REPO / "docs" / "pulse_schedule.schema.json").read_text())
REFERENCE = json.loads((Path(__file__).parent / "reference_schedule.json").read_text())  # §8a example
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
THETA, PHI = Arg("theta"), Arg("phi")


def native_circuit() -> Circuit:
    args = (Argument("theta", "float", (), True), Argument("phi", "float", (), True))
    angle = Binary("+", Binary("*", THETA, Const(0.5)), Unary("sin", PHI))
    ops = (GateOp("rz", (1,), (angle,)), GateOp("sx", (1,)), GateOp("x", (2,)), GateOp("ecr", (2, 1)),
           GateOp("rz", (2,), (Unary("neg", THETA),)), GateOp("sx", (2,)), MeasureOp(1, 0), MeasureOp(2, 1))
    return Circuit("c", args, 3, ops, ())


@pytest.fixture(scope="module")
def schedule() -> PulseSchedule:
    return schedule_circuit(native_circuit(), "t5", values={"theta": 0.3, "phi": -1.1}, native=False)


def test_the_schema_is_draft_2020_12_and_accepts_the_reference_example():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    VALIDATOR.validate(REFERENCE)


def test_dumped_schedules_validate_and_round_trip(schedule):
    doc = json.loads(json.dumps(dump(schedule)))
    VALIDATOR.validate(doc)
    assert load(doc) == schedule
    assert dump(load(doc)) == doc


def test_reference_example_loads_and_round_trips():
    loaded = load(REFERENCE)
    assert loaded.parameter_values == {"theta": 0.3, "x0_amp": 0.17408}
    x = next(i for i in loaded.instructions if isinstance(i, Play) and i.name == "x_q0")
    assert x.waveform.amp == Arg("x0_amp")
    assert load(dump(loaded)) == loaded
    assert dump(loaded)["final_frame_phases"] == REFERENCE["final_frame_phases"]


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["instructions"][1].pop("waveform"), "waveform"),                     # play without waveform
    (lambda d: d["instructions"][0].pop("phase"), "phase"),                           # shift_phase without phase
    (lambda d: d["instructions"][0].update(phase="-theta"), "is not valid"),          # strings are not values
    (lambda d: d["instructions"][0].update(phase={"op": "tan", "args": [1.0]}), "is not valid"),
    (lambda d: d["instructions"][4].pop("memory_slot"), "memory_slot"),               # acquire without slot
    (lambda d: d["instructions"][1].update(t0=-16), "minimum"),
    (lambda d: d.update(phase_convention="axis=-phase"), "axis=\\+phase"),
    (lambda d: d.update(format="qiskit"), "qdl.pulse_schedule"),
    (lambda d: d["waveforms"]["sx_q0"].update(duration=0), "minimum"),
    (lambda d: d["waveforms"]["sx_q0"].update(shape="sech"), "is not one of"),
    (lambda d: d.pop("frames"), "frames"),
])
def test_schema_rejects_broken_documents(mutate, message):
    doc = copy.deepcopy(REFERENCE)
    mutate(doc)
    with pytest.raises(jsonschema.ValidationError, match=message):
        VALIDATOR.validate(doc)


def test_load_rejects_what_it_cannot_read():
    doc = copy.deepcopy(REFERENCE)
    doc["instructions"][1].pop("waveform")
    with pytest.raises(ScheduleFormatError, match="needs 'waveform'"):
        load(doc)
    with pytest.raises(ScheduleFormatError, match="not a value"):
        value_from_json("-theta")


def test_expression_trees_and_free_parameters_are_preserved(schedule):
    doc = dump(schedule)
    first = doc["instructions"][0]
    assert first["op"] == "shift_phase" and first["gate"] == "rz(theta * 0.5 + sin(phi)) q1"
    assert first["phase"] == {"op": "neg", "args": [{"op": "add", "args": [
        {"op": "mul", "args": [{"param": "theta"}, 0.5]}, {"op": "sin", "args": [{"param": "phi"}]}]}]}
    assert [p["name"] for p in doc["parameters"]] == ["phi", "theta"]
    assert [p["value"] for p in doc["parameters"]] == [-1.1, 0.3]
    assert set(doc["final_frame_phases"]) == {"q1_drive", "cr2_1", "q2_drive"}
    # rz(-theta) -> shift_phase(theta), after the shift_phase(-control_phase) of t5's calibrated ECR(2, 1)
    ecr = next(c for c in load_device("t5").calibrations["ecr"] if c.qubits == (2, 1))
    theta = {"param": "theta"}
    assert doc["final_frame_phases"]["q2_drive"] == (
        {"op": "add", "args": [-ecr.control_phase, theta]} if ecr.control_phase else theta)


def test_binding_then_sampling_equals_sampling_with_values(schedule):
    for values in ({"theta": 0.3, "phi": -1.1}, {"theta": -2.0, "phi": 0.7}):
        direct = schedule.samples(values)
        bound = schedule.bind(**values)
        assert bound.parameters == () and all(not isinstance(i.phase, Arg) for i in bound.instructions
                                                if isinstance(i, ShiftPhase))
        for frame, samples in bound.samples().items():
            np.testing.assert_allclose(samples, direct[frame], rtol=0, atol=1e-12)


def test_symbolic_waveform_parameters_bind_like_sampling():
    amp = Binary("*", Arg("a"), Const(0.5))
    s = PulseSchedule((Frame("d0", 0, 5.0, tracks_qubit=0, port="d0"),),
                      (Play(0, "d0", Drag(160, amp, 40, Arg("b"), Unary("neg", Arg("a"))), "x"),),
                      parameters=(Parameter("a", value=0.3), Parameter("b", value=1.5)), dt=2e-10)
    np.testing.assert_allclose(s.bind(a=0.2).samples()["d0"], s.samples({"a": 0.2})["d0"], rtol=0, atol=1e-12)
    assert load(dump(s)) == s


def test_explicit_samples_round_trip():
    wave = Samples(3, (0.1 + 0.2j, 0.5 + 0j, -0.1j))
    s = PulseSchedule((Frame("d0", 0, 5.0, port="d0"),), (Play(16, "d0", wave, "raw"),))
    with pytest.raises(ScheduleFormatError, match="dt"):
        dump(s)
    s = dataclasses.replace(s, device_name="lab", dt=2e-10)
    doc = dump(s)
    VALIDATOR.validate(doc)
    assert doc["waveforms"]["raw"]["samples"] == [[0.1, 0.2], [0.5, 0.0], [-0.0, -0.1]]
    assert load(doc) == s
    np.testing.assert_array_equal(load(doc).samples()["d0"][16:], np.array(wave.values))


LEAVES = st.one_of(st.floats(-10, 10, allow_nan=False).map(Const), st.sampled_from([THETA, PHI, Arg("w", (1,))]))
EXPRS = st.recursive(LEAVES, lambda inner: st.one_of(
    st.builds(Binary, st.sampled_from(["+", "-", "*", "/", "**"]), inner, inner),
    st.builds(Unary, st.sampled_from(["neg", "sin", "cos", "exp", "sqrt"]), inner)), max_leaves=8)


@settings(max_examples=200, deadline=None)
@given(EXPRS)
def test_expression_trees_round_trip(expr):
    node = json.loads(json.dumps(value_to_json(expr)))
    back = value_from_json(node)
    assert (back == expr.value) if isinstance(expr, Const) else (back == expr)
