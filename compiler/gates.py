"""The gate table: every fact about a primitive gate, in one place.

Every pass and back end reads gate facts from here (matrix, inverse, generator
spectrum, decomposition, structural flags), so a new gate is one table row.

Conventions (PennyLane / OpenQASM 3, cited per gate below):

* **Matrix order.** A k-qubit gate's matrix is written with the FIRST listed
  qubit as the MOST significant bit of the row/column index (textbook order):
  `cx` with the control first is `[[1,0,0,0],[0,1,0,0],[0,0,0,1],[0,0,1,0]]`.
  The simulator's state vector is little-endian (bit i of a basis index is
  qubit i); `runtime.reference` maps between the two.
* **Batching.** `matrix(*params)` takes floats or arrays of one common shape S
  and returns complex128 of shape `S + (2**k, 2**k)`.  Matrices of constant
  gates are shared and read-only.
* **Generators.** `generator_eigenvalues[j]` is the spectrum (sorted ascending,
  with multiplicity, 2**k values) of the Hermitian G_j defined by
  `dU/dθ_j = -i G_j U`, i.e. `G_j = i (dU/dθ_j) U†`.  It is exact for our
  matrices, global-phase terms included: `rx` gives (-1/2, 1/2), `phase`
  (= diag(1, e^{iλ}) = exp(-iλ·diag(0, -1))) gives (-1, 0), `gphase` gives (-1,).
  Shift rules only need the differences (frequencies), which no constant
  offset changes; the sign matters only to code that exponentiates G.
* **Decompositions** list `(gate, local qubits, params)` in APPLICATION order
  (the first entry acts first), on local positions 0..k-1, and are exact
  including the global phase (an explicit `gphase` where needed), so that they
  stay valid under `ctrl @`.  They form a DAG ending in the primitives
  {x, y, z, h, rx, ry, rz, gphase, cx}.
* **Powers.** `power_form` defines `U(θ)**k := U(kθ)` for rotations; this is
  the principal matrix power while the eigenphases lie in (-π, π].
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence, TypeVar

import numpy as np

from qdl.compiler.expr import Expr, ExprLike, as_expr, mul, neg

Params = tuple[Expr, ...]
GateCall = tuple[str, tuple[int, ...], Params]
Decomposition = Callable[[Params], tuple[GateCall, ...]]
Inverse = Callable[[Params], tuple[str, Params]]
Spectrum = tuple[float, ...]


@dataclass(frozen=True)
class GateSpec:
    """Everything passes and back ends may ask about one primitive gate.

    See the module docstring for the matrix, generator and decomposition
    conventions.  `self_inverse` and `hermitian` coincide for unitaries; both
    are kept so that callers can ask the question they mean.
    """

    name: str
    num_qubits: int
    num_params: int
    matrix: Callable[..., np.ndarray]
    inverse: Inverse
    generator_eigenvalues: tuple[Spectrum | None, ...]
    decomposition: Decomposition | None
    diagonal: bool
    permutation: bool
    self_inverse: bool
    hermitian: bool
    doc: str

    @property
    def dim(self) -> int:
        return 2**self.num_qubits


# --- matrix builders -------------------------------------------------------------


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

# --- symbolic helpers --------------------------------------------------------------


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
    "cswap": _decomposition(lambda p: _calls(("cx", (2, 1)), ("ccx", (0, 1, 2)), ("cx", (2, 1)))),
    # cx(1,0) maps {|01>, |10>} to {|11>, |10>}; there qubit 1 rotates by RY(-θ) under control 0
    "single_excitation": _decomposition(lambda p: (("cx", (1, 0), ()), ("cry", (0, 1), (neg(p[0]),)),
                                                   ("cx", (1, 0), ()))),
    "double_excitation": _decomposition(_double_excitation_parts),
}


# --- the table -------------------------------------------------------------------

_HALF = (-0.5, 0.5)  # exp(-iθP/2) for a Pauli P
_PHASE = (-1.0, 0.0)  # diag(1, e^{iλ}) = exp(-iλ diag(0, -1))
_CONTROLLED_HALF = (-0.5, 0.0, 0.0, 0.5)  # a controlled or subspace half-angle rotation
_PAULI_PAIR = (-0.5, -0.5, 0.5, 0.5)  # exp(-iθ P⊗P/2)
_CONTROLLED_PHASE = (-1.0, 0.0, 0.0, 0.0)
_DOUBLE_EXCITATION = (-0.5,) + (0.0,) * 14 + (0.5,)


def _fixed(name: str, num_qubits: int, matrix: np.ndarray, inverse: str, doc: str, *,
           diagonal: bool = False, permutation: bool = False) -> GateSpec:
    """A parameterless gate; it is an involution exactly when it is its own inverse."""
    involution = inverse == name
    return GateSpec(name, num_qubits, 0, _constant(matrix), _inverse_named(inverse), (),
                    _DECOMPOSITIONS.get(name), diagonal, permutation, involution, involution, doc)


def _rotation(name: str, num_qubits: int, matrix: Callable[..., np.ndarray],
              spectra: tuple[Spectrum, ...], doc: str, *, inverse: Inverse | None = None,
              diagonal: bool = False) -> GateSpec:
    """A parametric gate; by default its inverse negates every angle."""
    return GateSpec(name, num_qubits, len(spectra), matrix, inverse or _inverse_negated(name),
                    spectra, _DECOMPOSITIONS.get(name), diagonal, False, False, False, doc)


def _u3_inverse(p: Params) -> tuple[str, Params]:
    theta, phi, lam = p  # U(θ,φ,λ)† = U(-θ,-λ,-φ)
    return "u3", (neg(theta), neg(lam), neg(phi))


def _u2_inverse(p: Params) -> tuple[str, Params]:
    phi, lam = p  # U(-π/2,-λ,-φ) = U(π/2, π-λ, -φ-π): negating θ is a π shift of φ and λ
    return "u2", (as_expr(PI) - lam, neg(phi) - PI)


def _rot_inverse(p: Params) -> tuple[str, Params]:
    phi, theta, omega = p  # (RZ(ω) RY(θ) RZ(φ))† = RZ(-φ) RY(-θ) RZ(-ω)
    return "rot", (neg(omega), neg(theta), neg(phi))


def _frozen_controlled(base: np.ndarray, controls: int = 1) -> np.ndarray:
    out = controlled_matrix(base, (True,) * controls)
    out.setflags(write=False)
    return out


_GATE_LIST: tuple[GateSpec, ...] = (
    _fixed("id", 1, _I, "id", "identity", diagonal=True, permutation=True),
    _fixed("x", 1, _X, "x", "Pauli X (bit flip, NOT)", permutation=True),
    _fixed("y", 1, _Y, "y", "Pauli Y"),
    _fixed("z", 1, _Z, "z", "Pauli Z (phase flip)", diagonal=True),
    _fixed("h", 1, _H, "h", "Hadamard"),
    _fixed("s", 1, _S, "sdg", "S = sqrt(Z) = diag(1, i)", diagonal=True),
    _fixed("sdg", 1, _frozen(_S.conj().T), "s", "inverse of S: diag(1, -i)", diagonal=True),
    _fixed("t", 1, _T, "tdg", "T = sqrt(S) = diag(1, e^{iπ/4})", diagonal=True),
    _fixed("tdg", 1, _frozen(_T.conj().T), "t", "inverse of T: diag(1, e^{-iπ/4})", diagonal=True),
    _fixed("sx", 1, _SX, "sxdg", "SX = sqrt(X) = e^{iπ/4} RX(π/2)"),
    _fixed("sxdg", 1, _frozen(_SX.conj().T), "sx", "inverse of SX"),
    _rotation("rx", 1, _RX, (_HALF,), "rotation about X: exp(-iθX/2)"),
    _rotation("ry", 1, _RY, (_HALF,), "rotation about Y: exp(-iθY/2)"),
    _rotation("rz", 1, _RZ, (_HALF,), "rotation about Z: exp(-iθZ/2)", diagonal=True),
    _rotation("phase", 1, _phase, (_PHASE,), "phase shift diag(1, e^{iλ}) (OpenQASM 3 `p`)", diagonal=True),
    _rotation("u1", 1, _phase, (_PHASE,), "OpenQASM u1(λ), the same as phase(λ)", diagonal=True),
    _rotation("u2", 1, _u2, (_PHASE, _PHASE), "OpenQASM u2(φ, λ) = u3(π/2, φ, λ)",
              inverse=_on_exprs(_u2_inverse)),
    _rotation("u3", 1, _u3, (_HALF, _PHASE, _PHASE), "OpenQASM 3 U(θ, φ, λ), general one-qubit gate",
              inverse=_on_exprs(_u3_inverse)),
    _rotation("rot", 1, _rot, (_HALF, _HALF, _HALF), "PennyLane Rot(φ, θ, ω) = RZ(ω) RY(θ) RZ(φ)",
              inverse=_on_exprs(_rot_inverse)),
    _rotation("gphase", 0, _gphase, ((-1.0,),), "global phase e^{iγ} (OpenQASM 3 gphase)", diagonal=True),
    _fixed("cx", 2, _frozen_controlled(_X), "cx", "controlled X (CNOT), control first", permutation=True),
    _fixed("cy", 2, _frozen_controlled(_Y), "cy", "controlled Y"),
    _fixed("cz", 2, _frozen_controlled(_Z), "cz", "controlled Z", diagonal=True),
    _fixed("ch", 2, _frozen_controlled(_H), "ch", "controlled Hadamard"),
    _fixed("swap", 2, _SWAP, "swap", "swap two qubits", permutation=True),
    _fixed("iswap", 2, _ISWAP, "iswapdg", "iSWAP: swap with phase i on |01>, |10>"),
    _fixed("iswapdg", 2, _frozen(_ISWAP.conj().T), "iswap", "inverse of iSWAP"),
    _rotation("crx", 2, _controlled(_RX), (_CONTROLLED_HALF,), "controlled RX"),
    _rotation("cry", 2, _controlled(_RY), (_CONTROLLED_HALF,), "controlled RY"),
    _rotation("crz", 2, _controlled(_RZ), (_CONTROLLED_HALF,), "controlled RZ", diagonal=True),
    _rotation("cphase", 2, _controlled(_phase), (_CONTROLLED_PHASE,), "controlled phase diag(1, 1, 1, e^{iλ})",
              diagonal=True),
    _rotation("rxx", 2, _exp_pauli(np.kron(_X, _X)), (_PAULI_PAIR,), "Ising XX coupling exp(-iθ X⊗X/2)"),
    _rotation("ryy", 2, _exp_pauli(np.kron(_Y, _Y)), (_PAULI_PAIR,), "Ising YY coupling exp(-iθ Y⊗Y/2)"),
    _rotation("rzz", 2, _exp_pauli(np.kron(_Z, _Z)), (_PAULI_PAIR,), "Ising ZZ coupling exp(-iθ Z⊗Z/2)",
              diagonal=True),
    _fixed("ccx", 3, _frozen_controlled(_X, 2), "ccx", "Toffoli: X controlled on two qubits", permutation=True),
    _fixed("cswap", 3, _frozen_controlled(_SWAP), "cswap", "Fredkin: controlled swap", permutation=True),
    _rotation("single_excitation", 2, _givens(4, 0b01, 0b10), (_CONTROLLED_HALF,),
              "PennyLane SingleExcitation: rotation by θ/2 in span{|01>, |10>}"),
    _rotation("double_excitation", 4, _givens(16, 0b0011, 0b1100), (_DOUBLE_EXCITATION,),
              "PennyLane DoubleExcitation: rotation by θ/2 in span{|0011>, |1100>}"),
)

GATES: dict[str, GateSpec] = {spec.name: spec for spec in _GATE_LIST}

# Other spellings accepted for canonical gates (OpenQASM, PennyLane, textbooks).
ALIASES: dict[str, str] = {
    "i": "id", "cnot": "cx", "CX": "cx", "p": "phase", "phaseshift": "phase",
    "u": "u3", "U": "u3", "toffoli": "ccx", "ccnot": "ccx", "fredkin": "cswap",
    "cp": "cphase", "cu1": "cphase", "cphaseshift": "cphase",
}


def lookup(name: str) -> GateSpec | None:
    """The gate called `name` (canonical or alias), or None."""
    return GATES.get(ALIASES.get(name, name))


def canonical_name(name: str) -> str | None:
    spec = lookup(name)
    return spec.name if spec else None


def unitary_of(name: str, params: Sequence[float] = ()) -> np.ndarray:
    """Matrix of one gate at numeric `params` (matrix order of the module docstring)."""
    spec = lookup(name)
    if spec is None:
        raise KeyError(f"unknown gate {name!r}")
    if len(params) != spec.num_params:
        raise ValueError(f"gate {spec.name!r} takes {spec.num_params} parameters, got {len(params)}")
    return spec.matrix(*params)


# --- modifiers as tables -------------------------------------------------------------

# (base gate, number of controls) -> the named gate on controls + qubits, same params.
_CONTROLLED_FORMS: dict[tuple[str, int], str] = {
    ("x", 1): "cx", ("x", 2): "ccx", ("cx", 1): "ccx",
    ("y", 1): "cy", ("z", 1): "cz", ("h", 1): "ch", ("swap", 1): "cswap",
    ("rx", 1): "crx", ("ry", 1): "cry", ("rz", 1): "crz",
    ("phase", 1): "cphase", ("u1", 1): "cphase",
    # a controlled global phase is a phase on the controls
    ("gphase", 1): "phase", ("gphase", 2): "cphase",
}


def controlled_form(name: str, num_controls: int) -> str | None:
    """The named gate equal to `name` with `num_controls` (positive) controls, or None."""
    canonical = canonical_name(name)
    if canonical is None or num_controls == 0:
        return canonical
    return _CONTROLLED_FORMS.get((canonical, num_controls))


# Gates whose power scales their angles: U(θ)**k = U(kθ).
_ANGLE_SCALED = frozenset({
    "rx", "ry", "rz", "phase", "u1", "gphase", "crx", "cry", "crz", "cphase",
    "rxx", "ryy", "rzz", "single_excitation", "double_excitation",
})
# Fixed diagonal gates that are a phase gate at a fixed angle: g = gate(angle).
_FIXED_PHASES: dict[str, tuple[str, float]] = {
    "z": ("phase", PI), "s": ("phase", PI / 2), "sdg": ("phase", -PI / 2),
    "t": ("phase", PI / 4), "tdg": ("phase", -PI / 4), "cz": ("cphase", PI),
}
_X_ROOTS: dict[float, str] = {0.5: "sx", -0.5: "sxdg"}


def power_form(name: str, params: tuple[ExprLike, ...], exponent: float) -> tuple[tuple[str, Params], ...] | None:
    """Named gates equal to `name(params) ** exponent`, or None when there is no exact form.

    Meant for non-integer exponents (integer ones are repetition or inverse,
    done by the caller).  Result in application order.
    """
    canonical = canonical_name(name)
    if canonical in _ANGLE_SCALED:
        return ((canonical, tuple(mul(exponent, as_expr(p)) for p in params)),)
    if canonical in _FIXED_PHASES:
        gate, angle = _FIXED_PHASES[canonical]
        return ((gate, (as_expr(angle * exponent),)),)
    if canonical == "x" and exponent in _X_ROOTS:
        return ((_X_ROOTS[exponent], ()),)
    if canonical == "id":
        return (("id", ()),)
    return None
