"""Device files: the built-ins load, and a corpus of broken files gives the right error on the right line."""

from __future__ import annotations

import re

import networkx as nx
import pytest

from qdl.compiler.device import DeviceError, builtin_devices, load_device, parse_device
from qdl.compiler.device.locate import locate
from qdl.compiler.device.model import CrossResonanceCal, DragCal, MeasureCal, VirtualCal
from qdl.compiler.diagnostics import SourceMap
from qdl.errors import QdlError

T5 = builtin_devices()["t5"].read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(builtin_devices()))
def test_every_builtin_device_loads(name: str) -> None:
    device = load_device(name)
    assert device.schema == "qdl.device/0.1" and device.num_qubits >= 1
    assert nx.is_connected(nx.Graph(device.topology.edges)) or device.num_qubits == 1
    for gate in device.native_gates:
        assert gate in ("delay", "barrier") or gate in device.calibrations


def test_t5_is_the_reference_device() -> None:
    d = load_device("t5")
    assert (d.name, d.num_qubits, d.dt) == ("qdl-fake-t5", 5, 2.2222222222e-10)
    assert d.native_gates == ("rz", "sx", "x", "ecr", "measure", "delay", "barrier")
    assert (d.timing.granularity, d.timing.min_length, d.timing.pulse_alignment, d.timing.acquire_alignment) \
        == (16, 64, 16, 16)
    assert d.topology.edges == ((0, 1), (1, 2), (1, 3), (3, 4))
    assert d.topology.directions == ((1, 0), (2, 1), (3, 1), (4, 3))
    assert d.qubits[2].frequency_ghz == 5.3610 and d.qubits[3].anharmonicity_ghz == -0.3337
    assert d.couplings[3].j_mhz == 1.67
    sx, x, rz = d.calibrations["sx"], d.calibrations["x"], d.calibrations["rz"]
    assert isinstance(sx, DragCal) and sx.amp[1] == 0.098966 and sx.beta[1] == 1.3479 and sx.sigma == 32
    assert isinstance(x, DragCal) and x.amp[1] == 0.219177 and x.sigma == 28
    assert isinstance(rz, VirtualCal)
    ecr = d.calibrations["ecr"]
    assert ecr[0] == CrossResonanceCal((1, 0), 2688, 640, 512, 0.094790, -3.126011, 0.010304, -3.126239, 0.0, -0.030566)
    assert [2 * c.duration + 160 for c in ecr] == [5536, 2720, 2720, 2720]  # calibrated in the model (§8c: 3328 ...)
    measure = d.calibrations["measure"]
    assert isinstance(measure, MeasureCal) and (measure.duration, measure.ringdown_delay) == (22400, 1680)


def test_routing_and_ion_devices() -> None:
    falcon, ion = load_device("falcon27"), load_device("ion11")
    graph = nx.Graph(falcon.topology.edges)
    assert falcon.num_qubits >= 16 and max(d for _, d in graph.degree) == 3  # heavy-hex
    assert falcon.entangler == "ecr" and len(falcon.calibrations["ecr"]) == len(falcon.topology.edges)
    assert ion.topology.all_to_all and ion.coupled(0, 10) and ion.entangler == "ms"
    assert {"gpi", "gpi2", "ms", "rz"} <= ion.gates


def test_a_user_file_loads_by_path(tmp_path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(T5.replace('name = "qdl-fake-t5"', 'name = "mine"'), encoding="utf-8")
    assert load_device(path).name == "mine" and load_device(str(path)).path == str(path)


def test_unknown_device_name_lists_the_builtins() -> None:
    with pytest.raises(DeviceError) as err:
        load_device("t55")
    assert err.value.diagnostics[0].code == "E0610" and "t5" in str(err.value)
    assert isinstance(err.value, QdlError)


# (what, old text, new text, code, the text on the expected line, part of the message)
BROKEN = [
    ("syntax", "num_qubits = 5", "num_qubits = = 5", "E0601", "num_qubits = = 5", "not valid TOML"),
    ("schema", 'schema = "qdl.device/0.1"', 'schema = "qdl.device/9.9"', "E0602", "schema =", "9.9"),
    ("unknown key", "granularity = 16 ", "granulrity = 16 ", "E0603", "granulrity", "granulrity"),
    ("missing key", "min_length = 64 ", "", "E0604", "[timing]", "`min_length`"),
    ("wrong type", "num_qubits = 5", 'num_qubits = "five"', "E0605", "num_qubits", "integer"),
    ("float duration", "duration = 160\nsigma = 32", "duration = 160.0\nsigma = 32",
     "E0605", "duration = 160.0", "integer"),
    ("amp over 1", "amp = [0.219158, 0.219177", "amp = [1.2, 0.219177", "E0606", "amp = [1.2", "over 1"),
    ("scalar amp over 1", "cr_amp = 0.124060", "cr_amp = -1.5", "E0606", "cr_amp = -1.5", "over 1"),
    ("off granularity", "duration = 160\nsigma = 32", "duration = 150\nsigma = 32",
     "E0607", "duration = 150", "granularity 16"),
    ("too short", "duration = 160\nsigma = 32", "duration = 48\nsigma = 32",
     "E0607", "duration = 48", "min_length"),
    ("unknown qubit", "edges = [[0, 1], [1, 2], [1, 3], [3, 4]]", "edges = [[0, 1], [1, 2], [1, 3], [3, 7]]",
     "E0608", "edges = [[0, 1], [1, 2], [1, 3], [3, 7]]", "qubit 7"),
    ("disconnected", "edges = [[0, 1], [1, 2], [1, 3], [3, 4]]", "edges = [[0, 1], [1, 2], [1, 3]]",
     "E0608", "edges = [[0, 1], [1, 2], [1, 3]]", "disconnected"),
    ("not an edge", "qubits = [3, 4]\nj_mhz", "qubits = [0, 4]\nj_mhz", "E0608", "qubits = [0, 4]", "not an edge"),
    ("no calibration", '"ecr", "measure"', '"ecr", "h", "measure"', "E0609", "native_gates", "`h` has no calibration"),
    ("unknown native", '"ecr", "measure"', '"ecr", "zap", "measure"', "E0609", "native_gates", "unknown native"),
    ("direction without calibration", "[4, 3]]   # [control", "[3, 4]]   # [control", "E0609", "ecr_directions",
     "[3, 4]"),
    ("per-qubit length", "beta = [1.2697, 1.3479, 1.2907, 1.2788, 1.2880]", "beta = [1.2697, 1.3479]", "E0606",
     "beta = [1.2697, 1.3479]", "2 values for 5 qubits"),
    ("virtual with a duration", 'implementation = "virtual"                 # shift_phase(-theta) on every frame '
     'with tracks_qubit == q\nduration = 0', 'implementation = "virtual"\nduration = 16', "E0606", "duration = 16",
     "no time"),
    ("unknown shape", 'shape = "drag"', 'shape = "dragg"', "E0606", 'shape = "dragg"', "dragg"),
    ("phase in degrees", "target_phase = 0.139754", "target_phase = 8.0", "E0606",
     "target_phase = 8.0", "radians"),
    ("phase not finite", "control_phase = 0.000001\ntarget_phase = 0.139754", "control_phase = nan", "E0606",
     "control_phase = nan", "within ±2π"),
    ("phase of the wrong type", "control_phase = 0.000001\ntarget_phase = 0.139754", 'control_phase = "0.1"', "E0605",
     'control_phase = "0.1"', "a number"),
    ("misspelt phase", "target_phase = 0.139754", "target_phse = 0.1", "E0603",
     "target_phse = 0.1", "did you mean `target_phase`"),
]


def test_ecr_phases_load_and_default_to_zero() -> None:
    text = re.sub(r"\n(control|target)_phase = .*", "", T5)  # t5's own ECR tables carry phases
    text = text.replace("cancel_angle = 3.070295", "cancel_angle = 3.070295\ncontrol_phase = -1\ntarget_phase = 0.25", 1)
    ecr = {c.qubits: c for c in parse_device(text, "phases.toml").calibrations["ecr"]}
    assert (ecr[(2, 1)].control_phase, ecr[(2, 1)].target_phase) == (-1.0, 0.25)
    assert isinstance(ecr[(2, 1)].control_phase, float)
    assert all((c.control_phase, c.target_phase) == (0.0, 0.0) for q, c in ecr.items() if q != (2, 1))


@pytest.mark.parametrize("what, old, new, code, line_text, message", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_device_files(tmp_path, what, old, new, code, line_text, message) -> None:
    assert old in T5, what
    text = T5.replace(old, new, 1)
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DeviceError) as err:
        load_device(path)
    found = [d for d in err.value.diagnostics if d.code == code]
    assert found, str(err.value)
    diagnostic = found[0]
    sources = SourceMap()
    sources.add(str(path), text)
    line, column = sources.line_col(str(path), diagnostic.span.start)
    assert line_text in sources.line_text(str(path), line), (what, line, str(err.value))
    assert message in diagnostic.message + (diagnostic.help or ""), str(err.value)
    rendered = str(err.value)
    assert f"{path}:{line}:{column}" in rendered and "Traceback" not in rendered
    assert f"error[{code}]" in rendered


def test_every_mistake_of_a_file_is_reported_at_once() -> None:
    text = T5.replace("granularity = 16 ", "granulrity = 16 ").replace("t1_us = 88.6", 't1_us = "long"')
    with pytest.raises(DeviceError) as err:
        parse_device(text, "two.toml")
    codes = sorted(d.code for d in err.value.diagnostics)
    assert codes == ["E0603", "E0604", "E0605"]  # the misspelt key also leaves `granularity` missing
    assert "did you mean `granularity`" in str(err.value)


def test_locate_finds_keys_in_arrays_of_tables_and_multiline_values() -> None:
    text = 'a = 1\nb = [\n  [0, 1],\n]\n[[q]]\nx = 2\n[[q]]\nx = 3\n[t.u]\ny = "#[z]" # c\n'
    places = locate(text)
    assert text[places[("q", 1, "x")].value_start] == "3"
    assert text[places[("t", "u", "y")].key_start] == "y"
    assert ("0, 1",) not in places and ("b",) in places
    assert text[places[("t", "u", "y")].value_start:places[("t", "u", "y")].value_end] == '"#[z]"'


def test_docs_describe_every_schema_key() -> None:
    from pathlib import Path

    from qdl.compiler.device.schema import CALIBRATIONS, COUPLING, MODEL, QUBIT, TIMING, TOP, TOPOLOGY
    text = (Path(__file__).resolve().parents[3] / "docs" / "hardware.md").read_text(encoding="utf-8")
    tables = [TOP, TIMING, TOPOLOGY, MODEL, QUBIT, COUPLING, *CALIBRATIONS.values()]
    missing = {key for table in tables for key in table if f"`{key}`" not in text and f"[{key}]" not in text}
    assert not missing


def test_cli_reports_a_broken_device_without_a_traceback(qdlc, tmp_path) -> None:
    device = tmp_path / "bad.toml"
    device.write_text(T5.replace("granularity = 16 ", "granularity = 0 "), encoding="utf-8")
    program = tmp_path / "one.qdl"
    program.write_text("circuit one() -> float {\n  qubit q[1];\n  h q[0];\n  return expval(Z[0]);\n}\n")
    outcome = qdlc("compile", str(program), "--passes", f"to-native{{device={device}}}")
    assert outcome.code != 0 and "E0606" in outcome.err and f"{device}:15:" in outcome.err
    assert "Traceback" not in outcome.err and "internal compiler error" not in outcome.err
    good = qdlc("compile", str(program), "--passes", "to-native{device=ion11}")
    assert good.code == 0 and "gpi2" in good.out


def test_a_key_missing_from_the_top_level_names_the_file(qdlc, tmp_path) -> None:
    device = tmp_path / "short.toml"
    device.write_text('schema = "qdl.device/0.1"\nname = "short"\n', encoding="utf-8")
    program = tmp_path / "one.qdl"
    program.write_text("circuit one() -> float {\n  qubit q[1];\n  h q[0];\n  return expval(Z[0]);\n}\n")
    outcome = qdlc("compile", str(program), "--passes", f"to-native{{device={device}}}")
    assert outcome.code != 0 and f"--> {device}:1:1" in outcome.err and "has no `dt`" in outcome.err
    assert "error: error[" not in outcome.err  # a rendered diagnostic is printed as it is
