"""Exact fidelity gradients of pulse schedules against central finite differences (reference note §8d item 9)."""

from __future__ import annotations

import numpy as np
import pytest

from qdl.compiler.expr import Arg
from qdl.compiler.gates import unitary_of
from qdl.compiler.pulse import Constant, Drag, GaussianSquare
from qdl.runtime.pulse import (
    Frame, Play, PulseSchedule, SequenceBuilder, SetPhase, drive_frames, example_device, simulate,
)
from qdl.runtime.pulse.gradients import fidelity_gradient
from qdl.runtime.pulse.verify import embed

X, SX = unitary_of("x"), unitary_of("sx")
H = 1e-6  # §8d: central differences with h = 1e-6, relative error 1e-5
AMP, BETA, THETA, ANGLE = Arg("amp"), Arg("beta"), Arg("theta"), Arg("angle")


def rz(theta: float) -> np.ndarray:
    return unitary_of("rz", [theta])


def central_difference(schedule, model, target, values, name):
    def f(step: float) -> float:
        return simulate(schedule, model, values={**values, name: values[name] + step}).fidelity(target)
    return (f(H) - f(-H)) / (2 * H)


def assert_matches_finite_differences(schedule, model, target, values, names):
    """Exact gradient vs h = 1e-6 central differences, relative 1e-5.

    The difference quotient carries the simulator's round-off (~1e-14 in F, so
    ~1e-8 in the quotient): measured agreement 1e-9 to 3e-6, and 3e-9 for the
    worst case against a Richardson-extrapolated h = 1e-3 difference.
    """
    out = fidelity_gradient(schedule, model, target, values, names)
    assert out.fidelity == pytest.approx(simulate(schedule, model, values=values).fidelity(target), abs=1e-12)
    for name in names:
        fd = central_difference(schedule, model, target, values, name)
        assert abs(fd) > 1e-3, f"pick a point where ∂F/∂{name} is measurable, got {fd}"
        assert abs(out.gradient[name] - fd) <= 1e-5 * abs(fd), (name, out.gradient[name], fd)
    return out


def one_qubit(q: int = 1):
    model = example_device((q,))
    return model, drive_frames([model.qubits[0].frequency_ghz])


def test_drag_amp_beta_and_a_virtual_z_through_shift_phase():
    """rz(θ)-style frame change between two DRAG pulses sharing amp and β (off the optimum).

    Short pulses, so that ∂F/∂β (1e-2 here, 1e-3 at 160 dt) stands well above the
    round-off of the finite difference (~1e-8).
    """
    model, frames = one_qubit()
    sched = (SequenceBuilder(frames).play("d0", Drag(64, AMP, 16, BETA)).shift_phase("d0", -THETA)
             .play("d0", Drag(64, 0.5 * AMP, 16, BETA)).build())
    target = SX @ rz(0.4) @ X
    assert_matches_finite_differences(sched, model, target, {"amp": 0.43, "beta": -1.5, "theta": 0.5},
                                      ["amp", "beta", "theta"])


def test_final_frame_offset_and_pulse_angle():
    """A trailing shift_phase moves only the virtual-Z correction (Φ); angle turns the drive axis."""
    model, frames = one_qubit(0)
    sched = (SequenceBuilder(frames).shift_phase("d0", -2 * THETA).play("d0", Drag(160, 0.0871, 40, 1.6, ANGLE))
             .shift_phase("d0", THETA + 0.1).build())
    values = {"theta": 0.3, "angle": 0.2}
    out = assert_matches_finite_differences(sched, model, rz(-0.4) @ SX @ rz(0.6), values, ["theta", "angle"])
    assert out.leakage == pytest.approx(simulate(sched, model, values=values).leakage, abs=1e-15)


def test_set_phase_and_other_shapes():
    model, frames = one_qubit(2)
    sched = PulseSchedule(frames, (
        Play(0, "d0", GaussianSquare(256, AMP, 32, 96)),
        SetPhase(256, "d0", THETA),
        Play(256, "d0", Constant(64, 0.5 * AMP, ANGLE)),
    ))
    values = {"amp": 0.05, "theta": 0.7, "angle": -0.4}
    assert_matches_finite_differences(sched, model, X @ rz(0.3), values, ["amp", "theta", "angle"])


def test_two_uncoupled_qubits_each_with_its_frame_correction():
    model = example_device((0, 2))  # not coupled: H stays piecewise constant
    frames = drive_frames([t.frequency_ghz for t in model.qubits])
    sched = (SequenceBuilder(frames).play("d0", Drag(160, AMP, 40, 1.58)).shift_phase("d1", -THETA)
             .play("d1", Drag(64, 0.215, 16, BETA)).shift_phase("d0", 0.5 * THETA).build())
    target = embed(SX @ rz(0.2), (1,), 2) @ embed(X, (0,), 2)
    assert_matches_finite_differences(sched, model, target, {"amp": 0.17, "beta": -1.5, "theta": 0.6},
                                      ["amp", "beta", "theta"])


def test_schedules_needing_substeps_are_refused():
    model = example_device((0,))
    frames = (Frame("f", 0, model.qubits[0].frequency_ghz + 0.01, tracks_qubit=0),)
    sched = PulseSchedule(frames, (Play(0, "f", Constant(64, AMP)),))
    with pytest.raises(ValueError, match="piecewise-constant"):
        fidelity_gradient(sched, model, X, {"amp": 0.1}, ["amp"])
    with pytest.raises(ValueError, match="no value for the parameter"):
        fidelity_gradient(sched, model, X, {}, ["amp"])
