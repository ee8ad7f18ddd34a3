"""The dressed frame of coupled transmons: where a device's qubit frequencies and readout live.

With exchange coupling J the eigenstates of the static Hamiltonian
(`H_lab = Σ ω_q n_q + (α_q/2) n_q(n_q-1) + Σ J(a_i† a_j + h.c.)`) are dressed
mixtures of the bare product states, and their single-excitation energies
(the frequencies a device reports, and drives at) differ from the bare ω_q
by the Lamb shift ≈ J²/Δ.  Comparing a propagator with the ideal gate in
the *bare* basis then shows errors of order J/Δ that no calibration on a
real device sees.  So, for a coupled model:

* `bare_frequencies` finds the bare ω_q whose dressed frequencies are the
  device's (fixed-point iteration), and the model is built from those;
* `to_dressed_frame` turns the simulator's propagator (bare basis, each qubit
  rotating at its bare ω_q) into the dressed basis rotating at the dressed
  frequencies: `V = R_d(T) S† R_b(T)† U S`, with S the dressed eigenvectors
  and R(T) = exp(i Σ ω_q n_q T).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from qdl.runtime.pulse.model import TWO_PI, PulseModel


def _number_diagonal(model: PulseModel, frequencies_ghz: tuple[float, ...]) -> np.ndarray:
    """Diagonal of Σ_q 2π f_q n_q (rad/ns)."""
    out = np.zeros(model.dim)
    for q, f in enumerate(frequencies_ghz):
        a = model.lowering(q)
        out += TWO_PI * f * np.real(np.diag(a.conj().T @ a))
    return out


def lab_hamiltonian(model: PulseModel) -> np.ndarray:
    """The static lab-frame Hamiltonian of the model (rad/ns)."""
    h = np.diag(_number_diagonal(model, tuple(t.frequency_ghz for t in model.qubits))).astype(complex)
    h += model.static_hamiltonian()
    for c in model.couplings:
        i, j = c.qubits
        hop = model.lowering(i).conj().T @ model.lowering(j)
        h += TWO_PI * c.j_mhz * 1e-3 * (hop + hop.conj().T)
    return h


def dressed_basis(model: PulseModel) -> tuple[np.ndarray, np.ndarray]:
    """Energies and eigenvectors S, column k the dressed state closest to bare state k (phase fixed)."""
    energies, vectors = np.linalg.eigh(lab_hamiltonian(model))
    order = np.argmax(np.abs(vectors), axis=1)  # weak coupling: each bare state has one dominant partner
    if len(set(order.tolist())) != len(order):
        raise ValueError("the coupling is too strong to label dressed states by bare ones")
    s = vectors[:, order]
    return energies[order], s * np.exp(-1j * np.angle(np.diag(s)))[None, :]


def dressed_frequencies(model: PulseModel) -> np.ndarray:
    """Single-excitation energies E(1_q) - E(0) of the dressed states, in GHz."""
    energies, _ = dressed_basis(model)
    return np.array([(energies[model.levels ** q] - energies[0]) / TWO_PI for q in range(model.num_qubits)])


def bare_frequencies(model: PulseModel, iterations: int = 50) -> PulseModel:
    """The model with bare frequencies chosen so that its dressed frequencies are the given ones."""
    wanted = np.array([t.frequency_ghz for t in model.qubits])
    bare = wanted.copy()
    for _ in range(iterations):
        trial = replace(model, qubits=tuple(replace(t, frequency_ghz=float(f)) for t, f in zip(model.qubits, bare)))
        error = dressed_frequencies(trial) - wanted
        bare = bare - error
        if np.max(np.abs(error)) < 1e-13:
            break
    return trial


def to_dressed_frame(unitary: np.ndarray, bare: PulseModel, dressed_ghz: tuple[float, ...],
                     duration_ns: float) -> np.ndarray:
    """The simulator's propagator in the dressed basis, rotating at the dressed frequencies."""
    _, s = dressed_basis(bare)
    r_bare = np.exp(1j * _number_diagonal(bare, tuple(t.frequency_ghz for t in bare.qubits)) * duration_ns)
    r_dressed = np.exp(1j * _number_diagonal(bare, dressed_ghz) * duration_ns)
    return r_dressed[:, None] * (s.conj().T @ (np.conj(r_bare)[:, None] * unitary) @ s)
