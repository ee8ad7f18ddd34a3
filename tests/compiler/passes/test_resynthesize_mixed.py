"""`resynthesize-1q` on mixed runs: constant runs fold into a symbolic rotation they commute with.

Dense property tests on circuits built for it (the general suites rarely put
a constant diagonal run next to a symbolic Z rotation): the unitary is exact
(global phase included for `state` results), gradients are equal, and the
gate count never grows.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pass_strategies import ARGUMENTS, STATE, arg_values, observables
from qdl.api import CircuitFunction
from qdl.compiler.expr import Arg, Const, add, mul
from qdl.compiler.ir import Circuit, ExpVal, GateOp, Module
from qdl.compiler.passes import PassManager
from qdl.runtime import reference

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CONSTANT = ["t", "tdg", "s", "sdg", "z", "h", "x", "sx", "sxdg", "y"]
SYMBOLIC = [Arg("a"), Arg("b"), add(mul(2.0, Arg("a")), 0.5)]


@st.composite
def mixed_ops(draw: st.DrawFn, n: int) -> list[GateOp]:
    ops = []
    for _ in range(draw(st.integers(1, 14))):
        q = draw(st.integers(0, n - 1))
        kind = draw(st.sampled_from(["symbolic", "constant", "constant", "rotation", "cx"]))
        if kind == "symbolic":
            gate = draw(st.sampled_from(["rz", "phase", "u1", "rx", "ry"]))
            ops.append(GateOp(gate, (q,), (draw(st.sampled_from(SYMBOLIC)),)))
        elif kind == "constant":
            ops.append(GateOp(draw(st.sampled_from(CONSTANT)), (q,)))
        elif kind == "rotation":
            gate = draw(st.sampled_from(["rz", "phase", "rx", "ry"]))
            ops.append(GateOp(gate, (q,), (Const(draw(st.floats(-7, 7))),)))
        elif n > 1:
            ops.append(GateOp("cx", tuple(draw(st.permutations(range(n)))[:2])))
    return ops


def _run(c: Circuit) -> Circuit:
    return PassManager.from_text("resynthesize-1q", verify_each=True).run(Module((c,))).circuits[0]


@SETTINGS
@given(n=st.integers(1, 3), data=st.data(), seed=st.integers(0, 2**16))
def test_unitary_exact_and_no_more_gates(n, data, seed):
    before = Circuit("c", ARGUMENTS, n, tuple(data.draw(mixed_ops(n))), STATE)
    after = _run(before)
    args = arg_values(seed)
    np.testing.assert_allclose(reference.unitary(after, n, args), reference.unitary(before, n, args), atol=1e-8)
    assert sum(op.gate != "gphase" for op in after.ops) <= len(before.ops)


@SETTINGS
@given(n=st.integers(1, 3), data=st.data(), seed=st.integers(0, 2**16))
def test_gradients_equal(n, data, seed):
    results = (ExpVal(data.draw(observables(n))),)
    before = Circuit("c", ARGUMENTS, n, tuple(data.draw(mixed_ops(n))), results)
    after = _run(before)
    args = {k: float(v) for k, v in arg_values(seed).items()}
    g0 = CircuitFunction(before, "reference").grad(**args, method="parameter-shift")
    g1 = CircuitFunction(after, "reference").grad(**args, method="parameter-shift")
    np.testing.assert_allclose(np.asarray(g1), np.asarray(g0), atol=1e-8)


def test_folds_into_the_symbolic_neighbour():
    ops = (GateOp("rz", (0,), (Arg("a"),)), GateOp("t", (0,)), GateOp("s", (0,)), GateOp("rx", (0,), (Arg("b"),)),
           GateOp("z", (0,)), GateOp("phase", (0,), (Arg("b"),)))
    after = _run(Circuit("c", ARGUMENTS, 1, ops, STATE))
    assert [op.gate for op in after.ops] == ["rz", "rx", "phase", "gphase"]
    assert after.ops[0].params[0] == add(Arg("a"), Const(0.75 * np.pi))
    assert after.ops[2].params[0] == add(Arg("b"), Const(np.pi))


def test_folds_along_x_and_y():
    ops = (GateOp("sx", (0,)), GateOp("x", (0,)), GateOp("rx", (0,), (Arg("a"),)),
           GateOp("ry", (0,), (Arg("b"),)), GateOp("y", (0,)))
    after = _run(Circuit("c", ARGUMENTS, 1, ops, STATE))
    assert [op.gate for op in after.ops] == ["rx", "ry", "gphase"]
    assert after.ops[0].params[0] == add(Arg("a"), Const(-0.5 * np.pi))
    assert after.ops[1].params[0] == add(Arg("b"), Const(np.pi))
