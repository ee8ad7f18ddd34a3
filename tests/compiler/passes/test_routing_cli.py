"""`layout`/`route` from `qdlc compile`, the device pipeline, and the errors they give (E0612, E0608)."""

from __future__ import annotations

import pytest

import qdl
from qdl.compiler.device import DeviceError, load_device
from qdl.compiler.device.load import builtin_devices
from qdl.compiler.ir import Circuit, GateOp, Module, State
from qdl.compiler.passes import PassManager, pipeline_for
from qdl.compiler.passes.route import CouplingMap, place_and_route
from qdl.runtime import reference

RING = """
circuit ring() -> float[32] {
  qubit q[5];
  h q[0];
  for i in 0..5 {
    cx q[i], q[(i + 1) % 5];
  }
  return probs(q);
}
"""

WIDE = """circuit wide() -> float {
  qubit q[6];
  cx q[0], q[5];
  return expval(Z[5]);
}
"""


@pytest.fixture
def ring_file(tmp_path):
    path = tmp_path / "ring.qdl"
    path.write_text(RING)
    return str(path)


def test_qdlc_compiles_for_t5_and_reports_the_layout(qdlc, ring_file):
    passes = "layout{device=t5},route{device=t5},to-native{device=t5}"
    out = qdlc("compile", ring_file, "--passes", passes, "--verify-each")
    assert out.code == 0, out.err
    assert "// layout: circuit `ring` on t5: initial layout" in out.err
    assert "// route: circuit `ring` on t5: initial layout" in out.err and "swap" in out.err
    assert "ecr" in out.out and " cx " not in out.out
    stats = qdlc("compile", ring_file, "--passes", passes, "--stats")
    assert stats.code == 0 and "    circuit `ring` on t5: initial layout" in stats.err


@pytest.mark.parametrize("device", ["t5", "falcon27"])
def test_the_device_pipeline_is_native_coupled_and_exact(ring_file, device):
    program = qdl.load(ring_file)
    passes = pipeline_for(2, device=device)
    assert [p.name for p in passes][-3:] == ["layout", "route", "to-native"]
    routed = PassManager(passes, verify_each=True).run(program.module)["ring"]
    directions = set(load_device(device).topology.directions)
    entanglers = [op.qubits for op in routed.ops if isinstance(op, GateOp) and len(op.qubits) == 2]
    assert entanglers and all(pair in directions for pair in entanglers)  # calibrated ecr only
    if device == "t5":  # 2**5 amplitudes: simulate the routed program itself
        got = reference.simulate(routed, {})[0][0]
        assert got == pytest.approx(program["ring"](), abs=1e-9)


def test_too_many_qubits_names_the_program_line_and_the_device_file(qdlc, tmp_path):
    path = tmp_path / "wide.qdl"
    path.write_text(WIDE)
    out = qdlc("compile", str(path), "--passes", "layout{device=t5},route{device=t5}")
    assert out.code == 1
    assert "error[E0612]: circuit `wide` needs 6 qubits but device `qdl-fake-t5` has 5" in out.err
    assert f"{path}:1:" in out.err  # the circuit's declaration
    assert f"{builtin_devices()['t5']}:" in out.err and "num_qubits" in out.err
    assert "= help: choose a larger device" in out.err
    assert "Traceback" not in out.err


def test_route_alone_gives_the_same_error():
    wide = Circuit("w", (), 12, (GateOp("cx", (0, 11)),), (State(),))
    with pytest.raises(DeviceError, match=r"E0612.*needs 12 qubits.*has 11"):
        PassManager.from_text("route{device=ion11}").run(Module((wide,)))
    with pytest.raises(ValueError, match="has 12 qubits, the map 5"):
        place_and_route(wide, CouplingMap.from_edges(5, [(0, 1), (1, 2), (2, 3), (3, 4)]))


def test_a_disconnected_device_file_is_an_error_at_its_line(tmp_path):
    text = builtin_devices()["t5"].read_text().replace("edges = [[0, 1], [1, 2], [1, 3], [3, 4]]",
                                                       "edges = [[0, 1], [1, 2], [3, 4]]")
    text = text.replace("ecr_directions = [[1, 0], [2, 1], [3, 1], [4, 3]]", "ecr_directions = [[1, 0], [2, 1], [4, 3]]")
    path = tmp_path / "split.toml"
    path.write_text(text)
    with pytest.raises(DeviceError) as info:
        PassManager.from_text(f"route{{device={path}}}").run(Module((Circuit("c", (), 2, (), (State(),)),)))
    message = str(info.value)
    assert "E0608" in message and "the coupling map is disconnected" in message and f"{path}:" in message
    assert "help:" in message


def test_unknown_device_is_an_error():
    with pytest.raises(DeviceError, match="E0610"):
        PassManager.from_text("layout{device=nope}").run(Module((Circuit("c", (), 1, (), (State(),)),)))
