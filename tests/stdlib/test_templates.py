"""The qdl standard library (stdlib/std/*.qdl) against independent numpy unitaries.

Each test compiles a small circuit that applies one template, takes its unitary
from the reference simulator and compares it, global phase included, with the
matrix built in `std_oracle` from explicit Kronecker products.
"""

from __future__ import annotations


import numpy as np
import pytest

from qdl.compiler.driver import compile_source

try:
    from . import std_oracle as o
except ImportError:  # tests/ is not a package: pytest put this directory on sys.path
    import std_oracle as o  # type: ignore[no-redef]

SEEDS = (0, 1)


def program(n: int, signature: str, body: str, consts: str = "", imports: str = "std/templates.qdl") -> str:
    """A circuit `c` on `qubit q[n]`; `id q;` first so untouched qubits count as used."""
    return (f'import "{imports}";\n{consts}\n'
            f"circuit c({signature}) -> float {{\n    qubit q[{n}];\n    id q;\n    {body}\n"
            f"    return expval(Z[0]);\n}}\n")


def angles(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.uniform(-np.pi, np.pi, size=shape)


# --- the library as files -----------------------------------------------------------------


def test_every_stdlib_file_compiles_without_diagnostics():
    files = sorted(o.STDLIB.rglob("*.qdl"))
    assert files, "no .qdl files under stdlib/"
    for path in files:
        # the OpenQASM preludes redefine standard names, as only OpenQASM programs may
        language_rules = {"allow_shadowing": True} if path.parent.name == "qasm" else {}
        result = _compile_library(path, **language_rules)
        assert not result.diagnostics, f"{path}:\n{[d.message for d in result.diagnostics]}"


def _compile_library(path, allow_shadowing: bool = False):
    from qdl.compiler.diagnostics import DiagnosticSink
    from qdl.compiler.frontend.modules import ModuleLoader
    from qdl.compiler.frontend.parser import parse
    from qdl.compiler.frontend.statements import CompileOptions

    sink = DiagnosticSink()
    program = parse(path.read_text(), path.name, sink)
    assert program is not None
    ModuleLoader(sink, CompileOptions(), allow_shadowing=allow_shadowing).compile_program(
        program, path.parent, path.resolve())
    return sink


@pytest.mark.parametrize("name", ["embeddings", "layers", "qaoa", "qft", "templates"])
def test_each_file_imports_on_its_own(name, tmp_path):
    src = program(2, "", "h q[0];", imports=f"std/{name}.qdl")
    o.compile_circuit(src, tmp_path)


COVERED = {
    "angle_embedding", "angle_embedding_x", "angle_embedding_y", "angle_embedding_z",
    "basis_embedding", "iqp_embedding",
    "cnot_ring", "cnot_chain", "cz_chain",
    "basic_entangler_layers", "basic_entangler_layers_y", "basic_entangler_layers_z",
    "strongly_entangling_layer", "strongly_entangling", "strongly_entangling_layers",
    "hardware_efficient", "hardware_efficient_layers", "simplified_two_design",
    "qaoa_cost", "qaoa_cost_weighted", "qaoa_mixer", "qaoa_layers",
    "qft", "iqft",
}


def test_every_stdlib_gate_has_a_unitary_test():
    assert o.stdlib_gate_names() == COVERED


# --- embeddings -----------------------------------------------------------------------------

ROTATIONS = {"angle_embedding": o.rx, "angle_embedding_x": o.rx,
             "angle_embedding_y": o.ry, "angle_embedding_z": o.rz}


@pytest.mark.parametrize("gate", sorted(ROTATIONS))
@pytest.mark.parametrize("k,n", [(1, 1), (2, 3), (3, 3), (4, 4)])
@pytest.mark.parametrize("seed", SEEDS)
def test_angle_embedding(gate, k, n, seed, tmp_path):
    x = angles(np.random.default_rng(seed), k)
    actual = o.qdl_unitary(program(n, f"x: float[{k}]", f"{gate}(x) q;"), tmp_path, x=x)
    expected = o.layer([ROTATIONS[gate](x[i]) if i < k else o.I2 for i in range(n)])
    o.assert_unitary_equal(actual, expected)


def test_angle_embedding_rejects_more_features_than_qubits(tmp_path):
    result = compile_source(program(2, "x: float[3]", "angle_embedding(x) q;"), "case.qdl", base_dir=tmp_path)
    assert not result.ok


def _flip_permutation(b: np.ndarray) -> np.ndarray:
    """|j> -> |j xor b>, with b read little-endian."""
    n, flip = len(b), int(sum(int(v) << i for i, v in enumerate(b)))
    out = np.zeros((2**n, 2**n), dtype=complex)
    out[np.arange(2**n) ^ flip, np.arange(2**n)] = 1
    return out


@pytest.mark.parametrize("n", [1, 2, 3, 4])
@pytest.mark.parametrize("seed", SEEDS)
def test_basis_embedding_from_an_argument(n, seed, tmp_path):
    b = np.random.default_rng(seed).integers(0, 2, size=n)
    actual = o.qdl_unitary(program(n, f"b: int[{n}]", "basis_embedding(b) q;"), tmp_path, b=b)
    o.assert_unitary_equal(actual, _flip_permutation(b))


def test_basis_embedding_from_a_constant(tmp_path):
    b = np.array([1, 0, 1, 1])
    src = program(4, "", "basis_embedding(B) q;", consts=f"const B = {o.qdl_array(b)};")
    actual = o.qdl_unitary(src, tmp_path)
    o.assert_unitary_equal(actual, _flip_permutation(b))
    assert actual[0b1101, 0] == 1  # |0000> -> |b> with b[0] the least significant bit


@pytest.mark.parametrize("n", [1, 2, 3, 4])
@pytest.mark.parametrize("seed", SEEDS)
def test_iqp_embedding(n, seed, tmp_path):
    x = angles(np.random.default_rng(seed), n)
    actual = o.qdl_unitary(program(n, f"x: float[{n}]", "iqp_embedding(x) q;"), tmp_path, x=x)
    couplings = {(i, j): x[i] * x[j] / 2 for i in range(n) for j in range(i + 1, n)}
    expected = o.zz_phase(couplings, n) @ o.layer([o.rz(v) for v in x]) @ o.layer([o.H] * n)
    o.assert_unitary_equal(actual, expected)


# --- entangler patterns and layers ---------------------------------------------------------------


def ring_pairs(n: int) -> list[tuple[int, int]]:
    """PennyLane's "ring" pattern: nothing for one wire, one CNOT for two."""
    if n == 1:
        return []
    if n == 2:
        return [(0, 1)]
    return [(i, (i + 1) % n) for i in range(n)]


PATTERNS = {
    "cnot_ring": lambda n: o.circuit([o.cnot(a, b, n) for a, b in ring_pairs(n)], n),
    "cnot_chain": lambda n: o.circuit([o.cnot(i, i + 1, n) for i in range(n - 1)], n),
    "cz_chain": lambda n: o.circuit([o.cz(i, i + 1, n) for i in range(n - 1)], n),
}


@pytest.mark.parametrize("gate", sorted(PATTERNS))
@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_entangler_patterns(gate, n, tmp_path):
    actual = o.qdl_unitary(program(n, "", f"{gate} q;"), tmp_path)
    o.assert_unitary_equal(actual, PATTERNS[gate](n))


BASIC = {"basic_entangler_layers": o.rx, "basic_entangler_layers_y": o.ry, "basic_entangler_layers_z": o.rz}
SHAPES = [(1, 1), (2, 2), (2, 3), (3, 4)]


@pytest.mark.parametrize("gate", sorted(BASIC))
@pytest.mark.parametrize("layers,n", SHAPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_basic_entangler_layers(gate, layers, n, seed, tmp_path):
    w = angles(np.random.default_rng(seed), layers, n)
    actual = o.qdl_unitary(program(n, f"w: float[{layers}, {n}]", f"{gate}(w) q;"), tmp_path, w=w)
    ring = PATTERNS["cnot_ring"](n)
    expected = o.circuit([ring @ o.layer([BASIC[gate](v) for v in w[l]]) for l in range(layers)], n)
    o.assert_unitary_equal(actual, expected)


def strongly_entangling_layer(w: np.ndarray, r: int) -> np.ndarray:
    n = len(w)
    rotations = o.layer([o.rot(*w[i]) for i in range(n)])
    if n == 1:
        return rotations
    return o.circuit([rotations] + [o.cnot(i, (i + r) % n, n) for i in range(n)], n)


@pytest.mark.parametrize("layers,n", [(1, 1), (2, 2), (3, 3), (4, 4), (2, 5)])
@pytest.mark.parametrize("seed", SEEDS)
def test_strongly_entangling_layers(layers, n, seed, tmp_path):
    w = angles(np.random.default_rng(seed), layers, n, 3)
    src = program(n, f"w: float[{layers}, {n}, 3]", "strongly_entangling_layers(w) q;")
    actual = o.qdl_unitary(src, tmp_path, w=w)
    ranges = [(l % (n - 1)) + 1 if n > 1 else 0 for l in range(layers)]  # PennyLane's default
    expected = o.circuit([strongly_entangling_layer(w[l], ranges[l]) for l in range(layers)], n)
    o.assert_unitary_equal(actual, expected)


@pytest.mark.parametrize("n,r", [(2, 1), (3, 2), (4, 3), (5, 2)])
def test_strongly_entangling_layer_with_a_range(n, r, tmp_path):
    w = angles(np.random.default_rng(n), n, 3)
    src = program(n, f"w: float[{n}, 3]", f"strongly_entangling_layer(w, {r}) q;")
    o.assert_unitary_equal(o.qdl_unitary(src, tmp_path, w=w), strongly_entangling_layer(w, r))


@pytest.mark.parametrize("n", [1, 2, 3])
def test_strongly_entangling_is_one_layer_of_range_one(n, tmp_path):
    w = angles(np.random.default_rng(n), 2, n, 3)
    body = "for l in 0..2 { strongly_entangling(w[l]) q; }"
    actual = o.qdl_unitary(program(n, f"w: float[2, {n}, 3]", body), tmp_path, w=w)
    expected = strongly_entangling_layer(w[1], 1) @ strongly_entangling_layer(w[0], 1)
    o.assert_unitary_equal(actual, expected)


def hardware_efficient_layer(w: np.ndarray) -> np.ndarray:
    n = len(w)
    rotations = o.layer([o.rz(w[i, 1]) @ o.ry(w[i, 0]) for i in range(n)])
    return PATTERNS["cz_chain"](n) @ rotations


@pytest.mark.parametrize("layers,n", SHAPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_hardware_efficient_layers(layers, n, seed, tmp_path):
    w = angles(np.random.default_rng(seed), layers, n, 2)
    src = program(n, f"w: float[{layers}, {n}, 2]", "hardware_efficient_layers(w) q;")
    actual = o.qdl_unitary(src, tmp_path, w=w)
    o.assert_unitary_equal(actual, o.circuit([hardware_efficient_layer(w[l]) for l in range(layers)], n))


@pytest.mark.parametrize("n", [1, 3])
def test_hardware_efficient_single_layer(n, tmp_path):
    w = angles(np.random.default_rng(n), n, 2)
    actual = o.qdl_unitary(program(n, f"w: float[{n}, 2]", "hardware_efficient(w) q;"), tmp_path, w=w)
    o.assert_unitary_equal(actual, hardware_efficient_layer(w))


def simplified_two_design(init: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Transcribed from PennyLane's SimplifiedTwoDesign.compute_decomposition."""
    n = len(init)
    gates = [o.layer([o.ry(v) for v in init])]
    pairs = [(i, i + 1) for i in range(0, n - 1, 2)] + [(i, i + 1) for i in range(1, n - 1, 2)]
    for weights in w:
        for k, (a, b) in enumerate(pairs):
            gates += [o.cz(a, b, n), o.on(a, o.ry(weights[k, 0]), n), o.on(b, o.ry(weights[k, 1]), n)]
    return o.circuit(gates, n)


@pytest.mark.parametrize("layers,n", [(1, 2), (2, 3), (2, 4), (1, 5)])
@pytest.mark.parametrize("seed", SEEDS)
def test_simplified_two_design(layers, n, seed, tmp_path):
    rng = np.random.default_rng(seed)
    init, w = angles(rng, n), angles(rng, layers, n - 1, 2)
    src = program(n, f"init: float[{n}], w: float[{layers}, {n - 1}, 2]", "simplified_two_design(init, w) q;")
    actual = o.qdl_unitary(src, tmp_path, init=init, w=w)
    o.assert_unitary_equal(actual, simplified_two_design(init, w))


# --- QAOA --------------------------------------------------------------------------------------


def random_edges(rng: np.random.Generator, n: int) -> np.ndarray:
    """Some distinct pairs, in random orientation, always at least one edge."""
    pairs = [(a, b) for a in range(n) for b in range(n) if a != b]
    count = rng.integers(1, n * (n - 1) // 2 + 1)
    return np.array([pairs[i] for i in rng.choice(len(pairs), size=count, replace=False)])


def mixer(beta: float, n: int) -> np.ndarray:
    """exp(-i beta X) on every qubit, written as cos/sin rather than as RX(2 beta)."""
    return o.layer([np.cos(beta) * o.I2 - 1j * np.sin(beta) * o.X] * n)


def cost(gamma: float, edges: np.ndarray, weights: np.ndarray | None = None) -> dict:
    couplings: dict[tuple[int, int], float] = {}
    for k, (a, b) in enumerate(edges):
        couplings[(a, b)] = couplings.get((a, b), 0.0) + gamma * (1.0 if weights is None else weights[k])
    return couplings


@pytest.mark.parametrize("n", [2, 3, 4, 5])
@pytest.mark.parametrize("seed", SEEDS)
def test_qaoa_cost(n, seed, tmp_path):
    rng = np.random.default_rng(seed)
    edges, gamma = random_edges(rng, n), rng.uniform(-2, 2)
    src = program(n, "g: float", "qaoa_cost(g, E) q;", consts=f"const E = {o.qdl_array(edges)};")
    actual = o.qdl_unitary(src, tmp_path, g=gamma)
    o.assert_unitary_equal(actual, o.zz_phase(cost(gamma, edges), n))


@pytest.mark.parametrize("n", [2, 4])
@pytest.mark.parametrize("seed", SEEDS)
def test_qaoa_cost_weighted(n, seed, tmp_path):
    rng = np.random.default_rng(seed)
    edges, gamma = random_edges(rng, n), rng.uniform(-2, 2)
    weights = rng.normal(size=len(edges))
    src = program(n, f"g: float, c: float[{len(edges)}]", "qaoa_cost_weighted(g, E, c) q;",
                  consts=f"const E = {o.qdl_array(edges)};")
    actual = o.qdl_unitary(src, tmp_path, g=gamma, c=weights)
    o.assert_unitary_equal(actual, o.zz_phase(cost(gamma, edges, weights), n))


@pytest.mark.parametrize("n", [1, 3])
def test_qaoa_mixer(n, tmp_path):
    beta = 0.37 * n
    actual = o.qdl_unitary(program(n, "b: float", "qaoa_mixer(b) q;"), tmp_path, b=beta)
    o.assert_unitary_equal(actual, mixer(beta, n))


@pytest.mark.parametrize("p,n", [(1, 2), (2, 3), (3, 4)])
def test_qaoa_layers(p, n, tmp_path):
    rng = np.random.default_rng(p)
    edges, gammas, betas = random_edges(rng, n), angles(rng, p), angles(rng, p)
    src = program(n, f"g: float[{p}], b: float[{p}]", "qaoa_layers(g, b, E) q;",
                  consts=f"const E = {o.qdl_array(edges)};")
    actual = o.qdl_unitary(src, tmp_path, g=gammas, b=betas)
    rounds = [mixer(betas[t], n) @ o.zz_phase(cost(gammas[t], edges), n) for t in range(p)]
    o.assert_unitary_equal(actual, o.circuit(rounds, n))


def test_qaoa_maxcut_relation_documented_in_qaoa_qdl(tmp_path):
    """exp(-i g C_cut) = qaoa_cost(-g/2) up to the phase exp(-i g m / 2)."""
    edges, g, n = np.array([[0, 1], [1, 2], [0, 2]]), 0.83, 3
    src = program(n, "g: float", "qaoa_cost(-g / 2, E) q;", consts=f"const E = {o.qdl_array(edges)};")
    spins = 1 - 2 * o.bits(n)
    c_cut = sum((1 - spins[:, a] * spins[:, b]) / 2 for a, b in edges)
    expected = np.diag(np.exp(-1j * g * c_cut)) * np.exp(1j * g * len(edges) / 2)
    o.assert_unitary_equal(o.qdl_unitary(src, tmp_path, g=g), expected)


# --- QFT --------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_qft_is_the_little_endian_dft(n, tmp_path):
    actual = o.qdl_unitary(program(n, "", "qft q;"), tmp_path)
    o.assert_unitary_equal(actual, o.dft(n))
    # the same map as numpy's (unnormalised-inverse) FFT of the amplitudes
    psi = np.random.default_rng(n).normal(size=2**n) + 0j
    np.testing.assert_allclose(actual @ psi, np.fft.ifft(psi) * np.sqrt(2**n), atol=1e-10)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_iqft_is_the_inverse(n, tmp_path):
    actual = o.qdl_unitary(program(n, "", "iqft q;"), tmp_path)
    o.assert_unitary_equal(actual, o.dft(n).conj().T)
    o.assert_unitary_equal(o.qdl_unitary(program(n, "", "qft q; iqft q;"), tmp_path), np.eye(2**n))


def test_qft_on_a_slice_of_a_register(tmp_path):
    """qft q[1:4] on 5 qubits reads k from q[1] (least significant) to q[3]."""
    actual = o.qdl_unitary(program(5, "", "qft q[1:4];"), tmp_path)
    o.assert_unitary_equal(actual, np.kron(np.eye(2), np.kron(o.dft(3), np.eye(2))))


# --- templates are gates: modifiers apply -------------------------------------------------------


def test_inv_of_a_template_is_its_adjoint(tmp_path):
    w = angles(np.random.default_rng(7), 2, 3, 3)
    src = program(3, "w: float[2, 3, 3]", "inv @ strongly_entangling_layers(w) q;")
    expected = strongly_entangling_layer(w[1], 2) @ strongly_entangling_layer(w[0], 1)
    o.assert_unitary_equal(o.qdl_unitary(src, tmp_path, w=w), expected.conj().T)


def test_ctrl_of_a_template_acts_on_the_target_register(tmp_path):
    """ctrl @ qft c, q[1:4]: with the control q[0] as the least significant qubit."""
    actual = o.qdl_unitary(program(4, "", "ctrl @ qft q[0], q[1:4];"), tmp_path)
    expected = np.kron(np.eye(8), o.P0) + np.kron(o.dft(3), o.P1)
    o.assert_unitary_equal(actual, expected)
