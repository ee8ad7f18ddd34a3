"""Gate-level figures of merit for a simulated propagator (reference note §5.3).

* `V = P U P` is the block of the full propagator on the computational states
  (every level 0 or 1), little-endian: index Σ_q b_q 2^q.
* Average gate fidelity with leakage counted (Pedersen et al. 2007):
  `F = [Tr(M M†) + |Tr M|²] / (d(d+1))`, `M = U_target† V`.
* Leakage `L = 1 - Tr(V†V)/d`.
* Virtual-Z bookkeeping: a schedule that leaves frame q at phase Φ_q
  implements `(⊗_q Rz(Φ_q))·V'`; compare `(⊗_q Rz(-Φ_q))·V` with the target.
"""

from __future__ import annotations

from functools import reduce
from itertools import product
from typing import Sequence

import numpy as np


def computational_indices(num_qubits: int, levels: int) -> np.ndarray:
    """Indices of the 2**n computational states in the levels**n space, little-endian order."""
    out = []
    for bits in product((0, 1), repeat=num_qubits):  # bits[0] is the most significant (qubit n-1)
        out.append(sum(b * levels ** (num_qubits - 1 - pos) for pos, b in enumerate(bits)))
    return np.array(out)


def average_gate_fidelity(v: np.ndarray, target: np.ndarray) -> float:
    """Average gate fidelity of the (possibly non-unitary) block `v` against unitary `target`."""
    d = target.shape[0]
    m = target.conj().T @ v
    return float((np.trace(m @ m.conj().T).real + abs(np.trace(m)) ** 2) / (d * (d + 1)))


def leakage(v: np.ndarray) -> float:
    """1 - Tr(V†V)/d."""
    return float(1.0 - np.trace(v.conj().T @ v).real / v.shape[0])


def rz(phi: float) -> np.ndarray:
    """RZ(φ) = diag(e^{-iφ/2}, e^{iφ/2}) (the gate table's convention)."""
    return np.diag([np.exp(-0.5j * phi), np.exp(0.5j * phi)])


def rz_correction(phases: Sequence[float]) -> np.ndarray:
    """⊗_q Rz(-Φ_q), little-endian (qubit 0 is the last Kronecker factor)."""
    return reduce(np.kron, [rz(-p) for p in reversed(phases)], np.eye(1, dtype=complex))


def optimal_z_phases(v: np.ndarray, target: np.ndarray, sweeps: int = 20) -> tuple[float, ...]:
    """Final frame offsets Φ_q maximising |Tr(target† (⊗ Rz(-Φ_q)) v)| (coordinate ascent).

    For one qubit q, Tr = a e^{iΦ/2} + b e^{-iΦ/2} with a, b the parts on
    basis states where q is 0 or 1, maximised by Φ = arg(b) - arg(a); the
    other term of F does not depend on Φ.
    """
    n = int(round(np.log2(target.shape[0])))
    phases = [0.0] * n
    diag = np.diag(v @ target.conj().T)  # Tr(T† D V) = Σ_j D_jj (V T†)_jj for diagonal D
    for _ in range(sweeps if n > 1 else 1):
        for q in range(n):
            weights = np.diag(rz_correction(phases))
            terms = diag * weights
            bit = (np.arange(len(diag)) >> q) & 1
            a, b = terms[bit == 0].sum(), terms[bit == 1].sum()
            # remove q's own current factor before choosing its new phase
            a, b = a * np.exp(-0.5j * phases[q]), b * np.exp(0.5j * phases[q])
            phases[q] = float(np.angle(b) - np.angle(a))
    return tuple(phases)
