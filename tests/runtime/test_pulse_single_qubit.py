"""Pulse-level simulation of one transmon (reference note §5, thresholds of §8d items 6-8).

Device numbers and calibrations are those of the example device (§8c),
written here as plain numbers until device files can be loaded.
"""

from __future__ import annotations

import numpy as np
import pytest

from qdl.compiler.expr import Arg
from qdl.compiler.gates import unitary_of
from qdl.compiler.pulse import Constant, Drag
from qdl.runtime.pulse import (
    Frame, Play, PulseSchedule, SequenceBuilder, SetFrequency, ShiftPhase, Transmon, PulseModel,
    drive_frames, example_device, simulate,
)

# §8c calibrations: 160 dt, sigma 40 dt, (amp, beta) per qubit
SX_CAL = {0: (0.08701, 1.619), 1: (0.08701, 1.719), 2: (0.08701, 1.646), 3: (0.08701, 1.631), 4: (0.08701, 1.643)}
X_CAL = {0: (0.17408, 1.580), 1: (0.17409, 1.677), 2: (0.17408, 1.606), 3: (0.17408, 1.591), 4: (0.17408, 1.603)}
X, SX = unitary_of("x"), unitary_of("sx")


def rz(theta: float) -> np.ndarray:
    return unitary_of("rz", [theta])


def device(q: int = 0, levels: int = 3):
    model = example_device((q,), levels)
    return model, drive_frames([model.qubits[0].frequency_ghz])


def pulse(cal: dict, q: int, beta: float | None = None) -> Drag:
    amp, b = cal[q]
    return Drag(160, amp, 40, b if beta is None else beta)


def run_gate(wf, q: int = 0, levels: int = 3):
    model, frames = device(q, levels)
    return simulate(SequenceBuilder(frames).play("d0", wf).build(), model)


@pytest.mark.parametrize("q", range(5))
def test_calibrated_drag_x_and_sx(q):
    x, sx = run_gate(pulse(X_CAL, q), q), run_gate(pulse(SX_CAL, q), q)
    assert x.fidelity(X) >= 0.99999
    assert sx.fidelity(SX) >= 0.99999
    assert x.leakage <= 1e-5 and sx.leakage <= 1e-5


def test_gaussian_x_is_visibly_worse_than_drag():
    drag, gauss = run_gate(pulse(X_CAL, 0)), run_gate(pulse(X_CAL, 0, beta=0.0))
    assert gauss.fidelity(X) < 0.9995
    assert (1 - gauss.fidelity(X)) >= 100 * (1 - drag.fidelity(X))


def test_truncation_converged_at_three_levels():
    f3, f4 = (run_gate(pulse(X_CAL, 0), levels=L).fidelity(X) for L in (3, 4))
    assert abs(f3 - f4) <= 1e-6


def test_two_levels_hide_the_leakage_error():
    assert run_gate(pulse(X_CAL, 0, beta=0.0), levels=2).fidelity(X) > 0.99999


@pytest.mark.parametrize("theta", [0.3, 1.2, -2.0])
def test_virtual_z_sign(theta):
    """rz(θ); sx  ==  [shift_phase(-θ), play(SX)] with the final frame offset undone (§4.3, §5.3)."""
    model, frames = device()
    sched = SequenceBuilder(frames).shift_phase("d0", -theta).play("d0", pulse(SX_CAL, 0)).build()
    result = simulate(sched, model)
    assert result.frame_phases == (-theta,)
    assert result.fidelity(SX @ rz(theta)) >= 0.99999
    if theta == 0.3:
        assert result.fidelity(SX @ rz(-theta)) < 0.95


def test_phase_turns_the_axis_by_plus_phase():
    """A π pulse with angle π/2 is a Y rotation: Y90p = i·X90p as in IBM's calibrations."""
    model, frames = device(levels=2)
    amp = 0.5 / (0.150 * model.dt_ns * 160)  # Ω·amp·T = π on a constant pulse
    result = simulate(SequenceBuilder(frames).play("d0", Constant(160, amp, np.pi / 2)).build(), model)
    assert result.fidelity(unitary_of("y")) > 1 - 1e-12


def random_sequence(rng: np.random.Generator, length: int = 20):
    """(schedule builder ops, ideal unitary) for a random rz/sx/x word on qubit 0."""
    model, frames = device()
    builder, ideal = SequenceBuilder(frames), np.eye(2)
    for _ in range(length):
        gate = rng.choice(["rz", "sx", "x"])
        if gate == "rz":
            theta = float(rng.uniform(-np.pi, np.pi))
            builder.shift_phase("d0", -theta)
            ideal = rz(theta) @ ideal
        else:
            builder.play("d0", pulse(SX_CAL if gate == "sx" else X_CAL, 0))
            ideal = (SX if gate == "sx" else X) @ ideal
    return model, builder.build(), ideal


@pytest.mark.parametrize("seed", range(6))
def test_random_twenty_gate_sequences(seed):
    model, sched, ideal = random_sequence(np.random.default_rng(seed))
    assert simulate(sched, model).fidelity(ideal) >= 1 - 20 * 2e-6


def test_symbolic_amplitude_and_phase_bind_at_simulation():
    model, frames = device()
    a, theta = Arg("a"), Arg("theta")
    sched = PulseSchedule(frames, (ShiftPhase(0, "d0", -theta), Play(0, "d0", Drag(160, a, 40, 1.619))))
    bound = PulseSchedule(frames, (ShiftPhase(0, "d0", -0.3), Play(0, "d0", Drag(160, 0.08701, 40, 1.619))))
    values = {"a": 0.08701, "theta": 0.3}
    np.testing.assert_allclose(simulate(sched, model, values=values).unitary, simulate(bound, model).unitary,
                               atol=1e-14)


def test_eigh_steps_match_scipy_expm():
    expm = pytest.importorskip("scipy.linalg").expm
    model, frames = device()
    wf = pulse(X_CAL, 0)
    result = simulate(SequenceBuilder(frames).play("d0", wf).build(), model)
    a = model.lowering(0)
    h0, half_rabi = model.static_hamiltonian(), np.pi * 0.150
    u = np.eye(3, dtype=complex)
    for d in wf.samples():
        drive = half_rabi * (d * a.conj().T + np.conj(d) * a)
        u = expm(-1j * (h0 + drive) * model.dt_ns) @ u
    np.testing.assert_allclose(result.unitary, u, atol=1e-12)


def test_detuned_frame_gives_the_generalised_rabi_formula():
    """A constant drive δ away from a 2-level qubit: P1 = Ω²/(Ω²+δ²)·sin²(√(Ω²+δ²)·T/2)."""
    model = PulseModel((Transmon(5.0, -0.3, 0.05),), levels=2)
    detuning_ghz, duration = 0.02, 640
    frames = (Frame("f", 0, 5.0 + detuning_ghz),)
    sched = PulseSchedule(frames, (Play(0, "f", Constant(duration, 1.0)),))
    rabi, delta, t = 2 * np.pi * 0.05, 2 * np.pi * detuning_ghz, duration * model.dt_ns
    general = np.hypot(rabi, delta)
    expected = (rabi / general) ** 2 * np.sin(general * t / 2) ** 2
    errors = [abs(abs(simulate(sched, model, substeps=m).unitary[1, 0]) ** 2 - expected) for m in (None, 2)]
    assert errors[0] < 1e-7
    assert 12 < errors[0] / errors[1] < 20  # commutator-free Magnus sub-steps: fourth order in h


def test_set_frequency_is_phase_continuous_and_back_on_resonance_is_static():
    """Detune a frame, then set it back: later pulses see the accumulated carrier phase."""
    model, frames = device()
    f_q = model.qubits[0].frequency_ghz
    sched = PulseSchedule(frames, (
        SetFrequency(0, "d0", f_q + 0.01), Play(0, "d0", Constant(160, 0.0)),
        SetFrequency(160, "d0", f_q), Play(160, "d0", pulse(SX_CAL, 0)),
    ))
    psi = 2 * np.pi * 0.01 * 160 * model.dt_ns  # carrier phase gained while detuned
    result = simulate(sched, model)
    assert result.fidelity(rz(-psi) @ SX @ rz(psi)) >= 0.99999  # SX with its axis turned by -psi


def test_overlapping_plays_on_one_frame_are_rejected():
    model, frames = device()
    sched = PulseSchedule(frames, (Play(0, "d0", Constant(64, 0.1)), Play(32, "d0", Constant(64, 0.1))))
    with pytest.raises(ValueError, match="overlapping plays on frame `d0` at t0 = 32"):
        simulate(sched, model)
