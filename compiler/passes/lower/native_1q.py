"""One-qubit gates as `rz` and `sx` (and `x`), exact including the global phase.

Superconducting devices run `sx` and `x` as pulses and `rz` as a frame change
(virtual Z, free and exact), so every rotation is written with its angles in
`rz`: the general one-qubit gate is

    U3(θ, φ, λ) = e^{i((φ+λ)/2 + π/2)} · RZ(φ+π) · SX · RZ(θ+π) · SX · RZ(λ)     (matrix order)

and a trainable θ ends up only in the middle `rz` (a frame phase).  Constant
gates are multiplied out and re-synthesised with the fewest pulses: none for a
diagonal, one `x` for an anti-diagonal, one `sx` when θ = π/2, else two.
Pieces are `Call`s in application order.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from qdl.compiler.expr import Const, Expr, add, as_expr, mul
from qdl.compiler.gates import unitary_of
from qdl.compiler.passes.lower.expand import Call

PI = math.pi
EPS = 1e-12


def _u3(q: int, theta: Expr, phi: Expr, lam: Expr, phase: Expr | float = 0.0) -> list[Call]:
    """U3(θ, φ, λ)·e^{i phase} on qubit q as `rz sx rz sx rz` (angles symbolic)."""
    return [Call("rz", (q,), (lam,)), Call("sx", (q,)), Call("rz", (q,), (add(theta, PI),)), Call("sx", (q,)),
            Call("rz", (q,), (add(phi, PI),)),
            Call("gphase", (), (add(add(mul(0.5, add(phi, lam)), PI / 2), phase),))]


def _rot(q: int, p: tuple[Expr, ...]) -> list[Call]:
    phi, theta, omega = p  # RZ(ω) RY(θ) RZ(φ)
    return [Call("rz", (q,), (phi,))] + _u3(q, theta, Const(0.0), Const(0.0)) + [Call("rz", (q,), (omega,))]


# Symbolic one-qubit gates of the table -> rz/sx/x pieces (exact, application order).
SYMBOLIC_RULES: dict[str, Callable[[int, tuple[Expr, ...]], list[Call]]] = {
    "rz": lambda q, p: [Call("rz", (q,), p)],
    "phase": lambda q, p: [Call("rz", (q,), p), Call("gphase", (), (mul(0.5, p[0]),))],
    "u1": lambda q, p: [Call("rz", (q,), p), Call("gphase", (), (mul(0.5, p[0]),))],
    "rx": lambda q, p: _u3(q, p[0], Const(-PI / 2), Const(PI / 2)),
    "ry": lambda q, p: _u3(q, p[0], Const(0.0), Const(0.0)),
    "u2": lambda q, p: _u3(q, Const(PI / 2), p[0], p[1]),
    "u3": lambda q, p: _u3(q, *p),
    "rot": _rot,
    "gpi": lambda q, p: [Call("x", (q,)), Call("rz", (q,), (mul(2.0, p[0]),))],  # GPI(φ) = RZ(2φ) X
}


def euler_zxz(u: np.ndarray) -> tuple[float, float, float]:
    """(θ, φ, λ) with u ∝ U3(θ, φ, λ), θ in [0, π]."""
    theta = 2 * math.atan2(abs(u[1, 0]), abs(u[0, 0]))
    if abs(u[1, 0]) < EPS:  # diagonal: only φ + λ matters
        return 0.0, 0.0, float(np.angle(u[1, 1] / u[0, 0]))
    if abs(u[0, 0]) < EPS:  # anti-diagonal: only φ - λ matters
        return PI, float(np.angle(u[1, 0] / -u[0, 1])), 0.0
    return theta, float(np.angle(u[1, 0] / u[0, 0])), float(np.angle(-u[0, 1] / u[0, 0]))


def constant_pieces(u: np.ndarray, q: int, tol: float = 1e-9) -> list[Call]:
    """The constant one-qubit unitary `u` on qubit q with the fewest `sx`/`x`, exact with a `gphase`."""
    theta, phi, lam = euler_zxz(u)
    if theta < tol:
        pieces = [("rz", phi + lam)]
    elif abs(theta - PI) < tol:
        pieces = [("x", None), ("rz", phi - lam - PI)]  # RZ(α) X with e^{iα} = -e^{i(φ-λ)}
    elif abs(theta - PI / 2) < tol:
        pieces = [("rz", lam - PI / 2), ("sx", None), ("rz", phi + PI / 2)]
    else:
        pieces = [("rz", lam), ("sx", None), ("rz", theta + PI), ("sx", None), ("rz", phi + PI)]
    calls = [Call(g, (q,), () if a is None else (Const(_wrap(a)),)) for g, a in pieces
             if g != "rz" or abs(_wrap(a)) > tol]  # type: ignore[arg-type]
    return calls + _phase_fix(u, calls)


def _wrap(angle: float) -> float:
    """An `rz` angle in [-π, π]: RZ(a + 2π) = -RZ(a), and `_phase_fix` absorbs the sign."""
    return math.remainder(angle, 2 * PI)


def _phase_fix(u: np.ndarray, calls: list[Call]) -> list[Call]:
    made = np.eye(2, dtype=complex)
    for c in calls:
        made = unitary_of(c.gate, [float(p.evaluate({})) for p in c.params]) @ made
    k = np.unravel_index(np.argmax(np.abs(made)), made.shape)
    phase = float(np.angle(u[k] / made[k]))
    assert np.allclose(u, np.exp(1j * phase) * made, atol=1e-8), "internal error: one-qubit synthesis"
    return [Call("gphase", (), (as_expr(phase),))] if abs(phase) > EPS else []
