"""Independent numpy construction of the templates' unitaries, and the compile helper.

The expected matrices here are built from explicit 2x2 matrices and Kronecker
products written in this file; nothing is taken from `qdl.compiler.gates`.
Qubit order is qdl's: little-endian, bit i of a basis index is qubit i, so
in `np.kron(A, B)` the right factor acts on the lower qubit.
"""

from __future__ import annotations

import re
from functools import reduce
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np

from qdl.compiler.driver import compile_source
from qdl.compiler.ir import Circuit
from qdl.runtime.reference import unitary

REPO = Path(__file__).resolve().parents[2]
STDLIB = REPO / "stdlib"

I2 = np.eye(2, dtype=complex)
X = np.array([[0, 1], [1, 0]], dtype=complex)
Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
Z = np.array([[1, 0], [0, -1]], dtype=complex)
H = np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2)
P0 = np.diag([1, 0]).astype(complex)  # |0><0|
P1 = np.diag([0, 1]).astype(complex)  # |1><1|


def rotation(pauli: np.ndarray, theta: float) -> np.ndarray:
    """exp(-i theta P / 2) for a Pauli matrix P (P^2 = I)."""
    return np.cos(theta / 2) * np.eye(len(pauli)) - 1j * np.sin(theta / 2) * pauli


def rx(theta: float) -> np.ndarray:
    return rotation(X, theta)


def ry(theta: float) -> np.ndarray:
    return rotation(Y, theta)


def rz(theta: float) -> np.ndarray:
    return rotation(Z, theta)


def rot(phi: float, theta: float, omega: float) -> np.ndarray:
    """PennyLane's Rot matrix, written out (it equals RZ(omega) RY(theta) RZ(phi))."""
    c, s = np.cos(theta / 2), np.sin(theta / 2)
    return np.array([[np.exp(-0.5j * (phi + omega)) * c, -np.exp(0.5j * (phi - omega)) * s],
                     [np.exp(-0.5j * (phi - omega)) * s, np.exp(0.5j * (phi + omega)) * c]])


# --- operators on n qubits ------------------------------------------------------------


def on(qubit: int, matrix: np.ndarray, n: int) -> np.ndarray:
    """A one-qubit matrix on `qubit` of n (little-endian: qubit n-1 is the left factor)."""
    factors = [matrix if q == qubit else I2 for q in reversed(range(n))]
    return reduce(np.kron, factors, np.eye(1, dtype=complex))


def controlled(control: int, target: int, matrix: np.ndarray, n: int) -> np.ndarray:
    """|0><0|_c (x) I + |1><1|_c (x) M_t."""
    return on(control, P0, n) + on(control, P1, n) @ on(target, matrix, n)


def cnot(control: int, target: int, n: int) -> np.ndarray:
    return controlled(control, target, X, n)


def cz(a: int, b: int, n: int) -> np.ndarray:
    return controlled(a, b, Z, n)


def circuit(gates: Iterable[np.ndarray], n: int) -> np.ndarray:
    """The product of full-size matrices given in application order."""
    return reduce(lambda acc, g: g @ acc, gates, np.eye(2**n, dtype=complex))


def layer(matrices: Sequence[np.ndarray]) -> np.ndarray:
    """matrices[i] on qubit i, all at once."""
    return reduce(np.kron, list(reversed(matrices)), np.eye(1, dtype=complex))


def bits(n: int) -> np.ndarray:
    """(2**n, n) array: row j holds the little-endian bits of basis index j."""
    j = np.arange(2**n)
    return (j[:, None] >> np.arange(n)[None, :]) & 1


def zz_phase(couplings: Mapping[tuple[int, int], float], n: int) -> np.ndarray:
    """exp(-i sum_(a,b) c_ab Z_a Z_b), diagonal, from the basis-state spins directly."""
    spins = 1 - 2 * bits(n)
    energy = sum(c * spins[:, a] * spins[:, b] for (a, b), c in couplings.items())
    return np.diag(np.exp(-1j * np.asarray(energy, dtype=float) * np.ones(2**n)))


def dft(n: int) -> np.ndarray:
    """F[j, k] = exp(2 pi i j k / N) / sqrt(N)."""
    size = 2**n
    j = np.arange(size)
    return np.exp(2j * np.pi * np.outer(j, j) / size) / np.sqrt(size)


# --- compiling and simulating qdl --------------------------------------------------------


def compile_circuit(source: str, tmp_path: Path, name: str = "c") -> Circuit:
    """Compile a program that imports the stdlib; fail on any diagnostic, warnings included."""
    result = compile_source(source, filename="case.qdl", base_dir=tmp_path)
    assert not result.sink.diagnostics, result.render("short") + "\n" + source
    assert result.module is not None
    return result.module[name]


def qdl_unitary(source: str, tmp_path: Path, **args: object) -> np.ndarray:
    """The unitary of circuit `c` in `source` at the given (unbatched) arguments."""
    circ = compile_circuit(source, tmp_path)
    values = {k: np.asarray(v) for k, v in args.items()}
    return unitary(circ, circ.num_qubits, values)


def assert_unitary_equal(actual: np.ndarray, expected: np.ndarray) -> None:
    """Exact equality (global phase included), to round-off."""
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, atol=1e-10, rtol=0)


def qdl_array(values: np.ndarray | Sequence) -> str:
    """A qdl array literal for a (nested) list of ints."""
    return str(np.asarray(values).tolist()).replace(" ", "")


def stdlib_gate_names() -> set[str]:
    """Every `gate NAME` defined in stdlib/std/*.qdl."""
    names: set[str] = set()
    for path in (STDLIB / "std").glob("*.qdl"):
        names |= set(re.findall(r"^gate\s+([A-Za-z_]\w*)", path.read_text(), flags=re.M))
    return names
