"""Conditional blocks in the JSON schedule (v0.2) and the OpenPulse / Quil-T exports, on examples/teleport.qdl."""

from __future__ import annotations

import json
import math
import re

import jsonschema
import openpulse
import pytest
from quil.program import Program

from qdl.compiler.ir import Circuit, Condition, MeasureOp
from qdl.compiler.passes.schedule import schedule_circuit
from qdl.compiler.pulse.expr_json import PulseExportError
from qdl.compiler.pulse.openpulse import condition_text, export_openpulse, import_openpulse
from qdl.compiler.pulse.quilt import export_quilt
from qdl.compiler.pulse.schedule import PulseSchedule
from qdl.compiler.pulse.serialize import ScheduleFormatError, dump, load
from qdl.compiler.pulse.timing import timing_violations

from dynamic_helpers import T5, TELEPORT, VALIDATOR, circuit, g, teleport_schedule


@pytest.fixture(scope="module")
def teleport() -> tuple[Circuit, PulseSchedule]:
    return teleport_schedule()


# ---- the JSON schedule -----------------------------------------------------------------------------------

def test_teleport_schedules_round_trips_and_validates(teleport):
    _, schedule = teleport
    doc = json.loads(json.dumps(dump(schedule)))
    VALIDATOR.validate(doc)
    assert doc["version"] == "0.2" and load(doc) == schedule
    blocks = [i for i in doc["instructions"] if i["op"] == "conditional"]
    assert [b["condition"] for b in blocks] == [{"bits": [1], "value": 1}, {"bits": [0], "value": 1}]
    assert timing_violations(schedule) == [] and timing_violations(load(doc)) == []


def test_version_0_1_is_kept_without_conditions_and_refused_with_them(teleport):
    plain = schedule_circuit(circuit([g("x", 0), MeasureOp(0, 0)], 1, 1), T5, native=False)
    assert dump(plain)["version"] == "0.1"
    doc = dump(teleport[1])
    doc["version"] = "0.1"
    with pytest.raises(ScheduleFormatError, match="declares version 0.2"):
        load(doc)
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate(json.loads(json.dumps(doc)))
    doc["instructions"] = [i for i in doc["instructions"] if i["op"] != "conditional"]
    with pytest.raises(ScheduleFormatError, match="declares version 0.2"):
        load(doc)  # the conditioned source gates alone need 0.2 too
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate(json.loads(json.dumps(doc)))


@pytest.mark.parametrize("mutate, message", [
    (lambda b: b["condition"].update(value=2), "does not fit"),
    (lambda b: b["condition"].update(bits=[0, 0]), "distinct"),
    (lambda b: b.update(duration=100), "branch's duration"),
    (lambda b: b.update(condition={"bit": 1}), "a condition is"),
])
def test_malformed_conditional_blocks_are_refused(teleport, mutate, message):
    doc = json.loads(json.dumps(dump(teleport[1])))
    mutate(next(i for i in doc["instructions"] if i["op"] == "conditional"))
    with pytest.raises(ScheduleFormatError, match=message):
        load(doc)
    with pytest.raises(PulseExportError):
        export_openpulse(doc)


# ---- exports ---------------------------------------------------------------------------------------------

def test_teleport_exports_to_openpulse_with_if_blocks_that_parse_and_read_back(teleport):
    doc = dump(teleport[1])
    text = export_openpulse(doc)
    openpulse.parse(text)
    assert import_openpulse(text) == json.loads(json.dumps(doc))
    assert "if (c[1]) {" in text and "if (c[0]) {" in text
    assert "} else {\n        delay[160dt] q2_drive;\n    }" in text  # the not-taken branch idles as long


@pytest.mark.parametrize("bits, value, size, text", [
    ((1,), 1, 2, "c[1]"), ((0,), 0, 2, "!c[0]"), ((0, 1), 2, 2, "c == 2"), ((0, 1), 2, 3, "c[0] == 0 && c[1] == 1"),
])
def test_condition_forms(bits, value, size, text):
    assert condition_text({"bits": list(bits), "value": value}, size) == text
    openpulse.parse(f"OPENQASM 3.0;\nbit[{size}] c;\nqubit q;\nif ({text}) {{ x q; }}\n")
    doc = json.loads(json.dumps(dump(schedule_circuit(circuit(
        [MeasureOp(0, 0), MeasureOp(1, 1), MeasureOp(2, 2), g("x", 0, condition=Condition((0,), 1))]), T5,
        native=False))))
    block = next(i for i in doc["instructions"] if i["op"] == "conditional")
    block["condition"] = {"bits": list(bits), "value": value}
    if size == 2:  # a two-bit register: no memory slot 2
        doc["instructions"] = [i for i in doc["instructions"] if i.get("memory_slot") != 2]
    exported = export_openpulse(doc)
    assert f"if ({text}) {{" in exported and import_openpulse(exported)["instructions"] == doc["instructions"]


def test_quil_t_jumps_over_the_body_and_idles_as_long(teleport):
    text = export_quilt(dump(teleport[1]))
    Program.parse(text)
    dt = T5.dt
    match = re.search(r"JUMP-UNLESS (@\S+) ro\[1\]\nNONBLOCKING PULSE 2 \"q2_drive\" x_q2\nJUMP (@\S+)\n"
                      r"LABEL \1\nDELAY 2 \"q2_drive\" (\S+)\nLABEL \2\n", text)
    assert match and math.isclose(float(match.group(3)), 160 * dt)
    assert re.search(r"JUMP-UNLESS (@\S+) ro\[0\]\nSHIFT-PHASE 2 \"q2_drive\" \S+\nLABEL \1\n", text)


def test_quil_t_conditions_on_zero_bits_jump_when_set():
    doc = json.loads(json.dumps(dump(schedule_circuit(
        circuit([MeasureOp(0, 0), MeasureOp(1, 1), g("x", 2, condition=Condition((0, 1), 2))]), T5, native=False))))
    text = export_quilt(doc)
    Program.parse(text)
    assert re.search(r"JUMP-WHEN (@\S+) ro\[0\]\nJUMP-UNLESS \1 ro\[1\]\n", text)


def test_verify_schedule_names_the_file_and_the_first_conditional_block(teleport, tmp_path, qdlc):
    path = tmp_path / "teleport.json"
    path.write_text(json.dumps(dump(teleport[1])))
    out = qdlc("verify-schedule", str(path), "--device", "t5")
    assert out.code == 2 and f"{path}: the schedule has classically conditioned" in out.err
    assert "if (c[1] == 1) x q2" in out.err and "Traceback" not in out.err


@pytest.mark.parametrize("emit, parse", [("openpulse", openpulse.parse), ("quil-t", Program.parse)])
def test_qdlc_schedules_teleport_to_every_text_format(qdlc, emit, parse):
    out = qdlc("schedule", str(TELEPORT), "--device", "t5", "--emit", emit, "--arg", "theta=0.7", "--arg", "phi=0.3")
    assert out.code == 0, out.err
    parse(out.out)


def test_the_timeline_plots_schedules_with_conditional_blocks(teleport, tmp_path):
    pytest.importorskip("matplotlib")
    from qdl.runtime.pulse.plot import plot_timeline
    plot_timeline(dump(teleport[1]), str(tmp_path / "teleport.svg"))
    text = (tmp_path / "teleport.svg").read_text()
    assert text.startswith("<?xml") and len(text) > 10_000
