"""The frame-moving propagator (`runtime.pulse.propagator`) against the step-by-step one and exact references.

`method="steps"` at 16 sub-steps a sample is converged to ~1e-10 on these
schedules (it is the reference); the fast path must agree to 1e-8 with its own
automatic sub-steps and to 5e-10 at the same sub-steps (measured 1.4e-10).  Idle stretches are
checked against exp(-i H t) of the static lab Hamiltonian (scipy's Padé
`expm`, an independent route), also at 10^6 dt.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

import qdl
from qdl.compiler.device import load_device
from qdl.compiler.pulse import Constant, Drag, GaussianSquare
from qdl.runtime.pulse import exponentials
from qdl.runtime.pulse.dressed import bare_frequencies, lab_hamiltonian
from qdl.runtime.pulse.model import TWO_PI, PulseModel, Transmon
from qdl.compiler.pulse.schedule import Frame, Play, PulseSchedule, SequenceBuilder, SetFrequency, ShiftFrequency
from qdl.runtime.pulse.simulate import simulate
from qdl.runtime.pulse.verify import model_for, verify

T5 = load_device("t5")
REFERENCE_STEPS = 16

TWO_QUBIT = """
circuit pair() -> float {
    qubit q[3];
    sx q[1];
    rz(0.7) q[2];
    sx q[2];
    cx q[2], q[1];
    rz(-1.1) q[1];
    x q[2];
    cx q[2], q[1];
    return expval(Z[1]);
}
"""

THREE_QUBIT = """
circuit star() -> float {
    qubit q[4];
    sx q[1];
    x q[3];
    rz(0.4) q[2];
    cx q[2], q[1];
    sx q[3];
    sx q[2];
    cx q[3], q[1];
    rz(1.3) q[2];
    sx q[2];
    return expval(Z[1]);
}
"""


def bare(qubits: tuple[int, ...]) -> PulseModel:
    """The t5 model of `qubits` with the bare frequencies `verify` simulates."""
    return bare_frequencies(model_for(T5, qubits))


def assert_agree(schedule: PulseSchedule, model: PulseModel, **options) -> None:
    """fast (automatic sub-steps) ≈ steps (16) to 1e-8; both at 16 sub-steps to 5e-10."""
    reference = simulate(schedule, model, method="steps", substeps=REFERENCE_STEPS, **options).unitary
    fast = simulate(schedule, model, method="fast", **options).unitary
    assert np.max(np.abs(fast - reference)) <= 1e-8
    same = simulate(schedule, model, method="fast", substeps=REFERENCE_STEPS, **options).unitary
    assert np.max(np.abs(same - reference)) <= 5e-10


def test_idle_gaps_cross_resonance_and_detuned_frames_on_two_qubits():
    """Parallel drives at two frequencies (sub-stepped), a CR tone with its cancellation tone, a detuned frame,
    a virtual Z, an idle gap and a repeat of the same CR after a phase shift (a reused propagator)."""
    model = bare((1, 2))
    f_t, f_c = 5.2453, 5.3610  # dressed: the frequencies frames sit at
    frames = (Frame("d0", 0, f_t, tracks_qubit=0), Frame("d1", 1, f_c, tracks_qubit=1),
              Frame("cr", 1, f_t, tracks_qubit=0), Frame("off", 0, f_t + 0.045))
    b = SequenceBuilder(frames)
    b.play("d0", Drag(160, 0.2, 40, 1.5)).play("d1", Drag(96, 0.12, 24, 1.4))
    b.barrier().play("cr", GaussianSquare(512, 0.4, 32, 384)).play("d0", GaussianSquare(512, 0.05, 32, 384))
    b.barrier().play("off", Drag(96, 0.3, 24, 1.0)).shift_phase("cr", 0.9).shift_phase("d0", 0.9)
    b.barrier().play("d1", Constant(640, 0.0))  # 640 dt of silence on every frame
    b.barrier().play("cr", GaussianSquare(512, 0.4, 32, 384)).play("d0", GaussianSquare(512, 0.05, 32, 384))
    assert_agree(b.build(), model)


@pytest.mark.parametrize("source, name, qubits", [(TWO_QUBIT, "pair", (1, 2)), (THREE_QUBIT, "star", (1, 2, 3))])
def test_compiled_schedules_on_t5_agree_with_the_step_by_step_propagation(source, name, qubits):
    schedule = getattr(qdl.compile(source), name).schedule(T5)
    assert schedule.qubits == qubits
    fast = verify(schedule, T5, method="fast")
    steps = verify(schedule, T5, method="steps", substeps=8)  # converged to ~2e-9 here, 16 is twice as slow
    assert np.max(np.abs(fast.result.unitary - steps.result.unitary)) <= 1e-8
    assert abs(fast.fidelity - steps.fidelity) <= 1e-9


def test_frequency_changes_keep_the_carrier_phase_of_the_step_by_step_propagation():
    """Detune a frame, play, wait, set it back and play: χ must carry the phase gained while detuned."""
    model = bare((1, 2))
    frames = (Frame("d0", 0, 5.2453, tracks_qubit=0), Frame("d1", 1, 5.3610, tracks_qubit=1))
    pulse = Drag(96, 0.15, 24, 1.2)
    instructions = (Play(0, "d0", pulse), ShiftFrequency(96, "d0", 0.03), Play(96, "d0", pulse),
                    Play(150, "d1", pulse), SetFrequency(400, "d0", 5.2453), Play(400, "d0", pulse),
                    Play(700, "d0", pulse))
    assert_agree(PulseSchedule(frames, instructions), model)


def test_idle_stretch_of_a_million_samples_is_the_exact_static_propagator():
    expm = pytest.importorskip("scipy.linalg").expm
    model = bare((0, 1, 2))
    frames = tuple(Frame(f"d{q}", q, model.qubits[q].frequency_ghz) for q in range(3))
    length = 10 ** 6
    start = time.perf_counter()
    result = simulate(PulseSchedule(frames, (Play(0, "d1", Constant(length, 0.0)),)), model, method="fast")
    assert time.perf_counter() - start < 5.0  # one eigendecomposition, not 10^6 steps
    t = length * model.dt_ns
    number = sum(TWO_PI * q.frequency_ghz * np.diag(model.lowering(k).conj().T @ model.lowering(k)).real
                 for k, q in enumerate(model.qubits))
    common = TWO_PI * 5.2 * sum(np.diag(model.lowering(k).conj().T @ model.lowering(k)).real for k in range(3))
    # own frames: U = e^{iNt} e^{-iH_lab t}; N_tot commutes with H_lab, so shift it out to keep ‖H t‖ small
    exact = np.exp(1j * (number - common) * t)[:, None] * expm(-1j * (lab_hamiltonian(model) - np.diag(common)) * t)
    assert np.max(np.abs(result.unitary - exact)) <= 1e-8
    assert result.substeps == 1


def test_short_idle_stretch_matches_the_step_by_step_propagation():
    model = bare((0, 1, 2))
    frames = (Frame("d1", 1, 5.2453, tracks_qubit=1),)
    assert_agree(PulseSchedule(frames, (Play(0, "d1", Constant(600, 0.0)),)), model)


def test_a_detuned_constant_drive_is_exact_without_sub_steps():
    """§5.1 generalised Rabi formula: the frame moves onto the drive, so no sub-step error is left."""
    model = PulseModel((Transmon(5.0, -0.3, 0.05),), levels=2)
    frames = (Frame("f", 0, 5.02),)
    result = simulate(PulseSchedule(frames, (Play(0, "f", Constant(640, 1.0)),)), model, method="fast")
    rabi, delta, t = TWO_PI * 0.05, TWO_PI * 0.02, 640 * model.dt_ns
    general = np.hypot(rabi, delta)
    expected = (rabi / general) ** 2 * np.sin(general * t / 2) ** 2
    assert abs(abs(result.unitary[1, 0]) ** 2 - expected) <= 1e-12
    assert result.substeps == 1


def test_repeated_gates_reuse_their_propagator(monkeypatch):
    calls = []
    real = exponentials.constant_product
    monkeypatch.setattr(exponentials, "constant_product", lambda *a: calls.append(1) or real(*a))
    source = TWO_QUBIT.replace("rz(-1.1) q[1];", "rz(-1.1) q[1]; cx q[2], q[1]; rz(0.3) q[2]; cx q[2], q[1];")
    schedule = qdl.compile(source).pair.schedule(T5)
    plays = sum(1 for i in schedule.instructions if isinstance(i, Play))
    fast = verify(schedule, T5, method="fast")
    assert len(calls) < plays / 2  # the 4 ECRs' CR halves, echoes and sx pulses are computed once each
    steps = verify(schedule, T5, method="steps", substeps=8)
    assert np.max(np.abs(fast.result.unitary - steps.result.unitary)) <= 1e-8


def test_only_equal_gates_share_a_propagator(monkeypatch):
    """A gate 1e-7 stronger is a different gate (1e-6 in U); the same gate after a virtual Z is reused."""
    calls = []
    real = exponentials.constant_product
    monkeypatch.setattr(exponentials, "constant_product", lambda *a: calls.append(1) or real(*a))
    frames = (Frame("d0", 0, 5.2453, tracks_qubit=0), Frame("d1", 1, 5.3610, tracks_qubit=1))
    b = SequenceBuilder(frames).play("d0", Drag(160, 0.2, 40, 1.5)).play("d0", Drag(160, 0.2 + 1e-7, 40, 1.5))
    b.shift_phase("d0", 2.1).play("d0", Drag(160, 0.2, 40, 1.5))
    schedule = b.build()
    calls.clear()
    fast = simulate(schedule, bare((1, 2)), method="fast")
    assert len(calls) == 2
    steps = simulate(schedule, bare((1, 2)), method="steps", substeps=REFERENCE_STEPS)
    assert np.max(np.abs(fast.unitary - steps.unitary)) <= 1e-8


def test_drive_operators_that_do_not_raise_one_qubit_fall_back_to_steps():
    model = PulseModel((Transmon(5.0, -0.3, 0.1),), levels=3)
    a = model.lowering(0)
    frames = (Frame("f", 0, 5.01),)
    schedule = PulseSchedule(frames, (Play(0, "f", Drag(64, 0.3, 16, 1.0)),))
    x_like = {"f": a + a.conj().T}  # changes the excitation number both ways: no frame can absorb its carrier
    fast = simulate(schedule, model, method="fast", drive_operators=x_like)
    steps = simulate(schedule, model, method="steps", drive_operators=x_like)
    np.testing.assert_array_equal(fast.unitary, steps.unitary)
    with pytest.raises(ValueError, match="method"):
        simulate(schedule, model, method="magnus")


def test_propagation_runs_on_one_blas_thread_and_restores_the_count():
    from qdl.runtime.pulse.blas import _openblas, one_blas_thread

    functions = _openblas()
    if functions is None:
        pytest.skip("numpy's BLAS is not an OpenBLAS this helper can reach")
    get, put = functions
    before = get()
    put(2)
    try:
        with one_blas_thread():
            assert get() == 1
        assert get() == 2
    finally:
        put(before)
