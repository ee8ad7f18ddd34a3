"""The kernel's resumable form, slot first rows, and parameter shift sharing the prefix of its evaluations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qdl.api import CircuitFunction
from qdl.compiler.backends.llvm import plan as plan_module
from qdl.compiler.backends.llvm.codegen import REDUCE, START
from qdl.compiler.backends.llvm.slot_rows import _spans, first_rows
from qdl.compiler.backends.llvm.plan import fill_matrices
from qdl.compiler.ir import ExpVal, Probs, State, Var
from qdl.runtime.llvm import shift
from qdl.runtime.llvm.kernel import CompiledCircuit, compile_circuit
from test_llvm_adjoint import observable, random_circuit
from test_llvm_blocking import ansatz

H = observable((0.7, "Z0 X1"), (-0.4, "Y2"), (0.2, "Z3"))


def resumed(compiled: CompiledCircuit, slots: np.ndarray, cuts: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The run split at `cuts`: the first piece from |0...0>, each later one continuing the states."""
    states = np.full((slots.shape[0], 2**compiled.plan.num_qubits), np.nan, dtype=np.complex128)
    bounds = [0] + sorted(cuts) + [len(compiled.plan.rows)]
    out = None
    for k, (lo, hi) in enumerate(zip(bounds, bounds[1:])):
        flags = (START if k == 0 else 0) | (REDUCE if hi == bounds[-1] else 0)
        out = compiled.resume(slots, states, lo, hi, flags)
    return states, out


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), data=st.data())
def test_a_run_in_pieces_equals_one_run(seed: int, data: st.DataObject) -> None:
    c = random_circuit(seed % 50, (State(), ExpVal(H), Probs((1, 3))))  # 50 circuits: few compiles
    compiled = compile_circuit(c)
    rows = len(compiled.plan.rows)
    cuts = data.draw(st.lists(st.integers(0, rows), max_size=4))
    slots = compiled.slots.read({"theta": np.random.default_rng(seed).uniform(-3, 3, (2, 5))}, 2)
    want_states, want_out = compiled.execute_slots(slots)
    states, out = resumed(compiled, slots, cuts)
    np.testing.assert_allclose(states, want_states, rtol=0, atol=1e-12)
    np.testing.assert_allclose(out, want_out, rtol=0, atol=1e-12)


def test_a_blocked_run_in_pieces_equals_one_run() -> None:
    """Cut inside stages: within a stage every chunk gets the same rows, so any row prefix is a state."""
    compiled = compile_circuit(ansatz(10, 3), block=7)
    assert len(compiled.plan.stages) > 2
    slots = compiled.slots.read({"t": np.random.default_rng(3).uniform(-3, 3, (2, 3, 10, 2))}, 2)
    middle = [(s.first + s.end) // 2 for s in compiled.plan.stages]
    want_states, _ = compiled.execute_slots(slots)
    states, _ = resumed(compiled, slots, middle)
    np.testing.assert_allclose(states, want_states, rtol=0, atol=1e-12)


def test_resume_refuses_states_of_the_wrong_shape() -> None:
    compiled = compile_circuit(random_circuit(1, (ExpVal(H),)))
    slots = compiled.slots.read({"theta": np.zeros(5)}, 1)
    with pytest.raises(ValueError, match="complex128 state"):
        compiled.resume(slots, np.zeros((2, 16), dtype=np.complex128), 0, 1, START)


@pytest.mark.parametrize("seed", range(8))
def test_no_row_before_a_slots_first_row_reads_an_entry_it_changes(seed: int) -> None:
    plan = compile_circuit(random_circuit(seed, (ExpVal(H),), ops=24), distinct_slots=True).plan
    first = first_rows(plan)
    values = np.random.default_rng(seed).uniform(-3, 3, (1, len(plan.slots)))
    before = fill_matrices(plan, values)[0]
    for slot in range(len(plan.slots)):
        moved = values.copy()
        moved[0, slot] += 0.37
        changed = set(np.flatnonzero(fill_matrices(plan, moved)[0] != before))
        reads = [{e for lo, hi in _spans(row) for e in range(lo, hi)} for row in plan.rows]
        assert not any(r & changed for r in reads[:first[slot]])
        if changed:  # the first row it names does read it
            assert reads[first[slot]] & changed


def test_shifted_evaluations_skip_the_shared_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows applied by parameter shift on a deep circuit: about half of re-simulating every evaluation."""
    c = ansatz(6, 8)
    c = type(c)(c.name, c.arguments, c.num_qubits, c.ops, (ExpVal(observable((1.0, "Z0"))),))
    applied = []
    original = CompiledCircuit.resume

    def counting(self, slots, states, first_row, end_row, flags, threads=1):
        applied.append(slots.shape[0] * (end_row - first_row))
        return original(self, slots, states, first_row, end_row, flags, threads)

    monkeypatch.setattr(CompiledCircuit, "resume", counting)
    monkeypatch.setattr(shift, "CALL_COST", 1)  # calls free: every slot starts at its own first row
    t = np.random.default_rng(5).uniform(-3, 3, (8, 6, 2))
    fast = CircuitFunction(c, "llvm").jacobian(t, method="parameter-shift")
    slow = CircuitFunction(c, "reference").jacobian(t, method="parameter-shift")
    np.testing.assert_allclose(fast, slow, atol=1e-10)
    rows = len(compile_circuit(shift_linear(c), distinct_slots=True).plan.rows)
    evaluations = 1 + 2 * t.size
    assert sum(applied) < 0.6 * evaluations * rows


def test_small_states_run_every_evaluation_in_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """Below `CALL_COST` a call costs more than the prefix it would save: one batch from row 0."""
    calls = []
    original = CompiledCircuit.resume
    monkeypatch.setattr(CompiledCircuit, "resume", lambda self, *a, **k: calls.append(a[2:4]) or original(self, *a, **k))
    c = random_circuit(12, (ExpVal(H),), ops=20)
    theta = np.random.default_rng(9).uniform(-2, 2, 5)
    fast = CircuitFunction(c, "llvm").jacobian(theta, method="parameter-shift")
    np.testing.assert_allclose(fast, CircuitFunction(c, "reference").jacobian(theta, method="parameter-shift"),
                               atol=1e-10)
    assert len(calls) == 3 and all(first == 0 for first, _ in calls)  # |0>, the shifted batch, the unshifted


def shift_linear(c):
    from qdl.compiler.autodiff import gradient_program
    from qdl.compiler.autodiff.linearize import linear_circuit
    return linear_circuit(gradient_program(c).circuit)


@pytest.mark.parametrize("results", [(ExpVal(H),), (ExpVal(H), Var(H), Probs((2, 0)))])
def test_blocked_parameter_shift_matches_the_reference(monkeypatch: pytest.MonkeyPatch, results) -> None:
    monkeypatch.setattr(plan_module, "BLOCK_QUBITS", 7)
    c = random_circuit(77, results, ops=30)
    c = type(c)(c.name, c.arguments, 9, c.ops, c.results, returns_tuple=c.returns_tuple)
    theta = np.random.default_rng(8).uniform(-2, 2, (2, 5))
    fast = CircuitFunction(c, "llvm").jacobian(theta, method="parameter-shift")
    slow = CircuitFunction(c, "reference").jacobian(theta, method="parameter-shift")
    assert compile_circuit(shift_linear(c), distinct_slots=True).plan.blocked
    for f, s in zip(fast if c.returns_tuple else (fast,), slow if c.returns_tuple else (slow,)):
        np.testing.assert_allclose(f, s, atol=1e-10)


def test_small_call_budget_still_gives_the_same_derivatives(monkeypatch: pytest.MonkeyPatch) -> None:
    """A call budget of one state: every group and batch part split into single evaluations."""
    monkeypatch.setattr(shift, "MAX_CALL_BYTES", 16 * 16)
    c = random_circuit(31, (ExpVal(H), Probs((0, 2))))
    theta = np.random.default_rng(2).uniform(-2, 2, (3, 5))
    fast = CircuitFunction(c, "llvm").jacobian(theta, method="parameter-shift")
    slow = CircuitFunction(c, "reference").jacobian(theta, method="parameter-shift")
    for f, s in zip(fast, slow):
        np.testing.assert_allclose(f, s, atol=1e-10)


def test_single_precision_shares_prefixes_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shift, "CALL_COST", 1)
    c = random_circuit(41, (ExpVal(H), Probs((1, 2))), ops=20)
    theta = np.random.default_rng(4).uniform(-2, 2, (2, 5))
    fast = CircuitFunction(c, "llvm", precision="single")
    got = fast.jacobian(theta, method="parameter-shift")
    want = CircuitFunction(c, "reference").jacobian(theta, method="parameter-shift")
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, atol=2e-5)
