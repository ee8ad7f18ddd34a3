"""Gradients on the reference simulator: parameter shift, adjoint and finite differences agree.

Oracles: central finite differences of `reference.simulate` (step 1e-5,
tolerance 1e-7), the exact derivative of each gate matrix (`matrix_derivative`,
itself checked against finite differences of the matrix), and the reference
gradients of the shared corpus (computed by PennyLane, to 1e-8).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import qdl
from qdl.compiler.autodiff import AutodiffError, gradient_program
from qdl.compiler.expr import Arg, Const
from qdl.compiler.gates import GATES
from qdl.compiler.ir import FLOAT, Argument, Circuit, ExpVal, GateOp, Observable, PauliTerm, Probs, Var
from qdl.runtime import reference
from qdl.runtime.adjoint import matrix_derivative
from qdl.runtime.gradients import jacobian

PARAMETRIC = sorted(name for name, spec in GATES.items() if spec.num_params)


def _observable(rng: np.random.Generator, n: int) -> Observable:
    terms = []
    for _ in range(3):
        paulis = tuple((q, "XYZ"[rng.integers(3)]) for q in range(n) if rng.random() < 0.7)
        terms.append(PauliTerm(float(rng.normal()), paulis))
    return Observable(tuple(terms))


def _mixing(rng: np.random.Generator, n: int) -> list[GateOp]:
    ops = [GateOp(g, (q,), (Const(float(rng.uniform(-3, 3))),)) for q in range(n) for g in ("ry", "rz")]
    return ops + [GateOp("cx", (q, q + 1)) for q in range(n - 1)]


CONTROLS = {"ctrl": ((0,), (True,)), "negctrl2": ((0, 1), (True, False))}


def gate_circuit(name: str, variant: str, seed: int = 0, results=None) -> Circuit:
    """Mixing layer, the gate (plain, controlled or inverted) on `t`, mixing layer, <H>."""
    rng = np.random.default_rng(seed)
    spec = GATES[name]
    params = tuple(float(rng.uniform(0.5, 1.5)) * Arg("t", (j,)) for j in range(spec.num_params))
    controls, values = CONTROLS.get(variant, ((), ()))
    n = spec.num_qubits + len(controls) + (1 if spec.num_qubits == 0 else 0)
    qubits = tuple(range(len(controls), len(controls) + spec.num_qubits))
    gate = name
    if variant == "inv":
        gate, params = spec.inverse(params)
    op = GateOp(gate, qubits, params, controls, values)
    ops = _mixing(rng, n) + [op] + _mixing(rng, n)
    argument = Argument("t", FLOAT, (spec.num_params,), trainable=True)
    return Circuit("c", (argument,), n, tuple(ops), results or (ExpVal(_observable(rng, n)),))


def finite_diff(circuit: Circuit, args: dict, h: float = 1e-5) -> list[np.ndarray]:
    """Central differences of every result in every element of `t`: (B,) + result + t shape."""
    t = np.asarray(args["t"], dtype=float)
    out = []
    for k in range(t.shape[-1]):
        step = np.zeros_like(t)
        step[..., k] = h
        plus = reference.simulate(circuit, {**args, "t": t + step})
        minus = reference.simulate(circuit, {**args, "t": t - step})
        out.append([(p - m) / (2 * h) for p, m in zip(plus, minus)])
    return [np.stack([col[i] for col in out], axis=-1) for i in range(len(circuit.results))]


@pytest.mark.parametrize("variant", ["plain", "ctrl", "negctrl2", "inv"])
@pytest.mark.parametrize("name", PARAMETRIC)
def test_every_gate_parameter_shift_matches_finite_differences_and_adjoint(name, variant):
    circuit = gate_circuit(name, variant)
    args = {"t": np.random.default_rng(1).uniform(-2, 2, size=(2, GATES[name].num_params))}
    program = gradient_program(circuit)
    shift = jacobian(program, args, "parameter-shift").derivatives[0]["t"]
    np.testing.assert_allclose(shift, finite_diff(circuit, args)[0], atol=1e-7)
    np.testing.assert_allclose(shift, jacobian(program, args, "adjoint").derivatives[0]["t"], atol=1e-10)


@pytest.mark.parametrize("name", PARAMETRIC)
def test_matrix_derivative_is_the_derivative_of_the_gate_matrix(name):
    spec = GATES[name]
    values = np.random.default_rng(2).uniform(-2, 2, size=(3, spec.num_params))
    op = GateOp(name, tuple(range(spec.num_qubits)), tuple(Arg("t", (j,)) for j in range(spec.num_params)))
    for j in range(spec.num_params):
        step = np.zeros(spec.num_params)
        step[j] = 1e-6
        numeric = (spec.matrix(*(values + step).T) - spec.matrix(*(values - step).T)) / 2e-6
        exact = matrix_derivative(op, spec, j, {"t": values})
        np.testing.assert_allclose(exact, numeric, atol=1e-8)


CHAIN = """
circuit f(param a: float, param w: float[2], x: float) -> float {
    qubit q[3];
    ry(2 * a + x) q[0];
    rx(sin(a) * w[0]) q[1];
    cx q[0], q[1];
    crz(a / w[1]) q[1], q[2];
    rot(w[0] ** 2, a, cos(x)) q[2];
    cry(a ** 3 - w[1]) q[2], q[0];
    return expval(0.7 * X[0] Z[2] - 0.4 * Y[1]);
}
"""


def fd_api(function, args: dict, name: str, h: float = 1e-5) -> np.ndarray:
    value = np.asarray(args[name], dtype=float)
    out = np.zeros(np.shape(function(**args)) + value.shape)
    for index in np.ndindex(value.shape):
        step = np.zeros_like(value)
        step[index] = h
        out[(Ellipsis,) + index] = (function(**{**args, name: value + step})
                                    - function(**{**args, name: value - step})) / (2 * h)
    return out


@pytest.mark.parametrize("method", ["parameter-shift", "adjoint", "finite-diff", "best"])
def test_chain_rule_through_shared_and_nonlinear_arguments(method):
    f = qdl.compile(CHAIN).f
    args = {"a": 0.37, "w": np.array([0.8, 1.3]), "x": -0.6}
    grads = f.grad(**args, method=method, wrt=["a", "w", "x"])
    for name, g in zip(["a", "w", "x"], grads):
        np.testing.assert_allclose(g, fd_api(f, args, name), atol=1e-7 if method != "finite-diff" else 1e-6)


def test_var_probs_and_tuples_have_jacobians():
    circuit = gate_circuit("crx", "plain", seed=3)
    observable = circuit.results[0].observable
    circuit = Circuit("c", circuit.arguments, circuit.num_qubits, circuit.ops,
                      (Var(observable), Probs((0, 1)), ExpVal(observable)), returns_tuple=True)
    args = {"t": np.array([[0.4], [-1.1]])}
    expected = finite_diff(circuit, args)
    for method in ("parameter-shift", "finite-diff", "best"):
        got = jacobian(gradient_program(circuit), args, method)
        assert got.method == ("parameter-shift" if method == "best" else method)
        for result, want in zip(got.derivatives, expected):
            np.testing.assert_allclose(result["t"], want, atol=1e-6 if method == "finite-diff" else 1e-7)


def test_var_gradient_by_adjoint():
    circuit = gate_circuit("rot", "ctrl", seed=4)
    circuit = Circuit("c", circuit.arguments, circuit.num_qubits, circuit.ops, (Var(circuit.results[0].observable),))
    args = {"t": np.array([[0.4, 0.2, -0.9]])}
    got = jacobian(gradient_program(circuit), args, "adjoint").derivatives[0]["t"]
    np.testing.assert_allclose(got, finite_diff(circuit, args)[0], atol=1e-7)


DYNAMIC = """
circuit d(param t: float[2]) -> float {
    qubit q[2];
    bit c;
    ry(t[0]) q[0];
    c = measure q[0];
    if (c) { rx(t[1]) q[1]; }
    reset q[0];
    crx(t[0] * t[1]) q[1], q[0];
    return expval(Z[1] + 0.5 * X[0]);
}
"""


def test_dynamic_circuits_use_parameter_shift_and_adjoint_is_refused():
    f = qdl.compile(DYNAMIC).d
    t = np.array([0.7, -1.2])
    np.testing.assert_allclose(f.grad(t), fd_api(f, {"t": t}, "t"), atol=1e-7)
    with pytest.raises(AutodiffError, match="without mid-circuit measurements"):
        f.grad(t, method="adjoint")


def test_state_and_sample_are_not_differentiable():
    program = qdl.compile("circuit s(param t: float) -> complex[2] {\n qubit q;\n rx(t) q;\n return state();\n}\n")
    with pytest.raises(AutodiffError, match="returns `state`, which is not differentiable"):
        program.s.jacobian(0.1)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_adjoint_equals_parameter_shift_on_random_circuits(seed):
    rng = np.random.default_rng(seed)
    names = [PARAMETRIC[i] for i in rng.integers(len(PARAMETRIC), size=2)]
    first = gate_circuit(names[0], ["plain", "ctrl", "inv"][seed % 3], seed)
    second = gate_circuit(names[1], "plain", seed + 1)
    n = max(first.num_qubits, second.num_qubits)
    size = max(a.shape[0] for a in (first.arguments[0], second.arguments[0]))
    circuit = Circuit("c", (Argument("t", FLOAT, (size,), True),), n, first.ops + second.ops, first.results)
    args = {"t": rng.uniform(-3, 3, size=(1, size))}
    program = gradient_program(circuit)
    shift = jacobian(program, args, "parameter-shift").derivatives[0]["t"]
    np.testing.assert_allclose(jacobian(program, args, "adjoint").derivatives[0]["t"], shift, atol=1e-10)


def test_light_cone_pruning_halves_the_cost_and_keeps_the_gradient():
    source = """
    circuit p(param a: float[3], param b: float[3]) -> float {
        qubit q[4];
        for i in 0..3 { ry(a[i]) q[0]; rx(b[i]) q[2]; }
        cx q[0], q[1];
        cx q[2], q[3];
        return expval(Z[1]);
    }
    """
    f = qdl.compile(source).p
    program = f.gradient_program()
    assert len(program.slots) == 3 and len(program.pruned) == 3
    assert program.shifted_evaluations == 6  # half of the 12 without pruning
    a, b = np.array([0.3, -0.5, 1.1]), np.array([0.2, 0.9, -0.4])
    ga, gb = f.grad(a, b, method="parameter-shift")
    np.testing.assert_allclose(ga, fd_api(f, {"a": a, "b": b}, "a"), atol=1e-7)
    assert np.all(gb == 0)


sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "compiler" / "qasm"))
from tests_corpus import corpus_dir, entries, ids  # noqa: E402  (the corpus skip/fail rules)

GRADIENTS = entries("gradients")


@pytest.mark.parametrize("entry", GRADIENTS, ids=ids(GRADIENTS))
@pytest.mark.parametrize("method", ["parameter-shift", "adjoint"])
def test_corpus_gradients_match_the_reference(entry, method):
    root = corpus_dir()
    meta = json.loads((root / "gradients" / f"{entry['id']}.json").read_text())
    main = qdl.load(root / "gradients" / meta["file"], observable=meta["observable"]["text"]).main
    inputs = {item["name"]: item["value"] for item in meta["inputs"]}
    value, grads = main.value_and_grad(**inputs, method=method)
    assert abs(value - meta["expval"]) < 1e-9
    for name, g in zip(inputs, grads):
        assert abs(g - meta["gradient"][name]) < 1e-8, name


HESSIAN = """
circuit h(param t: float[2], param u: float) -> float {
    qubit q[2];
    rx(t[0] * u) q[0];
    crx(sin(t[1])) q[0], q[1];
    ry(u ** 2) q[1];
    cx q[1], q[0];
    return var(Z[0] + Y[1]);
}
"""


def test_hessians_match_finite_differences_of_the_gradient():
    f = qdl.compile(HESSIAN).h
    t, u = np.array([0.3, -0.8]), 1.1
    (htt, htu), (hut, huu) = f.hessian(t, u)
    assert htt.shape == (2, 2) and htu.shape == (2,) and np.shape(huu) == ()
    np.testing.assert_allclose(htu, hut)
    step = 1e-5
    for k in range(2):
        e = np.eye(2)[k] * step
        plus, minus = f.grad(t + e, u, method="parameter-shift"), f.grad(t - e, u, method="parameter-shift")
        np.testing.assert_allclose(htt[:, k], (plus[0] - minus[0]) / (2 * step), atol=1e-7)
        np.testing.assert_allclose(hut[k], (plus[1] - minus[1]) / (2 * step), atol=1e-7)
    plus, minus = f.grad(t, u + step), f.grad(t, u - step)
    np.testing.assert_allclose(huu, (plus[1] - minus[1]) / (2 * step), atol=1e-7)
    batched = f.hessian(np.stack([t, t]), u)
    np.testing.assert_allclose(batched[0][0][1], htt)


def test_hessian_evaluations_are_deduplicated():
    from qdl.compiler.autodiff.hessian import hessian_program

    f = qdl.compile("circuit r(param t: float) -> float {\n qubit q;\n rx(t) q;\n return expval(Z[0]);\n}\n").r
    program = hessian_program(f.gradient_program())
    assert program.shifted_evaluations == 1  # f(t + pi): f(t - pi) is the same circuit, f(t) is shared
    assert np.isclose(f.hessian(0.4), -np.cos(0.4))


def test_shot_estimates_are_seeded_and_within_their_standard_errors():
    source = """
    circuit s(param t: float[2]) -> (float, float[4]) {
        qubit q[2];
        rx(t[0]) q[0];
        crx(t[1]) q[0], q[1];
        return (expval(0.5 * Z[1] + 0.3 * X[0] + 0.2), probs(q));
    }
    """
    f = qdl.compile(source).s
    program, args = f.gradient_program(), {"t": np.array([[0.3, 0.9], [1.0, 2.0]])}
    exact = jacobian(program, args, "parameter-shift")
    sampled = jacobian(program, args, "parameter-shift", shots=20_000, seed=5)
    again = jacobian(program, args, "parameter-shift", shots=20_000, seed=5)
    for k in range(2):
        got, err = sampled.derivatives[k]["t"], sampled.standard_errors[k]["t"]
        assert np.array_equal(got, again.derivatives[k]["t"])
        assert np.all(np.abs(got - exact.derivatives[k]["t"]) <= 5 * err + 1e-12)
        assert np.all(err < 0.02)
    coarse = jacobian(program, args, "parameter-shift", shots=200, seed=5).standard_errors[0]["t"]
    assert np.all(coarse > 5 * sampled.standard_errors[0]["t"])
    np.testing.assert_allclose(sampled.values[0], exact.values[0], atol=0.05)
    with pytest.raises(AutodiffError, match="by parameter shift"):
        jacobian(program, args, "adjoint", shots=100)


def test_var_gradients_from_shots_are_within_their_standard_errors():
    circuit = gate_circuit("cry", "plain", seed=6)
    circuit = Circuit("c", circuit.arguments, circuit.num_qubits, circuit.ops, (Var(circuit.results[0].observable),))
    program, args = gradient_program(circuit), {"t": np.array([[0.4], [1.3]])}
    exact = jacobian(program, args, "parameter-shift")
    sampled = jacobian(program, args, "parameter-shift", shots=50_000, seed=11)
    got, err = sampled.derivatives[0]["t"], sampled.standard_errors[0]["t"]
    assert np.all(np.abs(got - exact.derivatives[0]["t"]) <= 5 * err) and np.all(err < 0.05)
    np.testing.assert_allclose(sampled.values[0], exact.values[0], atol=0.05)
