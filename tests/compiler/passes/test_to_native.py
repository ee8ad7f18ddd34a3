"""`to-native`: exact translation into a device's native gates, angles symbolic, gradients unchanged."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pass_strategies import A, B, STATE, arg_values, circuit, dynamic_ops, readouts, unitary_ops
from qdl.api import CircuitFunction
from qdl.compiler.autodiff import AutodiffError, gradient_program
from qdl.compiler.device import DeviceError, load_device
from qdl.compiler.expr import Const
from qdl.compiler.gates import GATES, unitary_of
from qdl.compiler.ir import GateOp, Module
from qdl.compiler.passes import PassManager, parse_pipeline
from qdl.compiler.passes.lower.to_native import ENTANGLER_RULES, _flipped
from qdl.runtime import reference

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DEVICES = ["t5", "ion11", "falcon27"]
X = np.array([[0, 1], [1, 0]], dtype=complex)
Y = np.array([[0, -1j], [1j, 0]])
Z = np.diag([1.0 + 0j, -1.0])
I2 = np.eye(2)


def native(c, device: str):
    return PassManager(parse_pipeline(f"to-native{{device={device}}}"), verify_each=True).run(Module((c,))).circuits[0]


def allowed(device: str) -> set[str]:
    return set(load_device(device).gates) | {"gphase"}


def assert_natives_only(c, device: str) -> None:
    gates = {op.gate for op in c.ops if isinstance(op, GateOp)}
    assert gates <= allowed(device), gates - allowed(device)
    assert all(not op.controls for op in c.ops if isinstance(op, GateOp))


def assert_angles_in_frames(c) -> None:
    """Trainable arguments appear only in `rz` (frame phases) and `gphase`."""
    for op in c.ops:
        if isinstance(op, GateOp) and any(p.free_args() for p in op.params):
            assert op.gate in ("rz", "gphase"), op


def matrix_of(pieces, n: int = 2) -> np.ndarray:
    """Product of `Call`s on n qubits (qubit 0 most significant, like the gate table)."""
    total = np.eye(2**n, dtype=complex)
    for call in pieces:
        u = unitary_of(call.gate, [float(p.evaluate({})) for p in call.params])
        if call.gate == "gphase":
            total = u[0, 0] * total
            continue
        if len(call.qubits) == 1:
            u = np.kron(u, I2) if call.qubits[0] == 0 else np.kron(I2, u)
        elif call.qubits == (1, 0):
            swap = unitary_of("swap")
            u = swap @ u @ swap
        total = u @ total
    return total


# --- the native gates and the entangler identities --------------------------------------------


def rzx(theta: float) -> np.ndarray:
    return math.cos(theta / 2) * np.eye(4) - 1j * math.sin(theta / 2) * np.kron(Z, X)


def test_ecr_is_the_echoed_cross_resonance() -> None:
    ecr = unitary_of("ecr")
    np.testing.assert_allclose(ecr, rzx(-math.pi / 4) @ np.kron(X, I2) @ rzx(math.pi / 4), atol=1e-15)
    np.testing.assert_allclose(ecr, (np.kron(X, I2) - np.kron(Y, X)) / math.sqrt(2), atol=1e-15)


def test_cx_from_ecr_is_exact_including_phase() -> None:
    """CX = (RZ(π/2)⊗I) · ECR · (X⊗SX), and the flipped form for the other direction."""
    np.testing.assert_allclose(matrix_of(ENTANGLER_RULES["ecr"](0, 1)), unitary_of("cx"), atol=1e-12)
    np.testing.assert_allclose(matrix_of(_flipped(ENTANGLER_RULES["ecr"])(0, 1)), unitary_of("cx"), atol=1e-12)


def test_cx_from_an_effective_zx_hamiltonian() -> None:
    """The ECR as two CR halves exp(∓i(π/4) ZX/2) around an X echo gives CX to 1e-9 (reference note §8d)."""
    def cr(sign: float) -> np.ndarray:  # evolve H = ν ZX/2 for t with ν t = ±π/4, by eigendecomposition
        w, v = np.linalg.eigh(np.kron(Z, X) / 2)
        return v @ np.diag(np.exp(-1j * sign * math.pi / 4 * w)) @ v.conj().T
    ecr = cr(-1) @ np.kron(X, I2) @ cr(1)
    sx = unitary_of("sx")
    cx = np.kron(unitary_of("rz", [math.pi / 2]), I2) @ ecr @ np.kron(X, sx)
    np.testing.assert_allclose(cx, unitary_of("cx"), atol=1e-9)


def test_cx_from_ms_is_exact_including_phase() -> None:
    np.testing.assert_allclose(matrix_of(ENTANGLER_RULES["ms"](0, 1)), unitary_of("cx"), atol=1e-12)


def test_ion_gates_follow_ionq() -> None:
    """GPI(φ)|0> = e^{iφ}|1> (the IonQ docs' matrix, pinning the sign Cirq's docstring and code disagree on)."""
    phi = 0.7
    gpi = unitary_of("gpi", [phi])
    np.testing.assert_allclose(gpi @ [1, 0], [0, np.exp(1j * phi)], atol=1e-15)
    np.testing.assert_allclose(gpi, [[0, np.exp(-1j * phi)], [np.exp(1j * phi), 0]], atol=1e-15)
    np.testing.assert_allclose(unitary_of("gpi2"), [[1, -1j], [-1j, 1]] / np.sqrt(2), atol=1e-15)
    ms = np.array([[1, 0, 0, -1j], [0, 1, -1j, 0], [0, -1j, 1, 0], [-1j, 0, 0, 1]]) / np.sqrt(2)  # IonQ MS(0, 0)
    np.testing.assert_allclose(unitary_of("ms"), ms, atol=1e-15)
    rz = unitary_of("rz", [phi])  # a phase on gpi2 is virtual Z around it
    gpi2_phi = np.array([[1, -1j * np.exp(-1j * phi)], [-1j * np.exp(1j * phi), 1]]) / np.sqrt(2)
    np.testing.assert_allclose(rz @ unitary_of("gpi2") @ rz.conj().T, gpi2_phi, atol=1e-15)


# --- every gate of the table --------------------------------------------------------------------


def _table_cases() -> list[tuple[str, str, bool]]:
    return [(d, g, sym) for d in ("t5", "ion11") for g in sorted(GATES) if g != "gphase" for sym in (False, True)
            if sym is False or GATES[g].num_params]


@pytest.mark.parametrize("device, gate, symbolic", _table_cases())
def test_every_table_gate_translates_exactly(device: str, gate: str, symbolic: bool) -> None:
    spec = GATES[gate]
    n = max(spec.num_qubits, 1) + 1  # one spare wire for a control
    rng = np.random.default_rng(len(gate))
    params = tuple((A, B, A + B)[j] if symbolic else Const(float(rng.uniform(-4, 4)))
                   for j in range(spec.num_params))
    wires = tuple(range(n - 1, -1, -1))  # reversed: both ECR directions get used
    ops = [GateOp(gate, wires[1:], params), GateOp(gate, wires[1:], params, (wires[0],), (False,))]
    before = circuit(n, ops, STATE)
    after = native(before, device)
    args = arg_values(3)
    np.testing.assert_allclose(reference.unitary(after, n, args), reference.unitary(before, n, args), atol=1e-9)
    assert_natives_only(after, device)
    assert_angles_in_frames(after)


def test_directions_follow_the_calibrations() -> None:
    after = native(circuit(2, [GateOp("cx", (0, 1)), GateOp("cx", (1, 0))], STATE), "t5")
    assert {op.qubits for op in after.ops if op.gate == "ecr"} == {(1, 0)}  # t5 calibrates ecr(1, 0) only
    assert sum(op.gate == "ecr" for op in after.ops) == 2


def test_rotations_put_the_angle_in_one_frame_change() -> None:
    after = native(circuit(1, [GateOp("ry", (0,), (A,))], STATE), "t5")
    assert [op.gate for op in after.ops if op.gate != "gphase"] == ["sx", "rz", "sx", "rz"]
    assert [str(op.params[0]) for op in after.ops if op.gate == "rz"][0] == "a + pi"


def test_constant_runs_are_resynthesised() -> None:
    ops = [GateOp(g, (0,)) for g in ("h", "s", "h", "t", "x", "sdg")]
    after = native(circuit(1, ops, STATE), "t5")
    assert sum(op.gate in ("sx", "x") for op in after.ops) <= 2


def test_unknown_device_is_a_device_error() -> None:
    with pytest.raises(DeviceError, match="E0610"):
        native(circuit(1, [GateOp("h", (0,))], STATE), "nowhere")


# --- random circuits ---------------------------------------------------------------------------


@pytest.mark.parametrize("device", DEVICES)
@SETTINGS
@given(n=st.integers(1, 4), data=st.data(), seed=st.integers(0, 2**16))
def test_random_circuits_are_exact_and_native(device, n, data, seed):
    before = circuit(n, data.draw(unitary_ops(n)), STATE)
    after = native(before, device)
    args = arg_values(seed)
    np.testing.assert_allclose(reference.unitary(after, n, args), reference.unitary(before, n, args), atol=1e-8)
    assert_natives_only(after, device)
    assert_angles_in_frames(after)


@pytest.mark.parametrize("device", ["t5", "ion11"])
@SETTINGS
@given(n=st.integers(1, 4), data=st.data(), seed=st.integers(0, 2**16))
def test_outputs_with_measurements_and_conditions(device, n, data, seed):
    before = circuit(n, data.draw(dynamic_ops(n, bits=2)), data.draw(readouts(n)), num_bits=2)
    after = native(before, device)
    assert_natives_only(after, device)
    values = {k: v.reshape(1) for k, v in arg_values(seed).items()}
    for x, y in zip(reference.simulate(before, values), reference.simulate(after, values)):
        np.testing.assert_allclose(y, x, atol=1e-8)


@pytest.mark.parametrize("device", ["t5", "ion11"])
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 3), data=st.data(), seed=st.integers(0, 2**16))
def test_gradients_equal_before_and_after(device, n, data, seed):
    before = circuit(n, data.draw(unitary_ops(n, max_ops=10)),
                     (data.draw(readouts(n).filter(lambda r: type(r[0]).__name__ == "ExpVal"))[0],))
    try:
        gradient_program(before)
    except AutodiffError:
        assume(False)
    after = native(before, device)
    args = {k: float(v) for k, v in arg_values(seed).items()}
    g0 = CircuitFunction(before, "reference").grad(**args, method="parameter-shift")
    g1 = CircuitFunction(after, "reference").grad(**args, method="parameter-shift")
    np.testing.assert_allclose(np.asarray(g1), np.asarray(g0), atol=1e-8)
