"""Gate-level OpenPulse export of dynamic circuits: readout groups as `box`es, resets, `if` blocks.

Every program here is checked with `defcal_helpers.assert_same_meaning`: the
text, expanded through its defcals (ASAP or ALAP, on the device's grid), is
the flat schedule of the same circuit, conditional blocks and their bodies
included.  `pytest tests/compiler/pulse/test_openpulse_defcal_dynamic.py
--update-goldens` rewrites tests/golden/openpulse_defcal/dynamic.t5.qasm.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import openpulse
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qdl.compiler.driver import compile_file
from qdl.compiler.ir import Condition, MeasureOp, ResetOp
from qdl.compiler.pulse.expr_json import PulseExportError
from qdl.compiler.pulse.openpulse_defcal_import import expand_openpulse_defcal

from defcal_helpers import assert_same_meaning, export_circuit
from dynamic_helpers import T5, T5_ACQ64, TELEPORT, circuit, dynamic_programs, g

GOLDEN = Path(__file__).resolve().parents[3] / "tests" / "golden" / "openpulse_defcal"
DYNAMIC = GOLDEN / "dynamic.qdl"
METHODS = ["asap", "alap"]


@lru_cache(maxsize=None)
def _compiled(path: Path):
    result = compile_file(str(path))
    assert result.ok, result.render("short")
    return result.module.circuits[0]


@lru_cache(maxsize=None)
def _export(path: Path, method: str, grid64: bool = False) -> tuple[str, dict]:
    return export_circuit(_compiled(path), method, T5_ACQ64 if grid64 else T5)


@pytest.mark.parametrize("grid64", [False, True], ids=["t5", "acquire-grid-64"])
@pytest.mark.parametrize("method", METHODS)
def test_teleport_reads_out_together_and_branches_on_the_bits(method: str, grid64: bool):
    text, doc = _export(TELEPORT, method, grid64)
    openpulse.parse(text)
    assert "bit:" not in text  # the scheduler's bit resources are no frames
    assert "box {\n    barrier $0, $1;\n    c[0] = measure $0;\n    c[1] = measure $1;\n}\n" in text
    calls = text.split("}\n\n")[-1]
    assert re.search(r"^if \(c\[1\]\) \{ x \$2; \}\nif \(c\[0\]\) \{ rz\(3\.14159\d*\) \$2; \}\n\Z", calls, re.M)
    assert not re.search(r"^x \$2;$", calls, re.M)  # the correction is never unconditional
    assert [i["op"] for i in doc["instructions"]].count("conditional") == 2
    assert_same_meaning(text, doc, method)


@pytest.mark.parametrize("method", METHODS)
def test_reset_and_every_condition_form(method: str):
    text, doc = _export(DYNAMIC, method)
    openpulse.parse(text)
    assert "bit[4] c;" in text  # c[0], c[1] and the resets' scratch slots c[2], c[3]
    # reset q[0] as the flat schedule lowers it: a measurement into a scratch slot and a conditional x
    assert "c[2] = measure $0;\nif (c[2]) { x $0; }\n" in text and "c[3] = measure $1;\nif (c[3]) { x $1; }\n" in text
    assert text.endswith("box {\n    barrier $2, $0;\n    c[1] = measure $2;\n    c[0] = measure $0;\n}\n")
    assert "if (!c[0]) { x $2; }" in text and "if (c[0] == 1 && c[1] == 1) { sx $2; }" in text
    assert re.search(r"^if \(c\[1\]\) \{ rz\(theta\) \$1; \}$", text, re.M)
    assert_same_meaning(text, doc, method)


@pytest.mark.parametrize("method", METHODS)
def test_a_condition_on_the_whole_register(method: str):
    ops = [g("sx", 0), MeasureOp(0, 0), MeasureOp(1, 1), g("x", 2, condition=Condition((0, 1), 2)),
           g("ecr", 1, 0, condition=Condition((1,), 1)), MeasureOp(2, 0)]
    text, doc = export_circuit(circuit(ops, 3, 2), method, T5)
    assert "if (c == 2) { x $2; }" in text and "if (c[1]) { ecr $1, $0; }" in text
    assert_same_meaning(text, doc, method)


def test_golden_export(golden):
    golden(GOLDEN / "dynamic.t5.qasm", _export(DYNAMIC, "alap")[0])


def test_a_wrong_condition_or_grouping_is_detected():
    """The meaning check can fail: another bit, an unconditional correction, or the readout group's barrier
    without its box (under ALAP the two measurements then end when their own qubits are next needed)."""
    text, doc = _export(TELEPORT, "asap")
    for broken in (text.replace("if (c[1]) { x $2; }", "if (c[0]) { x $2; }"),
                   text.replace("if (c[1]) { x $2; }", "x $2;")):
        assert broken != text
        with pytest.raises(AssertionError):
            assert_same_meaning(broken, doc, "asap")
    text, doc = _export(TELEPORT, "alap")
    unboxed = re.sub(r"box \{\n((?:    .*\n)*?)\}\n", lambda m: m.group(1).replace("    ", ""), text)
    assert "barrier $0, $1;\nc[0] = measure $0;\nc[1] = measure $1;\n" in unboxed
    with pytest.raises(AssertionError):
        assert_same_meaning(unboxed, doc, "alap")


def test_the_expander_refuses_what_has_no_timing_here():
    text, _ = _export(TELEPORT, "asap")
    with pytest.raises(PulseExportError, match=r"line \d+: an `if` with an `else`"):
        expand_openpulse_defcal(text.replace("if (c[1]) { x $2; }", "if (c[1]) { x $2; } else { sx $2; }"))
    with pytest.raises(PulseExportError, match="no measurements or nested conditions"):
        expand_openpulse_defcal(text.replace("if (c[1]) { x $2; }", "if (c[1]) { c[0] = measure $0; }"))
    with pytest.raises(PulseExportError, match="unsupported condition"):
        expand_openpulse_defcal(text.replace("if (c[1]) {", "if (c[1] || c[0]) {"))


def test_cli_emits_the_dynamic_program(qdlc):
    done = qdlc("schedule", str(TELEPORT), "--device", "t5", "--method", "asap", "--emit", "openpulse-defcal")
    assert done.code == 0, done.err
    assert done.out == _export(TELEPORT, "asap")[0]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dynamic_programs(), st.sampled_from(METHODS), st.booleans())
def test_random_dynamic_circuits_mean_their_flat_schedule(program, method, grid64):
    text, doc = export_circuit(program, method, T5_ACQ64 if grid64 else T5)
    openpulse.parse(text)
    assert "bit:" not in text
    resets = sum(isinstance(op, ResetOp) for op in program.ops)
    assert text.count("measure $") - text.count("defcal measure") >= resets
    assert_same_meaning(text, doc, method)
