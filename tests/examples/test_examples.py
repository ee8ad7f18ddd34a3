"""Every example runs through `qdlc` and gives the values of an independent numpy model."""

from __future__ import annotations

import importlib
import json
import math
import subprocess
import sys
from functools import reduce
from pathlib import Path

import numpy as np
import pytest

import qdl

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
ALL_QDL = sorted(p.relative_to(REPO).as_posix() for p in EXAMPLES.glob("*.qdl"))


def results(outcome) -> list:
    """The values of `qdlc run --format json` output, after checking it succeeded."""
    assert outcome.code == 0, outcome.err
    payload = json.loads(outcome.out)
    return [item["value"] for item in payload["results"]]


def test_the_examples_are_there():
    names = {Path(p).name for p in ALL_QDL}
    assert {"ghz.qdl", "teleport.qdl", "qaoa_maxcut.qdl", "classifier.qdl", "vqe_h2.qdl"} <= names


def test_check_all_examples_is_silent(qdlc):
    outcome = qdlc("check", *ALL_QDL)
    assert (outcome.code, outcome.out, outcome.err) == (0, "", "")


# ---------------------------------------------------------------- numpy oracle
# Little-endian: bit i of a basis index is qubit i, so the full operator of a
# one-qubit gate g on qubit i is kron(I, ..., g, ..., I) with qubit n-1 first.

I2 = np.eye(2)
X = np.array([[0, 1], [1, 0]], dtype=complex)
Z = np.diag([1.0, -1.0]).astype(complex)


def on_qubit(gate: np.ndarray, qubit: int, n: int) -> np.ndarray:
    factors = [gate if q == qubit else I2 for q in reversed(range(n))]
    return reduce(np.kron, factors)


def cnot(control: int, target: int, n: int) -> np.ndarray:
    dim = 2**n
    out = np.zeros((dim, dim))
    for k in range(dim):
        out[k ^ (1 << target) if (k >> control) & 1 else k, k] = 1
    return out


def rx(t: float) -> np.ndarray:
    return np.array([[math.cos(t / 2), -1j * math.sin(t / 2)], [-1j * math.sin(t / 2), math.cos(t / 2)]])


def ry(t: float) -> np.ndarray:
    return np.array([[math.cos(t / 2), -math.sin(t / 2)], [math.sin(t / 2), math.cos(t / 2)]], dtype=complex)


def rz(t: float) -> np.ndarray:
    return np.diag([np.exp(-0.5j * t), np.exp(0.5j * t)])


def expval_z0(psi: np.ndarray, n: int) -> float:
    return float(np.real(np.vdot(psi, on_qubit(Z, 0, n) @ psi)))


# ---------------------------------------------------------------- GHZ


def test_ghz_probs_are_half_and_half(qdlc):
    probs, samples = results(qdlc("run", "examples/ghz.qdl", "--shots", "200", "--seed", "7", "--format", "json"))
    expected = np.zeros(32)
    expected[0] = expected[31] = 0.5
    np.testing.assert_allclose(probs, expected, atol=1e-12)
    rows = {tuple(row) for row in samples}
    assert len(samples) == 200
    assert rows == {(0,) * 5, (1,) * 5}


def test_ghz_sampling_is_reproducible(qdlc):
    first = qdlc("run", "examples/ghz.qdl", "--shots", "50", "--seed", "3")
    again = qdlc("run", "examples/ghz.qdl", "--shots", "50", "--seed", "3")
    assert first.code == 0 and first.out == again.out
    other = qdlc("run", "examples/ghz.qdl", "--shots", "50", "--seed", "4")
    assert other.code == 0 and other.out != first.out


def test_ghz_text_output(qdlc):
    outcome = qdlc("run", "examples/ghz.qdl", "--shots", "2", "--seed", "1")
    assert outcome.code == 0, outcome.err
    assert outcome.out.startswith("probs(0, 1, 2, 3, 4): [0.5, 0. ,")
    assert "sample(0, 1, 2, 3, 4): [[" in outcome.out


# ---------------------------------------------------------------- teleportation


@pytest.mark.parametrize("theta, phi", [(0.0, 0.0), (0.7, 0.3), (math.pi / 2, -1.2), (2.5, 2.0), (math.pi, 0.4)])
def test_teleport_moves_the_state(qdlc, theta, phi):
    z, x, y, probs = results(qdlc("run", "examples/teleport.qdl", "--arg", f"theta={theta!r}",
                                  "--arg", f"phi={phi!r}", "--format", "json"))
    # the message state ry(theta) rz(phi)|0> as a 2-vector, and its Bloch vector
    psi = rz(phi) @ ry(theta) @ np.array([1, 0], dtype=complex)
    Y = np.array([[0, -1j], [1j, 0]])
    bloch = [np.real(np.vdot(psi, P @ psi)) for P in (Z, X, Y)]
    np.testing.assert_allclose([z, x, y], bloch, atol=1e-12)
    np.testing.assert_allclose([z, x, y], [math.cos(theta), math.sin(theta) * math.cos(phi),
                                           math.sin(theta) * math.sin(phi)], atol=1e-12)
    np.testing.assert_allclose(probs, np.abs(psi) ** 2, atol=1e-12)


def test_teleport_batched_over_angles():
    theta = np.linspace(0, math.pi, 7)
    z, x, y, probs = qdl.load(EXAMPLES / "teleport.qdl").teleport(theta, 0.5)
    np.testing.assert_allclose(z, np.cos(theta), atol=1e-12)
    np.testing.assert_allclose(x, np.sin(theta) * math.cos(0.5), atol=1e-12)
    assert probs.shape == (7, 2)


# ---------------------------------------------------------------- QAOA MaxCut

N_QAOA = 5
EDGES = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 0), (0, 2)]


def qaoa_numpy(gamma, beta, n: int = N_QAOA, edges=EDGES) -> tuple[float, np.ndarray]:
    """<CUT> and the probabilities, with the cost layer exp(-i g sum Z_a Z_b)."""
    dim = 2**n
    z = np.array([[1 - 2 * ((k >> q) & 1) for q in range(n)] for k in range(dim)])
    zz = sum(z[:, a] * z[:, b] for a, b in edges)                       # diagonal of sum Z_a Z_b
    cut = sum((1 - z[:, a] * z[:, b]) / 2 for a, b in edges)           # diagonal of CUT
    mixer = lambda b: reduce(np.kron, [rx(2 * b)] * n)                  # exp(-i b sum X_i)
    psi = np.full(dim, dim**-0.5, dtype=complex)
    for g, b in zip(gamma, beta):
        psi = mixer(b) @ (np.exp(-1j * g * zz) * psi)
    probs = np.abs(psi) ** 2
    return float(probs @ cut), probs


@pytest.mark.parametrize("gamma, beta", [([0.4, 0.2], [0.3, 0.1]), ([-0.31, 0.15], [-1.18, -0.26]),
                                         ([0.0, 0.0], [0.0, 0.0]), ([1.1, -0.7], [0.9, 2.0])])
def test_qaoa_expected_cut_matches_numpy(qdlc, gamma, beta):
    [value] = results(qdlc("run", "examples/qaoa_maxcut.qdl", "--circuit", "expected_cut",
                           "--arg", f"gamma={json.dumps(gamma)}", "--arg", f"beta={json.dumps(beta)}",
                           "--format", "json"))
    want, probs = qaoa_numpy(gamma, beta)
    assert value == pytest.approx(want, abs=1e-10)
    [got_probs] = results(qdlc("run", "examples/qaoa_maxcut.qdl", "--circuit", "cut_probabilities",
                               "--arg", f"gamma={json.dumps(gamma)}", "--arg", f"beta={json.dumps(beta)}",
                               "--format", "json"))
    np.testing.assert_allclose(got_probs, probs, atol=1e-12)


def test_qaoa_batched_grid_matches_numpy():
    program = qdl.load(EXAMPLES / "qaoa_maxcut.qdl")
    gamma = np.array([[0.1, 0.0], [0.5, -0.2], [-0.3, 0.4]])
    beta = np.array([[0.2, 0.0], [0.1, 0.3], [1.0, -0.5]])
    values = program.expected_cut(gamma, beta)
    assert values.shape == (3,)
    np.testing.assert_allclose(values, [qaoa_numpy(g, b)[0] for g, b in zip(gamma, beta)], atol=1e-10)


def test_qaoa_needs_circuit_choice(qdlc):
    outcome = qdlc("run", "examples/qaoa_maxcut.qdl")
    assert outcome.code == 2
    assert "choose one with --circuit NAME" in outcome.err


# ---------------------------------------------------------------- classifier

N_CLS, L_CLS = 4, 2


def classifier_numpy(x: np.ndarray, w: np.ndarray) -> float:
    n = N_CLS
    psi = np.zeros(2**n, dtype=complex)
    psi[0] = 1
    for l in range(L_CLS):
        for i in range(n):
            psi = on_qubit(rx(x[i]), i, n) @ psi
        for i in range(n):
            a, b, c = w[l, i]
            psi = on_qubit(rz(c) @ ry(b) @ rz(a), i, n) @ psi
        for i in range(n):
            psi = cnot(i, (i + 1) % n, n) @ psi
    return expval_z0(psi, n)


def test_classifier_matches_numpy(qdlc, tmp_path):
    rng = np.random.default_rng(11)
    x = rng.uniform(-1, 1, N_CLS)
    w = rng.uniform(-np.pi, np.pi, (L_CLS, N_CLS, 3))
    np.save(tmp_path / "w.npy", w)
    [value] = results(qdlc("run", "examples/classifier.qdl", "--arg", f"x={json.dumps(x.tolist())}",
                           "--arg", f"w=@{tmp_path / 'w.npy'}", "--format", "json"))
    assert value == pytest.approx(classifier_numpy(x, w), abs=1e-10)


def test_classifier_batched_over_data_rows():
    rng = np.random.default_rng(5)
    data = rng.uniform(-np.pi, np.pi, (6, N_CLS))
    w = rng.uniform(-np.pi, np.pi, (L_CLS, N_CLS, 3))
    classify = qdl.load(EXAMPLES / "classifier.qdl").classify
    values = classify(data, w)
    assert values.shape == (6,)
    np.testing.assert_allclose(values, [classifier_numpy(row, w) for row in data], atol=1e-10)
    assert classify(x=data[2], w=w) == pytest.approx(values[2], abs=1e-12)


# ---------------------------------------------------------------- VQE H2

HARTREE_FOCK = -1.11734903
GROUND_STATE = -1.13618945


def test_vqe_hartree_fock_energy(qdlc):
    [energy] = results(qdlc("run", "examples/vqe_h2.qdl", "--arg", "theta=0", "--format", "json"))
    assert energy == pytest.approx(HARTREE_FOCK, abs=1e-8)


def test_vqe_minimum_by_scan_and_refine(qdlc):
    energy = qdl.load(EXAMPLES / "vqe_h2.qdl").energy
    grid = np.linspace(-math.pi, math.pi, 129)
    lo = grid[int(np.argmin(energy(grid)))] - (grid[1] - grid[0])
    hi = lo + 2 * (grid[1] - grid[0])
    for _ in range(8):  # zoom in with batched scans
        grid = np.linspace(lo, hi, 41)
        best = grid[int(np.argmin(energy(grid)))]
        lo, hi = best - (grid[1] - grid[0]), best + (grid[1] - grid[0])
    [at_min] = results(qdlc("run", "examples/vqe_h2.qdl", "--arg", f"theta={float(best)!r}", "--format", "json"))
    assert at_min == pytest.approx(GROUND_STATE, abs=1e-6)
    assert at_min < HARTREE_FOCK


# ---------------------------------------------------------------- Python scripts


# Each training example runs as a user runs it, with the small budget (`--quick`), and
# saves its loss curves where it is told (never into the repository).

TRAINING_SCRIPTS = ["vqe_h2.py", "qaoa_maxcut.py", "reuploading_classifier.py", "hybrid_model.py"]


@pytest.mark.parametrize("script", TRAINING_SCRIPTS)
def test_python_example_exits_0(script, tmp_path):
    if script in ("reuploading_classifier.py", "hybrid_model.py"):
        pytest.importorskip("torch")
    plot = tmp_path / "curves.png"
    done = subprocess.run([sys.executable, str(EXAMPLES / script), "--quick", "--plot", str(plot)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "plot skipped: matplotlib is not installed" in done.stdout
    else:
        assert plot.read_bytes().startswith(b"\x89PNG") and f"saved to {plot}" in done.stdout


def example(name: str):
    """An example script as a module (examples/ on sys.path for its `_common` helper)."""
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    return importlib.import_module(name)


def test_vqe_script_trains_to_the_ground_state():
    vqe = example("vqe_h2")
    result = vqe.train()
    assert abs(result.energy - GROUND_STATE) < 1e-6      # the issue asks for 1e-4 Ha
    assert result.history[0] == pytest.approx(HARTREE_FOCK, abs=1e-8)
    assert result.calls == len(result.history) == result.steps + 1 < 100


def test_qaoa_template_substitution(monkeypatch):
    qaoa = example("qaoa_maxcut")
    # the file's own graph and depth give back the file's text exactly
    assert qaoa.source_for(N_QAOA, EDGES, 2) == (EXAMPLES / "qaoa_maxcut.qdl").read_text()
    square = [(0, 1), (1, 2), (2, 3), (0, 3)]
    program = qdl.compile(qaoa.source_for(4, square, 1), base_dir=EXAMPLES)
    assert program.expected_cut([0.0], [0.0]) == pytest.approx(2.0, abs=1e-12)   # |+>^4: half the edges
    assert qaoa.cut_sizes(4, square).max() == 4 and qaoa.cut_sizes(5, EDGES).max() == 5
    monkeypatch.setattr(qaoa, "TEMPLATE", EXAMPLES / "vqe_h2.qdl")   # a file without the constants
    with pytest.raises(ValueError, match="should declare `const N` on one line, found 0"):
        qaoa.source_for(4, square, 1)


def test_qaoa_ratios_on_a_3_regular_graph():
    qaoa = example("qaoa_maxcut")
    edges = qaoa.regular_graph(8, 0)
    assert len(edges) == 12 and all(d == 3 for d in np.bincount(np.ravel(edges)))
    best_cut, results = qaoa.solve(8, edges, qaoa.QUICK, np.random.default_rng(7))
    assert best_cut == 10
    ratios = [r.ratio for r in results]
    assert [r.p for r in results] == [1, 2, 3]
    assert ratios[0] > 0.75 and ratios[2] > 0.9        # measured: 0.8007, 0.8781, 0.9356
    assert ratios == sorted(ratios)                     # warm starts: depth never loses
    assert all(0 < r.p_max_cut <= 1 for r in results)
    # the reported value is the circuit's, by an independent numpy model of the generated graph
    last = results[-1]
    assert last.expected_cut == pytest.approx(qaoa_numpy(last.gamma, last.beta, 8, edges)[0], abs=1e-9)


def test_reuploading_classifier_reaches_90_percent():
    pytest.importorskip("torch")
    classifier = example("reuploading_classifier")
    result = classifier.train(classifier.FULL)          # the full budget: well under a second
    assert result.test_accuracy >= 0.9
    assert result.losses[-1] < 0.5 * result.losses[0]


def test_hybrid_model_trains_both_parts():
    torch = pytest.importorskip("torch")
    hybrid = example("hybrid_model")
    result = hybrid.train(hybrid.QUICK)
    assert result.losses[-1] < 0.8 * result.losses[0]
    assert set(result.grad_norms) == {"encoder (nn.Linear)", "quantum (qdl)", "head (nn.Linear)"}
    assert all(norm > 1e-4 for norm in result.grad_norms.values())
    assert isinstance(result.model.quantum.w, torch.nn.Parameter) and result.model.quantum.w.shape == (2, 4, 3)


@pytest.mark.parametrize("qdl_file, circuit, shapes", [
    ("reuploading_classifier.qdl", "classify", [(3, 2), (4, 2, 2), (4, 2, 3)]),
    ("hybrid_model.qdl", "features", [(3, 4), (2, 4, 3)]),
])
def test_example_layers_pass_gradcheck(qdl_file, circuit, shapes):
    """The gradients the torch examples train with, data included, against finite differences."""
    torch = pytest.importorskip("torch")
    import qdl.torch

    function = qdl.load(EXAMPLES / qdl_file)[circuit]
    rng = np.random.default_rng(3)
    inputs = tuple(torch.tensor(rng.normal(size=s), requires_grad=True) for s in shapes)
    assert torch.autograd.gradcheck(lambda *a: qdl.torch.apply(function, *a), inputs)
