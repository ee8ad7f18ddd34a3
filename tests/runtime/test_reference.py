"""The reference simulator against analytic answers, an independent dense construction,
and the third-party reference corpus."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

from qdl.compiler.expr import Arg, Const
from qdl.compiler.gates import GATES, unitary_of
from qdl.compiler.ir import (
    Argument, BarrierOp, Circuit, Condition, ExpVal, GateOp, MeasureOp, Observable, PauliTerm, Probs,
    ResetOp, Sample, State, Var,
)
from qdl.runtime.reference import simulate, unitary

try:
    from . import qasm_flat
except ImportError:  # tests/ is not a package: pytest put this directory on sys.path
    import qasm_flat  # type: ignore[no-redef]

PAULI = {"I": np.eye(2), "X": np.array([[0, 1], [1, 0]]), "Y": np.array([[0, -1j], [1j, 0]]),
         "Z": np.diag([1.0, -1.0])}


def circuit(n: int, ops: list, results: list, arguments: tuple[Argument, ...] = (), bits: int = 0) -> Circuit:
    return Circuit("c", arguments, n, tuple(ops), tuple(results), num_bits=bits)


def z(q: int, coeff: float = 1.0) -> Observable:
    return Observable((PauliTerm(coeff, ((q, "Z"),)),))


def run(c: Circuit, **args: object) -> tuple[np.ndarray, ...]:
    return simulate(c, {k: np.asarray(v, dtype=float) for k, v in args.items()})


THETA = (Argument("t", "float"),)
T = Arg("t")


# --- independent dense construction ------------------------------------------------------


def dense_gate(op: GateOp, n: int) -> np.ndarray:
    """The full little-endian matrix of one op, entry by entry from basis-index bits."""
    matrix = unitary_of(op.gate, [float(p.evaluate({})) for p in op.params])
    k = len(op.qubits)
    full = np.zeros((2**n, 2**n), dtype=complex)
    for col in range(2**n):
        if any((col >> c & 1) != v for c, v in zip(op.controls, op.control_values)):
            full[col, col] = 1
            continue
        local = sum((col >> q & 1) << (k - 1 - i) for i, q in enumerate(op.qubits))  # first qubit = MSB
        for row_local in range(2**k):
            row = col
            for i, q in enumerate(op.qubits):
                row = (row & ~(1 << q)) | ((row_local >> (k - 1 - i) & 1) << q)
            full[row, col] += matrix[row_local, local]
    return full


def kron_layer(matrices: dict[int, np.ndarray], n: int) -> np.ndarray:
    """One-qubit gates on several qubits by Kronecker products: qubit n-1 is the leftmost factor."""
    full = np.eye(1)
    for q in reversed(range(n)):
        full = np.kron(full, matrices.get(q, np.eye(2)))
    return full


def random_circuit(n: int, depth: int, rng: np.random.Generator) -> list[GateOp]:
    names = [g for g in GATES if GATES[g].num_qubits <= n]
    ops = []
    for _ in range(depth):
        spec = GATES[names[rng.integers(len(names))]]
        wires = [int(q) for q in rng.permutation(n)]
        extra = int(rng.integers(0, n - spec.num_qubits + 1)) if rng.random() < 0.3 else 0
        controls = tuple(wires[spec.num_qubits : spec.num_qubits + extra])
        ops.append(GateOp(spec.name, tuple(wires[: spec.num_qubits]),
                          tuple(Const(float(x)) for x in rng.uniform(-3, 3, spec.num_params)),
                          controls, tuple(bool(v) for v in rng.integers(0, 2, extra))))
    return ops


@pytest.mark.parametrize("seed", range(6))
def test_state_matches_independent_dense_construction(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 4 if seed < 5 else 5
    ops = random_circuit(n, 25, rng)
    expected = np.eye(2**n, dtype=complex)
    for op in ops:
        expected = dense_gate(op, n) @ expected
    (state,) = run(circuit(n, ops, [State()]))
    np.testing.assert_allclose(state[0], expected[:, 0], atol=1e-12)
    np.testing.assert_allclose(unitary(ops, n, {}), expected, atol=1e-12)


def test_kron_layers_match() -> None:
    rng = np.random.default_rng(11)
    n, ops, expected = 3, [], np.eye(8, dtype=complex)
    for _ in range(4):
        layer = {q: ("u3", tuple(rng.uniform(-3, 3, 3))) for q in range(n)}
        ops += [GateOp(g, (q,), tuple(map(Const, p))) for q, (g, p) in layer.items()]
        expected = kron_layer({q: unitary_of(g, p) for q, (g, p) in layer.items()}, n) @ expected
        ops.append(GateOp("cx", (2, 0)))
        expected = dense_gate(ops[-1], n) @ expected
    np.testing.assert_allclose(unitary(ops, n, {}), expected, atol=1e-12)


# --- analytic results -------------------------------------------------------------------


def test_qubit_order_is_little_endian() -> None:
    (state,) = run(circuit(3, [GateOp("x", (0,))], [State()]))
    assert np.argmax(abs(state[0])) == 1
    (state,) = run(circuit(3, [GateOp("x", (2,))], [State()]))
    assert np.argmax(abs(state[0])) == 4
    # cx with control 2, target 0 on |100> gives |101> = index 5
    (state,) = run(circuit(3, [GateOp("x", (2,)), GateOp("cx", (2, 0))], [State()]))
    assert np.argmax(abs(state[0])) == 5


def test_bell_and_ghz() -> None:
    bell = circuit(2, [GateOp("h", (0,)), GateOp("cx", (0, 1))], [Probs((0, 1)), State()])
    probs, state = run(bell)
    np.testing.assert_allclose(probs[0], [0.5, 0, 0, 0.5], atol=1e-15)
    ghz = [GateOp("h", (0,)), GateOp("cx", (0, 1)), GateOp("cx", (1, 2)), BarrierOp((0, 1, 2))]
    (state,) = run(circuit(3, ghz, [State()]))
    expected = np.zeros(8)
    expected[[0, 7]] = 1 / math.sqrt(2)
    np.testing.assert_allclose(state[0], expected, atol=1e-15)


def test_probs_of_a_subset_in_listed_order() -> None:
    c = circuit(3, [GateOp("x", (2,)), GateOp("ry", (1,), (Const(1.0),))], [Probs((2, 0)), Probs((0, 2)), Probs((1,))])
    p20, p02, p1 = run(c)
    np.testing.assert_allclose(p20[0], [0, 1, 0, 0], atol=1e-15)  # bit 0 of the index = qubit 2
    np.testing.assert_allclose(p02[0], [0, 0, 1, 0], atol=1e-15)
    np.testing.assert_allclose(p1[0], [math.cos(0.5) ** 2, math.sin(0.5) ** 2], atol=1e-15)


def test_batched_rotation_expval_and_var() -> None:
    thetas = np.linspace(-3, 3, 7)
    c = circuit(1, [GateOp("rx", (0,), (T,))], [ExpVal(z(0)), Var(z(0)), Probs((0,))], THETA)
    ev, var, probs = simulate(c, {"t": thetas})
    assert ev.shape == var.shape == (7,) and probs.shape == (7, 2)
    np.testing.assert_allclose(ev, np.cos(thetas), atol=1e-14)
    np.testing.assert_allclose(var, np.sin(thetas) ** 2, atol=1e-14)


def test_array_arguments_and_expressions() -> None:
    w = Argument("w", "float", (2,))
    ops = [GateOp("ry", (0,), (Arg("w", (0,)) * 2,)), GateOp("rz", (1,), (Arg("w", (1,)),))]
    c = circuit(2, ops, [ExpVal(z(0))], (w,))
    (ev,) = simulate(c, {"w": np.array([[0.1, 0.2], [0.4, 0.0]])})
    np.testing.assert_allclose(ev, np.cos([0.2, 0.8]), atol=1e-14)


def dense_observable(obs: Observable, n: int) -> np.ndarray:
    total = np.zeros((2**n, 2**n), dtype=complex)
    for term in obs.terms:
        letters = dict(term.paulis)
        total += term.coeff * kron_layer({q: PAULI[letters.get(q, "I")] for q in range(n)}, n)
    return total


def test_multi_term_observable_against_dense_matrix() -> None:
    obs = Observable((PauliTerm(-0.3), PauliTerm(0.5, ((0, "X"), (2, "Y"))), PauliTerm(1.5, ((1, "Z"),)),
                      PauliTerm(0.7, ((0, "Y"), (1, "Y"), (2, "Z")))))
    ops = random_circuit(3, 15, np.random.default_rng(3))
    ev, var, (state,) = run(circuit(3, ops, [ExpVal(obs), Var(obs), State()]))
    h = dense_observable(obs, 3)
    mean = np.vdot(state, h @ state).real
    np.testing.assert_allclose(ev, [mean], atol=1e-12)
    np.testing.assert_allclose(var, [np.vdot(state, h @ h @ state).real - mean**2], atol=1e-12)


def test_controls_and_negative_controls() -> None:
    ops = [GateOp("x", (1,), controls=(0,), control_values=(False,))]  # fires on |0>
    (state,) = run(circuit(2, ops, [State()]))
    assert np.argmax(abs(state[0])) == 2
    ops = [GateOp("x", (0,)), GateOp("rx", (2,), (Const(math.pi),), (0, 1), (True, False))]
    (state,) = run(circuit(3, ops, [State()]))
    np.testing.assert_allclose(state[0][0b101], -1j, atol=1e-15)


def test_gphase_is_global_alone_and_relative_under_control() -> None:
    g = 0.9
    (state,) = run(circuit(1, [GateOp("h", (0,)), GateOp("gphase", (), (Const(g),))], [State()]))
    np.testing.assert_allclose(state[0], np.exp(1j * g) * np.array([1, 1]) / math.sqrt(2), atol=1e-15)
    ops = [GateOp("h", (0,)), GateOp("gphase", (), (Const(g),), (0,), (True,))]
    (state,) = run(circuit(1, ops, [State()]))
    np.testing.assert_allclose(state[0], np.array([1, np.exp(1j * g)]) / math.sqrt(2), atol=1e-15)


def test_batched_gphase_under_negative_control() -> None:
    ops = [GateOp("h", (0,)), GateOp("gphase", (), (T,), (0,), (False,))]
    (state,) = simulate(circuit(1, ops, [State()], THETA), {"t": np.array([0.5, 1.0])})
    np.testing.assert_allclose(state[:, 0], np.exp(1j * np.array([0.5, 1.0])) / math.sqrt(2), atol=1e-15)
    np.testing.assert_allclose(state[:, 1], 1 / math.sqrt(2), atol=1e-15)


def test_unitary_with_arguments() -> None:
    c = circuit(2, [GateOp("h", (0,)), GateOp("crx", (0, 1), (T,))], [], THETA)
    expected = dense_gate(GateOp("crx", (0, 1), (Const(0.4),)), 2) @ dense_gate(GateOp("h", (0,)), 2)
    np.testing.assert_allclose(unitary(c, 2, {"t": np.float64(0.4)}), expected, atol=1e-14)
    np.testing.assert_allclose(unitary(c, 2, {"t": np.array([0.4])}), expected, atol=1e-14)
    with pytest.raises(ValueError):
        unitary([MeasureOp(0, 0)], 1, {})


# --- sampling -------------------------------------------------------------------------


def test_sample_needs_shots() -> None:
    with pytest.raises(ValueError, match="shots"):
        run(circuit(1, [], [Sample((0,))]))


def test_sample_is_seeded_and_correlated() -> None:
    c = circuit(3, [GateOp("h", (0,)), GateOp("cx", (0, 2))], [Sample((2, 0, 1)), Sample((0,))])
    first, single = simulate(c, {}, shots=200, seed=7)
    again, _ = simulate(c, {}, shots=200, seed=7)
    other, _ = simulate(c, {}, shots=200, seed=8)
    assert first.shape == (1, 200, 3) and single.shape == (1, 200, 1)
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    assert np.array_equal(first[..., 0], first[..., 1]) and not first[..., 2].any()
    assert np.array_equal(first[..., 1], single[..., 0])  # both results come from the same shots


def test_sample_frequencies() -> None:
    thetas = np.array([0.3, 1.2, 2.5])
    c = circuit(1, [GateOp("ry", (0,), (T,))], [Sample((0,))], THETA)
    (samples,) = simulate(c, {"t": thetas}, shots=20000, seed=1)
    p1 = np.sin(thetas / 2) ** 2
    sigma = np.sqrt(p1 * (1 - p1) / 20000)
    assert np.all(abs(samples[..., 0].mean(axis=1) - p1) < 5 * sigma)


# --- mid-circuit measurement, reset, conditions ------------------------------------------


def test_teleportation_is_exact() -> None:
    a, b = 1.1, 0.4
    prepare = [GateOp("ry", (0,), (Const(a),)), GateOp("rz", (0,), (Const(b),))]
    teleport = [GateOp("h", (1,)), GateOp("cx", (1, 2)), GateOp("cx", (0, 1)), GateOp("h", (0,)),
                MeasureOp(0, 0), MeasureOp(1, 1),
                GateOp("x", (2,), condition=Condition((1,), 1)), GateOp("z", (2,), condition=Condition((0,), 1))]
    x2 = Observable((PauliTerm(1.0, ((2, "X"),)),))
    ez, ex, p = run(circuit(3, prepare + teleport, [ExpVal(z(2)), ExpVal(x2), Probs((2,))], bits=2))
    np.testing.assert_allclose(ez, [math.cos(a)], atol=1e-14)
    np.testing.assert_allclose(ex, [math.sin(a) * math.cos(b)], atol=1e-14)
    np.testing.assert_allclose(p[0], [math.cos(a / 2) ** 2, math.sin(a / 2) ** 2], atol=1e-14)
    with pytest.raises(ValueError, match="state is undefined"):
        run(circuit(3, prepare + teleport, [State()], bits=2))


def test_measure_then_condition_with_batch() -> None:
    ops = [GateOp("ry", (0,), (T,)), MeasureOp(0, 0), GateOp("x", (1,), condition=Condition((0,), 1))]
    thetas = np.array([0.0, 0.7, math.pi])
    ev, samples = simulate(circuit(2, ops, [ExpVal(z(1)), Sample((0, 1))], THETA, bits=1),
                           {"t": thetas}, shots=500, seed=3)
    np.testing.assert_allclose(ev, np.cos(thetas), atol=1e-14)
    assert np.array_equal(samples[..., 0], samples[..., 1])  # q1 copies the measured q0
    assert not samples[0].any() and samples[2].all()


def test_deterministic_measurement_keeps_the_state() -> None:
    ops = [GateOp("x", (0,)), MeasureOp(0, 0), GateOp("h", (1,), condition=Condition((0,), 1))]
    (state,) = run(circuit(2, ops, [State()], bits=1))
    np.testing.assert_allclose(state[0], [0, 1 / math.sqrt(2), 0, 1 / math.sqrt(2)], atol=1e-15)


def test_multi_bit_condition() -> None:
    ops = [GateOp("x", (1,)), MeasureOp(0, 0), MeasureOp(1, 1),
           GateOp("x", (2,), condition=Condition((0, 1), 2)),  # bit0 = 0, bit1 = 1
           GateOp("x", (3,), condition=Condition((0, 1), 1))]
    (probs,) = run(circuit(4, ops, [Probs((2, 3))], bits=2))
    np.testing.assert_allclose(probs[0], [0, 1, 0, 0], atol=1e-15)


def test_var_over_a_mixture() -> None:
    x0 = Observable((PauliTerm(1.0, ((0, "X"),)),))
    ops = [GateOp("h", (0,)), MeasureOp(0, 0)]
    ez, vz, vx = run(circuit(1, ops, [ExpVal(z(0)), Var(z(0)), Var(x0)], bits=1))
    np.testing.assert_allclose([ez[0], vz[0], vx[0]], [0, 1, 1], atol=1e-15)


def test_reset_of_an_entangled_qubit() -> None:
    ops = [GateOp("h", (0,)), GateOp("cx", (0, 1)), ResetOp(0)]
    p0, p1, ez = run(circuit(2, ops, [Probs((0,)), Probs((1,)), ExpVal(z(1))]))
    np.testing.assert_allclose(p0[0], [1, 0], atol=1e-15)
    np.testing.assert_allclose(p1[0], [0.5, 0.5], atol=1e-15)
    np.testing.assert_allclose(ez, [0], atol=1e-15)
    with pytest.raises(ValueError, match="state is undefined"):
        run(circuit(2, ops, [State()]))


def test_reset_of_a_product_qubit_keeps_a_pure_state() -> None:
    ops = [GateOp("h", (0,)), GateOp("ry", (1,), (Const(0.3),)), ResetOp(0)]
    (state,) = run(circuit(2, ops, [State()]))
    np.testing.assert_allclose(state[0], [math.cos(0.15), 0, math.sin(0.15), 0], atol=1e-15)


# --- size ------------------------------------------------------------------------------


def test_twenty_qubits_and_wide_batches() -> None:
    n = 20
    ops = [GateOp("h", (0,))] + [GateOp("cx", (q, q + 1)) for q in range(n - 1)]
    (probs,) = run(circuit(n, ops, [Probs((0, n - 1))]))
    np.testing.assert_allclose(probs[0], [0.5, 0, 0, 0.5], atol=1e-12)
    ops = [GateOp("ry", (q,), (T * (q + 1),)) for q in range(10)] + [GateOp("cz", (q, q + 1)) for q in range(9)]
    (ev,) = simulate(circuit(10, ops, [ExpVal(z(0))], THETA), {"t": np.linspace(0, 1, 256)})
    np.testing.assert_allclose(ev, np.cos(np.linspace(0, 1, 256)), atol=1e-12)


# --- reference corpus ------------------------------------------------------------------

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "qasm2"


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.glob("*.qasm") if _has_state_reference(p))


def _has_state_reference(path: Path) -> bool:
    meta = json.loads(path.with_suffix(".json").read_text())
    return meta.get("reference", {}).get("statevector", {}).get("available", False) and meta["n_qubits"] <= 16


def test_corpus_is_present() -> None:
    if not CORPUS.is_dir():
        message = f"reference corpus not found at {CORPUS}"
        if os.environ.get("QDL_REQUIRE_CORPUS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    assert corpus_files()


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.stem)
def test_corpus_state(path: Path) -> None:
    try:
        c = qasm_flat.load(path)
    except qasm_flat.Unsupported as feature:
        pytest.skip(f"the flat reader does not handle `{feature}`")
    (state,) = run(c)
    state, ref = state[0], np.load(path.with_suffix(".npz"))
    probs = abs(state) ** 2
    if "statevector" in ref:
        overlap = np.vdot(ref["statevector"], state)  # equal up to a global phase
        np.testing.assert_allclose(state * np.conj(overlap) / abs(overlap), ref["statevector"], atol=1e-9)
    if "probs" in ref:
        np.testing.assert_allclose(probs, ref["probs"], atol=1e-9)
    if "top_probs" in ref:
        np.testing.assert_allclose(probs[ref["top_indices"]], ref["top_probs"], atol=1e-9)
    bits = (np.arange(len(probs))[:, None] >> np.arange(c.num_qubits)) & 1
    np.testing.assert_allclose(probs @ (1 - 2 * bits), ref["z_expect"], atol=1e-9)
