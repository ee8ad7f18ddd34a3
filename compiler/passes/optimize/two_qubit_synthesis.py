"""Two-qubit synthesis: a constant 4x4 unitary as local gates around 0 or 3 `cx`.

KAK (Cartan) decomposition in the magic basis: for U ∈ SU(4), U_B = B†UB =
K1 · diag(e^{id}) · K2 with K1, K2 real orthogonal (B K B† is then a local
gate A⊗A').  The spectrum e^{2id} of U_Bᵀ U_B is the local-equivalence
invariant.  A fixed three-`cx` template (Vatan-Williams form) with angles
chosen from d has the same invariant, so U = phase · L1 · T · L0 with locals
L0, L1 found by matching the two decompositions.  Every result is checked
against U numerically; `None` means "no synthesis found", never a wrong one.
Matrices here are little-endian on local qubits (0, 1), as `reference.unitary`.
"""

from __future__ import annotations

import itertools
import math
from typing import Sequence

import numpy as np

from qdl.compiler.expr import Const
from qdl.compiler.ir import GateOp
from qdl.runtime.reference import unitary

_B = np.array([[1, 0, 0, 1j], [0, 1j, 1, 0], [0, 1j, -1, 0], [1, 0, 0, -1j]]) / math.sqrt(2)
_PAULI = {"X": np.array([[0, 1], [1, 0]]), "Y": np.array([[0, -1j], [1j, 0]]), "Z": np.diag([1, -1])}
# Diagonals of XX, YY, ZZ in the magic basis: the interaction exp(i(aXX+bYY+cZZ)) is diagonal there.
_WEIGHTS = np.array([np.real(np.diag(_B.conj().T @ np.kron(p, p) @ _B)) for p in _PAULI.values()]).T


def template(a: float, b: float, c: float) -> list[GateOp]:
    """Three `cx` locally equivalent to exp(i(aXX + bYY + cZZ)) (local qubits 0 and 1)."""
    half = math.pi / 2
    return [GateOp("cx", (1, 0)), GateOp("rz", (0,), (Const(half + 2 * c),)),
            GateOp("ry", (1,), (Const(half + 2 * a),)), GateOp("cx", (0, 1)),
            GateOp("ry", (1,), (Const(half + 2 * b),)), GateOp("cx", (1, 0))]


def kak(u: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(K1, d, K2), real orthogonal K's with det 1, for u / det(u)^{1/4} in the magic basis."""
    up = _B.conj().T @ (u / np.linalg.det(u) ** 0.25) @ _B
    m2 = up.T @ up
    rng = np.random.default_rng(seed)
    for _ in range(8):  # a random real combination separates the shared eigenvectors
        x, y = rng.normal(size=2)
        _, p = np.linalg.eigh(x * m2.real + y * m2.imag)
        diag = p.T @ m2 @ p
        if np.abs(diag - np.diag(np.diag(diag))).max() < 1e-9:
            break
    else:
        return None
    if np.linalg.det(p) < 0:
        p[:, 0] *= -1
    d = np.angle(np.diag(p.T @ m2 @ p)) / 2
    k1 = up @ p @ np.diag(np.exp(-1j * d))
    if np.linalg.det(k1).real < 0:
        d[0] += math.pi
        k1[:, 0] *= -1
    return k1.real, d, p.T


def interaction(d: np.ndarray) -> tuple[float, float, float]:
    """(a, b, c) with the magic-basis phases d ≡ a·xx + b·yy + c·zz (mod π, sums fixed to 0)."""
    lam = np.sort(d.copy())
    shift = round(lam.sum() / math.pi)
    lam[len(lam) - shift:] -= math.pi if shift > 0 else 0.0
    lam[:-shift] += math.pi if shift < 0 else 0.0
    a, b, c = _WEIGHTS.T @ lam / 4
    return float(a), float(b), float(c)


def local_factors(u: np.ndarray, tol: float = 1e-9) -> tuple[np.ndarray, np.ndarray] | None:
    """(A0, A1) with u = A1 ⊗ A0 (A0 on local qubit 0), or None when u is not local."""
    r = u.reshape(2, 2, 2, 2).transpose(0, 2, 1, 3).reshape(4, 4)
    left, s, right = np.linalg.svd(r)
    if s[1] > tol * s[0]:
        return None
    scale = math.sqrt(s[0])
    return scale * right[0].reshape(2, 2), scale * left[:, 0].reshape(2, 2)


# Sign patterns with an even number of flips: D S for det S = 1 is another valid KAK middle.
_SIGNS = [np.array(s) for s in itertools.product((1, -1), repeat=4) if np.prod(s) == 1]


_PERMS = np.array(list(itertools.permutations(range(4))))


def _match(d: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(S, P): S e^{id} = φ P e^{ie} Pᵀ with S = diag(±1), det S = det P = 1, φ global; or None."""
    permuted = np.exp(1j * e)[_PERMS]  # (24, 4): every ordering of the template's phases
    for phase, signs in itertools.product((1, -1, 1j, -1j), _SIGNS):
        errors = np.abs(signs * np.exp(1j * d) - phase * permuted).max(axis=1)
        best = int(np.argmin(errors))
        if errors[best] < 1e-8:
            perm = _PERMS[best]
            p = np.zeros((4, 4))
            p[range(4), perm] = 1.0
            if np.linalg.det(p) < 0:
                p[:, perm[0]] *= -1  # commutes with the diagonal: same product, det 1
            return np.diag(signs.astype(float)), p
    return None


def templates(u: np.ndarray) -> list[list[GateOp]]:
    """Candidate `cx` skeletons for u, fewest `cx` first (one, two, then the general three)."""
    ku = kak(u)
    if ku is None:
        return []
    two = [_two_cx(sign * a, sign * c) for a, c in _two_cx_angles(ku[1]) for sign in (1, -1)]
    return [[GateOp("cx", (0, 1))], *two, template(*interaction(ku[1]))]


def _two_cx(a: float, c: float) -> list[GateOp]:
    """cx · (rx ⊗ rz) · cx: locally exp(i(aXX + cZZ)), since cx maps X⊗I to XX and I⊗Z to ZZ."""
    return [GateOp("cx", (0, 1)), GateOp("rx", (0,), (Const(-2 * a),)),
            GateOp("rz", (1,), (Const(-2 * c),)), GateOp("cx", (0, 1))]


def _two_cx_angles(d: np.ndarray) -> list[tuple[float, float]]:
    """(a, c) with exp(i(aXX + cZZ)) locally equivalent to the KAK phases d (the YY part vanishing)."""
    out = []
    for perm in itertools.permutations(range(4)):
        lam = d[list(perm)]
        b = _WEIGHTS[:, 1] @ lam / 4  # the YY coefficient; shifting entries by π moves it by π/4 steps
        m = round(b / (math.pi / 4))
        if abs(b - m * math.pi / 4) > 1e-9:
            continue
        for k in itertools.product((0, 1), repeat=4):
            if abs(_WEIGHTS[:, 1] @ np.array(k) + m) < 1e-9:
                shifted = lam + math.pi * np.array(k)
                out.append((float(_WEIGHTS[:, 0] @ shifted / 4), float(_WEIGHTS[:, 2] @ shifted / 4)))
                break
    return out[:4]


def decompose(u: np.ndarray, t_ops: list[GateOp]
              ) -> tuple[list[tuple[np.ndarray, int]], list[GateOp], list[tuple[np.ndarray, int]]] | None:
    """u ∝ L1 · T · L0 for the skeleton T = `t_ops`: (factors before, T, factors after), or None."""
    ku, kt = kak(u), kak(unitary(t_ops, 2))
    match = None if ku is None or kt is None else _match(ku[1], kt[1])
    if ku is None or kt is None or match is None:
        return None
    signs, perm = match  # U_B = (K1 S)(S D)K2 and S D = φ P D_T Pᵀ
    before = local_factors(_B @ (kt[2].T @ perm.T @ ku[2]) @ _B.conj().T)
    after = local_factors(_B @ (ku[0] @ signs @ perm @ kt[0].T) @ _B.conj().T)
    if before is None or after is None:
        return None
    return [(before[0], 0), (before[1], 1)], t_ops, [(after[0], 0), (after[1], 1)]


def three_cx(u: np.ndarray) -> tuple[list[tuple[np.ndarray, int]], list[GateOp], list[tuple[np.ndarray, int]]] | None:
    """u ∝ L1 · T · L0 with the general three-`cx` skeleton, or None."""
    ku = kak(u)
    return None if ku is None else decompose(u, template(*interaction(ku[1])))


def global_phase_of(target: np.ndarray, ops: Sequence[GateOp], tol: float = 1e-9) -> float | None:
    """φ with target = e^{iφ} · unitary(ops), or None when they differ by more than a phase."""
    got = unitary(ops, 2)
    k = np.unravel_index(np.argmax(np.abs(target)), target.shape)
    ratio = target[k] / got[k]
    if abs(abs(ratio) - 1) > tol or np.abs(target - ratio * got).max() > tol:
        return None
    return float(np.angle(ratio))
