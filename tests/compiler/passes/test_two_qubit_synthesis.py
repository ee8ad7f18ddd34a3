"""KAK synthesis and `consolidate-2q`: exact on random unitaries and dense two-qubit circuits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pass_strategies import STATE, circuit, unitary_ops
from qdl.compiler.ir import GateOp, Module
from qdl.compiler.passes import PassManager, circuit_stats
from qdl.compiler.passes.optimize.resynthesize_1q import synthesize
from qdl.compiler.passes.optimize.two_qubit_synthesis import global_phase_of, local_factors, three_cx
from qdl.runtime import reference


def haar(rng: np.random.Generator, n: int) -> np.ndarray:
    z = (rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))) / np.sqrt(2)
    q, r = np.linalg.qr(z)
    return q * (np.diag(r) / abs(np.diag(r)))


def _ops(factors):
    return [op for m, q in factors for op in synthesize(m, q, 1e-10)[0]]


@pytest.mark.parametrize("kind", ["haar", "diagonal", "cx-like"])
def test_three_cx_reproduces_any_unitary(kind):
    rng = np.random.default_rng(7)
    cx_cz = reference.unitary([GateOp("cx", (0, 1)), GateOp("cz", (0, 1))], 2)
    for _ in range(40):
        local = np.kron(haar(rng, 2), haar(rng, 2))
        u = {"haar": haar(rng, 4), "diagonal": local @ np.diag(np.exp(1j * rng.normal(size=4))),
             "cx-like": cx_cz @ local}[kind]
        before, template, after = three_cx(u)
        ops = _ops(before) + template + _ops(after)
        assert sum(op.gate == "cx" for op in ops) == 3
        assert global_phase_of(u, ops) is not None


def test_local_factors():
    rng = np.random.default_rng(3)
    a0, a1 = haar(rng, 2), haar(rng, 2)
    f0, f1 = local_factors(np.kron(a1, a0))
    np.testing.assert_allclose(np.kron(f1, f0), np.kron(a1, a0), atol=1e-12)
    assert local_factors(reference.unitary([GateOp("cx", (0, 1))], 2)) is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(2, 3), data=st.data())
def test_consolidate_dense_pairs_exactly(n, data):
    before = circuit(n, data.draw(unitary_ops(n, max_ops=24, symbolic=False)), STATE)
    after = PassManager.from_text("consolidate-2q", verify_each=True).run(Module((before,))).circuits[0]
    np.testing.assert_allclose(reference.unitary(after, n), reference.unitary(before, n), atol=1e-8)
    assert circuit_stats(after).two_qubit <= circuit_stats(before).two_qubit


@pytest.mark.parametrize("cx_count", [1, 2])
def test_fewest_cx_skeleton_is_found(cx_count):
    from qdl.compiler.expr import Const
    from qdl.compiler.passes.optimize.two_qubit_synthesis import decompose, templates
    rng = np.random.default_rng(cx_count)
    for _ in range(20):
        core = [GateOp("cx", (0, 1))]
        if cx_count == 2:
            core += [GateOp("rx", (0,), (Const(rng.normal()),)), GateOp("rz", (1,), (Const(rng.normal()),)),
                     GateOp("cx", (0, 1))]
        u = np.kron(haar(rng, 2), haar(rng, 2)) @ reference.unitary(core, 2) @ np.kron(haar(rng, 2), haar(rng, 2))
        found = next(parts for t in templates(u) if (parts := decompose(u, t)) is not None)
        ops = _ops(found[0]) + found[1] + _ops(found[2])
        assert sum(op.gate == "cx" for op in ops) == cx_count
        assert global_phase_of(u, ops) is not None
