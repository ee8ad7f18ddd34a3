"""Lowering passes: exact (global phase included) and into the promised gate set; `elide-swaps`."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pass_strategies import ARGUMENTS, STATE, arg_values, circuit, readouts, unitary_ops
from qdl.compiler.expr import Const
from qdl.compiler.gates import GATES
from qdl.compiler.ir import Circuit, GateOp, MeasureOp, Module, Probs
from qdl.compiler.passes import PassManager, circuit_stats
from qdl.runtime import reference

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run(c: Circuit, pipeline: str) -> Circuit:
    return PassManager.from_text(pipeline, verify_each=True).run(Module((c,))).circuits[0]


def narrow(op: GateOp) -> bool:
    return len(op.all_qubits) <= 2


def cx_basis(op: GateOp) -> bool:
    return not op.controls and (len(op.qubits) <= 1 or op.gate == "cx")


CHECKS = {"lower-multi-qubit": narrow, "lower-to-cx": cx_basis}


def table_cases():
    """Every table gate under 0..2 controls, all-positive and mixed control values."""
    for name, spec in sorted(GATES.items()):
        for k in range(3):
            n = spec.num_qubits + k
            if n == 0 or n > 6:
                continue
            for values in {(True,) * k, tuple(i % 2 == 1 for i in range(k))}:
                yield pytest.param(name, k, values, id=f"{name}-c{k}-{''.join('1' if v else '0' for v in values)}")


@pytest.mark.parametrize("pipeline", sorted(CHECKS))
@pytest.mark.parametrize("name,k,values", list(table_cases()))
def test_every_table_gate_lowers_exactly(pipeline, name, k, values):
    spec = GATES[name]
    n = spec.num_qubits + k
    params = tuple(Const(0.3 + 0.7 * i) for i in range(spec.num_params))
    op = GateOp(name, tuple(range(k, n)), params, tuple(range(k)), values)
    before = Circuit("c", (), n, (op,), STATE)
    after = run(before, pipeline)
    assert all(CHECKS[pipeline](g) for g in after.ops if isinstance(g, GateOp))
    np.testing.assert_allclose(reference.unitary(after, n, {}), reference.unitary(before, n, {}), atol=1e-12)


@pytest.mark.parametrize("pipeline", sorted(CHECKS))
@SETTINGS
@given(n=st.integers(1, 6), data=st.data(), seed=st.integers(0, 2**16))
def test_random_circuits_lower_exactly_with_symbolic_angles(pipeline, n, data, seed):
    before = circuit(n, data.draw(unitary_ops(n, max_ops=10)), STATE)
    after = run(before, pipeline)
    assert all(CHECKS[pipeline](g) for g in after.ops if isinstance(g, GateOp))
    assert circuit_stats(after).params >= circuit_stats(before).params > 0 or circuit_stats(before).params == 0
    args = arg_values(seed)
    np.testing.assert_allclose(reference.unitary(after, n, args), reference.unitary(before, n, args), atol=1e-9)


def test_toffoli_is_six_cx_and_cswap_eight():
    for gate, qubits in (("ccx", (0, 1, 2)), ("cswap", (0, 1, 2))):
        after = run(Circuit("c", (), 3, (GateOp(gate, qubits),), STATE), "lower-to-cx")
        assert circuit_stats(after).by_kind["cx"] == {"ccx": 6, "cswap": 8}[gate]


def test_toffolis_on_shared_controls_share_their_controlled_phase():
    """ccx(0,1,2) ccx(0,1,3) ccx(0,1,2): the controls' cphase(π/2) parts merge into one."""
    ops = (GateOp("ccx", (0, 1, 2)), GateOp("ccx", (0, 1, 3)), GateOp("h", (2,)), GateOp("ccx", (0, 1, 2)))
    before = Circuit("c", (), 4, ops, STATE)
    after = run(before, "lower-multi-qubit,merge-rotations")
    assert circuit_stats(after).by_kind["cphase"] == 1
    np.testing.assert_allclose(reference.unitary(after, 4, {}), reference.unitary(before, 4, {}), atol=1e-12)


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
    args = {k: v.reshape(1) for k, v in arg_values(seed).items()}
    for x, y in zip(reference.simulate(before, args), reference.simulate(after, args)):
        np.testing.assert_allclose(y, x, atol=1e-9)


def test_elide_swaps_leaves_state_results_alone():
    c = Circuit("c", (), 2, (GateOp("h", (0,)), GateOp("swap", (0, 1))), STATE)
    assert run(c, "elide-swaps") is c
