"""Lowering passes: exact (global phase included) and into the promised gate set."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pass_strategies import STATE, arg_values, circuit, unitary_ops
from qdl.compiler.expr import Const
from qdl.compiler.gates import GATES
from qdl.compiler.ir import Circuit, GateOp, Module
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
