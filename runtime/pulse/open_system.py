"""Open-system pulse simulation: the Lindblad channel of a schedule with each qubit's T1 and T2 (§5.3, §8d item 10).

The master equation, in the same rotating frames and with the same
Hamiltonian H(t) as the unitary simulator (`runtime.pulse.simulate`):

    dρ/dt = -i[H(t), ρ] + Σ_c ( c ρ c† - ½{c†c, ρ} )

with two collapse operators per qubit q (the convention of reference note §5.3):

* amplitude damping `c = √(1/T1) · a_q` on the whole transmon ladder, so
  level k decays to k-1 at rate k/T1;
* pure dephasing `c = √(2/Tφ) · n_q`, `1/Tφ = 1/T2 - 1/(2 T1)`, so the
  0-1 coherence decays at `1/(2T1) + 1/Tφ = 1/T2` (level j-k coherences at
  `(j-k)²/Tφ` plus the damping part).  T2 ≤ 2 T1 is required.

Both are unchanged by the rotating frame (|e^{-iωt}|² = 1), so the
dissipator is constant.  ρ is vectorised row-major (`vec(A ρ B) = (A ⊗ Bᵀ) vec ρ`)
and the Liouvillian `L(t)` is piecewise constant like H: the propagator of
a step is `expm(L h)` (`scipy.linalg.expm`, computed once per distinct step),
or, when H varies inside a sample, the same fourth-order commutator-free
Magnus pair the unitary simulator uses, applied to L.  The product over
steps is the schedule's process (superoperator) on the full `levels**n` space.

Figures of merit of the channel E restricted to the computational states
(leakage counted as error, Pedersen et al. 2007 generalised to Kraus maps):

    F_pro = Tr(S_U† S_E) / d²,     L = 1 - Tr E(I) / d,
    F_avg = (d·F_pro + 1 - L) / (d + 1)

with S_U = U ⊗ U* the ideal unitary's superoperator; for a unitary channel
this is exactly `fidelity.average_gate_fidelity`.  Final frame phases are
undone as in the unitary verifier: E → R E R†, R = ⊗_q Rz(-Φ_q).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Mapping, Sequence

import numpy as np
from scipy.linalg import expm

from qdl.runtime.pulse.fidelity import computational_indices, rz_correction
from qdl.runtime.pulse.model import PulseModel
from qdl.compiler.pulse.schedule import PulseSchedule
from qdl.runtime.pulse.exponentials import chain
from qdl.runtime.pulse.simulate import CF4_NODES, CF4_WEIGHTS, FrameTrack, driven, track_hamiltonians

CHUNK_BYTES = 1 << 25  # superoperators exponentiated per batch: at most ~32 MB of them


@dataclass(frozen=True)
class Decoherence:
    """T1 and T2 of every model qubit, in ns (`math.inf`: no such process)."""

    t1_ns: tuple[float, ...]
    t2_ns: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.t1_ns) != len(self.t2_ns):
            raise ValueError("Decoherence needs one T1 and one T2 per qubit")
        for q, (t1, t2) in enumerate(zip(self.t1_ns, self.t2_ns)):
            if not (t1 > 0 and t2 > 0):
                raise ValueError(f"qubit {q}: T1 and T2 must be positive, got T1 = {t1}, T2 = {t2}")
            if t2 > 2 * t1 * (1 + 1e-12):
                raise ValueError(f"qubit {q}: T2 = {t2} ns exceeds 2·T1 = {2 * t1} ns, which no "
                                 f"dephasing rate can give (1/Tφ = 1/T2 - 1/(2T1) would be negative)")

    @classmethod
    def none(cls, num_qubits: int) -> "Decoherence":
        """No decay or dephasing on any qubit (the open system is then closed)."""
        return cls((math.inf,) * num_qubits, (math.inf,) * num_qubits)

    @classmethod
    def from_device(cls, device: Any, qubits: Sequence[int]) -> "Decoherence":
        """`t1_us`/`t2_us` of the device's `qubits` (model qubit k is physical qubits[k])."""
        t1, t2 = [], []
        for q in qubits:
            info = device.qubits[q]
            if info.t1_us is None or info.t2_us is None:
                raise ValueError(f"device `{device.name}` lacks t1_us or t2_us of qubit {q}; "
                                 f"the open-system simulation needs both")
            t1.append(float(info.t1_us) * 1e3)
            t2.append(float(info.t2_us) * 1e3)
            try:
                cls((t1[-1],), (t2[-1],))
            except ValueError as exc:  # name the physical qubit, not the model's index
                raise ValueError(f"device `{device.name}`, qubit {q}: {str(exc).split(': ', 1)[1]}") from None
        return cls(tuple(t1), tuple(t2))

    def collapse_operators(self, model: PulseModel) -> list[np.ndarray]:
        """√(1/T1)·a_q and √(2/Tφ)·n_q for every qubit with a finite rate (rad/ns units: 1/ns)."""
        if len(self.t1_ns) != model.num_qubits:
            raise ValueError(f"{len(self.t1_ns)} qubits of T1/T2 for a {model.num_qubits}-qubit model")
        out = []
        for q, (t1, t2) in enumerate(zip(self.t1_ns, self.t2_ns)):
            a = model.lowering(q)
            dephasing = max(1.0 / t2 - 0.5 / t1, 0.0)  # 1/Tφ; clipped rounding at T2 = 2 T1
            if t1 < math.inf:
                out.append(math.sqrt(1.0 / t1) * a)
            if dephasing > 0:
                out.append(math.sqrt(2.0 * dephasing) * (a.conj().T @ a))
        return out


def dissipator(collapse: Sequence[np.ndarray], dim: int) -> np.ndarray:
    """Σ_c (c ⊗ c* - ½ c†c ⊗ I - ½ I ⊗ (c†c)ᵀ): the Lindblad dissipator on row-major vec ρ."""
    eye = np.eye(dim, dtype=complex)
    out = np.zeros((dim * dim, dim * dim), dtype=complex)
    for c in collapse:
        cdc = c.conj().T @ c
        out += np.kron(c, c.conj()) - 0.5 * np.kron(cdc, eye) - 0.5 * np.kron(eye, cdc.T)
    return out


def liouvillians(ham: np.ndarray, dissipation: np.ndarray) -> np.ndarray:
    """-i(H ⊗ I - I ⊗ Hᵀ) + D for a batch of Hamiltonians."""
    dim = ham.shape[-1]
    eye = np.eye(dim, dtype=complex)
    left = np.einsum("kij,ab->kiajb", ham, eye).reshape(len(ham), dim * dim, dim * dim)
    right = np.einsum("ij,kba->kiajb", eye, ham).reshape(len(ham), dim * dim, dim * dim)
    return -1j * (left - right) + dissipation


def superoperator(unitary: np.ndarray) -> np.ndarray:
    """U ⊗ U*: the map ρ → U ρ U† on row-major vec ρ (U need not be square-unitary)."""
    return np.kron(unitary, unitary.conj())


@dataclass(frozen=True)
class ChannelResult:
    """The process of a schedule with decoherence, and the virtual-Z offsets it leaves behind.

    `superoperator` acts on the row-major vectorised density matrix of the
    full `levels**n` space (little-endian, each qubit in its own rotating
    frame); `frame_phases` are as in `PulseResult`.
    """

    superoperator: np.ndarray
    model: PulseModel
    frame_phases: tuple[float, ...]
    substeps: int
    decoherence: Decoherence
    duration: int  # samples propagated (up to the last instruction on a drive frame)

    @property
    def subspace(self) -> np.ndarray:
        """The channel between computational states: input and output |i⟩⟨j| with every level 0 or 1."""
        idx = computational_indices(self.model.num_qubits, self.model.levels)
        pairs = (idx[:, None] * self.model.dim + idx[None, :]).ravel()
        return self.superoperator[np.ix_(pairs, pairs)]

    @property
    def leakage(self) -> float:
        """1 - Tr E(I)/d: population that ends outside the computational subspace (averaged)."""
        return channel_leakage(self.subspace)

    def corrected(self, z_phases: Sequence[float] | None = None) -> np.ndarray:
        """R E R† with R = ⊗_q Rz(-Φ_q): the final frame offsets undone (§5.3)."""
        r = rz_correction(self.frame_phases if z_phases is None else z_phases)
        return superoperator(r) @ self.subspace

    def fidelity(self, target: np.ndarray, *, frame_correction: bool = True,
                 z_phases: Sequence[float] | None = None) -> float:
        """Average gate fidelity against unitary `target` (little-endian), leakage counted.

        `z_phases` replaces the tracked frame phases in the correction (e.g.
        the phases that make the coherent gate best, for "up to virtual Z").
        """
        channel = self.corrected(z_phases) if frame_correction or z_phases is not None else self.subspace
        return channel_fidelity(channel, target)


def channel_leakage(channel: np.ndarray) -> float:
    """1 - Tr E(I)/d of a d²×d² row-major superoperator."""
    d = math.isqrt(channel.shape[0])
    diag = (np.arange(d) * (d + 1))  # vec index of |i⟩⟨i|
    return float(1.0 - channel[np.ix_(diag, diag)].sum().real / d)


def channel_fidelity(channel: np.ndarray, target: np.ndarray) -> float:
    """F_avg = (d·F_pro + 1 - L)/(d + 1), F_pro = Tr(S_U† S_E)/d² (see the module docstring)."""
    d = target.shape[0]
    process = np.vdot(superoperator(target), channel).real / d ** 2
    return float((d * process + 1.0 - channel_leakage(channel)) / (d + 1))


def simulate_open(schedule: PulseSchedule, model: PulseModel, decoherence: Decoherence, *,
                  values: Mapping[str, object] | None = None, substeps: int | None = None,
                  drive_operators: Mapping[str, np.ndarray] | None = None) -> ChannelResult:
    """Propagate `schedule` on `model` with T1/T2 from `decoherence`; arguments as in `simulate`."""
    drive = driven(schedule, model, values, substeps, drive_operators)
    dissipation = dissipator(decoherence.collapse_operators(model), model.dim)
    process = _propagate(drive.tracks, model, dissipation, drive.total, drive.substeps,
                         time_dependent=drive.rate > 0)
    return ChannelResult(process, model, drive.phases, drive.substeps, decoherence, drive.total)


def _propagate(tracks: list[FrameTrack], model: PulseModel, dissipation: np.ndarray, total: int, substeps: int,
               time_dependent: bool) -> np.ndarray:
    """Π expm(L h) over sub-steps; the CF4 pair of `simulate` when H varies inside a sample."""
    h = model.dt_ns / substeps
    static = model.static_hamiltonian()
    size = model.dim ** 2
    process = np.eye(size, dtype=complex)
    steps = np.arange(total * substeps)
    chunk = max(1, CHUNK_BYTES // (16 * size * size * (2 if time_dependent else 1)))
    for start in range(0, len(steps), chunk):
        k, s = np.divmod(steps[start:start + chunk], substeps)
        if not time_dependent:
            gens = liouvillians(track_hamiltonians(tracks, model, static, k, (s + 0.5) * h), dissipation)
        else:
            l1, l2 = (liouvillians(track_hamiltonians(tracks, model, static, k, (s + c) * h), dissipation)
                      for c in CF4_NODES)
            first, second = CF4_WEIGHTS[1] * l1 + CF4_WEIGHTS[0] * l2, CF4_WEIGHTS[0] * l1 + CF4_WEIGHTS[1] * l2
            gens = np.stack((first, second), axis=1).reshape(-1, size, size)
        process = chain(_step_propagators(gens, h)) @ process
    return process


def _step_propagators(generators: np.ndarray, h: float) -> np.ndarray:
    """expm(L h) for a batch, exponentiating each distinct L once (idle and repeated samples share one)."""
    flat = np.ascontiguousarray(generators).reshape(len(generators), -1)
    unique, inverse = np.unique(flat, axis=0, return_inverse=True)
    size = generators.shape[-1]
    return expm(unique.reshape(-1, size, size) * h)[np.asarray(inverse).reshape(-1)]


def to_dressed_channel(process: np.ndarray, bare: PulseModel, dressed_ghz: tuple[float, ...],
                       duration_ns: float) -> np.ndarray:
    """The process in the dressed basis and frame: `to_dressed_frame`'s `U → A U B` as `ρ → A E(BρB†) A†`."""
    from qdl.runtime.pulse.dressed import dressed_basis, to_dressed_frame

    _, s = dressed_basis(bare)
    after = to_dressed_frame(np.eye(bare.dim, dtype=complex), bare, dressed_ghz, duration_ns) @ s.conj().T
    return superoperator(after) @ process @ superoperator(s)


def open_channel(schedule: PulseSchedule, physical: PulseModel, device: Any, qubits: tuple[int, ...],
                 values: Mapping[str, object] | None, substeps: int | None,
                 dressed_ghz: tuple[float, ...] | None) -> ChannelResult:
    """The verifier's open-system run: T1/T2 of `qubits` from `device`; in the dressed frame given `dressed_ghz`."""
    channel = simulate_open(schedule, physical, Decoherence.from_device(device, qubits), values=values,
                            substeps=substeps)
    if dressed_ghz is None:
        return channel
    process = to_dressed_channel(channel.superoperator, physical, dressed_ghz, channel.duration * physical.dt_ns)
    return replace(channel, superoperator=process)
