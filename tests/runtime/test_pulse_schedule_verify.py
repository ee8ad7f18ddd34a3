"""Schedules compiled from circuits, simulated at the pulse level (reference note §5.3, §8d items 8 and 12).

The two-qubit tests use t5's stock ECR(2, 1), calibrated in this model's
dressed frame by `python -m qdl.runtime.pulse.calibrate_ecr t5 --pair 2,1`
(§8c's own CR numbers are not an ECR here): CR halves of 1280 dt (width
1024) instead of §8c's 768 dt, CR/cancellation amplitudes and angles by
Nelder-Mead for F_avg(ECR up to final virtual Z), then the local-Z
corrections (`control_phase`, `target_phase`) in closed form from the
ECR's unitary (`runtime.pulse.ecr_phases`).  The fixture checks the
calibration again through the lowering before it is used.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import qdl
from qdl.compiler.device import load_device
from qdl.compiler.expr import Arg
from qdl.compiler.ir import Argument, Circuit, GateOp
from qdl.compiler.passes.schedule import schedule_circuit
from qdl.compiler.pulse.serialize import dump, load
from qdl.runtime.pulse.ecr_phases import calibrate_ecr_phases, ecr_schedule, with_ecr_phases
from qdl.runtime.pulse.fidelity import average_gate_fidelity, rz
from qdl.runtime.pulse.verify import embed, ideal_unitary, verify

T5 = load_device("t5")
SX = np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]]) / 2
ECR_2_1 = next(c for c in T5.calibrations["ecr"] if c.qubits == (2, 1))


def random_sequence(rng: np.random.Generator, qubit: int, n: int = 20) -> tuple[GateOp, ...]:
    """n random rz/sx/x gates; rz angles are the argument `t[k]` (symbolic in the schedule)."""
    ops, k = [], 0
    for _ in range(n):
        gate = rng.choice(["rz", "sx", "x"])
        if gate == "rz":
            ops.append(GateOp("rz", (qubit,), (Arg("t", (k,)),)))
            k += 1
        else:
            ops.append(GateOp(str(gate), (qubit,)))
    return tuple(ops)


def simulate_random_word(seed: int, qubit: int):
    """A random 20-gate rz/sx/x word on `qubit`, scheduled and simulated; checks its target independently."""
    rng = np.random.default_rng(seed)
    ops = random_sequence(rng, qubit)
    angles = rng.uniform(-np.pi, np.pi, size=20)
    circuit = Circuit("seq", (Argument("t", "float", (20,), True),), 5, ops, ())
    schedule = schedule_circuit(circuit, T5, "asap", values={"t": angles}, native=False)
    assert len([i for i in schedule.instructions if i.gate.startswith(("sx", "x"))]) == sum(
        op.gate != "rz" for op in ops)
    result = schedule.simulate()
    target = np.eye(2, dtype=complex)  # an independent reference: the gate matrices multiplied here
    for op in ops:
        u = rz(float(op.params[0].evaluate({"t": angles}))) if op.gate == "rz" else (SX if op.gate == "sx" else SX @ SX)
        target = u @ target
    assert abs(abs(np.trace(target.conj().T @ result.target)) - 2) < 1e-12
    return result


@pytest.mark.parametrize("qubit", range(5))
def test_random_twenty_gate_sequences_are_implemented(qubit):
    """§8d item 8 on every t5 qubit: 20 random 20-gate rz/sx/x words each, F ≥ 1 - 20·2e-6 = 0.99996.

    Needs the recalibrated sx/x of t5 (`python -m qdl.runtime.pulse.calibrate t5`): with §8c's
    σ = 40 dt pulses, leakage of back-to-back X added up coherently on q1-q4 (twelve X on q1
    leaked 8e-5; over 300 seeds words measured down to 0.99989).  Now over seeds 0-19: min F
    0.9999979 (q0), 0.9999957, 0.9999928, 0.9999948, 0.9999940 (q4); over 300 seeds per qubit
    min 0.9999868 and leakage ≤ 1.3e-5.
    """
    for seed in range(20):
        result = simulate_random_word(seed, qubit)
        assert result.fidelity >= 1 - 20 * 2e-6, (seed, result.fidelity)
        assert result.leakage <= 2e-5, (seed, result.leakage)


@pytest.mark.parametrize("theta", [0.3, 1.2, -2.0])
def test_virtual_z_sign_through_the_whole_lowering(theta):
    ops = (GateOp("rz", (0,), (Arg("theta"),)), GateOp("sx", (0,)))
    circuit = Circuit("c", (Argument("theta", "float"),), 1, ops, ())
    result = schedule_circuit(circuit, T5, values={"theta": theta}, native=False).simulate()
    assert average_gate_fidelity(result.unitary, SX @ rz(theta)) >= 0.99999
    if theta == 0.3:
        assert average_gate_fidelity(result.unitary, SX @ rz(-theta)) < 0.95


def test_a_json_document_alone_verifies_the_same(tmp_path):
    rng = np.random.default_rng(7)
    ops = random_sequence(rng, 1)
    circuit = Circuit("seq", (Argument("t", "float", (20,)),), 2, ops, ())
    schedule = schedule_circuit(circuit, T5, values={"t": rng.uniform(-3, 3, 20)}, native=False)
    path = tmp_path / "s.json"
    path.write_text(json.dumps(dump(schedule)))
    again = verify(load(json.loads(path.read_text())), T5)
    assert again.fidelity == pytest.approx(schedule.simulate().fidelity, abs=1e-12)


def test_embed_orders_the_first_listed_qubit_as_most_significant():
    cx = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]])
    full = embed(cx, (2, 0), 3)  # control 2, target 0
    for state in range(8):
        out = int(np.argmax(full[:, state]))
        assert out == (state ^ 1 if state & 4 else state)
    assert np.allclose(ideal_unitary((), (0, 1)), np.eye(4))


@pytest.fixture(scope="module")
def calibrated_t5():
    """Stock t5, its model-calibrated ECR(2, 1) and local-Z corrections checked through the lowering.

    With the corrections the ECR's pulses implement the ECR itself, not only
    up to local Z: F against the exact gate (no local-Z freedom) ≥ 0.99 (§8d);
    `test_stored_ecr_phases_are_the_calibration_and_fix_the_local_z` compares
    it with the uncorrected pulses.
    """
    check = ecr_schedule(T5, 2, 1).simulate()
    assert check.fidelity >= 0.99995 and check.leakage <= 1e-3  # measured 0.999989 (0.99608 uncorrected)
    return T5


def test_stored_ecr_phases_are_the_calibration_and_fix_the_local_z():
    found = calibrate_ecr_phases(T5, 2, 1)
    stored = (ECR_2_1.control_phase, ECR_2_1.target_phase)
    # calibrated with t5's recalibrated x echo (σ 28 dt); §8c's σ = 40 dt x shifts the phases by ~5e-4 rad
    atol = 2e-5 if T5.calibrations["x"].sigma == 28 else 2e-3
    np.testing.assert_allclose((found.control_phase, found.target_phase), stored, rtol=0, atol=atol)
    assert found.fidelity_uncorrected < 0.997  # measured 0.99608: the correction is needed
    assert found.fidelity >= 0.99 and found.fidelity >= found.fidelity_up_to_z - 1e-6  # measured 0.999989
    flipped = with_ecr_phases(T5, (2, 1), -stored[0], -stored[1])
    assert ecr_schedule(flipped, 2, 1).simulate().fidelity < found.fidelity_uncorrected  # the sign matters: 0.984


VARIATIONAL = """
circuit ansatz(param a: float, param b: float) -> (float, float) {
    qubit q[3];
    ry(a) q[2];
    ry(b) q[1];
    cx q[2], q[1];
    rz(b) q[1];
    return (expval(Z[1]), expval(Z[2]));
}
"""


def pulse_level_z(schedule, a: float, b: float) -> tuple[float, float, float]:
    """<Z> of physical q1 and q2 from |00>, simulated at the pulse level, and the circuit fidelity."""
    result = schedule.simulate(values={"a": a, "b": b})
    probs = np.abs(result.unitary[:, 0]) ** 2  # model qubit 0 = physical q1, 1 = q2 (dressed basis)
    probs = probs / probs.sum()
    return float(probs @ [1, -1, 1, -1]), float(probs @ [1, 1, -1, -1]), result.fidelity


def test_variational_circuit_at_the_pulse_level_matches_the_gate_level(calibrated_t5):
    prog = qdl.compile(VARIATIONAL)
    schedule = prog.ansatz.schedule(calibrated_t5, method="alap")  # symbolic: one schedule for every (a, b)
    assert {p.name for p in schedule.parameters} == {"a", "b"}
    for a, b in [(0.3, -0.7), (1.9, 0.4), (-2.5, 2.2)]:
        z1, z2, fidelity = pulse_level_z(schedule, a, b)
        gate_level = prog.ansatz(a, b)
        assert abs(z1 - gate_level[0]) <= 1e-2 and abs(z2 - gate_level[1]) <= 1e-2  # measured ≤ 6.8e-3 here
        # the whole schedule against the circuit: measured 0.99987-0.99990 (0.9962-0.9964 without the ECR's
        # local-Z corrections, which <Z> does not see)
        assert fidelity >= 0.9995
    rng = np.random.default_rng(1)
    for a, b in rng.uniform(-np.pi, np.pi, size=(3, 2)):  # random points: measured max error 1.09e-2
        z1, z2, _ = pulse_level_z(schedule, a, b)
        gate_level = prog.ansatz(a, b)
        assert abs(z1 - gate_level[0]) <= 1.5e-2 and abs(z2 - gate_level[1]) <= 1.5e-2


def test_dressed_frame_makes_idle_coupled_qubits_diagonal():
    """An idle pair is stationary in the dressed basis; the bare basis shows exchange of order J/Δ."""
    from qdl.compiler.passes.schedule import DelayOp
    from qdl.runtime.pulse.dressed import bare_frequencies, dressed_frequencies
    from qdl.runtime.pulse.verify import model_for

    model = model_for(T5, (1, 2))
    bare = bare_frequencies(model)
    np.testing.assert_allclose(dressed_frequencies(bare), [5.2453, 5.3610], rtol=0, atol=1e-12)
    assert 1e-5 < abs(bare.qubits[0].frequency_ghz - 5.2453) < 1e-4  # the Lamb shift J²/Δ ≈ 35 kHz
    idle = schedule_circuit(Circuit("idle", (), 3, (), ()), T5, native=False,
                            ops=[DelayOp(1, 800), DelayOp(2, 800)])
    off = lambda u: np.max(np.abs(u - np.diag(np.diag(u))))  # noqa: E731
    dressed, plain = idle.simulate(), idle.simulate(basis="bare")
    assert off(dressed.unitary) < 1e-6 and off(plain.unitary) > 1e-2
    assert dressed.fidelity > plain.fidelity
