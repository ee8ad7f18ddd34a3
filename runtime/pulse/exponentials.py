"""Products of matrix exponentials for the pulse propagators, in bounded batches, reused where physics allows.

`Segments` keeps the propagator of every stretch of samples played in one
frame (`runtime.pulse.propagator`) and hands it out again when the same
stretch comes back with every drive coefficient multiplied by one phase
e^{iθ} (a repeated gate after a virtual Z on all its frames): the static H
conserves the total excitation number N and every drive operator raises it
by one, so U(e^{iθ}c) = e^{iθN} U(c) e^{-iθN} exactly.  Coefficients are
compared after dividing out that phase and rounding to 1e-12 rad/ns, so a
reused propagator differs from a recomputed one by at most ~1e-12 per ns.
"""

from __future__ import annotations

import math
from typing import Hashable, Sequence

import numpy as np

from qdl.runtime.pulse.model import PulseModel

# Commutator-free 4th-order Magnus (Blanes & Moan 2006): Gauss-Legendre nodes and weights.
CF4_NODES = (0.5 - math.sqrt(3) / 6, 0.5 + math.sqrt(3) / 6)
CF4_WEIGHTS = (0.25 - math.sqrt(3) / 6, 0.25 + math.sqrt(3) / 6)
BATCH_ENTRIES = 2 ** 21  # matrix entries per batch of exponentials (32 MB of complex numbers)
SAVED = 512  # most segment propagators kept for reuse
ROUNDING = 12  # decimals of a coefficient (rad/ns) that identify a repeated segment


class Segments:
    """Propagators of constant-frame stretches: idle ones from one eigendecomposition, played ones reused."""

    def __init__(self, model: PulseModel) -> None:
        self.excitations = sum(np.real(np.diag(model.lowering(q).conj().T @ model.lowering(q)))
                               for q in range(model.num_qubits))
        self.batch = max(4, BATCH_ENTRIES // model.dim ** 2)
        self._static: dict[Hashable, tuple[np.ndarray, np.ndarray]] = {}
        self._played: dict[Hashable, np.ndarray] = {}
        self.computed = self.reused = 0  # segments exponentiated / taken from `_played` (for tests and reports)

    def idle(self, key: Hashable, static: np.ndarray, duration: float) -> np.ndarray:
        """exp(-i H τ) of the static H (eigendecomposed once per frame key)."""
        if key not in self._static:
            self._static[key] = np.linalg.eigh(static)
        energies, vectors = self._static[key]
        return (vectors * np.exp(-1j * duration * energies)[None, :]) @ vectors.conj().T

    def playing(self, key: Hashable, static: np.ndarray, coefficients: np.ndarray,
                operators: Sequence[np.ndarray], dt: float) -> np.ndarray:
        """Π_k exp(-i H_k dt), H_k = static + Σ_f (c_fk O_f + h.c.), reused up to a global drive phase."""
        first = coefficients.flat[int(np.flatnonzero(coefficients)[0])]
        phase = first / abs(first)
        normal = coefficients / phase
        full = (key, normal.shape, (np.round(normal, ROUNDING) + 0j).tobytes())  # + 0j: -0.0 becomes 0.0
        unitary = self._played.get(full)
        if unitary is None:
            self.computed += 1
            unitary = constant_product(static, normal, operators, dt, self.batch)
            if len(self._played) < SAVED:
                self._played[full] = unitary
        else:
            self.reused += 1
        turn = np.exp(1j * np.angle(phase) * self.excitations)
        return turn[:, None] * unitary * np.conj(turn)[None, :]


def constant_product(static: np.ndarray, coefficients: np.ndarray, operators: Sequence[np.ndarray],
                     dt: float, batch: int) -> np.ndarray:
    """Π_k exp(-i H_k dt) with H constant within each sample; runs of equal samples are one exponential."""
    length = coefficients.shape[1]
    changes = np.flatnonzero(np.any(coefficients[:, 1:] != coefficients[:, :-1], axis=0)) + 1
    starts = np.concatenate(([0], changes))
    durations = np.diff(np.concatenate((starts, [length]))) * dt
    unitary = np.eye(len(static), dtype=complex)
    for first in range(0, len(starts), batch):
        picked = starts[first:first + batch]
        ham = hamiltonians(static, [(c[picked], op) for c, op in zip(coefficients, operators)], len(picked))
        unitary = chain(exponentials(ham, durations[first:first + batch])) @ unitary
    return unitary


def varying_product(static: np.ndarray, terms: Sequence[tuple[np.ndarray, np.ndarray]],
                    operators: Sequence[np.ndarray], dt: float, steps: int) -> np.ndarray:
    """CF4 over `steps` sub-steps a sample; term f is c_fk e^{-i r_fk τ} at τ into sample k."""
    h = dt / steps
    batch = max(2, BATCH_ENTRIES // len(static) ** 2) // 2
    unitary = np.eye(len(static), dtype=complex)
    pairs = np.arange(len(terms[0][0]) * steps)
    for first in range(0, len(pairs), batch):
        k, s = np.divmod(pairs[first:first + batch], steps)
        h1, h2 = (hamiltonians(static, [(c[k] * np.exp(-1j * r[k] * (s + node) * h), op)
                                        for (c, r), op in zip(terms, operators)], len(k)) for node in CF4_NODES)
        halves = (CF4_WEIGHTS[1] * h1 + CF4_WEIGHTS[0] * h2, CF4_WEIGHTS[0] * h1 + CF4_WEIGHTS[1] * h2)
        both = np.stack(halves, axis=1).reshape(-1, *static.shape)
        unitary = chain(exponentials(both, np.full(len(both), h))) @ unitary
    return unitary


def hamiltonians(static: np.ndarray, terms: Sequence[tuple[np.ndarray, np.ndarray]], size: int) -> np.ndarray:
    """static + Σ (c O + h.c.) for each of the `size` coefficients c of a batch."""
    ham = np.broadcast_to(static, (size, *static.shape)).copy()
    for coef, op in terms:
        term = coef[:, None, None] * op
        ham += term + np.conj(np.swapaxes(term, 1, 2))
    return ham


def exponentials(ham: np.ndarray, durations: np.ndarray) -> np.ndarray:
    """exp(-i H τ) for a batch of Hermitian H, each with its own τ, via eigendecomposition."""
    energies, vectors = np.linalg.eigh(ham)
    phases = np.exp(-1j * durations[:, None] * energies)
    return (vectors * phases[:, None, :]) @ np.conj(np.swapaxes(vectors, 1, 2))


def chain(unitaries: np.ndarray) -> np.ndarray:
    """U_{N-1} ··· U_1 U_0 for a time-ordered batch, multiplied pairwise."""
    while len(unitaries) > 1:
        carry = unitaries[-1:] if len(unitaries) % 2 else unitaries[:0]
        even = unitaries[: len(unitaries) - len(carry)]
        unitaries = np.concatenate((even[1::2] @ even[0::2], carry))
    return unitaries[0]
