"""Identifiers of an exported OpenQASM program: reserved words, inputs, registers.

Every name of the program is chosen here, once, in a fixed order, so the
export is deterministic: scalar arguments, then qubit registers, then bit
registers, then the elements of array arguments (argument order, row-major,
`w[1, 2, 0]` -> `w_1_2_0`).  A name that is not a valid identifier of the
dialect is mended (OpenQASM 2 names start with a lowercase letter: `Q` ->
`q_Q`); a name that is reserved (keyword, built-in, standard-library gate,
one of the exporter's `qdl_<gate>` definitions) or already taken gets `_`
appended until it is free.

Registers are laid out to tile the circuit's qubits (bits) in index order,
since OpenQASM numbers qubits by declaration: gaps become extra registers
named `q` (`c`), and registers that overlap are replaced by one register.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Iterable

from qdl.compiler.expr import Arg
from qdl.compiler.gates import GATES
from qdl.compiler.ir import Circuit, Register


class QasmExportError(ValueError):
    """The circuit cannot be written in the requested OpenQASM version; the message says why."""


# Gates of OpenQASM 3's stdgates.inc and of qelib1.inc (Qiskit's extended version,
# a superset of the original IBM header): user names must not shadow them.
STDGATES = frozenset({
    "p", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx", "rx", "ry", "rz", "cx", "cy", "cz", "cp",
    "crx", "cry", "crz", "ch", "swap", "ccx", "cswap", "cu", "CX", "phase", "cphase", "id", "u1", "u2",
    "u3",
})
QELIB1 = frozenset({
    "u3", "u2", "u1", "cx", "id", "u0", "u", "p", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "rx", "ry",
    "rz", "sx", "sxdg", "cz", "cy", "swap", "ch", "ccx", "cswap", "crx", "cry", "crz", "cu1", "cp", "cu3",
    "csx", "cu", "rxx", "rzz", "rccx", "rc3x", "c3x", "c3sqrtx", "c4x",
})
DEFINED_GATES = frozenset(f"qdl_{name}" for name in GATES)

_OQ3_KEYWORDS = frozenset("""
    OPENQASM include defcalgrammar def cal defcal gate extern box let break continue if else end
    return for while in switch case default nop pragma input output const readonly mutable qreg
    qubit creg bool bit int uint float angle complex array void duration stretch gphase inv pow
    ctrl negctrl durationof delay reset measure barrier true false dim sizeof im dt ns us ms opaque
    U pi tau euler arccos arcsin arctan ceiling cos exp floor log mod popcount rotl rotr sin sqrt
    tan real imag
""".split()) | {"π", "τ", "ℇ", "µs"}
_OQ2_KEYWORDS = frozenset("""
    OPENQASM include qreg creg gate opaque barrier measure reset if U CX pi sin cos tan exp ln sqrt
""".split())

RESERVED = {3: _OQ3_KEYWORDS | STDGATES | DEFINED_GATES, 2: _OQ2_KEYWORDS | QELIB1 | DEFINED_GATES}
_VALID = {3: re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z"), 2: re.compile(r"[a-z][A-Za-z0-9_]*\Z")}


@dataclass(frozen=True)
class Layout:
    """Exported registers tiling indices 0..n-1 in order: (name, start, size) each."""

    registers: tuple[Register, ...]

    def ref(self, index: int) -> str:
        """`name[local]` of a global qubit or bit index."""
        for reg in self.registers:
            if reg.start <= index < reg.start + reg.size:
                return f"{reg.name}[{index - reg.start}]"
        raise QasmExportError(f"index {index} lies outside the circuit's registers")

    def whole_register(self, indices: tuple[int, ...]) -> str | None:
        """The register whose indices are exactly `indices`, in order, or None."""
        for reg in self.registers:
            if indices == tuple(range(reg.start, reg.start + reg.size)):
                return reg.name
        return None


@dataclass(frozen=True)
class Names:
    """Every global identifier of one exported circuit."""

    qubits: Layout
    bits: Layout
    inputs: tuple[tuple[Arg, str, str], ...]  # (element, exported name, dtype) in declaration order
    taken: frozenset[str]

    def input_name(self, element: Arg) -> tuple[str, str] | None:
        """(exported name, dtype) of an argument element, or None if it is not an input."""
        return next(((name, dtype) for arg, name, dtype in self.inputs if arg == element), None)


class _Allocator:
    """Hands out free identifiers: mended to the dialect's syntax, then `_` until unused."""

    def __init__(self, version: int) -> None:
        self.version = version
        self.taken: set[str] = set(RESERVED[version])

    def take(self, wanted: str, prefix: str) -> str:
        name = re.sub(r"\W", "_", wanted, flags=re.ASCII) or prefix.rstrip("_")
        if not _VALID[self.version].match(name):
            name = prefix + name
        while name in self.taken:
            name += "_"
        self.taken.add(name)
        return name


def allocate(circuit: Circuit, version: int) -> Names:
    """Choose all names of `circuit`'s export (see the module docstring for the order)."""
    alloc = _Allocator(version)
    scalars = {a.name: alloc.take(a.name, "v_") for a in circuit.arguments if not a.shape}
    qubits = _layout(circuit.num_qubits, circuit.qubit_registers, "q", alloc)
    bits = _layout(circuit.num_bits, circuit.bit_registers, "c", alloc)
    inputs: list[tuple[Arg, str, str]] = []
    for arg in circuit.arguments:
        for index in itertools.product(*(range(n) for n in arg.shape)):
            name = scalars[arg.name] if not arg.shape else alloc.take(_element_name(arg.name, index), "v_")
            inputs.append((Arg(arg.name, index), name, arg.dtype))
    return Names(qubits, bits, tuple(inputs), frozenset(alloc.taken - RESERVED[version]))


def _element_name(name: str, index: tuple[int, ...]) -> str:
    return "_".join((name, *map(str, index)))


def _layout(size: int, registers: Iterable[Register], default: str, alloc: _Allocator) -> Layout:
    """Registers in index order, gaps filled with `default`-named ones; overlaps: one register."""
    regs = sorted((r for r in registers if r.size > 0), key=lambda r: r.start)
    ends = [r.start + r.size for r in regs]
    if any(r.start < end for r, end in zip(regs[1:], ends)) or any(e > size for e in ends):
        regs = []
    out: list[Register] = []
    position = 0
    for reg in regs + [Register(default, size, 0)]:  # an empty register at the end closes the last gap
        if reg.start > position:
            out.append(Register(alloc.take(default, default + "_"), position, reg.start - position))
        if reg.size:
            out.append(Register(alloc.take(reg.name, default + "_"), reg.start, reg.size))
        position = reg.start + reg.size
    return Layout(tuple(out))


def describe_argument(dtype: str, shape: tuple[int, ...], trainable: bool, name: str) -> str:
    """`param w: float[2, 3]`, the argument as the IR prints it (for comments)."""
    dims = f"[{', '.join(map(str, shape))}]" if shape else ""
    return f"{'param ' if trainable else ''}{name}: {dtype}{dims}"
