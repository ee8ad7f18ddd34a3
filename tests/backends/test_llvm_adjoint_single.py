"""The compiled adjoint in single precision (complex64 φ and λ's, sums in double) against numpy's adjoint."""

from __future__ import annotations

import numpy as np
import pytest

from qdl.api import CircuitFunction
from qdl.compiler.autodiff import gradient_program
from qdl.compiler.autodiff.linearize import linear_circuit
from qdl.compiler.backends.llvm import adjoint as lowering
from qdl.compiler.expr import Arg, Binary, Const
from qdl.compiler.gates import GATES
from qdl.compiler.ir import Argument, Circuit, ExpVal, GateOp, Observable, PauliTerm, Var
from qdl.runtime.llvm.adjoint import compile_adjoint

TOL = 1e-5
N = 4
PARAMETRIC = sorted(name for name, spec in GATES.items() if spec.num_params and spec.num_qubits <= N)
FIXED = sorted(name for name, spec in GATES.items() if not spec.num_params and spec.num_qubits <= N)


def observable(*terms: tuple[float, str]) -> Observable:
    return Observable(tuple(PauliTerm(c, tuple((int(p[1:]), p[0]) for p in text.split())) for c, text in terms))


MIXED = (ExpVal(observable((1.0, "Z0"))), ExpVal(observable((0.5, "X1 Y2"), (-0.3, "Z3"), (0.2, "Y0 Y3"))),
         ExpVal(observable((0.7, "X0 Z1 X2 Y3"))))


def random_gate(rng: np.random.Generator) -> GateOp:
    """Any gate of the table on theta[i] or 2·theta[i], sometimes with extra controls of either value."""
    name = str(rng.choice(PARAMETRIC if rng.random() < 0.7 else FIXED))
    spec = GATES[name]
    extra = int(rng.integers(0, min(2, N - spec.num_qubits) + 1)) if rng.random() < 0.3 else 0
    qubits = [int(q) for q in rng.permutation(N)[: spec.num_qubits + extra]]
    params = tuple(Binary("*", Const(2.0), Arg("theta", (int(rng.integers(5)),))) if rng.random() < 0.3
                   else Arg("theta", (int(rng.integers(5)),)) for _ in range(spec.num_params))
    values = tuple(bool(v) for v in rng.integers(0, 2, size=extra))
    return GateOp(name, tuple(qubits[extra:]), params, tuple(qubits[:extra]), values)


def random_circuit(seed: int, results: tuple = MIXED, ops: int = 16) -> Circuit:
    rng = np.random.default_rng(seed)
    prep = [GateOp("ry", (q,), (Const(float(rng.uniform(-3, 3))),)) for q in range(N)]
    body = [random_gate(rng) for _ in range(ops)]
    return Circuit("c", (Argument("theta", "float", (5,), True),), N, tuple(prep + body), results, returns_tuple=True)


def assert_single_adjoint(c: Circuit, theta: np.ndarray) -> None:
    """The single-precision compiled adjoint within TOL of numpy's, and not bit-equal to the double one."""
    single = CircuitFunction(c, "llvm", "single").jacobian(theta, method="adjoint")
    double = CircuitFunction(c, "llvm").jacobian(theta, method="adjoint")
    slow = CircuitFunction(c, "reference").jacobian(theta, method="adjoint")
    for s, d, w in zip(single, double, slow):
        np.testing.assert_allclose(s, w, atol=TOL, rtol=0)
        np.testing.assert_allclose(d, w, atol=1e-9, rtol=0)
    assert any(not np.array_equal(s, d) for s, d in zip(single, double))


@pytest.mark.parametrize("seed", range(10))
def test_random_circuits_match_numpy_adjoint(seed: int) -> None:
    theta = np.random.default_rng(seed).uniform(-np.pi, np.pi, size=(2, 5))
    assert_single_adjoint(random_circuit(seed), theta)


def test_var_and_one_qubit_states() -> None:
    """Var recombined on the host; a 1-qubit state takes the scalar paths."""
    t = Arg("theta", (0,))
    one = Circuit("c", (Argument("theta", "float", (5,), True),), 1,
                  (GateOp("rx", (0,), (t,)), GateOp("ry", (0,), (Arg("theta", (1,)),)), GateOp("rz", (0,), (t,))),
                  (ExpVal(observable((1.0, "X0"))), Var(observable((0.5, "Z0"), (0.3, "Y0")))), True)
    assert_single_adjoint(one, np.array([[0.3, -1.2, 0, 0, 0]]))
    assert_single_adjoint(random_circuit(5, (Var(observable((0.5, "X1 Y2"), (-0.3, "Z3"))),)),
                          np.array([[0.1, 0.2, -0.4, 1.0, 2.0]]))


@pytest.mark.parametrize("seed", (21, 22))
def test_chunked_segments_match(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    """Chunks of 4 complex64 amplitudes (8 bytes each): the single plan sizes its chunks by its own bytes."""
    monkeypatch.setattr(lowering, "CHUNK_BYTES", 8 * 4 * 4)
    c = random_circuit(seed, ops=20)
    compiled = compile_adjoint(gradient_program(c), linear_circuit(c), "single")
    assert compiled.plan.chunk_qubits == 2 and compiled.plan.precision == "single"
    assert {chunked for chunked, _, _ in compiled.plan.segments} == {0, 1}
    assert_single_adjoint(c, np.random.default_rng(seed).uniform(-np.pi, np.pi, size=(2, 5)))


def ring(n: int, layers: int, negative: bool = False) -> Circuit:
    """RY, RZ on every qubit, then a CNOT ring (every other one a negctrl X when `negative`)."""
    ops: list[GateOp] = []
    for layer in range(layers):
        for q in range(n):
            ops += [GateOp("ry", (q,), (Arg("theta", (layer, q, 0)),)),
                    GateOp("rz", (q,), (Binary("*", Const(0.5), Arg("theta", (layer, q, 1))),))]
        ops += [GateOp("x", ((q + 1) % n,), (), (q,), (not (negative and q % 2),)) for q in range(n)]
    results = (ExpVal(observable((1.0, "Z0"))), ExpVal(observable((0.5, "X3 Y4"), (0.25, "Z5 X2"))))
    return Circuit("ring", (Argument("theta", "float", (layers, n, 2), True),), n, tuple(ops), results, True)


@pytest.mark.parametrize("negative", (False, True))
def test_cnots_absorbed_into_the_runs_they_precede(negative: bool) -> None:
    c = ring(6, 2, negative)
    compiled = compile_adjoint(gradient_program(c), linear_circuit(c), "single")
    mux = (lowering.REDUCE_APPLY1_MUX, lowering.REDUCE_APPLY1_MUX_DIAG)
    kinds = [row[0] for row in compiled.plan.rows]
    assert sum(kind in mux for kind in kinds) == 5 and kinds.count(lowering.REDUCE1_MUX) == 5  # the first layer's
    assert_single_adjoint(c, np.random.default_rng(4).uniform(-np.pi, np.pi, size=(2, 2, 6, 2)))


def test_double_and_single_adjoints_coexist() -> None:
    c = ring(5, 1)
    program, linear = gradient_program(c), linear_circuit(c)
    double, single = compile_adjoint(program, linear), compile_adjoint(program, linear, "single")
    assert double is not single and double.kernel.key != single.kernel.key
    assert double.kernel.runtime.name != single.kernel.runtime.name
    assert single.forward.plan.precision == "single" and double.forward.plan.precision == "double"
    assert compile_adjoint(program, linear, "single") is single
    # the λ's take half the scratch in single precision: 2 observables of 2^5 complex64 = 64 doubles, not 128
    assert double.scratch_doubles - single.scratch_doubles == 2 * 2**5
