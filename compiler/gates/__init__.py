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

from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np

from qdl.compiler.expr import ExprLike, as_expr, mul, neg
from qdl.compiler.gates.matrices import (
    _ECR, _H, _I, _ISWAP, _RX, _RY, _RZ, _S, _SWAP, _SX, _T, _X, _Y, _Z, _constant, _controlled, _exp_pauli,
    _frozen, _givens, _gphase, _gpi, _phase, _rot, _u2, _u3, controlled_matrix,
)
from qdl.compiler.gates.rules import (
    _DECOMPOSITIONS, PI, Decomposition, GateCall, Inverse, Params, _inverse_named, _inverse_negated,
    _on_exprs,
)

Spectrum = tuple[float, ...]
__all__ = ["GateSpec", "GATES", "ALIASES", "lookup", "canonical_name", "unitary_of",
           "controlled_form", "power_form", "controlled_matrix", "Params", "GateCall"]


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

# --- the table -------------------------------------------------------------------

_HALF = (-0.5, 0.5)  # exp(-iθP/2) for a Pauli P
_PHASE = (-1.0, 0.0)  # diag(1, e^{iλ}) = exp(-iλ diag(0, -1))
_CONTROLLED_HALF = (-0.5, 0.0, 0.0, 0.5)  # a controlled or subspace half-angle rotation
_PAULI_PAIR = (-0.5, -0.5, 0.5, 0.5)  # exp(-iθ P⊗P/2)
_CONTROLLED_PHASE = (-1.0, 0.0, 0.0, 0.0)
_DOUBLE_EXCITATION = (-0.5,) + (0.0,) * 14 + (0.5,)
_GPI2 = _frozen(_RX(PI / 2))
_MS = _frozen(_exp_pauli(np.kron(_X, _X))(PI / 2))


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
    # native gates of hardware targets (docs/hardware.md)
    _fixed("ecr", 2, _ECR, "ecr", "echoed cross-resonance RZX(-π/4) (X⊗I) RZX(π/4), control first"),
    # GPI(φ) = RZ(2φ) X: one exponential in φ, generator Z
    replace(_rotation("gpi", 1, _gpi, ((-1.0, 1.0),), "IonQ GPI(φ): π rotation about cos φ X + sin φ Y",
                      inverse=_inverse_named("gpi")), self_inverse=True, hermitian=True),
    # IonQ's gpi2(φ) and ms(φ0, φ1) are RZ(φ) A RZ(-φ): φ enters twice, so no one-exponential
    # spectrum describes it (shift rules and the LLVM trig fit need one); the table holds them at
    # zero phase and the phases are virtual `rz` around them (docs/hardware.md).
    _fixed("gpi2", 1, _GPI2, "gpi2dg", "IonQ GPI2(0) = RX(π/2): π/2 rotation about X (phases as virtual rz)"),
    _fixed("gpi2dg", 1, _frozen(_GPI2.conj().T), "gpi2", "inverse of GPI2(0): RX(-π/2) = GPI2(π)"),
    _fixed("ms", 2, _MS, "msdg", "IonQ Mølmer–Sørensen MS(0, 0) = RXX(π/2) (phases as virtual rz)"),
    _fixed("msdg", 2, _frozen(_MS.conj().T), "ms", "inverse of MS(0, 0): RXX(-π/2)"),
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
