"""The gate table checked numerically against its own claims and textbook matrices."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qdl.compiler import gates
from qdl.compiler.expr import Const, Expr
from qdl.compiler.gates import (
    ALIASES, GATES, canonical_name, controlled_form, controlled_matrix, lookup, power_form,
    unitary_of,
)

ALL = sorted(GATES)
PARAMETRIC = [name for name in ALL if GATES[name].num_params]
PRIMITIVES = {"x", "y", "z", "h", "rx", "ry", "rz", "gphase", "cx"}
R2 = 1 / math.sqrt(2)
X = np.array([[0, 1], [1, 0]], dtype=complex)
Y = np.array([[0, -1j], [1j, 0]])
Z = np.diag([1.0 + 0j, -1.0])
H = np.array([[1, 1], [1, -1]]) * R2
I2 = np.eye(2)


def random_params(name: str, rng: np.random.Generator, scale: float = math.pi) -> tuple[float, ...]:
    return tuple(rng.uniform(-scale, scale, GATES[name].num_params))


def values(params: tuple[Expr, ...]) -> list[float]:
    return [float(p.evaluate({})) for p in params]


def embed(matrix: np.ndarray, positions: tuple[int, ...], k: int) -> np.ndarray:
    """`matrix` on local `positions` of a k-qubit register; position 0 is the most significant bit."""
    width = len(positions)
    out = np.zeros((2**k, 2**k), dtype=complex)
    for col in range(2**k):
        bits = [(col >> (k - 1 - q)) & 1 for q in range(k)]
        local_col = sum(bits[p] << (width - 1 - i) for i, p in enumerate(positions))
        for local_row in range(2**width):
            for i, p in enumerate(positions):
                bits[p] = (local_row >> (width - 1 - i)) & 1
            out[sum(b << (k - 1 - q) for q, b in enumerate(bits)), col] += matrix[local_row, local_col]
    return out


def decomposed_matrix(name: str, params: tuple[float, ...], depth: int = 0) -> np.ndarray:
    """Multiply out the decomposition, recursively down to primitives (fails on cycles)."""
    spec = GATES[name]
    if spec.decomposition is None:
        return spec.matrix(*params)
    assert depth < 10, f"decomposition of {name} does not terminate"
    total = np.eye(spec.dim, dtype=complex)
    for gate, qubits, sub_params in spec.decomposition(tuple(Const(p) for p in params)):
        part = decomposed_matrix(gate, tuple(values(sub_params)), depth + 1)
        total = (part[0, 0] * total) if GATES[gate].num_qubits == 0 else embed(part, qubits, spec.num_qubits) @ total
    return total


def principal_power(matrix: np.ndarray, exponent: float) -> np.ndarray:
    """exp(k log U) with the principal log; an eigenvalue -1 counts as e^{+iπ}."""
    eigenvalues, vectors = np.linalg.eig(matrix)
    phases = np.angle(eigenvalues)
    phases = np.where(phases < -math.pi + 1e-9, math.pi, phases)
    return vectors @ np.diag(np.exp(1j * exponent * phases)) @ np.linalg.inv(vectors)


# --- structure ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_spec_is_well_formed(name: str) -> None:
    spec = GATES[name]
    assert spec.name == name == name.lower()
    assert spec.doc and "\n" not in spec.doc
    assert len(spec.generator_eigenvalues) == spec.num_params
    for spectrum in spec.generator_eigenvalues:
        assert spectrum is not None and len(spectrum) == spec.dim
    assert (spec.decomposition is None) == (name in PRIMITIVES)


@pytest.mark.parametrize("name", ALL)
def test_matrix_is_unitary_and_batches(name: str) -> None:
    spec, rng = GATES[name], np.random.default_rng(1)
    matrix = spec.matrix(*random_params(name, rng))
    assert matrix.shape == (spec.dim, spec.dim) and matrix.dtype == np.complex128
    np.testing.assert_allclose(matrix @ matrix.conj().T, np.eye(spec.dim), atol=1e-12)
    if not spec.num_params:
        return
    batch = rng.uniform(-4, 4, (spec.num_params, 5))
    batched = spec.matrix(*batch)
    assert batched.shape == (5, spec.dim, spec.dim)
    for b in range(5):
        np.testing.assert_allclose(batched[b], spec.matrix(*batch[:, b]), atol=1e-14)


def test_batched_params_broadcast_with_scalars() -> None:
    batched = GATES["u3"].matrix(np.array([0.1, 0.2, 0.3]), 0.5, -0.2)
    assert batched.shape == (3, 2, 2)
    np.testing.assert_allclose(batched[1], unitary_of("u3", [0.2, 0.5, -0.2]), atol=1e-15)


@pytest.mark.parametrize("name", ALL)
def test_inverse_is_exact(name: str) -> None:
    spec = GATES[name]
    params = random_params(name, np.random.default_rng(2))
    inverse, inverse_params = spec.inverse(tuple(Const(p) for p in params))
    product = unitary_of(inverse, values(inverse_params)) @ spec.matrix(*params)
    np.testing.assert_allclose(product, np.eye(spec.dim), atol=1e-12)


def test_inverse_is_symbolic() -> None:
    from qdl.compiler.expr import Arg

    theta = Arg("theta")
    assert GATES["rx"].inverse((theta,)) == ("rx", (-theta,))
    assert GATES["s"].inverse(()) == ("sdg", ())
    a, b, c = Arg("a"), Arg("b"), Arg("c")
    assert GATES["u3"].inverse((a, b, c)) == ("u3", (-a, -c, -b))


@pytest.mark.parametrize("name", [n for n in ALL if GATES[n].decomposition])
def test_decomposition_is_exact_including_phase(name: str) -> None:
    for seed in range(3):
        params = random_params(name, np.random.default_rng(seed))
        np.testing.assert_allclose(decomposed_matrix(name, params), GATES[name].matrix(*params), atol=1e-12)


@pytest.mark.parametrize("name", [n for n in ALL if GATES[n].decomposition])
def test_decomposition_stays_local(name: str) -> None:
    spec = GATES[name]
    params = tuple(Const(p) for p in random_params(name, np.random.default_rng(3)))
    for gate, qubits, sub_params in spec.decomposition(params):
        assert gate in GATES
        assert len(qubits) == GATES[gate].num_qubits == len(set(qubits))
        assert all(0 <= q < spec.num_qubits for q in qubits)
        assert len(sub_params) == GATES[gate].num_params and all(isinstance(p, Expr) for p in sub_params)


@pytest.mark.parametrize("name", PARAMETRIC)
def test_generator_spectrum(name: str) -> None:
    """G_j = i (dU/dθ_j) U† is Hermitian, constant, and has the tabulated spectrum."""
    spec, rng, step = GATES[name], np.random.default_rng(4), 1e-6
    for trial in range(2):
        params = np.array(random_params(name, rng))
        for j, spectrum in enumerate(spec.generator_eigenvalues):
            shift = np.eye(spec.num_params)[j] * step
            derivative = (spec.matrix(*(params + shift)) - spec.matrix(*(params - shift))) / (2 * step)
            generator = 1j * derivative @ spec.matrix(*params).conj().T
            np.testing.assert_allclose(generator, generator.conj().T, atol=1e-8)
            np.testing.assert_allclose(np.linalg.eigvalsh(generator), spectrum, atol=1e-8)
            assert list(spectrum) == sorted(spectrum)


def _has(matrix: np.ndarray, flag: str) -> bool:
    off_diagonal = matrix - np.diag(np.diag(matrix))
    return {
        "diagonal": np.allclose(off_diagonal, 0, atol=1e-12),
        "permutation": np.allclose(matrix, np.round(matrix.real), atol=1e-12)
        and set(np.round(matrix.real).ravel()) <= {0.0, 1.0},
        "self_inverse": np.allclose(matrix @ matrix, np.eye(len(matrix)), atol=1e-12),
        "hermitian": np.allclose(matrix, matrix.conj().T, atol=1e-12),
    }[flag]


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("flag", ["diagonal", "permutation", "self_inverse", "hermitian"])
def test_flags_are_truthful(name: str, flag: str) -> None:
    spec, rng = GATES[name], np.random.default_rng(5)
    for _ in range(3):
        assert _has(spec.matrix(*random_params(name, rng)), flag) == getattr(spec, flag), (name, flag)


# --- names and modifiers -------------------------------------------------------------


def test_aliases_resolve_to_canonical_gates() -> None:
    for alias, target in ALIASES.items():
        assert target in GATES and alias not in GATES
        assert lookup(alias) is GATES[target]
    for alias, target in {"cnot": "cx", "toffoli": "ccx", "p": "phase", "u": "u3", "i": "id",
                          "fredkin": "cswap", "cp": "cphase"}.items():
        assert canonical_name(alias) == target
    assert lookup("nope") is None and canonical_name("nope") is None
    assert canonical_name("rx") == "rx"


EXPECTED_CONTROLLED = {("x", 1): "cx", ("x", 2): "ccx", ("y", 1): "cy", ("z", 1): "cz", ("h", 1): "ch",
                       ("rx", 1): "crx", ("ry", 1): "cry", ("rz", 1): "crz", ("phase", 1): "cphase",
                       ("swap", 1): "cswap", ("cnot", 1): "ccx", ("p", 1): "cphase"}


def test_controlled_form_names() -> None:
    for (name, count), expected in EXPECTED_CONTROLLED.items():
        assert controlled_form(name, count) == expected
    assert controlled_form("h", 2) is None and controlled_form("rx", 2) is None
    assert controlled_form("iswap", 1) is None and controlled_form("nope", 1) is None


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("count", [1, 2])
def test_controlled_form_matrices(name: str, count: int) -> None:
    target = controlled_form(name, count)
    if target is None:
        return
    params = random_params(name, np.random.default_rng(6))
    expected = controlled_matrix(GATES[name].matrix(*params), (True,) * count)
    np.testing.assert_allclose(unitary_of(target, params), expected, atol=1e-14)


def test_controlled_matrix_negative_controls_and_batch() -> None:
    np.testing.assert_allclose(controlled_matrix(X, (False,)), np.kron(np.diag([0, 1]), I2) + np.kron(np.diag([1, 0]), X))
    batch = GATES["rx"].matrix(np.array([0.1, 0.2]))
    out = controlled_matrix(batch, (True, False))
    assert out.shape == (2, 8, 8)
    np.testing.assert_allclose(out[1][4:6, 4:6], batch[1])
    np.testing.assert_allclose(out[1][6:8, 6:8], I2)


POWER_CASES = ["rx", "ry", "rz", "phase", "u1", "gphase", "crx", "cry", "crz", "cphase", "rxx", "ryy",
               "rzz", "single_excitation", "double_excitation", "z", "s", "sdg", "t", "tdg", "cz", "id"]


@pytest.mark.parametrize("name", POWER_CASES)
@pytest.mark.parametrize("exponent", [0.5, -0.5, 0.3, 1.7])
def test_power_form_is_the_principal_power(name: str, exponent: float) -> None:
    params = random_params(name, np.random.default_rng(7), scale=0.9 * math.pi)
    form = power_form(name, tuple(Const(p) for p in params), exponent)
    assert form is not None
    total = np.eye(GATES[name].dim, dtype=complex)
    for gate, gate_params in form:
        total = unitary_of(gate, values(gate_params)) @ total
    np.testing.assert_allclose(total, principal_power(GATES[name].matrix(*params), exponent), atol=1e-10)


def test_power_form_of_x_and_unsupported() -> None:
    assert power_form("x", (), 0.5) == (("sx", ()),)
    assert power_form("x", (), -0.5) == (("sxdg", ()),)
    np.testing.assert_allclose(unitary_of("sx"), principal_power(X, 0.5), atol=1e-12)
    np.testing.assert_allclose(unitary_of("sxdg"), principal_power(X, -0.5), atol=1e-12)
    assert power_form("x", (), 0.25) is None
    assert power_form("h", (), 0.5) is None
    assert power_form("u3", (Const(0.1), Const(0.2), Const(0.3)), 0.5) is None


# --- conventions: textbook / PennyLane / OpenQASM 3 spot values -------------------------------


def rot_z(t: float) -> np.ndarray:
    return np.diag([np.exp(-0.5j * t), np.exp(0.5j * t)])


def rot_y(t: float) -> np.ndarray:
    return np.array([[math.cos(t / 2), -math.sin(t / 2)], [math.sin(t / 2), math.cos(t / 2)]])


def test_spot_values_one_qubit() -> None:
    a, b, c = 0.7, -1.2, 2.3
    np.testing.assert_allclose(unitary_of("rx", [math.pi]), -1j * X, atol=1e-15)
    np.testing.assert_allclose(unitary_of("ry", [a]), rot_y(a), atol=1e-15)
    np.testing.assert_allclose(unitary_of("rz", [a]), rot_z(a), atol=1e-15)
    np.testing.assert_allclose(unitary_of("phase", [a]), np.diag([1, np.exp(1j * a)]), atol=1e-15)
    np.testing.assert_allclose(unitary_of("u3", [math.pi / 2, 0, math.pi]), H, atol=1e-15)
    u3 = [[math.cos(a / 2), -np.exp(1j * c) * math.sin(a / 2)],
          [np.exp(1j * b) * math.sin(a / 2), np.exp(1j * (b + c)) * math.cos(a / 2)]]
    np.testing.assert_allclose(unitary_of("u3", [a, b, c]), u3, atol=1e-15)
    np.testing.assert_allclose(unitary_of("u2", [b, c]), unitary_of("u3", [math.pi / 2, b, c]), atol=1e-15)
    np.testing.assert_allclose(unitary_of("rot", [a, b, c]), rot_z(c) @ rot_y(b) @ rot_z(a), atol=1e-15)
    np.testing.assert_allclose(unitary_of("gphase", [a]), [[np.exp(1j * a)]], atol=1e-15)
    np.testing.assert_allclose(unitary_of("sx"), [[(1 + 1j) / 2, (1 - 1j) / 2], [(1 - 1j) / 2, (1 + 1j) / 2]])
    np.testing.assert_allclose(unitary_of("t"), np.diag([1, np.exp(1j * math.pi / 4)]), atol=1e-15)


def test_spot_values_multi_qubit() -> None:
    a = 0.9
    cx = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]
    np.testing.assert_allclose(unitary_of("cx"), cx)
    np.testing.assert_allclose(unitary_of("iswap"), [[1, 0, 0, 0], [0, 0, 1j, 0], [0, 1j, 0, 0], [0, 0, 0, 1]])
    np.testing.assert_allclose(unitary_of("cphase", [a]), np.diag([1, 1, 1, np.exp(1j * a)]), atol=1e-15)
    np.testing.assert_allclose(unitary_of("crz", [a]), np.diag([1, 1, np.exp(-0.5j * a), np.exp(0.5j * a)]), atol=1e-15)
    expected_rxx = math.cos(a / 2) * np.eye(4) - 1j * math.sin(a / 2) * np.kron(X, X)
    np.testing.assert_allclose(unitary_of("rxx", [a]), expected_rxx, atol=1e-15)
    np.testing.assert_allclose(unitary_of("ch")[2:, 2:], H, atol=1e-15)
    np.testing.assert_allclose(unitary_of("cy")[2:, 2:], Y, atol=1e-15)
    np.testing.assert_allclose(unitary_of("ccx")[6:, 6:], X)
    assert unitary_of("cswap")[6, 5] == 1 and unitary_of("cswap")[5, 6] == 1


def test_excitations_follow_pennylane() -> None:
    a = 0.8
    c, s = math.cos(a / 2), math.sin(a / 2)
    single = unitary_of("single_excitation", [a])
    np.testing.assert_allclose(single[:, 0b01], [0, c, s, 0], atol=1e-15)  # |01> -> c|01> + s|10>
    np.testing.assert_allclose(single[:, 0b10], [0, -s, c, 0], atol=1e-15)  # |10> -> c|10> - s|01>
    double = unitary_of("double_excitation", [a])
    column = np.zeros(16)
    column[0b0011], column[0b1100] = c, s
    np.testing.assert_allclose(double[:, 0b0011], column, atol=1e-15)
    assert double[0b0011, 0b1100] == pytest.approx(-s) and double[0b1100, 0b1100] == pytest.approx(c)
    np.testing.assert_allclose(np.delete(np.delete(double, [3, 12], 0), [3, 12], 1), np.eye(14))


def test_qelib1_controlled_definitions_match_the_table() -> None:
    """qelib1.inc bodies, built from our gates (qelib1's rz is u1), equal our crz, cphase, ctrl@u3."""
    a, b, c = 0.7, 0.3, -1.1
    t, ctl = (lambda m: np.kron(I2, m)), (lambda m: np.kron(m, I2))
    cx, u1, u3 = unitary_of("cx"), (lambda x: unitary_of("u1", [x])), (lambda *p: unitary_of("u3", p))

    def product(*factors: np.ndarray) -> np.ndarray:  # application order
        total = np.eye(4, dtype=complex)
        for factor in factors:
            total = factor @ total
        return total

    crz = product(t(u1(a / 2)), cx, t(u1(-a / 2)), cx)
    np.testing.assert_allclose(crz, unitary_of("crz", [a]), atol=1e-14)
    cu1 = product(ctl(u1(a / 2)), cx, t(u1(-a / 2)), cx, t(u1(a / 2)))
    np.testing.assert_allclose(cu1, unitary_of("cphase", [a]), atol=1e-14)
    cu3 = product(ctl(u1((c + b) / 2)), t(u1((c - b) / 2)), cx, t(u3(-a / 2, 0, -(b + c) / 2)), cx, t(u3(a / 2, b, 0)))
    np.testing.assert_allclose(cu3, controlled_matrix(u3(a, b, c), (True,)), atol=1e-14)


def test_unitary_of_rejects_bad_calls() -> None:
    with pytest.raises(KeyError):
        unitary_of("nope")
    with pytest.raises(ValueError):
        unitary_of("rx", [])
    assert gates.GATES["gphase"].num_qubits == 0
