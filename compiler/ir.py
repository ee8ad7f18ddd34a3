"""Circuit IR: the plain, immutable contract between qdl's front end and its back ends.

Qubit model: register indices in a flat operation list.  Every qubit of a
circuit has one global index, registers concatenated in declaration order
(`qubit a[2]; qubit b[3];` gives a[0]=0, a[1]=1, b[0]=2, ...); classical bits
likewise.  Basis-state indices are little-endian: bit i of an index is qubit i.

Angles are `compiler.expr.Expr` trees over the circuit's arguments, so a
parameter value never changes the IR.  Loops are unrolled and user gates
inlined before anything becomes IR; every op keeps the source span it came
from, excluded from equality so that passes and the text round trip compare
by meaning.

Gate facts (matrices, inverses, generators, decompositions) live in one place,
`compiler.gates`; ops carry only the gate's canonical name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from qdl.compiler.diagnostics import Span
from qdl.compiler.expr import Expr
from qdl.compiler.pickling import fields_pickled

FLOAT, INT, BOOL = "float", "int", "bool"


@fields_pickled
@dataclass(frozen=True, slots=True)
class Argument:
    """A classical circuit argument; `trainable` marks the `param` ones."""

    name: str
    dtype: str  # FLOAT | INT | BOOL
    shape: tuple[int, ...] = ()
    trainable: bool = False
    span: Span | None = field(default=None, compare=False)

    @property
    def size(self) -> int:
        size = 1
        for dim in self.shape:
            size *= dim
        return size


@fields_pickled
@dataclass(frozen=True, slots=True)
class Condition:
    """True when the integer read from `bits` (bits[0] least significant) equals `value`."""

    bits: tuple[int, ...]
    value: int


@fields_pickled
@dataclass(frozen=True, slots=True)
class GateOp:
    """A gate from `compiler.gates` on `qubits`, optionally controlled and conditioned.

    `controls` are extra control qubits (from `ctrl @` / `negctrl @` on a gate
    without a named controlled form); `control_values[i]` is the basis value
    control i must have (True for `ctrl`, False for `negctrl`).
    """

    gate: str
    qubits: tuple[int, ...]
    params: tuple[Expr, ...] = ()
    controls: tuple[int, ...] = ()
    control_values: tuple[bool, ...] = ()
    condition: Condition | None = None
    span: Span | None = field(default=None, compare=False)

    @property
    def all_qubits(self) -> tuple[int, ...]:
        return self.controls + self.qubits


@fields_pickled
@dataclass(frozen=True, slots=True)
class MeasureOp:
    """Measure `qubit` in the Z basis into classical `bit` (mid-circuit allowed)."""

    qubit: int
    bit: int
    span: Span | None = field(default=None, compare=False)


@fields_pickled
@dataclass(frozen=True, slots=True)
class ResetOp:
    """Reset `qubit` to |0>."""

    qubit: int
    span: Span | None = field(default=None, compare=False)


@fields_pickled
@dataclass(frozen=True, slots=True)
class BarrierOp:
    """A scheduling barrier; no effect on simulation."""

    qubits: tuple[int, ...]
    span: Span | None = field(default=None, compare=False)


Op = Union[GateOp, MeasureOp, ResetOp, BarrierOp]


@fields_pickled
@dataclass(frozen=True, slots=True)
class PauliTerm:
    """`coeff * P_q0 P_q1 ...`; `paulis` sorted by qubit, letters in X/Y/Z (identity omitted)."""

    coeff: float
    paulis: tuple[tuple[int, str], ...] = ()


@fields_pickled
@dataclass(frozen=True, slots=True)
class Observable:
    """A Hermitian weighted sum of Pauli strings, like terms merged, sorted by Pauli string."""

    terms: tuple[PauliTerm, ...]

    @property
    def qubits(self) -> tuple[int, ...]:
        return tuple(sorted({q for term in self.terms for q, _ in term.paulis}))


@fields_pickled
@dataclass(frozen=True, slots=True)
class ExpVal:
    """Expectation value <psi|H|psi> of an observable: a float."""

    observable: Observable
    span: Span | None = field(default=None, compare=False)


@fields_pickled
@dataclass(frozen=True, slots=True)
class Var:
    """Variance <H^2> - <H>^2 of an observable: a float."""

    observable: Observable
    span: Span | None = field(default=None, compare=False)


@fields_pickled
@dataclass(frozen=True, slots=True)
class Probs:
    """Probabilities of the basis states of `qubits`: float[2**k], little-endian over `qubits`."""

    qubits: tuple[int, ...]
    span: Span | None = field(default=None, compare=False)


@fields_pickled
@dataclass(frozen=True, slots=True)
class Sample:
    """Shots of `qubits` measured in the Z basis: int[shots, k], column j is `qubits[j]`."""

    qubits: tuple[int, ...]
    span: Span | None = field(default=None, compare=False)


@fields_pickled
@dataclass(frozen=True, slots=True)
class State:
    """The final state vector: complex[2**num_qubits], little-endian."""

    span: Span | None = field(default=None, compare=False)


Result = Union[ExpVal, Var, Probs, Sample, State]


@fields_pickled
@dataclass(frozen=True, slots=True)
class Register:
    """A named qubit or bit register: global indices start .. start + size - 1."""

    name: str
    start: int
    size: int


@fields_pickled
@dataclass(frozen=True, slots=True)
class Circuit:
    """One elaborated circuit: signature, qubits, flat ops and results.

    `returns_tuple` distinguishes `return (expval(A),)` from `return expval(A)`.
    """

    name: str
    arguments: tuple[Argument, ...]
    num_qubits: int
    ops: tuple[Op, ...]
    results: tuple[Result, ...]
    returns_tuple: bool = False
    num_bits: int = 0
    qubit_registers: tuple[Register, ...] = ()
    bit_registers: tuple[Register, ...] = ()
    span: Span | None = field(default=None, compare=False)

    def argument(self, name: str) -> Argument | None:
        return next((a for a in self.arguments if a.name == name), None)

    @property
    def trainable(self) -> tuple[Argument, ...]:
        return tuple(a for a in self.arguments if a.trainable)


@fields_pickled
@dataclass(frozen=True, slots=True)
class Module:
    """All circuits of one compiled program, in source order."""

    circuits: tuple[Circuit, ...]

    def __getitem__(self, name: str) -> Circuit:
        for circuit in self.circuits:
            if circuit.name == name:
                return circuit
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.circuits)
