"""Open-system pulse simulation: Lindblad channel with T1/T2 (reference note §5.3, §8d items 7 and 10).

References are independent of `runtime.pulse.open_system`: the closed-system
simulator, closed forms for idle decay, the coherence-limit formula of §5.3,
products of single-qubit channels, and `scipy.integrate.solve_ivp` on the
master equation written with commutators (no vectorisation).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("scipy")

import qdl  # noqa: E402
from qdl.compiler.device import load_device  # noqa: E402
from qdl.compiler.gates import unitary_of  # noqa: E402
from qdl.compiler.pulse import Drag  # noqa: E402
from qdl.runtime.pulse import (  # noqa: E402
    Delay, Frame, PulseSchedule, SequenceBuilder, drive_frames, example_device, simulate,
)
from qdl.runtime.pulse.open_system import Decoherence, simulate_open  # noqa: E402

X_DRAG = Drag(160, 0.17408, 40, 1.580)  # §8c calibration of qubit 0
SX_DRAG = Drag(160, 0.08701, 40, 1.619)
TAU = 160 * 2 / 9  # ns


def coherence_limit(t1_ns: float, t2_ns: float, tau: float = TAU) -> float:
    """1 - F_avg of a 1-qubit gate of length τ from T1/T2 alone (§5.3)."""
    return tau / (6 * t1_ns) + tau / (3 * t2_ns)


def x_schedule(model, theta: float = 0.0) -> PulseSchedule:
    frames = drive_frames([t.frequency_ghz for t in model.qubits])
    return SequenceBuilder(frames).shift_phase("d0", -theta).play("d0", X_DRAG).build()


def test_closed_limit_equals_the_unitary_simulator():
    model = example_device((0,))
    schedule = x_schedule(model, 0.3)
    closed, channel = simulate(schedule, model), simulate_open(schedule, model, Decoherence.none(1))
    target = unitary_of("x") @ unitary_of("rz", [0.3])
    assert abs(channel.fidelity(target) - closed.fidelity(target)) <= 1e-10
    assert abs(channel.leakage - closed.leakage) <= 1e-10
    assert channel.frame_phases == closed.frame_phases
    np.testing.assert_allclose(channel.superoperator, np.kron(closed.unitary, closed.unitary.conj()), atol=1e-10)


def test_closed_limit_with_time_dependent_hamiltonian():
    """A frame 100 MHz off the qubit: H varies inside a sample, both simulators take CF4 sub-steps."""
    model = example_device((0,))
    frames = (Frame("d0", 0, model.qubits[0].frequency_ghz + 0.1, tracks_qubit=0),)
    schedule = SequenceBuilder(frames).play("d0", Drag(96, 0.3, 24, 1.5)).build()
    closed, channel = simulate(schedule, model), simulate_open(schedule, model, Decoherence.none(1))
    assert channel.substeps == closed.substeps > 1
    np.testing.assert_allclose(channel.superoperator, np.kron(closed.unitary, closed.unitary.conj()), atol=1e-10)


@pytest.mark.parametrize("t1_us, t2_us", [(100, 100), (278, 170), (50, 30), (40, 80)])
def test_x_gate_error_is_the_coherence_limit(t1_us, t2_us):
    """§5.3: 1 - F_avg ≈ τ/(6T1) + τ/(3T2) (+ the coherent error); the reference measured it within 1%."""
    model = example_device((0,))
    schedule = x_schedule(model)
    coherent = 1 - simulate(schedule, model).fidelity(unitary_of("x"))
    channel = simulate_open(schedule, model, Decoherence((t1_us * 1e3,), (t2_us * 1e3,)))
    error = 1 - channel.fidelity(unitary_of("x"))
    assert error == pytest.approx(coherence_limit(t1_us * 1e3, t2_us * 1e3) + coherent, rel=0.01)


def test_x_on_qubit_0_of_t5_within_ten_percent_of_the_coherence_limit():
    """§8d item 10, through `schedule.simulate(noise=True)` with the device's own T1/T2."""
    prog = qdl.compile("circuit f() -> float { qubit q; x q; return expval(Z[0]); }")
    check = prog.f.schedule("t5").simulate(noise=True)
    info = load_device("t5").qubits[0]
    limit = coherence_limit(info.t1_us * 1e3, info.t2_us * 1e3)
    assert check.channel is not None and check.channel.duration == 160
    assert check.unitary_fidelity >= 0.99999
    error = 1 - check.fidelity
    assert abs(error - (limit + 1 - check.unitary_fidelity)) <= 0.10 * error
    assert check.leakage == pytest.approx(check.result.leakage, abs=1e-6)


def idle(samples: int, t1_ns: float, t2_ns: float, levels: int = 3):
    model = example_device((0,), levels)
    frames = drive_frames([model.qubits[0].frequency_ghz])
    schedule = PulseSchedule(frames, (Delay(0, "d0", samples),))
    return model, simulate_open(schedule, model, Decoherence((t1_ns,), (t2_ns,)))


def evolve(channel, rho: np.ndarray) -> np.ndarray:
    return (channel.superoperator @ rho.reshape(-1)).reshape(rho.shape)


def test_idle_decay_follows_t1_and_t2():
    t1, t2, samples = 50e3, 30e3, 18000  # 4 µs
    model, channel = idle(samples, t1, t2)
    t = samples * model.dt_ns
    one, two, plus = np.diag([0, 1, 0]).astype(complex), np.diag([0, 0, 1]).astype(complex), np.zeros((3, 3), complex)
    plus[:2, :2] = 0.5
    assert evolve(channel, one)[1, 1].real == pytest.approx(math.exp(-t / t1), rel=1e-6)
    assert evolve(channel, two)[2, 2].real == pytest.approx(math.exp(-2 * t / t1), rel=1e-6)  # level k: k/T1
    coherence = evolve(channel, plus)[0, 1]
    assert abs(coherence) == pytest.approx(0.5 * math.exp(-t / t2), rel=1e-6)
    assert abs(np.angle(coherence)) <= 1e-9  # no frequency offset in the qubit's own frame
    assert np.trace(evolve(channel, plus)).real == pytest.approx(1.0, abs=1e-12)


def test_t2_equal_to_twice_t1_has_no_pure_dephasing():
    model, channel = idle(4000, 20e3, 40e3)
    plus = np.zeros((3, 3), complex)
    plus[:2, :2] = 0.5
    t = 4000 * model.dt_ns
    assert abs(evolve(channel, plus)[0, 1]) == pytest.approx(0.5 * math.exp(-t / 40e3), rel=1e-9)
    assert len(Decoherence((20e3,), (40e3,)).collapse_operators(model)) == 1


def test_drag_x_channel_matches_the_master_equation_ode():
    """Strong decoherence (T1 = 200 ns, T2 = 150 ns) so that a wrong dissipator would show."""
    solve_ivp = pytest.importorskip("scipy.integrate").solve_ivp
    model = example_device((0,))
    t1, t2 = 200.0, 150.0
    channel = simulate_open(x_schedule(model), model, Decoherence((t1,), (t2,)))
    a = model.lowering(0)
    n = a.conj().T @ a
    collapse = [a / math.sqrt(t1), math.sqrt(2 * (1 / t2 - 0.5 / t1)) * n]
    h0, dt = model.static_hamiltonian(), model.dt_ns

    def rhs(h: np.ndarray):
        def f(_t: float, y: np.ndarray) -> np.ndarray:
            rho = y.view(complex).reshape(9, 3, 3)  # all nine inputs |i><j| at once
            out = -1j * (h @ rho - rho @ h)
            for c in collapse:
                cdc = c.conj().T @ c
                out += c @ rho @ c.conj().T - 0.5 * (cdc @ rho + rho @ cdc)
            return out.reshape(-1).view(float)
        return f

    rho = np.eye(9, dtype=complex).reshape(9, 3, 3)  # rho[k] = |i><j|, k = 3i + j
    for d in X_DRAG.samples():
        h = h0 + np.pi * 0.150 * (d * a.conj().T + np.conj(d) * a)
        rho = solve_ivp(rhs(h), (0, dt), rho.reshape(-1).view(float), method="DOP853",
                        rtol=1e-10, atol=1e-12).y[:, -1].view(complex).reshape(9, 3, 3)
    assert np.max(np.abs(channel.superoperator - rho.reshape(9, 9).T)) <= 1e-8
    # a channel: trace preserving on the full space, and its Choi matrix is positive
    diag = np.arange(3) * 4
    np.testing.assert_allclose(channel.superoperator[diag].sum(axis=0), np.eye(3).reshape(-1), atol=1e-12)
    choi = channel.superoperator.reshape(3, 3, 3, 3).transpose(0, 2, 1, 3).reshape(9, 9)  # (i k),(j l)
    assert np.min(np.linalg.eigvalsh(choi)) >= -1e-12


def test_drag_x_propagator_matches_solve_ivp():
    """§8d item 7: product of exponentials vs DOP853 (rtol 1e-10) for the DRAG X, max|ΔU| ≤ 1e-8."""
    solve_ivp = pytest.importorskip("scipy.integrate").solve_ivp
    model = example_device((0,))
    result = simulate(x_schedule(model), model)
    a, h0, dt = model.lowering(0), model.static_hamiltonian(), model.dt_ns
    u = np.eye(3, dtype=complex)
    for d in X_DRAG.samples():
        h = h0 + np.pi * 0.150 * (d * a.conj().T + np.conj(d) * a)
        y = solve_ivp(lambda _t, y, h=h: (-1j * h @ y.view(complex).reshape(3, 3)).reshape(-1).view(float),
                      (0, dt), u.reshape(-1).view(float), method="DOP853", rtol=1e-10, atol=1e-12).y[:, -1]
        u = y.view(complex).reshape(3, 3)
    assert np.max(np.abs(result.unitary - u)) <= 1e-8


def test_uncoupled_pair_is_the_product_of_single_qubit_channels():
    pair = example_device((0, 2))  # not coupled in §8c
    assert not pair.couplings
    frames = drive_frames([t.frequency_ghz for t in pair.qubits])
    both = SequenceBuilder(frames).play("d0", X_DRAG).play("d1", SX_DRAG).build()
    channel = simulate_open(both, pair, Decoherence((60e3, 30e3), (50e3, 20e3)))
    singles = []
    for q, wf, t1, t2 in ((0, X_DRAG, 60e3, 50e3), (2, SX_DRAG, 30e3, 20e3)):
        model = example_device((q,))
        schedule = SequenceBuilder(drive_frames([model.qubits[0].frequency_ghz])).play("d0", wf).build()
        singles.append(simulate_open(schedule, model, Decoherence((t1,), (t2,))).superoperator.reshape((3,) * 4))
    # row-major vec over (q1, q0): S[(i1 i0 j1 j0), (k1 k0 l1 l0)] = S1[i1 j1, k1 l1] · S0[i0 j0, k0 l0]
    product = np.einsum("ACEG,bdfh->AbCdEfGh", singles[1], singles[0]).reshape(81, 81)
    np.testing.assert_allclose(channel.superoperator, product, atol=1e-12)


def test_coupled_pair_on_t5_adds_the_single_qubit_errors():
    """Simultaneous SX on q0 and X on q1 (coupled, dressed frame): 1 - F ≈ coherent + 1.2·Σ_q limit_q.

    For d = 4, 1 - F_avg = (4/5)(1 - F_pro), and 1 - F_pro adds over qubits with 1 - F_pro,q = (3/2)(1 - F_avg,q).
    One CF4 step per sample (J/2π = 2 MHz is a slow perturbation) keeps the 81×81 Liouvillians few.
    """
    prog = qdl.compile("circuit g() -> float { qubit q[2]; sx q[0]; x q[1]; return expval(Z[1]); }")
    check = prog.g.schedule("t5").simulate(noise=True, substeps=1)
    device = load_device("t5")
    assert check.qubits == (0, 1) and check.unitary_fidelity >= 0.9999
    limits = sum(coherence_limit(device.qubits[q].t1_us * 1e3, device.qubits[q].t2_us * 1e3) for q in (0, 1))
    expected = (1 - check.unitary_fidelity) + 1.2 * limits
    assert 1 - check.fidelity == pytest.approx(expected, rel=0.05)


def test_impossible_or_missing_coherence_times_are_errors():
    with pytest.raises(ValueError, match="exceeds 2·T1"):
        Decoherence((10e3,), (30e3,))
    with pytest.raises(ValueError, match="positive"):
        Decoherence((0.0,), (1.0,))
    no_t1 = load_device("t5")
    from dataclasses import replace
    no_t1 = replace(no_t1, qubits=tuple(replace(q, t1_us=None) for q in no_t1.qubits))
    with pytest.raises(ValueError, match="lacks t1_us or t2_us of qubit 0"):
        Decoherence.from_device(no_t1, (0,))


def test_cli_noise_flag(qdlc, tmp_path: Path):
    program = tmp_path / "p.qdl"
    program.write_text("circuit f() -> float { qubit q; x q; return expval(Z[0]); }\n")
    target = tmp_path / "s.json"
    assert qdlc("schedule", str(program), "--device", "t5", "-o", str(target)).code == 0
    plain = qdlc("verify-schedule", str(target), "--device", "t5", "--min-fidelity", "0.9999")
    noisy = qdlc("verify-schedule", str(target), "--device", "t5", "--noise", "--min-fidelity", "0.9995")
    assert plain.code == 0 and noisy.code == 0, noisy.err
    closed = float(plain.out.split("fidelity")[1].split()[0])
    with_noise = float(noisy.out.split("fidelity")[1].split()[0])
    assert "(with T1/T2)" in noisy.out and f"closed    {closed:.8f}" in noisy.out
    info = load_device("t5").qubits[0]
    limit = coherence_limit(info.t1_us * 1e3, info.t2_us * 1e3)
    assert 1 - with_noise == pytest.approx(limit + 1 - closed, rel=0.10)
    failing = qdlc("verify-schedule", str(target), "--device", "t5", "--noise", "--min-fidelity", "0.9999")
    assert failing.code == 1 and "below --min-fidelity" in failing.err


def coherent_t5(factor: float = 1e12):
    """t5 with T1, T2 stretched by `factor`: the open system is then closed to far below 1e-10."""
    from dataclasses import replace
    device = load_device("t5")
    qubits = tuple(replace(q, t1_us=q.t1_us * factor, t2_us=q.t2_us * factor) for q in device.qubits)
    return replace(device, qubits=qubits)


def test_verify_with_noise_reduces_to_the_closed_verifier_on_a_coupled_pair():
    """The dressed-frame transform and the frame + best virtual-Z correction of the channel match the unitary path."""
    prog = qdl.compile("circuit g(t: float) -> float { qubit q[2]; rz(t) q[0]; sx q[0]; x q[1]; "
                       "rz(-t) q[1]; return expval(Z[1]); }")
    check = prog.g.schedule("t5").simulate(coherent_t5(), values={"t": 0.7}, noise=True, substeps=1,
                                           optimize_z=True)
    assert abs(check.fidelity - check.unitary_fidelity) <= 1e-10
    assert abs(check.leakage - check.result.leakage) <= 1e-10
    assert check.unitary_fidelity >= 0.999


def test_cli_noise_needs_coherence_times(qdlc, tmp_path: Path):
    device = tmp_path / "no_t1.toml"
    text = (Path(__file__).resolve().parents[2] / "stdlib" / "devices" / "t5.toml").read_text()
    device.write_text("\n".join(line for line in text.splitlines() if not line.startswith("t1_us")))
    program = tmp_path / "p.qdl"
    program.write_text("circuit f() -> float { qubit q; x q; return expval(Z[0]); }\n")
    target = tmp_path / "s.json"
    assert qdlc("schedule", str(program), "--device", str(device), "-o", str(target)).code == 0
    assert qdlc("verify-schedule", str(target), "--device", str(device)).code == 0
    out = qdlc("verify-schedule", str(target), "--device", str(device), "--noise")
    assert out.code == 2 and "lacks t1_us or t2_us of qubit 0" in out.err and "Traceback" not in out.err
    assert "--arg" not in out.err


def test_device_with_t2_above_twice_t1_names_the_physical_qubit():
    from dataclasses import replace
    device = load_device("t5")
    qubits = list(device.qubits)
    qubits[3] = replace(qubits[3], t2_us=3 * qubits[3].t1_us)
    with pytest.raises(ValueError, match=r"qubit 3: T2 = .* exceeds 2·T1"):
        Decoherence.from_device(replace(device, qubits=tuple(qubits)), (1, 3))
