"""Parameter shift on the LLVM kernel (one batch of shifted slot vectors) against the reference."""

from __future__ import annotations


import numpy as np
import pytest

from qdl.api import CircuitFunction
from qdl.compiler.expr import Arg
from qdl.compiler.ir import Argument, Circuit, ExpVal, GateOp, MeasureOp, Probs, Var
from qdl.runtime.llvm import jit
from test_llvm_adjoint import observable, random_circuit



H = observable((0.7, "Z0 X1"), (-0.4, "Y2"), (0.2, "Z3"))


def assert_same_jacobian(c: Circuit, theta: np.ndarray) -> None:
    fast, oracle = CircuitFunction(c, "llvm"), CircuitFunction(c, "reference")
    got = fast.jacobian(theta, method="parameter-shift")
    want = oracle.jacobian(theta, method="parameter-shift")
    for g, w in zip(got if c.returns_tuple else (got,), want if c.returns_tuple else (want,)):
        np.testing.assert_allclose(g, w, atol=1e-10)


@pytest.mark.parametrize("seed", range(12))
def test_random_circuits_over_the_gate_table(seed: int) -> None:
    """Every gate, controls, 2- and 4-term rules, u3, shared and derived angles; expval, var and probs."""
    c = random_circuit(seed, (ExpVal(H), Var(H), Probs((2, 0))))
    assert_same_jacobian(c, np.random.default_rng(seed).uniform(-2, 2, 5))


def test_batches_and_one_compile_for_every_shift() -> None:
    c = random_circuit(99, (ExpVal(H),), ops=20)
    theta = np.random.default_rng(1).uniform(-2, 2, (3, 5))
    before = jit.STATS["llvm_compiles"]
    assert_same_jacobian(c, theta)
    assert jit.STATS["llvm_compiles"] - before <= 1  # the shifted circuits are slot vectors, not kernels


def test_mid_circuit_measurement_falls_back_to_the_reference() -> None:
    ops = (GateOp("ry", (0,), (Arg("theta", (0,)),)), MeasureOp(0, 0),
           GateOp("rx", (1,), (Arg("theta", (1,)),), controls=(0,), control_values=(True,)))
    c = Circuit("m", (Argument("theta", "float", (5,), True),), 2, ops, (ExpVal(observable((1.0, "Z1"))),),
                num_bits=1)
    theta = np.array([0.7, -1.1, 0.0, 0.0, 0.0])
    assert_same_jacobian(c, theta)
    assert np.any(CircuitFunction(c, "llvm").jacobian(theta, method="parameter-shift") != 0)
