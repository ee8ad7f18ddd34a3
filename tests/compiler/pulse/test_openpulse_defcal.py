"""Gate-level OpenPulse export (`defcal`s + native circuit): reference parser, meaning, golden file, CLI.

The meaning check (`defcal_helpers.assert_same_meaning`) expands the text
through its defcals and compares it with the flat schedule frame by frame;
test_openpulse_defcal_dynamic.py covers readout groups, resets and conditions.

`pytest tests/compiler/pulse/test_openpulse_defcal.py --update-goldens`
rewrites the golden export under tests/golden/openpulse_defcal/.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import openpulse
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpulse import printer

from qdl.compiler.driver import CompileOptions, compile_file, compile_source
from qdl.compiler.passes.schedule import ScheduleError, schedule_circuit
from qdl.compiler.passes.schedule.build import native_placement
from qdl.compiler.pulse.expr_json import PulseExportError
from qdl.compiler.pulse.openpulse_defcal import defcal_program, export_openpulse_defcal
from qdl.compiler.pulse.openpulse_defcal_import import expand_openpulse_defcal

from defcal_helpers import assert_same_meaning, export_circuit

REPO = Path(__file__).resolve().parents[3]
GOLDEN = REPO / "tests" / "golden" / "openpulse_defcal"
EXAMPLES = sorted((REPO / "examples").glob("*.qdl"))
PROGRAM = GOLDEN / "bell_readout.qdl"  # measurements, a barrier, symbolic scalar and array-element angles


@lru_cache(maxsize=None)
def _circuits(path: Path) -> tuple:
    result = compile_file(str(path), CompileOptions())
    assert result.ok, result.render("short")
    return tuple(result.module.circuits)


def _cases() -> list:
    return [pytest.param(path, c.name, id=f"{path.stem}-{c.name}") for path in EXAMPLES for c in _circuits(path)]


def _export_circuit(circuit, method: str) -> tuple[str, dict]:
    """(defcal text, flat schedule document) of one circuit on t5, from one native placement."""
    return export_circuit(circuit, method, load_t5())


@lru_cache(maxsize=None)
def _export(path: Path, name: str, method: str) -> tuple[str, dict]:
    """`_export_circuit` of a circuit of a file; skips circuits that t5 cannot run."""
    circuit = next(c for c in _circuits(path) if c.name == name)
    try:
        return _export_circuit(circuit, method)
    except ScheduleError as exc:
        pytest.skip(f"{path.name}:{name} does not schedule on t5: {str(exc).splitlines()[0]}")


@lru_cache(maxsize=None)
def load_t5():
    from qdl.compiler.device import load_device
    return load_device("t5")


@pytest.mark.parametrize("path, name", _cases())
def test_every_example_parses_and_means_its_flat_schedule(path: Path, name: str):
    for method in ("asap", "alap"):
        text, doc = _export(path, name, method)
        program = openpulse.parse(text)
        assert printer.dumps(openpulse.parse(printer.dumps(program))) == printer.dumps(program)
        assert_same_meaning(text, doc, method)


@pytest.mark.parametrize("method", ["asap", "alap"])
def test_measurements_barrier_and_symbolic_angles(method: str):
    text, doc = _export(PROGRAM, "bell", method)
    openpulse.parse(text)
    assert "input angle[32] theta;" in text and re.search(r"^input array\[angle\[32\], 2\] w;$", text, re.M)
    assert re.search(r"^rz\(.*w\[1\].*theta.*\) \$1;$", text, re.M)  # the angle stays an expression
    assert "defcal measure $0 -> bit {" in text and "c[1] = measure $1;" in text and "barrier $0, $1;" in text
    assert re.search(r"^defcal rz\(angle\[32\] th\) \$0 \{ shift_phase\(q0_drive, -th\); "
                     r"shift_phase\(cr1_0, -th\); \}$", text, re.M)
    assert_same_meaning(text, doc, method)
    assert any(i["op"] == "barrier" for i in doc["instructions"])


def test_only_the_defcals_the_circuit_uses():
    text, doc = _export(PROGRAM, "bell", "alap")
    defined = set(re.findall(r"^defcal (\w+)(?:\([^)]*\))? ([$\d, ]+?)(?: ->.*)? \{", text, re.M))
    called = set(re.findall(r"^ *(?:c\[\d+\] = )?(\w+)(?:\(.*\))? ([$\d, ]+);$", text, re.M)) - {
        ("barrier", "$0, $1")}
    assert defined == called
    gates = {(g["name"], ", ".join(f"${q}" for q in g["qubits"])) for g in doc["source"]["gates"]}
    assert defined == gates | {("measure", "$0"), ("measure", "$1")}


def test_a_wrong_defcal_is_detected():
    """The meaning check can fail: moving the ECR's echo pulse changes the expanded schedule."""
    text, doc = _export(PROGRAM, "bell", "asap")
    broken = re.sub(r"(defcal ecr \$1, \$0 \{\n(?:.*\n)*?)    delay\[2688dt\] q1_drive;\n", r"\1", text, count=1)
    assert broken != text
    with pytest.raises(AssertionError):
        assert_same_meaning(broken, doc, "asap")
    swapped = text.replace("shift_phase(q0_drive, -th)", "shift_phase(q0_drive, th)")
    with pytest.raises(AssertionError):
        assert_same_meaning(swapped, doc, "asap")


def test_golden_export(golden):
    golden(GOLDEN / "bell_readout.t5.qasm", _export(PROGRAM, "bell", "alap")[0])


def test_api_places_the_circuit_itself():
    circuit = _circuits(PROGRAM)[0]
    assert export_openpulse_defcal(circuit, "t5", "alap") == _export(PROGRAM, "bell", "alap")[0]


def test_cli_emits_the_defcal_program(qdlc):
    done = qdlc("schedule", str(PROGRAM), "--device", "t5", "--method", "asap", "--emit", "openpulse-defcal")
    assert done.code == 0, done.err
    assert done.out == _export(PROGRAM, "bell", "asap")[0]


def test_cli_reports_a_circuit_without_pulses(qdlc, tmp_path: Path):
    source = tmp_path / "unmeasured.qdl"  # a condition on a bit no measurement writes: no pulse program
    source.write_text("circuit f() -> float {\n    qubit q[1];\n    bit c[1];\n    if (c[0] == 1) { x q[0]; }\n"
                      "    return expval(Z[0]);\n}\n")
    done = qdlc("schedule", str(source), "--device", "t5", "--emit", "openpulse-defcal")
    assert done.code != 0 and "Traceback" not in done.err and "E0609" in done.err
    assert "no earlier measurement writes" in done.err


def _defcal_ends(text: str) -> dict[str, dict[str, int]]:
    """Per defcal, each frame's clock after its body (plays, captures and delays advance it; written here
    from the OpenPulse AST alone, without the expander)."""
    from openpulse import ast
    program = openpulse.parse(text)
    durations = {s.identifier.name: int(s.init_expression.arguments[1].value)
                 for c in program.statements if isinstance(c, ast.CalibrationStatement) for s in c.body
                 if isinstance(s, ast.ClassicalDeclaration) and isinstance(s.type, ast.WaveformType)}
    out = {}
    for stmt in program.statements:
        if not isinstance(stmt, ast.CalibrationDefinition):
            continue
        clock: dict[str, int] = defaultdict(int)
        for inner in stmt.body:
            if isinstance(inner, ast.DelayInstruction):
                clock[inner.qubits[0].name] += int(inner.duration.value)
                continue
            call = getattr(inner, "expression", None) or getattr(inner, "init_expression", None)
            if isinstance(call, ast.FunctionCall):
                frame, second = call.arguments[0].name, call.arguments[1]
                length = durations[second.name] if call.name.name in ("play", "capture_v2") else 0
                clock[frame] += length
        out[f"{stmt.name.name} {' '.join(q.name for q in stmt.qubits)}"] = dict(clock)
    return out


def test_every_defcal_has_a_definite_duration():
    """All frames a defcal uses end together: the scheduler's block length (ECR, measurement) or 0 (rz)."""
    text, _ = _export(PROGRAM, "bell", "alap")
    ends = _defcal_ends(text)
    assert {name: set(clocks.values()) for name, clocks in ends.items()} == {
        "ecr $1 $0": {2 * 2688 + 160}, "measure $0": {22400 + 1680}, "measure $1": {22400 + 1680},
        "rz $0": {0}, "rz $1": {0}, "sx $0": {160}, "sx $1": {160}}
    assert set(ends["measure $0"]) == {"m0_frame", "a0_frame", "q0_drive"}  # readout blocks the drive line
    assert set(ends["rz $0"]) == {"q0_drive", "cr1_0"}  # every frame tracking qubit 0


ANGLES = st.sampled_from(["a", "b", "2 * a + b", "0.3", "-a", "a * b"])
QUBITS = st.integers(0, 2)


@st.composite
def native_programs(draw) -> str:
    """A random three-qubit circuit: one- and two-qubit gates with symbolic angles, barriers, measurements."""
    lines = []
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["rot", "fixed", "cx", "barrier", "measure"]))
        i, j = draw(QUBITS), draw(QUBITS)
        if kind == "rot":
            lines.append(f"{draw(st.sampled_from(['rz', 'rx', 'ry']))}({draw(ANGLES)}) q[{i}];")
        elif kind == "fixed":
            lines.append(f"{draw(st.sampled_from(['sx', 'x', 'h']))} q[{i}];")
        elif kind == "cx" and i != j:
            lines.append(f"cx q[{i}], q[{j}];")
        elif kind == "barrier":
            lines.append(f"barrier q[{i}], q[{j}];" if i != j else f"barrier q[{i}];")
        elif kind == "measure":
            lines.append(f"c[{i}] = measure q[{i}];")
    body = "\n    ".join(["rz(a + b) q[0];"] + lines)
    return ("circuit r(param a: float, param b: float) -> float {\n    qubit q[3];\n    bit c[3];\n    "
            f"{body}\n    return expval(Z[0]);\n}}\n")


@settings(max_examples=25, deadline=None)
@given(source=native_programs(), method=st.sampled_from(["asap", "alap"]))
def test_random_circuits_mean_their_flat_schedule(source: str, method: str):
    result = compile_source(source, "r.qdl", CompileOptions())
    assert result.ok, result.render("short")
    text, doc = _export_circuit(result.module.circuits[0], method)
    openpulse.parse(text)
    assert_same_meaning(text, doc, method)


def test_an_argument_named_like_a_gate_is_renamed():
    """Gates and variables share OpenQASM's scope: an argument named like a used gate gets `_arg`."""
    text, doc = _export(REPO / "examples" / "classifier.qdl", "classify", "asap")  # argument x, gate x
    assert re.search(r'^@qdl \{"elements": .*"argument": "x"\}\ninput array\[angle\[32\], 4\] x_arg;$', text, re.M)
    assert re.search(r"^defcal x \$\d", text, re.M) and re.search(r"^rz\(x_arg\[0\]", text, re.M)
    source = "circuit f(param sx: float) -> float { qubit q; rz(sx) q; sx q; return expval(Z[0]); }"
    result = compile_source(source, "f.qdl", CompileOptions())
    text, doc = _export_circuit(result.module.circuits[0], "asap")
    assert re.search(r'^@qdl \{.*"argument": "sx"\}\ninput angle\[32\] sx_arg;$', text, re.M)
    assert re.search(r"^rz\(sx_arg.*\) \$0;$", text, re.M) and "defcal sx $0" in text
    assert_same_meaning(text, doc, "asap")  # the expander maps sx_arg back to the argument sx


def test_a_call_without_its_defcal_is_an_error():
    text, _ = _export(PROGRAM, "bell", "asap")
    with pytest.raises(PulseExportError, match=r"line \d+: no defcal for `h` on \$0"):
        expand_openpulse_defcal(text + "h $0;\n")
    with pytest.raises(ValueError, match="unknown scheduling method"):
        expand_openpulse_defcal(text, "late")


@pytest.mark.parametrize("path", [PROGRAM, REPO / "examples" / "ghz.qdl", REPO / "examples" / "teleport.qdl"],
                         ids=lambda p: p.stem)
def test_another_device(path: Path):
    """The 27-qubit heavy-hex device: other calibrations, routing and frames, the same equivalence."""
    from qdl.compiler.device import load_device
    device = load_device("falcon27")
    native, placement = native_placement(_circuits(path)[0], device)
    for method in ("asap", "alap"):
        schedule = schedule_circuit(native, device, method, native=False, placement=placement)
        text = defcal_program(native, schedule, method=method)
        assert "device qdl-fake-falcon27," in text.splitlines()[2]
        assert_same_meaning(text, schedule.to_json(), method)
