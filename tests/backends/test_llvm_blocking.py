"""Cache blocking: stage partitions are valid, and blocked kernels equal the reference simulator.

Small chunks (7 qubits) on 9-11 qubit circuits exercise every path that a
24-qubit state takes with the default chunk: gathered and in-place chunks,
controls outside the chunk, diagonal targets outside the chunk.
"""

from __future__ import annotations


import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qdl.compiler.backends.llvm import lower
from qdl.compiler.backends.llvm.blocking import RUN_QUBITS, Step, stages
from qdl.compiler.expr import Arg, Const
from qdl.compiler.gates import GATES
from qdl.compiler.ir import Argument, Circuit, ExpVal, GateOp, Observable, PauliTerm, Probs, State
from qdl.runtime import reference
from qdl.runtime.llvm import compile_circuit

BLOCK = 7



# --- the partition ---------------------------------------------------------------------


@st.composite
def step_lists(draw: st.DrawFn) -> tuple[list[Step], int, int]:
    n = draw(st.integers(8, 14))
    block = draw(st.integers(RUN_QUBITS + 4, n))
    steps = []
    for _ in range(draw(st.integers(0, 60))):
        qubits = draw(st.permutations(range(n)))
        k = draw(st.integers(1, 4))
        c = draw(st.integers(0, 2))
        diagonal = draw(st.booleans())
        steps.append(Step(diagonal, not diagonal and k == 1 and draw(st.booleans()), tuple(qubits[:k]),
                          tuple(qubits[k:k + c]), (True,) * c, 0))
    return steps, n, block


@settings(max_examples=200, deadline=None)
@given(step_lists())
def test_stages_cover_every_step_once_in_dependency_order(case: tuple[list[Step], int, int]) -> None:
    steps, n, block = case
    parts = stages(steps, n, block)
    order = [i for stage in parts for i in stage.steps]
    assert sorted(order) == list(range(len(steps)))
    position = {i: p for p, i in enumerate(order)}
    for i in range(len(steps)):
        for j in range(i + 1, len(steps)):
            if steps[i].qubits & steps[j].qubits:
                assert position[i] < position[j], "steps sharing a qubit were reordered"
    for stage in parts:
        assert len(stage.local) == min(n, block)
        assert list(stage.local) == sorted(set(stage.local))
        assert set(range(min(RUN_QUBITS, n))) <= set(stage.local)
        for i in stage.steps:
            assert steps[i].needs_chunk <= set(stage.local)


def ansatz(n: int, layers: int) -> Circuit:
    ops = []
    for layer in range(layers):
        for q in range(n):
            ops.append(GateOp("ry", (q,), (Arg("t", (layer, q, 0)),)))
            ops.append(GateOp("rz", (q,), (Arg("t", (layer, q, 1)),)))
        ops.extend(GateOp("cx", (q, (q + 1) % n)) for q in range(n))
    z0 = ExpVal(Observable((PauliTerm(1.0, ((0, "Z"),)),)))
    return Circuit("ansatz", (Argument("t", "float", (layers, n, 2), True),), n, tuple(ops), (z0, State()))


def test_the_ansatz_needs_few_stages() -> None:
    """24 qubits, 10 layers: about two sweeps of the state per layer instead of 48."""
    plan = lower(ansatz(24, 10), block=15)
    assert plan.blocked and plan.chunk_qubits == 15
    assert len(plan.stages) <= 22
    assert plan.stages[0].inplace == 1


def test_qft_diagonal_ladders_need_no_chunk_qubits() -> None:
    n = 20
    ops = []
    for j in reversed(range(n)):
        ops.append(GateOp("h", (j,)))
        ops.extend(GateOp("cp", (k, j), (Const(np.pi / 2 ** (j - k)),)) for k in reversed(range(j)))
    plan = lower(Circuit("qft", (), n, tuple(ops), (State(),)), block=15)
    assert len(plan.stages) <= 3


def test_small_states_are_one_in_place_stage() -> None:
    plan = lower(ansatz(6, 2))
    assert not plan.blocked and len(plan.stages) == 1 and plan.stages[0].inplace == 1


# --- blocked kernels against the reference -----------------------------------------------


def assert_blocked_same(c: Circuit, args: dict) -> None:
    compiled = compile_circuit(c, block=BLOCK)
    assert compiled.plan.blocked
    for got, want in zip(compiled.run(args), reference.simulate(c, args)):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-11)


def test_blocked_ansatz_matches_the_reference() -> None:
    c = ansatz(10, 3)
    args = {"t": np.random.default_rng(1).uniform(-np.pi, np.pi, size=(2, 3, 10, 2))}
    assert_blocked_same(c, args)
    assert any(s.inplace == 0 for s in compile_circuit(c, block=BLOCK).plan.stages)


GATE_NAMES = sorted(n for n in GATES if GATES[n].num_qubits <= 4)


@st.composite
def random_circuits(draw: st.DrawFn) -> tuple[Circuit, dict]:
    n = draw(st.integers(BLOCK + 1, BLOCK + 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    ops = [GateOp("u", (q,), tuple(Const(a) for a in rng.uniform(-3, 3, 3))) for q in range(n)]
    for _ in range(40):
        spec = GATES[draw(st.sampled_from(GATE_NAMES))]
        qubits = [int(q) for q in rng.permutation(n)]
        k = spec.num_qubits
        ctrls = tuple(qubits[k:k + draw(st.integers(0, 2))])
        values = tuple(bool(v) for v in rng.integers(0, 2, len(ctrls)))
        params = tuple(Arg("theta", (int(rng.integers(0, 4)),)) * 1.5 for _ in range(spec.num_params))
        ops.append(GateOp(spec.name, tuple(qubits[:k]), params, ctrls, values))
    obs = Observable((PauliTerm(0.7, ((0, "X"), (n - 1, "Z"))), PauliTerm(-0.3, ((n - 2, "Y"),))))
    results = (State(), Probs((n - 1, 0)), ExpVal(obs))
    thetas = rng.uniform(-np.pi, np.pi, size=(2, 4))
    return Circuit("c", (Argument("theta", "float", (4,), True),), n, tuple(ops), results), {"theta": thetas}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_circuits())
def test_blocked_random_circuits_match_the_reference(case: tuple[Circuit, dict]) -> None:
    assert_blocked_same(*case)


def test_controls_and_diagonal_targets_outside_the_chunk() -> None:
    """High controls on dense gates, high diagonal targets (rz, cp, controlled gphase): per-chunk paths."""
    n = BLOCK + 3
    rng = np.random.default_rng(7)
    ops = [GateOp("u", (q,), tuple(Const(a) for a in rng.uniform(-3, 3, 3))) for q in range(n)]
    ops += [
        GateOp("rx", (1,), (Const(0.3),), controls=(n - 1,), control_values=(True,)),
        GateOp("ry", (2,), (Const(0.4),), controls=(n - 1, n - 2), control_values=(False, True)),
        GateOp("x", (0,), (), controls=(n - 3,), control_values=(True,)),
        GateOp("rz", (n - 1,), (Const(0.5),)),
        GateOp("cp", (n - 2, n - 1), (Const(0.6),)),
        GateOp("p", (n - 1,), (Const(0.7),), controls=(3,), control_values=(False,)),
        GateOp("gphase", (), (Const(0.8),), controls=(n - 1,), control_values=(True,)),
        GateOp("h", (n - 1,)),
        GateOp("crx", (n - 2, n - 1), (Const(0.9),)),
    ]
    assert_blocked_same(Circuit("c", (), n, tuple(ops), (State(),)), {})


@pytest.mark.parametrize("text", ["abc", "3", "99", "-1"])
def test_a_bad_block_size_in_the_environment_is_named_and_the_default_used(text: str, monkeypatch) -> None:
    from qdl.compiler.backends.llvm import plan
    monkeypatch.setenv("QDL_BLOCK_QUBITS", text)
    with pytest.warns(UserWarning, match="QDL_BLOCK_QUBITS"):
        assert plan._block_qubits() == plan.DEFAULT_BLOCK_QUBITS
    monkeypatch.setenv("QDL_BLOCK_QUBITS", "12")
    assert plan._block_qubits() == 12
