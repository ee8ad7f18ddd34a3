"""Two-qubit fusion (`fuse2`): fused plans against the reference simulator and against unfused plans.

The property tests draw circuits of 1- and 2-qubit gates (with controls, so
multiplexed rows, flips and controlled rows all meet the fuser) on states
that fit one chunk and on blocked states, in both precisions.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qdl.compiler.backends.llvm import lower
from qdl.compiler.backends.llvm.fuse2 import embed
from qdl.compiler.backends.llvm.plan import OpKind, fill_matrices
from qdl.compiler.expr import Arg, Const
from qdl.compiler.gates import GATES
from qdl.compiler.ir import Argument, Circuit, GateOp, State
from qdl.runtime import reference
from qdl.runtime.llvm.kernel import compile_circuit

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from forward import ansatz  # noqa: E402  the benchmark's hardware-efficient ansatz

TOL = {"double": 1e-11, "single": 5e-6}
GATE_NAMES = sorted(n for n in GATES if 1 <= GATES[n].num_qubits <= 2)
THETA = (Argument("theta", "float", (4,), True),)


def kinds(c: Circuit, **options) -> list[str]:
    return [r.kind.name for r in lower(c, **options).rows]


@st.composite
def circuits(draw: st.DrawFn) -> tuple[Circuit, int | None, str]:
    n = draw(st.integers(2, 9))
    ops: list[GateOp] = []
    for _ in range(draw(st.integers(1, 40))):
        spec = GATES[draw(st.sampled_from([g for g in GATE_NAMES if GATES[g].num_qubits <= n]))]
        qubits = draw(st.permutations(range(n)))
        free = qubits[spec.num_qubits:]
        controls = tuple(free[:draw(st.integers(0, min(1, len(free))))])
        params = tuple(Arg("theta", (draw(st.integers(0, 3)),)) if draw(st.booleans())
                       else Const(draw(st.floats(-4, 4))) for _ in range(spec.num_params))
        ops.append(GateOp(spec.name, tuple(qubits[:spec.num_qubits]), params, controls,
                          tuple(draw(st.booleans()) for _ in controls)))
    block = draw(st.sampled_from([None, 7])) if n >= 8 else None
    return Circuit("c", THETA, n, tuple(ops), (State(),)), block, draw(st.sampled_from(["double", "single"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(circuits(), st.integers(0, 2**31))
def test_fused_circuits_match_the_reference(case: tuple[Circuit, int | None, str], seed: int) -> None:
    c, block, precision = case
    values = {"theta": np.random.default_rng(seed).uniform(-np.pi, np.pi, size=(2, 4))}
    got = compile_circuit(c, block=block, precision=precision).run(values)[0]
    np.testing.assert_allclose(got, reference.simulate(c, values)[0], rtol=0, atol=TOL[precision])


@settings(max_examples=40, deadline=None)
@given(circuits())
def test_fused_matrices_multiply_to_the_unfused_ones(case: tuple[Circuit, int | None, str]) -> None:
    """Every fused 4x4 from the host fill is the product of its members' own matrices, embedded independently."""
    c, block, _ = case
    plan = lower(c, block=block)
    slots = np.random.default_rng(1).uniform(-3, 3, size=(1, len(plan.slots)))
    mats = fill_matrices(plan, slots)[0]
    for gather in plan.gathers:
        for out, sources in zip(gather.out, gather.sources()):
            np.testing.assert_array_equal(mats[out:out + 16], mats[sources])
    for product in plan.blocks2:
        for b in range(len(product.out)):
            want = np.eye(4)
            for member in product.members:
                want = mats[member[b]].reshape(4, 4) @ want
            np.testing.assert_allclose(mats[product.out[b]].reshape(4, 4), want, atol=1e-13)


def test_two_one_qubit_blocks_and_the_cnot_between_them_are_one_row() -> None:
    t = Arg("theta", (0,))
    ops = (GateOp("ry", (0,), (t,)), GateOp("rz", (0,), (t,)), GateOp("ry", (1,), (2 * t,)), GateOp("cx", (0, 1)))
    c = Circuit("c", THETA, 2, ops, (State(),))
    assert kinds(c) == ["DENSE2"]
    assert [r.q0 for r in lower(c).rows] == [1]  # the higher qubit is the matrix's most significant bit


def test_a_lone_rzz_becomes_a_dense_row_and_a_ladder_on_high_qubits_stays_multiplexed() -> None:
    """A diagonal 4x4 takes the generic path (2.65 rows): a dense 4x4 is cheaper.  A 1-qubit block
    and the CNOT onto it on high positions (1.55) gain nothing from a 4x4 (1.5 + margin)."""
    c = Circuit("c", THETA, 6, (GateOp("rzz", (3, 5), (Arg("theta", (0,)),)),), (State(),))
    assert kinds(c) == ["DENSE2"]
    ladder = tuple(op for q in range(3, 5) for op in (GateOp("ry", (q + 1,), (Const(0.3),)), GateOp("cx", (q, q + 1))))
    assert kinds(Circuit("c", (), 6, ladder, (State(),))) == ["CTRL1"] * 4


def test_fusion_never_adds_sweeps_over_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fused step may only need qubits in the chunk that its members needed, or that are always there."""
    for n in (20, 24):
        fused = lower(ansatz(n, 10))
        monkeypatch.setenv("QDL_FUSE_QUBITS", "1")
        plain = lower(ansatz(n, 10))
        monkeypatch.delenv("QDL_FUSE_QUBITS")
        assert len(fused.stages) <= len(plain.stages)
        assert len(fused.rows) < len(plain.rows)
        assert OpKind.DENSE2 in {r.kind for r in fused.rows}


def test_embedding_a_multiplexed_step() -> None:
    """U on the low qubit when the high one is 0, X·U when it is 1: codes index the step's two matrices."""
    from qdl.compiler.backends.llvm.blocking import Step
    from qdl.compiler.backends.llvm.fuse2 import ONE, ZERO
    step = Step(False, False, (0,), (), (), 100, select=1)
    codes = np.array(embed(step, 1, 0)).reshape(4, 4)
    assert codes[:2, :2].tolist() == [[0, 1], [2, 3]] and codes[2:, 2:].tolist() == [[4, 5], [6, 7]]
    assert (codes[:2, 2:] == ZERO).all() and (codes[2:, :2] == ZERO).all()
    flip = Step(False, True, (1,), (0,), (False,), 0)
    codes = np.array(embed(flip, 1, 0)).reshape(4, 4)  # negated control on the low qubit
    assert codes[0, 2] == codes[2, 0] == ONE and codes[1, 1] == codes[3, 3] == ONE


def test_a_bad_fusion_knob_is_named_and_the_default_used(monkeypatch: pytest.MonkeyPatch) -> None:
    c = Circuit("c", THETA, 2, (GateOp("ry", (1,), (Const(0.3),)), GateOp("cx", (0, 1))), (State(),))
    monkeypatch.setenv("QDL_FUSE_QUBITS", "three")
    with pytest.warns(UserWarning, match="QDL_FUSE_QUBITS='three'"):
        assert kinds(c) == ["DENSE2"]
