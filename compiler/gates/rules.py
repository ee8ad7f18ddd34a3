"""Symbolic gate rules: inverses and exact decompositions (application order).

Conventions are in `qdl.compiler.gates`; every decomposition is exact
including the global phase, so it stays valid under `ctrl @`.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence, TypeVar

from qdl.compiler.expr import Expr, ExprLike, as_expr, mul, neg

Params = tuple[Expr, ...]
GateCall = tuple[str, tuple[int, ...], Params]
Decomposition = Callable[[Params], tuple[GateCall, ...]]
Inverse = Callable[[Params], tuple[str, Params]]



_R = TypeVar("_R")


def _on_exprs(fn: Callable[[Params], _R]) -> Callable[[Sequence[ExprLike]], _R]:
    """Let table callables accept plain numbers too (wrapped as `Const`)."""
    return lambda params: fn(tuple(as_expr(p) for p in params))


def _inverse_named(name: str) -> Inverse:
    return _on_exprs(lambda p: (name, p))


def _inverse_negated(name: str) -> Inverse:
    return _on_exprs(lambda p: (name, tuple(neg(x) for x in p)))


def _decomposition(fn: Callable[[Params], tuple[GateCall, ...]]) -> Decomposition:
    return _on_exprs(fn)


def _calls(*calls: tuple[str, tuple[int, ...]]) -> tuple[GateCall, ...]:
    """Parameterless `(gate, qubits)` shorthands as `(gate, qubits, ())`."""
    return tuple((gate, qubits, ()) for gate, qubits in calls)


def _half(x: Expr) -> Expr:
    return mul(0.5, x)


PI = math.pi

# --- decompositions (application order, exact including global phase) ---------------


def _u3_parts(p: Params) -> tuple[GateCall, ...]:
    theta, phi, lam = p  # U(θ,φ,λ) = e^{i(φ+λ)/2} RZ(φ) RY(θ) RZ(λ)
    return (("rz", (0,), (lam,)), ("ry", (0,), (theta,)), ("rz", (0,), (phi,)),
            ("gphase", (), (_half(phi + lam),)))


def _ccx_parts(p: Params) -> tuple[GateCall, ...]:
    # Nielsen & Chuang Fig. 4.9 (also qelib1.inc): exact, no phase correction needed.
    return _calls(("h", (2,)), ("cx", (1, 2)), ("tdg", (2,)), ("cx", (0, 2)), ("t", (2,)),
                  ("cx", (1, 2)), ("tdg", (2,)), ("cx", (0, 2)), ("t", (1,)), ("t", (2,)),
                  ("h", (2,)), ("cx", (0, 1)), ("t", (0,)), ("tdg", (1,)), ("cx", (0, 1)))


def _double_excitation_parts(p: Params) -> tuple[GateCall, ...]:
    """CNOTs map {|0011>, |1100>} to {|0010>, |1010>}; then RY(θ) on qubit 0 controlled
    on qubits (1, 2, 3) = (0, 1, 0), written as a Gray-code multiplexor, then unmap."""
    (theta,) = p
    unmap = (("cx", (2, 3), ()), ("cx", (0, 1), ()), ("cx", (0, 2), ()))
    return unmap + _controlled_ry(theta, target=0, controls=(1, 2, 3), values=(0, 1, 0)) + unmap[::-1]


def _controlled_ry(theta: Expr, target: int, controls: tuple[int, ...],
                   values: tuple[int, ...]) -> tuple[GateCall, ...]:
    """RY(θ) on `target` iff `controls` read `values`, with 2**c RY(±θ/2**c) and CNOTs.

    The indicator of the control pattern is 2**-c Σ_S Π_{i∈S} (-1)^{v_i} (-1)^{x·S}
    over subsets S; visiting the subsets in Gray-code order, one CNOT per step
    makes the target see the parity x·S when rotation S is applied.
    """
    count = len(controls)
    gray = [step ^ (step >> 1) for step in range(2**count)] + [0]  # one control changes per step
    calls: list[GateCall] = []
    for subset, following in zip(gray, gray[1:]):
        sign = (-1) ** sum(values[i] for i in range(count) if subset >> i & 1)
        calls.append(("ry", (target,), (mul(sign / 2**count, theta),)))
        calls.append(("cx", (controls[(subset ^ following).bit_length() - 1], target), ()))
    return tuple(calls)


_DECOMPOSITIONS: dict[str, Decomposition] = {
    "id": _decomposition(lambda p: ()),
    "s": _decomposition(lambda p: (("phase", (0,), (as_expr(PI / 2),)),)),
    "sdg": _decomposition(lambda p: (("phase", (0,), (as_expr(-PI / 2),)),)),
    "t": _decomposition(lambda p: (("phase", (0,), (as_expr(PI / 4),)),)),
    "tdg": _decomposition(lambda p: (("phase", (0,), (as_expr(-PI / 4),)),)),
    # SX = e^{iπ/4} RX(π/2)
    "sx": _decomposition(lambda p: (("rx", (0,), (as_expr(PI / 2),)), ("gphase", (), (as_expr(PI / 4),)))),
    "sxdg": _decomposition(lambda p: (("rx", (0,), (as_expr(-PI / 2),)), ("gphase", (), (as_expr(-PI / 4),)))),
    # P(λ) = e^{iλ/2} RZ(λ)
    "phase": _decomposition(lambda p: (("rz", (0,), p), ("gphase", (), (_half(p[0]),)))),
    "u1": _decomposition(lambda p: (("phase", (0,), p),)),
    "u2": _decomposition(lambda p: (("u3", (0,), (as_expr(PI / 2), *p)),)),
    "u3": _decomposition(_u3_parts),
    "rot": _decomposition(lambda p: (("rz", (0,), (p[0],)), ("ry", (0,), (p[1],)), ("rz", (0,), (p[2],)))),
    "cy": _decomposition(lambda p: _calls(("sdg", (1,)), ("cx", (0, 1)), ("s", (1,)))),
    "cz": _decomposition(lambda p: _calls(("h", (1,)), ("cx", (0, 1)), ("h", (1,)))),
    # H = RY(π/4) Z RY(-π/4)
    "ch": _decomposition(lambda p: (("ry", (1,), (as_expr(-PI / 4),)), ("cz", (0, 1), ()),
                                    ("ry", (1,), (as_expr(PI / 4),)))),
    "swap": _decomposition(lambda p: _calls(("cx", (0, 1)), ("cx", (1, 0)), ("cx", (0, 1)))),
    "iswap": _decomposition(lambda p: _calls(("s", (0,)), ("s", (1,)), ("h", (0,)), ("cx", (0, 1)),
                                             ("cx", (1, 0)), ("h", (1,)))),
    "iswapdg": _decomposition(lambda p: _calls(("z", (0,)), ("iswap", (0, 1)), ("z", (0,)))),
    "crx": _decomposition(lambda p: (("h", (1,), ()), ("crz", (0, 1), p), ("h", (1,), ()))),
    "cry": _decomposition(lambda p: (("ry", (1,), (_half(p[0]),)), ("cx", (0, 1), ()),
                                     ("ry", (1,), (mul(-0.5, p[0]),)), ("cx", (0, 1), ()))),
    "crz": _decomposition(lambda p: (("rz", (1,), (_half(p[0]),)), ("cx", (0, 1), ()),
                                     ("rz", (1,), (mul(-0.5, p[0]),)), ("cx", (0, 1), ()))),
    "cphase": _decomposition(lambda p: (("phase", (0,), (_half(p[0]),)), ("cx", (0, 1), ()),
                                        ("phase", (1,), (mul(-0.5, p[0]),)), ("cx", (0, 1), ()),
                                        ("phase", (1,), (_half(p[0]),)))),
    "rzz": _decomposition(lambda p: (("cx", (0, 1), ()), ("rz", (1,), p), ("cx", (0, 1), ()))),
    # XX = (H⊗H) ZZ (H⊗H);  RX(π/2) maps Y to Z under conjugation
    "rxx": _decomposition(lambda p: _calls(("h", (0,)), ("h", (1,))) + (("rzz", (0, 1), p),)
                          + _calls(("h", (0,)), ("h", (1,)))),
    "ryy": _decomposition(lambda p: (("rx", (0,), (as_expr(PI / 2),)), ("rx", (1,), (as_expr(PI / 2),)),
                                     ("rzz", (0, 1), p), ("rx", (0,), (as_expr(-PI / 2),)),
                                     ("rx", (1,), (as_expr(-PI / 2),)))),
    "ccx": _decomposition(_ccx_parts),
    # ECR = RZX(-π/2) · (X⊗I); RZX = (I⊗H) RZZ (I⊗H)
    "ecr": _decomposition(lambda p: _calls(("x", (0,)), ("h", (1,)), ("cx", (0, 1)))
                          + (("rz", (1,), (as_expr(-PI / 2),)),) + _calls(("cx", (0, 1)), ("h", (1,)))),
    # GPI(φ) = RZ(φ) X RZ(-φ);  GPI2(0) = RX(π/2);  MS(0, 0) = RXX(π/2)
    "gpi": _decomposition(lambda p: (("rz", (0,), (neg(p[0]),)), ("x", (0,), ()), ("rz", (0,), p))),
    "gpi2": _decomposition(lambda p: (("rx", (0,), (as_expr(PI / 2),)),)),
    "gpi2dg": _decomposition(lambda p: (("rx", (0,), (as_expr(-PI / 2),)),)),
    "ms": _decomposition(lambda p: (("rxx", (0, 1), (as_expr(PI / 2),)),)),
    "msdg": _decomposition(lambda p: (("rxx", (0, 1), (as_expr(-PI / 2),)),)),
    "cswap": _decomposition(lambda p: _calls(("cx", (2, 1)), ("ccx", (0, 1, 2)), ("cx", (2, 1)))),
    # cx(1,0) maps {|01>, |10>} to {|11>, |10>}; there qubit 1 rotates by RY(-θ) under control 0
    "single_excitation": _decomposition(lambda p: (("cx", (1, 0), ()), ("cry", (0, 1), (neg(p[0]),)),
                                                   ("cx", (1, 0), ()))),
    "double_excitation": _decomposition(_double_excitation_parts),
}
