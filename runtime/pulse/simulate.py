"""Simulate a pulse schedule: piecewise-constant propagators over the dt samples.

Model: `runtime.pulse.model` (3-level Duffing transmons, each in the frame
rotating at its own frequency, RWA).  A frame f with phase φ_f and frequency
ω_f playing samples d_k on qubit q's drive port contributes

    D_q(t) += d_k · e^{iφ_f} · e^{-iψ_f(t)},   ψ_f(t) = ∫_0^t (ω_f(t') - ω_q) dt'

so the drive term is `(Ω_q/2)(D_q a_q† + h.c.)`: a phase φ turns the rotation
axis by +φ and `rz(θ)` is `shift_phase(-θ)` (reference note §4.3, §5.1).

Propagator (§5.2): the samples are a zero-order hold, so when every playing
frame sits on its qubit's frequency and coupled qubits are degenerate, H is
constant within a sample and `U = Π_k exp(-i H_k dt)` is exact.  Otherwise
(cross-resonance tones, detuned frames, exchange between detuned qubits) each
sample is split into `substeps` pieces, by default enough that |Δω|·h ≤ 0.05
(§5.1), and each piece is the fourth-order commutator-free Magnus step
`exp(-ih(a H1 + b H2))·exp(-ih(b H1 + a H2))`, a = 1/4 - √3/6, b = 1/4 + √3/6,
with H1, H2 at the two Gauss-Legendre nodes of the piece.  (A plain mid-point
step is only second order: it left 6e-4 in a detuned Rabi population at
|Δω|·h = 0.03, and 1e-5 in U on a cross-resonance pulse at |Δω|·h = 0.01,
where CF4 agrees with `solve_ivp` to 1e-8.)
Each exponential comes from `numpy.linalg.eigh` in batches, and the steps are
multiplied pairwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from qdl.compiler.pulse.waveforms import evaluate_value
from qdl.runtime.pulse.fidelity import (
    average_gate_fidelity, computational_indices, leakage, optimal_z_phases, rz_correction,
)
from qdl.runtime.pulse.model import TWO_PI, PulseModel
from qdl.runtime.pulse.blas import one_blas_thread
from qdl.runtime.pulse.exponentials import CF4_NODES, CF4_WEIGHTS, chain, hamiltonians
from qdl.runtime.pulse.propagator import applies, propagate
from qdl.compiler.pulse.schedule import (
    Frame, Play, PulseSchedule, SetFrequency, SetPhase, ShiftFrequency, ShiftPhase, end_time,
)

SUBSTEP_PHASE = 0.05  # largest |Δω|·h per sub-step (rad) when substeps are chosen automatically
DRIVING_PORTS = ("drive", "control")  # frames on measure/acquire/flux ports do not drive the model
CHUNK = 4096  # sub-steps exponentiated per batch (bounds memory on long 2-qubit schedules)


@dataclass(frozen=True)
class FrameTrack:
    """A frame's drive D_f[k] = d_k e^{iφ_k} per sample, its detuning δ_k and ψ at sample starts."""

    qubit: int
    drive: np.ndarray  # complex, one value per sample
    detuning: np.ndarray  # rad/ns, ω_f - ω_q per sample
    psi: np.ndarray  # rad, ψ_f at the start of each sample
    final_phase: float
    operator: np.ndarray  # what the drive multiplies: a_q† unless overridden
    frequency: np.ndarray  # GHz, the frame's frequency per sample
    starts: np.ndarray  # bool per sample: a play begins here (gate boundaries, for reusing propagators)


@dataclass(frozen=True)
class PulseResult:
    """The propagator of a schedule and the virtual-Z offsets it leaves behind.

    `unitary` is the full `levels**n` propagator (little-endian, each qubit in
    its own rotating frame); `frame_phases[q]` is Φ_q, the final phase of the
    first frame tracking qubit q (0 if none): its initial phase with every
    `shift_phase`/`set_phase` applied.  The carrier phase a detuned frame
    gains is not part of it (it is in the Hamiltonian).
    """

    unitary: np.ndarray
    model: PulseModel
    frame_phases: tuple[float, ...]
    substeps: int

    @property
    def subspace(self) -> np.ndarray:
        """V = P U P: the block of `unitary` on the computational states (2**n × 2**n)."""
        idx = computational_indices(self.model.num_qubits, self.model.levels)
        return self.unitary[np.ix_(idx, idx)]

    @property
    def leakage(self) -> float:
        """1 - Tr(V†V)/d: population lost from the computational subspace (averaged)."""
        return leakage(self.subspace)

    def corrected(self, z_phases: tuple[float, ...] | None = None) -> np.ndarray:
        """(⊗_q Rz(-Φ_q))·V: the subspace block with the final frame offsets undone (§5.3)."""
        return rz_correction(self.frame_phases if z_phases is None else z_phases) @ self.subspace

    def fidelity(self, target: np.ndarray, *, frame_correction: bool = True,
                 optimize_z: bool = False) -> float:
        """Average gate fidelity against `target` (little-endian 2**n matrix), leakage counted.

        `frame_correction` undoes the tracked virtual-Z offsets first;
        `optimize_z` then maximises over a further final Rz on every qubit
        (the gate "up to local virtual Z", which makes the correction moot).
        """
        v = self.corrected() if frame_correction else self.subspace
        if optimize_z:
            v = rz_correction(optimal_z_phases(v, target)) @ v
        return average_gate_fidelity(v, target)


def simulate(schedule: PulseSchedule, model: PulseModel, *,
             values: Mapping[str, object] | None = None, substeps: int | None = None,
             drive_operators: Mapping[str, np.ndarray] | None = None, method: str = "steps") -> PulseResult:
    """Propagate `schedule` on `model`; `values` binds symbolic amplitudes, angles, β and phases.

    `drive_operators[frame]` replaces a_q† in that frame's drive term
    `(Ω_q/2)(D_f O + h.c.)`, for effective models (e.g. Z_c ⊗ σ⁺_t for a pure
    ZX cross-resonance); ω_q is still the frame's `qubit` frequency.
    `method="steps"` sub-steps every sample in each qubit's own frame as soon
    as anything is detuned (the open-system simulator does the same);
    `"fast"` propagates in frames chosen stretch by stretch
    (`runtime.pulse.propagator`: exact where H is constant within samples,
    sub-steps only where tones at different frequencies play together).
    `substeps` fixes the sub-steps of the samples that take them;
    `result.substeps` is the most any sample took.
    """
    if method not in ("fast", "steps"):
        raise ValueError(f"method must be 'fast' or 'steps', got {method!r}")
    drive = driven(schedule, model, values, substeps, drive_operators)
    with one_blas_thread():  # small matrices: threads only contend (runtime.pulse.blas)
        if method == "fast" and applies(drive.tracks, model):
            unitary, used = propagate(drive.tracks, model, drive.total, substeps)
            return PulseResult(unitary, model, drive.phases, used)
        unitary = _propagate(drive.tracks, model, drive.total, drive.substeps, time_dependent=drive.rate > 0)
    return PulseResult(unitary, model, drive.phases, drive.substeps)


@dataclass(frozen=True)
class Driven:
    """What the propagators need of a schedule: one track per driving frame, its length, the sub-steps."""

    tracks: list[FrameTrack]
    total: int  # samples of dt
    rate: float  # fastest |Δω| (rad/ns): 0 when H is constant within each sample
    substeps: int
    phases: tuple[float, ...]  # the final frame phase of each model qubit


def driven(schedule: PulseSchedule, model: PulseModel, values: Mapping[str, object] | None,
           substeps: int | None, drive_operators: Mapping[str, np.ndarray] | None) -> Driven:
    """The frame tracks of `schedule`'s driving frames on `model` (shared by the closed and open simulators)."""
    driving = [f for f in schedule.frames if schedule.port_kind(f) in DRIVING_PORTS]
    names = {f.name for f in driving}
    total = max((end_time(i) for i in schedule.instructions if getattr(i, "frame", None) in names), default=0)
    overrides = dict(drive_operators or {})
    tracks = [frame_track(schedule, f.name, model, total, values, overrides.get(f.name)) for f in driving]
    rate = fastest_rate(tracks, model)
    steps = substeps or max(1, math.ceil(rate * model.dt_ns / SUBSTEP_PHASE))
    phases = tuple(_tracked_phase(driving, tracks, q) for q in range(model.num_qubits))
    return Driven(tracks, total, rate, steps, phases)


def _tracked_phase(frames: list[Frame], tracks: list[FrameTrack], qubit: int) -> float:
    for frame, track in zip(frames, tracks):
        if frame.tracks_qubit == qubit:
            return track.final_phase
    return 0.0


def frame_track(schedule: PulseSchedule, name: str, model: PulseModel, total: int,
                 values: Mapping[str, object] | None, operator: np.ndarray | None) -> FrameTrack:
    frame = schedule.frame(name)
    if not 0 <= frame.qubit < model.num_qubits:
        raise ValueError(f"frame `{name}` drives qubit {frame.qubit}, not in the {model.num_qubits}-qubit model")
    phase = np.full(total, float(frame.phase))
    freq = np.full(total, float(frame.frequency_ghz))
    final_phase, final_freq = float(frame.phase), float(frame.frequency_ghz)
    drive = np.zeros(total, dtype=complex)
    busy = np.zeros(total, dtype=bool)
    starts = np.zeros(total + 1, dtype=bool)
    for inst in sorted((i for i in schedule.instructions if getattr(i, "frame", None) == name), key=lambda i: i.t0):
        if isinstance(inst, Play):
            span = slice(inst.t0, inst.t0 + inst.waveform.duration)
            if busy[span].any():
                raise ValueError(f"overlapping plays on frame `{name}` at t0 = {inst.t0}")
            busy[span] = True
            starts[inst.t0] = inst.t0 < total
            drive[span] = inst.waveform.samples(values)[: total - inst.t0]
        elif isinstance(inst, (ShiftPhase, SetPhase)):
            value = evaluate_value(inst.phase, values, "phase")
            final_phase = final_phase + value if isinstance(inst, ShiftPhase) else value
            phase[inst.t0:] = phase[inst.t0:] + value if isinstance(inst, ShiftPhase) else value
        elif isinstance(inst, (ShiftFrequency, SetFrequency)):
            new = final_freq + inst.delta_ghz if isinstance(inst, ShiftFrequency) else inst.frequency_ghz
            final_freq = new
            freq[inst.t0:] = new
    detuning = TWO_PI * (freq - model.qubits[frame.qubit].frequency_ghz)
    psi = np.concatenate(([0.0], np.cumsum(detuning * model.dt_ns)[:-1])) if total else detuning
    raising = model.lowering(frame.qubit).conj().T if operator is None else np.asarray(operator, dtype=complex)
    return FrameTrack(frame.qubit, drive * np.exp(1j * phase), detuning, psi, final_phase, raising, freq,
                      starts[:total])


def fastest_rate(tracks: list[FrameTrack], model: PulseModel) -> float:
    """Largest |Δω| (rad/ns) of a playing detuned frame or an exchange between detuned qubits."""
    rates = [float(np.max(np.abs(t.detuning[t.drive != 0]), initial=0.0)) for t in tracks]
    rates += [abs(model.omega(c.qubits[0]) - model.omega(c.qubits[1])) for c in model.couplings]
    return max(rates, default=0.0)


def _coefficients(tracks: list[FrameTrack], model: PulseModel, k: np.ndarray, tau: np.ndarray,
                  ) -> list[tuple[np.ndarray, np.ndarray]]:
    """(coefficient per step, operator) pairs whose sum plus h.c. is the time-dependent H."""
    terms: list[tuple[np.ndarray, np.ndarray]] = []
    for t in (t for t in tracks if t.drive.any()):
        half_rabi = 0.5 * TWO_PI * model.qubits[t.qubit].drive_strength_ghz
        coef = t.drive[k] * np.exp(-1j * (t.psi[k] + t.detuning[k] * tau))
        terms.append((half_rabi * coef, t.operator))
    time = k * model.dt_ns + tau
    for c in model.couplings:
        i, j = c.qubits
        j_rad = TWO_PI * c.j_mhz * 1e-3
        op = model.lowering(i).conj().T @ model.lowering(j)
        terms.append((j_rad * np.exp(1j * (model.omega(i) - model.omega(j)) * time), op))
    return terms


def track_hamiltonians(tracks: list[FrameTrack], model: PulseModel, static: np.ndarray,
                       k: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """H at times k·dt + tau for a batch of steps (rad/ns), in the qubits' own frames."""
    return hamiltonians(static, _coefficients(tracks, model, k, tau), len(k))


def _propagate(tracks: list[FrameTrack], model: PulseModel, total: int, substeps: int,
               time_dependent: bool) -> np.ndarray:
    """Π exp(-i H h) over sub-steps; CF4 (two exponentials at Gauss nodes) when H varies in a sample."""
    h = model.dt_ns / substeps
    static = model.static_hamiltonian()
    unitary = np.eye(model.dim, dtype=complex)
    steps = np.arange(total * substeps)
    for start in range(0, len(steps), CHUNK):
        k, s = np.divmod(steps[start:start + CHUNK], substeps)
        if not time_dependent:
            unitary = chain(_step_unitaries(track_hamiltonians(tracks, model, static, k, (s + 0.5) * h), h)) @ unitary
            continue
        h1, h2 = (track_hamiltonians(tracks, model, static, k, (s + c) * h) for c in CF4_NODES)
        first, second = CF4_WEIGHTS[1] * h1 + CF4_WEIGHTS[0] * h2, CF4_WEIGHTS[0] * h1 + CF4_WEIGHTS[1] * h2
        pairs = np.stack((_step_unitaries(first, h), _step_unitaries(second, h)), axis=1)
        unitary = chain(pairs.reshape(-1, *static.shape)) @ unitary
    return unitary


def _step_unitaries(ham: np.ndarray, h: float) -> np.ndarray:
    """exp(-i H h) for a batch of Hermitian H via eigendecomposition."""
    energies, vectors = np.linalg.eigh(ham)
    return (vectors * np.exp(-1j * h * energies)[:, None, :]) @ np.conj(np.swapaxes(vectors, 1, 2))
