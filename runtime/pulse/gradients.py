"""Exact gradients of a schedule's average gate fidelity with respect to its symbolic parameters.

The simulator's propagator is `U = U_{N-1} ··· U_0` with `U_k = exp(-i h H_k)`
and `H_k = H_0 + Σ_f c_f (D_f[k] O_f + h.c.)` (`simulate`, reference note
§5.2).  A parameter p (a circuit argument named in `values`: a DRAG `amp`,
`beta` or `angle`, or a `shift_phase`/`set_phase` value) moves the drive
samples D_f[k] and the final frame offsets Φ_q.  Then

    ∂U/∂p = Σ_k U_{N-1}···U_{k+1} · L_k[∂H_k/∂p] · U_{k-1}···U_0

where L_k[G] is the exact Fréchet derivative of exp(-i h H) in direction G,
from the eigendecomposition H_k = W diag(E) W† the simulator already uses:
`L_k[G] = W ((W† G W) ∘ Γ) W†`, `Γ_mn = (e^{-ihE_m} - e^{-ihE_n})/(E_m - E_n)`
(written with `sinc`, so degenerate levels need no special case).  The
fidelity is real-linear in U, `dF = Re Tr(Z dU)`, so one backward sweep
gives every step's sensitivity and every parameter's gradient is a sum over
steps of `Re ∂D_f[k]`, `Im ∂D_f[k]` times them (an adjoint method: the cost
does not grow with the number of parameters).

Only schedules the simulator propagates exactly without sub-steps are
supported: every playing frame on its qubit's frequency, no frequency
changes, and no exchange between detuned qubits.  Memory is a few arrays of
N·dim² complex numbers (N samples): fine for one or two qubits, large for
long three-qubit schedules.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping, Sequence

import numpy as np

from qdl.compiler.expr import Arg, Expr
from qdl.compiler.pulse.waveforms import Drag, Waveform, evaluate_value
from qdl.runtime.pulse.fidelity import average_gate_fidelity, computational_indices, leakage, rz_correction
from qdl.runtime.pulse.model import TWO_PI, PulseModel
from qdl.compiler.pulse.schedule import Frame, Play, PulseSchedule, SetPhase, ShiftPhase
from qdl.runtime.pulse.simulate import DRIVING_PORTS, end_time, fastest_rate, frame_track, track_hamiltonians


@dataclass(frozen=True)
class FidelityGradient:
    """F_avg of a schedule against a target (frame offsets undone), its leakage and ∂F/∂p per parameter."""

    fidelity: float
    leakage: float
    gradient: dict[str, float]
    unitary: np.ndarray  # the full propagator


def _partials(value: object, values: Mapping[str, object], wrt: Sequence[str]) -> np.ndarray:
    """∂value/∂p for every name in `wrt` (0 for a plain number)."""
    if not isinstance(value, Expr):
        return np.zeros(len(wrt))
    return np.array([float(np.asarray(value.diff(Arg(name)).evaluate(values))) for name in wrt])


def _sample_partials(wf: Waveform, values: Mapping[str, object], wrt: Sequence[str]) -> np.ndarray:
    """∂samples/∂p (len(wrt) × duration, complex): samples are amp·e^{i angle}·f(x), f affine in DRAG β."""
    out = np.zeros((len(wrt), wf.duration), dtype=complex)
    if not wf.is_symbolic:
        return out
    bound = wf.bind(values)
    x = np.arange(wf.duration, dtype=float) + 0.5
    amp, rot = float(bound.amp), np.exp(1j * float(bound.angle))
    env = bound._envelope(x)
    out += _partials(wf.amp, values, wrt)[:, None] * (rot * env)
    out += _partials(wf.angle, values, wrt)[:, None] * (1j * amp * rot * env)
    if isinstance(wf, Drag):  # f = G + iβ·slope·G: ∂f/∂β = f(β=1) - f(β=0) exactly
        slope = replace(bound, beta=1.0)._envelope(x) - replace(bound, beta=0.0)._envelope(x)
        out += _partials(wf.beta, values, wrt)[:, None] * (amp * rot * slope)
    return out


def _drive_partials(schedule: PulseSchedule, name: str, total: int, drive: np.ndarray,
                    values: Mapping[str, object], wrt: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """∂D_f[k]/∂p (len(wrt) × total) of one frame, and ∂Φ_f/∂p of its final phase.

    D[k] = s_k·e^{iφ_k} (samples s, frame phase φ), so ∂D = ∂s·e^{iφ} + i·D·∂φ.
    """
    frame = schedule.frame(name)
    ds = np.zeros((len(wrt), total), dtype=complex)
    phase, dphase = np.full(total, float(frame.phase)), np.zeros((len(wrt), total))
    dfinal = np.zeros(len(wrt))
    for inst in sorted((i for i in schedule.instructions if getattr(i, "frame", None) == name), key=lambda i: i.t0):
        if isinstance(inst, Play):
            stop = min(inst.t0 + inst.waveform.duration, total)
            ds[:, inst.t0:stop] = _sample_partials(inst.waveform, values, wrt)[:, : stop - inst.t0]
        elif isinstance(inst, (ShiftPhase, SetPhase)):
            value, d = evaluate_value(inst.phase, values, "phase"), _partials(inst.phase, values, wrt)
            shift = isinstance(inst, ShiftPhase)
            phase[inst.t0:] = phase[inst.t0:] + value if shift else value
            dphase[:, inst.t0:] = dphase[:, inst.t0:] + d[:, None] if shift else d[:, None]
            dfinal = dfinal + d if shift else d
    return ds * np.exp(1j * phase)[None, :] + 1j * drive[None, :] * dphase, dfinal


def fidelity_gradient(schedule: PulseSchedule, model: PulseModel, target: np.ndarray,
                      values: Mapping[str, object], wrt: Sequence[str]) -> FidelityGradient:
    """F_avg of `schedule` on `model` against `target` and its exact gradient in the arguments `wrt`.

    `values` binds every symbolic amplitude, angle, β and phase; `wrt` names
    scalar arguments among them.  F is `simulate(...).fidelity(target)`:
    leakage counted, the tracked frame offsets undone (§5.3).
    """
    wrt = tuple(wrt)
    if missing := [n for n in wrt if n not in values]:
        raise ValueError(f"no value for the parameter(s) {', '.join(missing)} to differentiate")
    driving, tracks, total = _tracks(schedule, model, values)
    energies, vectors = np.linalg.eigh(_step_hamiltonians(tracks, model, total))
    steps = (vectors * np.exp(-1j * model.dt_ns * energies)[:, None, :]) @ _dagger(vectors)
    before, after, unitary = _partial_products(steps, model.dim)
    offsets = [_offset_frame(driving, q) for q in range(model.num_qubits)]
    phases = tuple(0.0 if k is None else tracks[k].final_phase for k in offsets)
    fidelity, z, y_target, v = _adjoint(unitary, model, target, phases)
    # sensitivity of F to each step's generator, in the step's eigenbasis: B_k = P_{k-1} Z Q_k
    sens = _dagger(vectors) @ (before @ z @ after) @ vectors
    gamma = _frechet_kernel(energies, model.dt_ns)
    scale = 2.0 / (target.shape[0] * (target.shape[0] + 1))
    grad = np.zeros(len(wrt))
    for k, (frame, track) in enumerate(zip(driving, tracks)):
        dd, dfinal = _drive_partials(schedule, frame.name, total, track.drive, values, wrt)
        half_rabi = 0.5 * TWO_PI * model.qubits[track.qubit].drive_strength_ghz
        op = half_rabi * track.operator  # ∂H = Re ∂D·(op + op†) + Im ∂D·i(op - op†)
        for part, gen in ((dd.real, op + _dagger(op)), (dd.imag, 1j * (op - _dagger(op)))):
            per_step = np.einsum("knm,kmn->k", sens, (_dagger(vectors) @ gen @ vectors) * gamma).real
            grad += scale * (part @ per_step)
        if frame.tracks_qubit is not None and offsets[frame.tracks_qubit] == k:  # its phase is Φ_q
            dc = _rz_correction_partial(phases, frame.tracks_qubit)  # the correction ⊗ Rz(-Φ_q) moves
            grad += scale * np.trace(y_target @ dc @ v).real * dfinal
    return FidelityGradient(fidelity, leakage(v), dict(zip(wrt, grad.tolist())), unitary)


def _tracks(schedule: PulseSchedule, model: PulseModel, values: Mapping[str, object]) -> tuple[list, list, int]:
    """The driving frames, their `simulate` tracks and the sample count; refuses time-dependent H."""
    driving = [f for f in schedule.frames if schedule.port_kind(f) in DRIVING_PORTS]
    names = {f.name for f in driving}
    total = max((end_time(i) for i in schedule.instructions if getattr(i, "frame", None) in names), default=0)
    tracks = [frame_track(schedule, f.name, model, total, values, None) for f in driving]
    if fastest_rate(tracks, model) > 0:
        raise ValueError("gradients need every playing frame on its qubit's frequency and no exchange "
                         "between detuned qubits (a piecewise-constant Hamiltonian)")
    return driving, tracks, total


def _dagger(m: np.ndarray) -> np.ndarray:
    """Conjugate transpose of the last two axes."""
    return np.conj(np.swapaxes(m, -1, -2))


def _offset_frame(frames: list[Frame], qubit: int) -> int | None:
    """Index of the first frame tracking `qubit`: its final phase is the virtual-Z offset Φ_q (as `simulate`)."""
    return next((k for k, f in enumerate(frames) if f.tracks_qubit == qubit), None)


def _step_hamiltonians(tracks: list, model: PulseModel, total: int) -> np.ndarray:
    """H_k for every sample (constant within it), exactly as `simulate` builds them."""
    k = np.arange(total)
    return track_hamiltonians(tracks, model, model.static_hamiltonian(), k, np.full(total, 0.5 * model.dt_ns))


def _partial_products(steps: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """P_{k-1} = U_{k-1}···U_0 and Q_k = U_{N-1}···U_{k+1} for every k, and U."""
    before, after = np.empty_like(steps), np.empty_like(steps)
    acc = np.eye(dim, dtype=complex)
    for k, step in enumerate(steps):
        before[k] = acc
        acc = step @ acc
    unitary, acc = acc, np.eye(dim, dtype=complex)
    for k in range(len(steps) - 1, -1, -1):
        after[k] = acc
        acc = acc @ steps[k]
    return before, after, unitary


def _adjoint(unitary: np.ndarray, model: PulseModel, target: np.ndarray, phases: tuple[float, ...],
             ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """F, and Z with dF = (2/(d(d+1))) Re Tr(Z dU); also Y·T† and V for the frame-correction term.

    F = [Tr(M M†) + |Tr M|²]/(d(d+1)), M = T† C V, V = Sᵀ U S, so
    dF ∝ Re Tr(Y dM) with Y = M† + conj(Tr M)·1, and Z = S Y T† C Sᵀ.
    """
    idx = computational_indices(model.num_qubits, model.levels)
    v = unitary[np.ix_(idx, idx)]
    correction = rz_correction(phases)
    m = target.conj().T @ correction @ v
    y_target = (m.conj().T + np.conj(np.trace(m)) * np.eye(len(m))) @ target.conj().T
    z = np.zeros_like(unitary)
    z[np.ix_(idx, idx)] = y_target @ correction
    return average_gate_fidelity(correction @ v, target), z, y_target, v


def _frechet_kernel(energies: np.ndarray, h: float) -> np.ndarray:
    """Γ_mn = (e^{-ihE_m} - e^{-ihE_n})/(E_m - E_n) = -ih·e^{-ih(E_m+E_n)/2}·sinc(h(E_m-E_n)/2π)."""
    em, en = energies[:, :, None], energies[:, None, :]
    return -1j * h * np.exp(-0.5j * h * (em + en)) * np.sinc(h * (em - en) / (2 * np.pi))


def _rz_correction_partial(phases: tuple[float, ...], qubit: int) -> np.ndarray:
    """∂/∂Φ_q of ⊗_q Rz(-Φ_q) (little-endian, as `rz_correction`)."""
    out = np.eye(1, dtype=complex)
    for q in reversed(range(len(phases))):
        p = phases[q]
        factor = np.diag([np.exp(0.5j * p), np.exp(-0.5j * p)])
        if q == qubit:
            factor = factor * np.array([0.5j, -0.5j])[None, :]
        out = np.kron(out, factor)
    return out
