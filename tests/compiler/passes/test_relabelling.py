"""Passes that renumber qubits: `elide-swaps` and `release-qubits` keep every output."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pass_strategies import ARGUMENTS, STATE, arg_values, readouts, unitary_ops
from qdl.compiler.ir import BarrierOp, Circuit, GateOp, MeasureOp, Module, Probs, Register
from qdl.compiler.passes import PassManager
from qdl.runtime import reference

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run(c: Circuit, pipeline: str) -> Circuit:
    return PassManager.from_text(pipeline, verify_each=True).run(Module((c,))).circuits[0]


def assert_same_outputs(before: Circuit, after: Circuit, seed: int) -> None:
    args = {k: v.reshape(1) for k, v in arg_values(seed).items()}
    for x, y in zip(reference.simulate(before, args), reference.simulate(after, args)):
        np.testing.assert_allclose(y, x, atol=1e-9)


@SETTINGS
@given(n=st.integers(2, 5), data=st.data(), seed=st.integers(0, 2**16))
def test_elided_swaps_keep_every_output(n, data, seed):
    ops = data.draw(unitary_ops(n, max_ops=8))
    for _ in range(data.draw(st.integers(1, 4))):  # make sure there are swaps to elide
        ops.insert(data.draw(st.integers(0, len(ops))), GateOp("swap", tuple(data.draw(st.permutations(range(n)))[:2])))
    ops.append(MeasureOp(data.draw(st.integers(0, n - 1)), 0))
    results = data.draw(readouts(n)) + (Probs(tuple(reversed(range(n)))),)
    before = Circuit("c", ARGUMENTS, n, tuple(ops), results, num_bits=1)
    after = run(before, "elide-swaps")
    assert not any(isinstance(op, GateOp) and op.gate == "swap" and not op.controls for op in after.ops)
    assert_same_outputs(before, after, seed)


def test_elide_swaps_leaves_state_results_alone():
    c = Circuit("c", (), 2, (GateOp("h", (0,)), GateOp("swap", (0, 1))), STATE)
    assert run(c, "elide-swaps") is c


@SETTINGS
@given(n=st.integers(2, 6), data=st.data(), seed=st.integers(0, 2**16))
def test_released_qubits_keep_every_output(n, data, seed):
    ops = data.draw(unitary_ops(n, max_ops=8))
    ops.append(BarrierOp(tuple(range(n))))
    before = Circuit("c", ARGUMENTS, n, tuple(ops), data.draw(readouts(n)))
    after = run(before, "light-cone,release-qubits")
    used = {q for op in after.ops if isinstance(op, GateOp) for q in op.all_qubits}
    assert after.num_qubits <= n and used <= set(range(after.num_qubits))
    assert_same_outputs(before, after, seed)


def test_release_qubits_shrinks_registers_and_skips_states():
    regs = (Register("a", 0, 2), Register("b", 2, 2))
    c = Circuit("c", (), 4, (GateOp("h", (1,)), GateOp("cx", (1, 3))), (Probs((3, 1)),), qubit_registers=regs)
    after = run(c, "release-qubits")
    assert (after.num_qubits, after.results, after.qubit_registers) == (
        2, (Probs((1, 0)),), (Register("a", 0, 1), Register("b", 1, 1)))
    state = Circuit("c", (), 4, (GateOp("h", (1,)),), STATE)
    assert run(state, "release-qubits") is state
