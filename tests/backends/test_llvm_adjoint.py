"""The compiled adjoint (backend "llvm") against the numpy adjoint and central finite differences."""

from __future__ import annotations


import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qdl.api import CircuitFunction
from qdl.compiler.autodiff import gradient_program
from qdl.compiler.autodiff.linearize import linear_circuit
from qdl.compiler.backends.llvm import adjoint as lowering
from qdl.compiler.expr import Arg, Binary, Const, Unary
from qdl.compiler.gates import GATES
from qdl.compiler.ir import Argument, Circuit, ExpVal, GateOp, MeasureOp, Observable, PauliTerm, Var
from qdl.runtime import gradients
from qdl.runtime.llvm import jit
from qdl.runtime.llvm.adjoint import compile_adjoint

TOL = 1e-9
N = 4
PARAMETRIC = sorted(name for name, spec in GATES.items() if spec.num_params and spec.num_qubits <= N)
FIXED = sorted(name for name, spec in GATES.items() if not spec.num_params and spec.num_qubits <= N)



def observable(*terms: tuple[float, str]) -> Observable:
    """observable((0.5, "Z0 X1"), ...) -> a Pauli sum."""
    return Observable(tuple(PauliTerm(c, tuple((int(p[1:]), p[0]) for p in text.split())) for c, text in terms))


def angle(rng: np.random.Generator, size: int) -> object:
    """theta[i], 2*theta[i], theta[i] + theta[j], sin(theta[i]) or a constant: expressions of arguments."""
    i, j = (int(x) for x in rng.integers(size, size=2))
    choice = rng.integers(5)
    if choice == 0:
        return Binary("*", Const(2.0), Arg("theta", (i,)))
    if choice == 1:
        return Binary("+", Arg("theta", (i,)), Arg("theta", (j,)))
    if choice == 2:
        return Unary("sin", Arg("theta", (i,)))
    if choice == 3:
        return Const(float(rng.uniform(-3, 3)))
    return Arg("theta", (i,))


def random_gate(rng: np.random.Generator, size: int) -> GateOp:
    """Any gate of the table, sometimes with extra (positive or negative) controls."""
    name = str(rng.choice(PARAMETRIC if rng.random() < 0.7 else FIXED))
    spec = GATES[name]
    extra = int(rng.integers(0, min(2, N - spec.num_qubits) + 1)) if rng.random() < 0.3 else 0
    qubits = [int(q) for q in rng.permutation(N)[: spec.num_qubits + extra]]
    params = tuple(angle(rng, size) for _ in range(spec.num_params))
    values = tuple(bool(v) for v in rng.integers(0, 2, size=extra))
    return GateOp(name, tuple(qubits[extra:]), params, tuple(qubits[:extra]), values)


def random_circuit(seed: int, results: tuple, size: int = 5, ops: int = 14) -> Circuit:
    rng = np.random.default_rng(seed)
    prep = [GateOp("ry", (q,), (Const(float(rng.uniform(-3, 3))),)) for q in range(N)]
    body = [random_gate(rng, size) for _ in range(ops)]
    return Circuit("c", (Argument("theta", "float", (size,), True),), N, tuple(prep + body), results,
                   returns_tuple=len(results) > 1)


def both(c: Circuit, theta: np.ndarray, **kwargs) -> tuple[tuple, tuple]:
    """(llvm value, grad), (numpy value, grad) with method="adjoint"."""
    fast = CircuitFunction(c, "llvm").jacobian(theta, method="adjoint", **kwargs)
    slow = CircuitFunction(c, "reference").jacobian(theta, method="adjoint", **kwargs)
    return fast, slow


MIXED = (ExpVal(observable((1.0, "Z0"))), ExpVal(observable((0.5, "X1 Y2"), (-0.3, "Z3"), (0.2, "Y0 Y3"))),
         ExpVal(observable((0.7, "X0 Z1 X2 Y3"))))


@pytest.mark.parametrize("seed", range(12))
def test_random_circuits_match_numpy_adjoint(seed: int) -> None:
    c = random_circuit(seed, MIXED)
    theta = np.random.default_rng(100 + seed).uniform(-np.pi, np.pi, size=5)
    fast, slow = both(c, theta)
    for f, s in zip(fast, slow):
        np.testing.assert_allclose(f, s, atol=TOL, rtol=0)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1))
def test_random_circuits_match_finite_differences(seed: int) -> None:
    c = random_circuit(seed, MIXED[1:2], ops=10)
    theta = np.random.default_rng(seed).uniform(-np.pi, np.pi, size=5)
    fn = CircuitFunction(c, "llvm")
    got = fn.jacobian(theta, method="adjoint")
    want = central_differences(fn, theta)
    np.testing.assert_allclose(got, want, atol=1e-8, rtol=0)


def central_differences(fn: CircuitFunction, theta: np.ndarray, step: float = 1e-5) -> np.ndarray:
    """Fourth-order central differences of fn (error ~ step^4 + eps/step ≈ 1e-11)."""
    out = np.zeros_like(theta)
    for k in range(theta.size):
        e = np.zeros_like(theta)
        e[k] = step
        out[k] = (8 * (fn(theta + e) - fn(theta - e)) - (fn(theta + 2 * e) - fn(theta - 2 * e))) / (12 * step)
    return out


@pytest.mark.parametrize("name", PARAMETRIC)
def test_every_parametric_gate_with_controls(name: str) -> None:
    spec = GATES[name]
    controls = tuple(range(N - spec.num_qubits))[:2]
    targets = tuple(range(len(controls), len(controls) + spec.num_qubits))
    params = tuple(Binary("*", Const(1.0 + j), Arg("theta", (j,))) for j in range(spec.num_params))
    ops = [GateOp("h", (q,)) for q in range(N)] + [GateOp("ry", (q,), (Const(0.3 + q),)) for q in range(N)]
    ops += [GateOp(name, targets, params, controls, tuple(v % 2 == 0 for v in range(len(controls))))]
    ops += [GateOp(name, targets, params)]  # the same angles again: repeated parameters
    results = (ExpVal(observable((1.0, "X0 Y1"), (0.5, "Z2 X3"), (0.25, "Y3"))),)
    c = Circuit("c", (Argument("theta", "float", (3,), True),), N, tuple(ops), results)
    fast, slow = both(c, np.array([0.4, -1.1, 2.3]))
    np.testing.assert_allclose(fast, slow, atol=TOL, rtol=0)


def test_u3_runs_share_one_reduction() -> None:
    """u3 then rz then ry on one qubit: one unit, every angle from one R."""
    t = [Arg("theta", (j,)) for j in range(3)]
    ops = (GateOp("h", (0,)), GateOp("u3", (0,), (t[0], t[1], Binary("*", Const(2.0), t[0]))),
           GateOp("rz", (0,), (t[2],)), GateOp("ry", (0,), (t[1],)), GateOp("cx", (0, 1)))
    c = Circuit("c", (Argument("theta", "float", (3,), True),), 2, ops, (ExpVal(observable((1.0, "X0 Z1"))),))
    compiled = compile_adjoint(gradient_program(c), linear_circuit(c))
    assert sum(row[0] >= 100 for row in compiled.plan.rows) == 1
    fast, slow = both(c, np.array([0.3, -0.8, 1.9]))
    np.testing.assert_allclose(fast, slow, atol=TOL, rtol=0)


def test_var_and_batches_and_terminal_measurement() -> None:
    """var(H) recombines <H> and <H²>; a batch axis; a measurement the results ignore."""
    c = random_circuit(7, (Var(observable((0.5, "Z0 Z1"), (0.3, "X2"))), MIXED[0]))
    c = Circuit(c.name, c.arguments, N, c.ops + (MeasureOp(0, 0),), c.results, True, num_bits=1)
    theta = np.random.default_rng(3).uniform(-np.pi, np.pi, size=(3, 5))
    fast, slow = both(c, theta)
    for f, s in zip(fast, slow):
        np.testing.assert_allclose(f, s, atol=TOL, rtol=0)


def test_values_come_from_the_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    c = random_circuit(11, MIXED)
    monkeypatch.setattr(gradients.reference, "simulate", None)  # the llvm path must not touch numpy
    monkeypatch.setattr(gradients, "adjoint_derivatives", None)
    theta = np.random.default_rng(5).uniform(-np.pi, np.pi, size=(2, 5))
    program = gradient_program(c)
    got = gradients.jacobian(program, {"theta": theta}, "adjoint", backend="llvm")
    monkeypatch.undo()
    want = gradients.jacobian(program, {"theta": theta}, "adjoint")
    for g, w in zip(got.values, want.values):
        np.testing.assert_allclose(g, w, atol=TOL, rtol=0)
    assert got.evaluations == 1


def test_best_uses_the_compiled_adjoint_and_caches_it() -> None:
    c = random_circuit(2, MIXED[:1])
    fn = CircuitFunction(c, "llvm")
    theta = np.full(5, 0.3)
    fn.grad(theta, method="best")
    compiles = jit.STATS["llvm_compiles"]
    fn.grad(theta + 0.1, method="adjoint")
    assert jit.STATS["llvm_compiles"] == compiles
    np.testing.assert_allclose(fn.grad(theta), CircuitFunction(c, "reference").grad(theta), atol=TOL, rtol=0)


@pytest.mark.parametrize("seed", (21, 22))
def test_chunked_segments_match(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    """Chunks of 4 amplitudes: rows on qubits 0, 1 run chunk by chunk, their R summed over chunks."""
    monkeypatch.setattr(lowering, "CHUNK_BYTES", 16 * 4 * 4)
    c = random_circuit(seed, MIXED, ops=20)
    compiled = compile_adjoint(gradient_program(c), linear_circuit(c))
    assert compiled.plan.chunk_qubits == 2
    assert {chunked for chunked, _, _ in compiled.plan.segments} == {0, 1}
    theta = np.random.default_rng(seed).uniform(-np.pi, np.pi, size=(2, 5))
    fast, slow = both(c, theta)
    for f, s in zip(fast, slow):
        np.testing.assert_allclose(f, s, atol=TOL, rtol=0)


def ring(n: int, layers: int, negative: bool = False) -> Circuit:
    """RY, RZ on every qubit, then a CNOT ring; `negative` makes every other CNOT a negctrl X."""
    ops: list[GateOp] = []
    for layer in range(layers):
        for q in range(n):
            ops += [GateOp("ry", (q,), (Arg("theta", (layer, q, 0)),)),
                    GateOp("rz", (q,), (Binary("*", Const(0.5), Arg("theta", (layer, q, 1))),))]
        for q in range(n):
            value = not (negative and q % 2)
            ops.append(GateOp("x", ((q + 1) % n,), (), (q,), (value,)))
    results = (ExpVal(observable((1.0, "Z0"))), ExpVal(observable((0.5, "X3 Y4"), (0.25, "Z5 X2"))))
    return Circuit("ring", (Argument("theta", "float", (layers, n, 2), True),), n, tuple(ops), results, True)


@pytest.mark.parametrize(("negative", "chunked"), ((False, False), (True, False), (True, True)))
def test_cnots_absorbed_into_the_runs_they_precede(monkeypatch: pytest.MonkeyPatch, negative: bool,
                                                   chunked: bool) -> None:
    if chunked:
        monkeypatch.setattr(lowering, "CHUNK_BYTES", 16 * 3 * 16)  # 2^4 amplitudes: qubits 0..3 run chunked
    c = ring(6, 3 if chunked else 2, negative)
    compiled = compile_adjoint(gradient_program(c), linear_circuit(c))
    assert compiled.plan.chunk_qubits == (4 if chunked else 6)
    mux = (lowering.REDUCE_APPLY1_MUX, lowering.REDUCE_APPLY1_MUX_DIAG)
    layers = 3 if chunked else 2
    kinds = [row[0] for row in compiled.plan.rows]
    assert sum(kind in mux for kind in kinds) == 5 * (layers - 1)  # cx(0→1) ... (4→5): all but cx(5→0)
    assert kinds.count(lowering.REDUCE1_MUX) == 5  # the first layer's runs are dead: only reduced
    theta = np.random.default_rng(4).uniform(-np.pi, np.pi, size=(2, layers, 6, 2))
    fast, slow = both(c, theta)
    for f, s in zip(fast, slow):
        np.testing.assert_allclose(f, s, atol=TOL, rtol=0)


def test_programs_differing_only_in_wrt_keep_their_own_chain_rule() -> None:
    """rx(2t + x): the same slots whether one differentiates x, or t and x; the chain rules differ."""
    c = Circuit("f", (Argument("t", "float", (), True), Argument("x", "float", (), False)), 1,
                (GateOp("rx", (0,), (Binary("+", Binary("*", Const(2.0), Arg("t", ())), Arg("x", ())),)),),
                (ExpVal(observable((1.0, "Z0"))),))
    f = CircuitFunction(c, "llvm")
    gx = f.grad(0.3, 0.5, wrt="x", method="adjoint")
    gt, gx2 = f.grad(0.3, 0.5, wrt=["t", "x"], method="adjoint")
    gx3 = f.grad(0.3, 0.5, wrt="x", method="adjoint")
    assert np.isclose(gx, -np.sin(1.1)) and np.isclose(gt, 2 * gx) and gx == gx2 == gx3
