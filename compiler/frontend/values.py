"""Compile-time values of the elaborator, and the Pauli algebra of observables.

A qdl expression elaborates to one of:
- a Python `int`, `float` or `bool` (a compile-time constant);
- an `Expr` (a float depending on circuit arguments, kept symbolic);
- a numpy array: numeric for constants, `dtype=object` holding `Expr`s for
  (slices of) array arguments;
- `Qubits` / `Bits` (a register, a slice of one, or a single element);
- `PauliSum` (an observable).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qdl.compiler.expr import Arg, Expr
from qdl.compiler.ir import Observable, PauliTerm


@dataclass(frozen=True, slots=True)
class Qubits:
    """Global qubit indices named by an operand; `single` for `q[0]` or a lone qubit."""

    indices: tuple[int, ...]
    single: bool
    label: str


@dataclass(frozen=True, slots=True)
class Bits:
    """Global classical-bit indices named by an operand."""

    indices: tuple[int, ...]
    single: bool
    label: str


@dataclass(frozen=True, slots=True)
class BoolArgument:
    """A `bool` circuit argument: known only at run time, and not a number.

    It can be passed on and declared, but neither used as an angle (it is not a
    float) nor in an `if` (it is not known at compile time).
    """

    name: str
    shape: tuple[int, ...] = ()


def argument_symbols(name: str, shape: tuple[int, ...]):
    """`Arg(name)` for a scalar; an object array of `Arg(name, index)` for an array."""
    if not shape:
        return Arg(name)
    values = np.empty(shape, dtype=object)
    for index in np.ndindex(*shape):
        values[index] = Arg(name, tuple(int(i) for i in index))
    return values


# ---------------------------------------------------------------- Pauli algebra

# Products of single-qubit Paulis: (a, b) -> (phase, result).
_PAULI_PRODUCT = {
    ("X", "X"): (1, "I"), ("Y", "Y"): (1, "I"), ("Z", "Z"): (1, "I"),
    ("X", "Y"): (1j, "Z"), ("Y", "X"): (-1j, "Z"),
    ("Y", "Z"): (1j, "X"), ("Z", "Y"): (-1j, "X"),
    ("Z", "X"): (1j, "Y"), ("X", "Z"): (-1j, "Y"),
}

PauliKey = tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class PauliSum:
    """A complex-weighted sum of Pauli strings; keys are sorted (qubit, letter) tuples."""

    terms: tuple[tuple[PauliKey, complex], ...]

    @staticmethod
    def constant(value: complex) -> "PauliSum":
        return PauliSum((((), complex(value)),))

    @staticmethod
    def single(letter: str, qubit: int) -> "PauliSum":
        key: PauliKey = () if letter == "I" else ((qubit, letter),)
        return PauliSum(((key, 1 + 0j),))

    def as_dict(self) -> dict[PauliKey, complex]:
        out: dict[PauliKey, complex] = {}
        for key, coeff in self.terms:
            out[key] = out.get(key, 0) + coeff
        return out

    def __add__(self, other: "PauliSum") -> "PauliSum":
        return _from_dict(_merge(self.as_dict(), other.as_dict(), 1))

    def __sub__(self, other: "PauliSum") -> "PauliSum":
        return _from_dict(_merge(self.as_dict(), other.as_dict(), -1))

    def scale(self, factor: complex) -> "PauliSum":
        return PauliSum(tuple((k, c * factor) for k, c in self.terms))

    def __mul__(self, other: "PauliSum") -> "PauliSum":
        out: dict[PauliKey, complex] = {}
        for ka, ca in self.terms:
            for kb, cb in other.terms:
                phase, key = _multiply_strings(ka, kb)
                out[key] = out.get(key, 0) + ca * cb * phase
        return _from_dict(out)

    @property
    def max_qubit(self) -> int:
        return max((q for key, _ in self.terms for q, _ in key), default=-1)


def _merge(a: dict, b: dict, sign: int) -> dict:
    out = dict(a)
    for key, coeff in b.items():
        out[key] = out.get(key, 0) + sign * coeff
    return out


def _from_dict(terms: dict[PauliKey, complex]) -> PauliSum:
    return PauliSum(tuple(terms.items()))


def _multiply_strings(a: PauliKey, b: PauliKey) -> tuple[complex, PauliKey]:
    letters = dict(a)
    phase: complex = 1
    for qubit, letter in b:
        if qubit not in letters:
            letters[qubit] = letter
            continue
        factor, product = _PAULI_PRODUCT[(letters[qubit], letter)]
        phase *= factor
        if product == "I":
            del letters[qubit]
        else:
            letters[qubit] = product
    return phase, tuple(sorted(letters.items()))


def to_observable(value: PauliSum, tolerance: float = 1e-12) -> Observable | None:
    """The IR observable, or None when a coefficient is not real (not Hermitian)."""
    terms = []
    for key, coeff in sorted(value.as_dict().items(), key=lambda kv: (len(kv[0]), kv[0])):
        if abs(coeff.imag) > tolerance * max(1.0, abs(coeff.real)):
            return None
        if coeff.real != 0.0:
            terms.append(PauliTerm(float(coeff.real), key))
    return Observable(tuple(terms))


# ---------------------------------------------------------------- describing values


def is_constant(value: object) -> bool:
    if isinstance(value, (bool, int, float, np.bool_, np.integer, np.floating)):
        return True
    return isinstance(value, np.ndarray) and value.dtype != object


def is_scalar(value: object) -> bool:
    return isinstance(value, (bool, int, float, Expr, np.bool_, np.integer, np.floating))


def describe(value: object) -> str:
    """A short type description for messages: `int`, `float[2, 3]`, `qubit register`."""
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (int, np.integer)):
        return "int"
    if isinstance(value, (float, np.floating)):
        return "float"
    if isinstance(value, Expr):
        return "float (depends on circuit arguments)"
    if isinstance(value, np.ndarray):
        base = {"b": "bool", "i": "int", "u": "int"}.get(value.dtype.kind, "float")
        return f"{base}[{', '.join(map(str, value.shape))}]"
    if isinstance(value, Qubits):
        return "qubit" if value.single else f"qubit[{len(value.indices)}]"
    if isinstance(value, Bits):
        return "bit" if value.single else f"bit[{len(value.indices)}]"
    if isinstance(value, PauliSum):
        return "observable"
    if isinstance(value, BoolArgument):
        dims = f"[{', '.join(map(str, value.shape))}]" if value.shape else ""
        return f"bool{dims} circuit argument `{value.name}`"
    return type(value).__name__
