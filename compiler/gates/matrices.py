"""Gate matrices: builders for constant, rotation, controlled and Givens gates.

Matrix order and batching conventions are in `qdl.compiler.gates`.
"""

from __future__ import annotations

import math
from typing import Callable, Mapping, Sequence

import numpy as np



def _frozen(rows: Sequence[Sequence[complex]]) -> np.ndarray:
    matrix = np.array(rows, dtype=np.complex128)
    matrix.setflags(write=False)  # shared by every call: callers must not mutate it
    return matrix


def _build(dim: int, entries: Mapping[tuple[int, int], object]) -> np.ndarray:
    """A (batched) matrix from its non-zero entries; entries broadcast together."""
    values = np.broadcast_arrays(*(np.asarray(v, dtype=np.complex128) for v in entries.values()))
    out = np.zeros(values[0].shape + (dim, dim), dtype=np.complex128)
    for (row, col), value in zip(entries, values):
        out[..., row, col] = value
    return out


def controlled_matrix(base: np.ndarray, control_values: tuple[bool, ...]) -> np.ndarray:
    """`base` controlled on `control_values`; controls come first (most significant).

    Batch-aware: `base` of shape `S + (d, d)` gives `S + (2**c d, 2**c d)`.
    """
    dim = base.shape[-1]
    block = sum(int(v) << (len(control_values) - 1 - i) for i, v in enumerate(control_values))
    size = dim << len(control_values)
    out = np.zeros(base.shape[:-2] + (size, size), dtype=np.complex128)
    out[..., range(size), range(size)] = 1.0
    out[..., block * dim : (block + 1) * dim, block * dim : (block + 1) * dim] = base
    return out


def _half_angle(theta: object) -> tuple[np.ndarray, np.ndarray]:
    half = np.asarray(theta, dtype=np.float64) / 2
    return np.cos(half), np.sin(half)


def _exp_pauli(pauli: np.ndarray) -> Callable[[object], np.ndarray]:
    """θ ↦ exp(-iθP/2) = cos(θ/2) I - i sin(θ/2) P for a Pauli string matrix P."""

    def matrix(theta: object) -> np.ndarray:
        cos, sin = _half_angle(theta)
        eye = np.eye(pauli.shape[0])
        return cos[..., None, None] * eye - 1j * sin[..., None, None] * pauli

    return matrix


def _phase(lam: object) -> np.ndarray:
    """diag(1, e^{iλ}) (OpenQASM 3 `p`/`phase`, PennyLane PhaseShift)."""
    return _build(2, {(0, 0): 1.0, (1, 1): np.exp(1j * np.asarray(lam, dtype=np.float64))})


def _u3(theta: object, phi: object, lam: object) -> np.ndarray:
    """OpenQASM 3 U(θ,φ,λ) = [[c, -e^{iλ}s], [e^{iφ}s, e^{i(φ+λ)}c]] with c, s of θ/2."""
    cos, sin = _half_angle(theta)
    phi, lam = np.asarray(phi, dtype=np.float64), np.asarray(lam, dtype=np.float64)
    return _build(
        2,
        {
            (0, 0): cos,
            (0, 1): -np.exp(1j * lam) * sin,
            (1, 0): np.exp(1j * phi) * sin,
            (1, 1): np.exp(1j * (phi + lam)) * cos,
        },
    )


def _u2(phi: object, lam: object) -> np.ndarray:
    return _u3(np.pi / 2, phi, lam)


def _rot(phi: object, theta: object, omega: object) -> np.ndarray:
    """PennyLane Rot(φ,θ,ω) = RZ(ω) RY(θ) RZ(φ)."""
    return _RZ(omega) @ _RY(theta) @ _RZ(phi)


def _gphase(gamma: object) -> np.ndarray:
    """OpenQASM 3 gphase(γ) = e^{iγ} (a 1x1 matrix on zero qubits)."""
    return _build(1, {(0, 0): np.exp(1j * np.asarray(gamma, dtype=np.float64))})


def _givens(dim: int, low: int, high: int) -> Callable[[object], np.ndarray]:
    """θ ↦ rotation |low> → c|low> + s|high>, |high> → c|high> - s|low>, identity elsewhere.

    PennyLane's SingleExcitation (low=|01>, high=|10>) and DoubleExcitation
    (low=|0011>, high=|1100>).
    """

    def matrix(theta: object) -> np.ndarray:
        cos, sin = _half_angle(theta)
        entries: dict[tuple[int, int], object] = {(i, i): 1.0 for i in range(dim)}
        entries.update({(low, low): cos, (high, high): cos, (high, low): sin, (low, high): -sin})
        return _build(dim, entries)

    return matrix


def _controlled(base: Callable[..., np.ndarray], controls: int = 1) -> Callable[..., np.ndarray]:
    return lambda *params: controlled_matrix(base(*params), (True,) * controls)


def _gpi(phi: object) -> np.ndarray:
    """IonQ GPI(φ) = [[0, e^{-iφ}], [e^{iφ}, 0]]: a π rotation about cos φ X + sin φ Y."""
    turn = np.exp(1j * np.asarray(phi, dtype=np.float64))
    return _build(2, {(0, 1): turn.conj(), (1, 0): turn})


def _constant(matrix: np.ndarray) -> Callable[[], np.ndarray]:
    return lambda: matrix


_R2 = 1 / math.sqrt(2)
_I = _frozen([[1, 0], [0, 1]])
_X = _frozen([[0, 1], [1, 0]])
_Y = _frozen([[0, -1j], [1j, 0]])
_Z = _frozen([[1, 0], [0, -1]])
_H = _frozen([[_R2, _R2], [_R2, -_R2]])
_S = _frozen([[1, 0], [0, 1j]])
_T = _frozen([[1, 0], [0, np.exp(1j * np.pi / 4)]])
_SX = _frozen([[(1 + 1j) / 2, (1 - 1j) / 2], [(1 - 1j) / 2, (1 + 1j) / 2]])
_SWAP = _frozen([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]])
_ISWAP = _frozen([[1, 0, 0, 0], [0, 0, 1j, 0], [0, 1j, 0, 0], [0, 0, 0, 1]])
_RX, _RY, _RZ = _exp_pauli(_X), _exp_pauli(_Y), _exp_pauli(_Z)
# ECR = RZX(-π/4) · (X⊗I) · RZX(π/4) = (X⊗I - Y⊗X)/√2, control first (Qiskit's ECR, in textbook order)
_ECR = _frozen(np.array([[0, 0, 1, 1j], [0, 0, 1j, 1], [1, -1j, 0, 0], [-1j, 1, 0, 0]]) * _R2)
