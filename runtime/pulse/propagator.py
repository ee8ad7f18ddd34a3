"""Propagate a schedule in frames chosen stretch by stretch, so that H is constant wherever it can be.

`simulate.simulate(method="fast")` uses this; `method="steps"` keeps the
original sample-by-sample propagation in each qubit's own frame (reference
note §5.2), which sub-steps *every* sample as soon as two coupled qubits are
detuned, because the exchange term `J a_i† a_j e^{i(ω_i-ω_j)t}` varies in
time there.

The frame freedom (physics): rotate every qubit q at some ν_q instead of its
own ω_q, i.e. write U_own(t) = D(t) U_ν(t) with D(t) = exp(-i Σ_q μ_q n_q t),
μ_q = ν_q - ω_q.  In that frame

    H_ν(t) = Σ_q [(α_q/2) n_q(n_q-1) - μ_q n_q] + Σ_(i,j) J_ij (a_i† a_j e^{i(ν_i-ν_j)t} + h.c.)
           + Σ_f (Ω_q/2)(D_f(t) e^{iμ_q t} a_q† + h.c.),

and a frame f at frequency ω_f playing on qubit q oscillates at ω_f - ν_q.
Giving all qubits of a coupled component the *same* ν makes the exchange
term static; choosing that ν in the middle of the frequencies playing in the
component at a sample leaves the playing tones rotating at most at half
their spread.  So, sample by sample:

* nothing plays: H_ν is the static lab Hamiltonian shifted by a multiple of
  the excitation number; a stretch of any length is one exponential;
* every playing tone of a component is at one frequency (a single-qubit
  gate, a cross-resonance tone with its cancellation tone, the echo pulse):
  H_ν is constant within each sample and `exp(-i H dt)` is exact; runs of
  equal samples (flat tops, gaps) are one exponential;
* tones at different frequencies play together (parallel gates): sub-steps
  with the fourth-order commutator-free Magnus step of `simulate`, at
  |ω_f - ν|·h ≤ SUBSTEP_PHASE with the smaller |ω_f - ν|.

The frame changes only at run boundaries, where the product picks up the
diagonal D(t) factors exactly.  Exponentials are taken in batches of CHUNK
(eigh) and multiplied into one running product, so memory is bounded
whatever the schedule's length.  This needs each frame's drive operator to
raise its own qubit by one excitation and leave the others' numbers alone
(a_q† or e.g. Z_c ⊗ σ⁺_t); `applies` says whether it does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

from qdl.runtime.pulse.exponentials import Segments, varying_product
from qdl.runtime.pulse.model import TWO_PI, PulseModel

if TYPE_CHECKING:
    from qdl.runtime.pulse.simulate import FrameTrack

# largest |ω_f - ν|·h per sub-step (rad) when chosen automatically: tighter than `simulate`'s 0.05, which
# left 1.2e-8 in U on a 3-qubit t5 schedule; the few sub-stepped samples can afford it (0.03: 1e-9)
SUBSTEP_PHASE = 0.03


@dataclass(frozen=True)
class Run:
    """Samples [start, stop) propagated in one frame: ν per coupled component, and whether H varies in a sample."""

    start: int
    stop: int
    nu_ghz: tuple[float, ...]
    varying: bool


def applies(tracks: Sequence[FrameTrack], model: PulseModel) -> bool:
    """Whether every playing frame's operator O has [n_p, O] = δ_pq O (q its qubit): frames can then be moved."""
    numbers = occupations(model)
    for t in (t for t in tracks if t.drive.any()):
        for p, n in enumerate(numbers):
            commutator = n[:, None] * t.operator - t.operator * n[None, :]
            if not np.allclose(commutator, t.operator if p == t.qubit else 0.0, atol=1e-12):
                return False
    return True


def components(model: PulseModel) -> list[int]:
    """A label per qubit: qubits joined by couplings (directly or not) share one."""
    label = list(range(model.num_qubits))

    def root(q: int) -> int:
        while label[q] != q:
            q = label[q]
        return q

    for c in model.couplings:
        label[root(c.qubits[0])] = root(c.qubits[1])
    roots = sorted({root(q) for q in range(model.num_qubits)})
    return [roots.index(root(q)) for q in range(model.num_qubits)]


def plan(tracks: Sequence[FrameTrack], model: PulseModel, total: int) -> tuple[list[int], list[Run], np.ndarray]:
    """Component labels, the runs of constant frame, and the rate (rad/ns) left at each sample."""
    labels = components(model)
    count = max(labels, default=-1) + 1
    lo, hi = np.full((count, total), np.inf), np.full((count, total), -np.inf)
    for t in tracks:
        on = t.drive != 0
        lo[labels[t.qubit]] = np.where(on, np.minimum(lo[labels[t.qubit]], t.frequency), lo[labels[t.qubit]])
        hi[labels[t.qubit]] = np.where(on, np.maximum(hi[labels[t.qubit]], t.frequency), hi[labels[t.qubit]])
    playing = np.isfinite(lo)
    lo, hi = np.where(playing, lo, 0.0), np.where(playing, hi, 0.0)
    rate = np.max(0.5 * TWO_PI * (hi - lo), axis=0, initial=0.0)
    nu = np.where(playing, 0.5 * (lo + hi), np.nan)
    for c in range(count):  # where nothing plays any frame will do: keep the neighbouring one, fewer runs
        nu[c] = _filled(nu[c], model.qubits[labels.index(c)].frequency_ghz)
    key = np.vstack((nu, rate > 0))
    cuts = np.flatnonzero(np.any(key[:, 1:] != key[:, :-1], axis=0)) + 1
    bounds = [0, *cuts.tolist(), total] if total else []
    runs = [Run(a, b, tuple(float(v) for v in nu[:, a]), bool(rate[a] > 0)) for a, b in zip(bounds, bounds[1:])]
    return labels, runs, rate


def _filled(row: np.ndarray, fallback: float) -> np.ndarray:
    """NaNs replaced by the last value before them (the first value for leading ones)."""
    valid = ~np.isnan(row)
    if not valid.any():
        return np.full(len(row), fallback)
    index = np.maximum.accumulate(np.where(valid, np.arange(len(row)), 0))
    out = row[index]
    out[: int(np.argmax(valid))] = row[int(np.argmax(valid))]
    return out


def propagate(tracks: Sequence[FrameTrack], model: PulseModel, total: int,
              substeps: int | None = None) -> tuple[np.ndarray, int]:
    """U of the whole schedule (each qubit in its own frame, as `simulate` returns it) and the most sub-steps used."""
    labels, runs, rate = plan(tracks, model, total)
    unitary = np.eye(model.dim, dtype=complex)
    segments = Segments(model)
    edges = [frequency_edges(t.frequency) for t in tracks]
    counts, static = occupations(model), coupled_static(model)
    used = 1
    for run in runs:
        mu = np.array([TWO_PI * (run.nu_ghz[labels[q]] - t.frequency_ghz) for q, t in enumerate(model.qubits)])
        number = mu @ counts  # Σ_q μ_q n_q, diagonal
        steps = 1
        if run.varying:
            steps = substeps or max(1, math.ceil(float(rate[run.start:run.stop].max()) * model.dt_ns / SUBSTEP_PHASE))
        used = max(used, steps)
        inner = _run_unitary(tracks, edges, model, run, labels, mu, static - np.diag(number), steps, segments)
        back, ahead = np.exp(1j * number * run.start * model.dt_ns), np.exp(-1j * number * run.stop * model.dt_ns)
        unitary = ahead[:, None] * (inner @ (back[:, None] * unitary))
    return unitary, used


def occupations(model: PulseModel) -> np.ndarray:
    """n_q of every basis state (row q): the digits of its index in base `levels` (little-endian)."""
    index = np.arange(model.dim)
    return np.array([(index // model.levels ** q) % model.levels for q in range(model.num_qubits)], dtype=float)


def coupled_static(model: PulseModel) -> np.ndarray:
    """Σ (α_q/2) n_q(n_q-1) + Σ J (a_i† a_j + h.c.): the static H when all coupled qubits rotate at one ν."""
    h = model.static_hamiltonian()
    for c in model.couplings:
        hop = model.lowering(c.qubits[0]).conj().T @ model.lowering(c.qubits[1])
        h = h + TWO_PI * c.j_mhz * 1e-3 * (hop + hop.conj().T)
    return h


def _drive_terms(tracks: Sequence[FrameTrack], model: PulseModel, run: Run, labels: list[int],
                 mu: np.ndarray, edges: list[np.ndarray]) -> list[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
    """(track index, coefficient at each sample start, its rate in rad/ns, operator) of the frames playing in `run`."""
    terms = []
    span = slice(run.start, run.stop)
    for index, t in enumerate(tracks):
        if not t.drive[span].any():
            continue
        nu = run.nu_ghz[labels[t.qubit]]
        rate = TWO_PI * (t.frequency[span] - nu)  # exactly 0 on a frame at ν
        chi = _carrier_phase(t.frequency, edges[index], nu, run.start, run.stop, model.dt_ns)
        half_rabi = 0.5 * TWO_PI * model.qubits[t.qubit].drive_strength_ghz
        terms.append((index, half_rabi * t.drive[span] * np.exp(-1j * chi), rate, t.operator))
    return terms


def frequency_edges(frequency: np.ndarray) -> np.ndarray:
    """Sample indices where a frame's frequency changes, with 0 and the length: its constant pieces."""
    return np.concatenate(([0], np.flatnonzero(np.diff(frequency)) + 1, [len(frequency)]))


def _carrier_phase(frequency: np.ndarray, edges: np.ndarray, nu: float, start: int, stop: int,
                   dt: float) -> np.ndarray:
    """χ_k = ψ_f(t_k) - μ_q t_k = 2π ∫_0^{t_k} (ω_f - ν)/2π for k ≥ start, summed piece by piece.

    Pieces of constant frame frequency contribute products, not running sums, so a
    frame that was always at ν has χ = 0 exactly: repeated gates give equal
    coefficients (reusable propagators) and no rounding drift builds up over long schedules.
    """
    samples = np.arange(start, stop)
    chi = np.zeros(len(samples))
    for a, b in zip(edges[:-1], edges[1:]):
        if a >= stop:
            break
        chi += TWO_PI * (frequency[a] - nu) * dt * np.clip(samples - a, 0, b - a)
    return chi


def _run_unitary(tracks: Sequence[FrameTrack], edges: list[np.ndarray], model: PulseModel, run: Run,
                 labels: list[int], mu: np.ndarray, static: np.ndarray, steps: int,
                 segments: Segments) -> np.ndarray:
    """U_ν over the run's samples (frame ν, time measured from the run's start); `static` is H_ν's static part."""
    terms = _drive_terms(tracks, model, run, labels, mu, edges)
    operators = [op for _, _, _, op in terms]
    if run.varying:
        return varying_product(static, [(c, r) for _, c, r, _ in terms], operators, model.dt_ns, steps)
    coefficients = np.array([c for _, c, _, _ in terms], dtype=complex).reshape(len(terms), run.stop - run.start)
    playing = coefficients != 0  # cut where a frame starts or stops or a play begins: one gate a segment
    active = np.any(playing, axis=0)
    begins = np.any([tracks[i].starts[run.start + 1:run.stop] for i, _, _, _ in terms], axis=0)
    cuts = np.flatnonzero(np.any(playing[:, 1:] != playing[:, :-1], axis=0) | begins) + 1
    bounds = [0, *cuts.tolist(), run.stop - run.start]
    key = (run.nu_ghz, tuple(i for i, _, _, _ in terms))
    unitary = np.eye(model.dim, dtype=complex)
    for a, b in zip(bounds, bounds[1:]):
        if active[a]:
            unitary = segments.playing(key, static, coefficients[:, a:b], operators, model.dt_ns) @ unitary
        else:  # nothing plays: one exponential, however long
            unitary = segments.idle(run.nu_ghz, static, (b - a) * model.dt_ns) @ unitary
    return unitary
