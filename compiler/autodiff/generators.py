"""Gate generators as Pauli sums, read from the gate table's matrices.

A one-parameter gate is U(θ) = exp(-iθG)·U(0) with a Hermitian generator G
whose spectrum the table lists (`GateSpec.generator_eigenvalues`).  What the
metric needs is the generator acting before the gate, G' = U(0)†·G·U(0)
(dU/dθ = -iUG'; G' = G for the gates with U(0) = I, all but `gpi`).  From that spectrum and K samples of the matrix, G follows
exactly: U(s) = Σ_λ P_λ e^{-iλs} over the K distinct eigenvalues λ, so K
angles determine the spectral projectors P_λ and G = Σ_λ λ P_λ.  G is then
written as a Pauli sum on the op's qubits (first listed qubit = most
significant, the table's matrix order); `ctrl @` / `negctrl @` multiply it by
the projectors (I ∓ Z)/2 on the controls.  Gates with several parameters
(`u2`, `u3`, `rot`) have no angle-independent generator per parameter and
get None: the metric pass refuses them.
"""

from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Callable

import numpy as np

from qdl.compiler.frontend.values import PauliSum
from qdl.compiler.gates import lookup
from qdl.compiler.ir import GateOp

_PAULIS = {"I": np.eye(2), "X": np.array([[0, 1], [1, 0]]), "Y": np.array([[0, -1j], [1j, 0]]),
           "Z": np.diag([1.0, -1.0])}
_TOLERANCE = 1e-12


def op_generator(op: GateOp) -> PauliSum | None:
    """G with dU/dθ = -iUG for the op's one angle, on its qubits and controls; None if there is none."""
    local = gate_generator(op.gate)
    if local is None:
        return None
    generator = PauliSum(tuple((tuple((op.qubits[k], p) for k, p in key), c) for key, c in local))
    for control, value in zip(op.controls, op.control_values):
        sign = -1 if value else 1  # |1><1| = (I - Z)/2, |0><0| = (I + Z)/2
        projector = PauliSum.constant(0.5) + PauliSum.single("Z", control).scale(0.5 * sign)
        generator = projector * generator
    return generator


@lru_cache(maxsize=None)
def gate_generator(name: str) -> tuple[tuple[tuple[tuple[int, str], ...], complex], ...] | None:
    """The generator of a one-parameter gate as (((local qubit, letter), ...), coeff) terms, or None."""
    spec = lookup(name)
    if spec is None or spec.num_params != 1 or spec.generator_eigenvalues[0] is None:
        return None
    matrix = _generator_matrix(spec.matrix, spec.generator_eigenvalues[0])
    if matrix is None:
        return None
    terms = []
    for letters in itertools.product("IXYZ", repeat=spec.num_qubits):
        pauli = _kron(letters)
        coeff = np.trace(pauli @ matrix) / matrix.shape[0]
        if abs(coeff) > _TOLERANCE:
            key = tuple((k, p) for k, p in enumerate(letters) if p != "I")
            terms.append((key, complex(round(coeff.real, 14), round(coeff.imag, 14))))
    return tuple(terms)


def _generator_matrix(matrix: Callable[..., np.ndarray], spectrum: tuple[float, ...]) -> np.ndarray | None:
    """G = Σ λ P_λ from K samples of U; None when U(θ) is not exp(-iθG) (checked at one angle)."""
    eigen = np.array(sorted({round(x, 12) for x in spectrum}))
    span = eigen[-1] - eigen[0]
    shifts = (2 * np.pi / (len(eigen) * span) if span else 1.0) * np.arange(len(eigen))
    vandermonde = np.exp(-1j * np.outer(shifts, eigen))  # U(s_m) = Σ_k V[m, k] P_k
    samples = np.stack([np.asarray(matrix(s)) for s in shifts])
    projectors = np.einsum("km,mij->kij", np.linalg.inv(vandermonde), samples)
    probe = np.einsum("k,kij->ij", np.exp(-0.7j * eigen), projectors)
    if not np.allclose(probe, matrix(0.7), atol=1e-10):
        return None
    # U(θ) = exp(-iθG)·U(0), so `projectors` are P_λ·U(0); the generator acting before the gate (the
    # state the metric's prefix ends in) is U(0)†·G·U(0) = U(0)†·Σ λ P_λ U(0) (G itself when U(0) = I: gpi)
    generator = np.asarray(matrix(0.0)).conj().T @ np.einsum("k,kij->ij", eigen, projectors)
    return generator if np.allclose(generator, generator.conj().T, atol=1e-10) else None


def _kron(letters: tuple[str, ...]) -> np.ndarray:
    out = np.eye(1)
    for letter in letters:
        out = np.kron(out, _PAULIS[letter])
    return out
