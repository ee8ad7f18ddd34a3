"""Two-qubit pulse simulation: the echoed cross-resonance CX lowering (reference note §2.4, §8d item 12).

The exact test replaces the cross-resonance physics by an effective
`(Ω/2)(D·Z_c⊗σ⁺_t + h.c.)` drive, i.e. `H = Ω·A·Z_c X_t/2` for a real
constant amplitude A, on two 2-level qubits: every piece of the schedule is
then exactly a Pauli rotation, and the lowering

    CX(1→0) = RZ(π/2)_1 · ECR · (X_1 ⊗ SX_0),  ECR = CR(-π/4) · X_1 · CR(+π/4)

must hold to 1e-9 up to global phase.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from qdl.compiler.gates import unitary_of
from qdl.compiler.pulse import Constant, GaussianSquare
from qdl.runtime.pulse import (
    Frame, Play, PulseModel, PulseSchedule, SequenceBuilder, Transmon, example_device, simulate,
)

DURATION = 160


def effective_model() -> tuple[PulseModel, tuple[Frame, ...], np.ndarray]:
    """Two 2-level qubits, no exchange; frame `cr10` drives Z_1 ⊗ σ⁺_0 (little-endian kron)."""
    model = PulseModel((Transmon(5.0902, -0.3361, 0.150), Transmon(5.2453, -0.3166, 0.150)), levels=2)
    frames = (Frame("d0", 0, 5.0902, tracks_qubit=0), Frame("d1", 1, 5.2453, tracks_qubit=1),
              Frame("cr10", 0, 5.0902, tracks_qubit=0))
    zx_raising = np.kron(np.diag([1.0, -1.0]), np.array([[0, 0], [1, 0]], dtype=complex))  # Z_1 ⊗ σ⁺_0
    return model, frames, zx_raising


def rotation_amp(model: PulseModel, angle: float) -> float:
    """Constant amplitude whose rotation angle Ω·A·T equals `angle` over DURATION samples."""
    return angle / (2 * np.pi * 0.150 * model.dt_ns * DURATION)


def ecr_cx_schedule(model: PulseModel, frames: tuple[Frame, ...], rz_sign: float = 1.0, echo_angle: float = np.pi):
    pi_amp, cr_amp = rotation_amp(model, np.pi), rotation_amp(model, np.pi / 4)
    b = SequenceBuilder(frames)
    b.play("d1", Constant(DURATION, pi_amp)).play("d0", Constant(DURATION, pi_amp / 2))  # X_1, SX_0
    b.barrier().play("cr10", Constant(DURATION, cr_amp))  # CR(+π/4)
    b.barrier().play("d1", Constant(DURATION, pi_amp))  # echo X_1
    b.barrier().play("cr10", Constant(DURATION, cr_amp, echo_angle))  # CR(-π/4)
    b.barrier().shift_phase("d1", -rz_sign * np.pi / 2)  # rz(π/2) on the control
    return b.build()


def test_ecr_lowering_gives_cx_with_an_effective_zx_hamiltonian():
    model, frames, zx_raising = effective_model()
    result = simulate(ecr_cx_schedule(model, frames), model, drive_operators={"cr10": zx_raising})
    assert result.frame_phases == (0.0, -np.pi / 2)
    cx_1_to_0 = unitary_of("cx")  # control listed first = most significant = qubit 1, little-endian
    v = result.corrected()
    phase = np.trace(cx_1_to_0.conj().T @ v) / 4
    assert abs(abs(phase) - 1) < 1e-12
    np.testing.assert_allclose(v, phase * cx_1_to_0, atol=1e-9)
    assert 1 - result.fidelity(cx_1_to_0) < 1e-12


def test_wrong_virtual_z_sign_or_unechoed_cr_is_caught():
    model, frames, zx_raising = effective_model()
    for bad in (ecr_cx_schedule(model, frames, rz_sign=-1.0), ecr_cx_schedule(model, frames, echo_angle=0.0)):
        result = simulate(bad, model, drive_operators={"cr10": zx_raising})
        assert result.fidelity(unitary_of("cx")) < 0.61  # 0.2 and 0.6


def test_cross_resonance_propagator_matches_solve_ivp():
    """A CR tone on two coupled 3-level transmons (time-dependent H) against DOP853 (§8d item 7)."""
    solve_ivp = pytest.importorskip("scipy.integrate").solve_ivp
    model = example_device((1, 2))  # model qubit 0 = target (device q1), 1 = control (device q2)
    w_t, w_c = model.omega(0), model.omega(1)
    frames = (Frame("cr", 1, model.qubits[0].frequency_ghz, tracks_qubit=0),)
    wf = GaussianSquare(48, 0.3, 8, 16)
    result = simulate(PulseSchedule(frames, (Play(0, "cr", wf),)), model)
    a_t, a_c = model.lowering(0), model.lowering(1)
    static, exchange = model.static_hamiltonian(), 2 * np.pi * 2.01e-3 * a_t.conj().T @ a_c
    samples, dt = wf.samples(), model.dt_ns

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        drive = np.pi * 0.150 * samples[min(int(t // dt), 47)] * np.exp(-1j * (w_t - w_c) * t) * a_c.conj().T
        coupling = exchange * np.exp(1j * (w_t - w_c) * t)
        h = static + drive + drive.conj().T + coupling + coupling.conj().T
        return (-1j * h @ y.view(complex).reshape(9, 9)).reshape(-1).view(float)

    u = np.eye(9, dtype=complex)
    for k in range(48):  # integrate sample by sample: the drive jumps at sample edges
        y = solve_ivp(rhs, (k * dt, (k + 1) * dt), u.reshape(-1).view(float), method="DOP853",
                      rtol=1e-10, atol=1e-12).y[:, -1]
        u = y.view(complex).reshape(9, 9)
    assert np.max(np.abs(result.unitary - u)) <= 1e-8


def test_batching_does_not_change_the_propagator(monkeypatch):
    sim = importlib.import_module("qdl.runtime.pulse.simulate")  # the package re-exports `simulate`

    model = example_device((1, 2))
    frames = (Frame("cr", 1, model.qubits[0].frequency_ghz, tracks_qubit=0),)
    sched = PulseSchedule(frames, (Play(0, "cr", GaussianSquare(160, 0.3, 16, 64)),))
    whole = simulate(sched, model).unitary
    monkeypatch.setattr(sim, "CHUNK", 7)  # odd batches: the pairwise product carries a last step
    np.testing.assert_allclose(simulate(sched, model).unitary, whole, atol=1e-12)
