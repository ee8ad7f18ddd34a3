"""Gradients through executors without Dask: what reaches an executor, threads, and how batches are cut.

(tests/runtime/test_executors_gradients.py runs the same gradients on a Dask cluster.)
"""

from __future__ import annotations

import numpy as np
import pytest

import qdl
from qdl.runtime.executors import Executor, LocalExecutor
from qdl.runtime.executors.chunking import row_chunks, shift_parts

SOURCE = """
circuit energy(x: float, param t: float[2]) -> float {
    qubit q[2];
    rx(x) q[0]; ry(t[0]) q[0]; cx q[0], q[1]; ry(t[1]) q[1]; rz(x * t[1]) q[1]; rx(t[0]) q[1];
    return expval(Z[0] Z[1] + 0.5 * X[1]);
}
"""


class Recording(Executor):
    """Runs everything here, on one thread, and records which kind of batch came, with its size."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def execute_slots(self, compiled, slots):
        self.calls.append(("forward", len(slots)))
        return compiled.execute_slots(slots)

    def shift_results(self, compiled, batch):
        self.calls.append(("shift", batch.count * len(batch.base)))
        return super().shift_results(compiled, batch)

    def adjoint_derivatives(self, program, adjoint, slots):
        self.calls.append(("adjoint", len(slots)))
        return super().adjoint_derivatives(program, adjoint, slots)


@pytest.fixture(scope="module")
def energy():
    return qdl.compile(SOURCE).energy


def test_each_gradient_method_sends_its_batch_to_the_executor(energy):
    rng = np.random.default_rng(0)
    x, t = rng.uniform(-2, 2, 6), rng.uniform(-2, 2, (6, 2))
    recording = Recording()
    for method in ("parameter-shift", "adjoint", "finite-diff"):
        got = energy.value_and_grad(x, t, method=method, executor=recording)
        expected = energy.value_and_grad(x, t, method=method)
        assert all(np.array_equal(a, b) for a, b in zip(got, expected))
    slots = len(energy.gradient_program().slots)  # angles that move with t: each shifted twice
    assert recording.calls == [("shift", 6 * (1 + 2 * slots)), ("adjoint", 6)]  # finite differences stay here
    with qdl.executor(recording):
        energy.grad(x[0], t[0], method="parameter-shift")  # unbatched: the shifted evaluations are the batch
    assert recording.calls[-1] == ("shift", 1 + 2 * slots)


@pytest.mark.parametrize("method", ["parameter-shift", "adjoint"])
def test_threads_give_the_same_bits(energy, method):
    rng = np.random.default_rng(1)
    x, t = rng.uniform(-2, 2, 9), rng.uniform(-2, 2, (9, 2))
    one = energy.value_and_grad(x, t, method=method, executor=LocalExecutor(1))
    for threads in (2, 3, 16):
        many = energy.value_and_grad(x, t, method=method, executor=LocalExecutor(threads))
        assert all(np.array_equal(a, b) for a, b in zip(many, one))


def test_row_chunks_cover_the_batch_in_order():
    assert row_chunks(7, 2) == [slice(0, 4), slice(4, 7)]
    assert row_chunks(7, 4, size=3) == [slice(0, 3), slice(3, 6), slice(6, 7)]
    assert row_chunks(0, 4) == []


def test_shift_parts_cover_every_evaluation_once():
    starts = np.array([0, 9, 0, 4, 4, 7, 1])
    for batch, tasks, size in [(1, 4, None), (3, 4, None), (10, 4, None), (2, 1, None), (2, 8, 3), (1, 1, 1)]:
        parts = shift_parts(batch, starts, 12, tasks, size)
        seen = np.zeros((len(starts), batch), dtype=int)
        for elements, terms, base in parts:
            seen[1 + terms, elements] += 1
            seen[0, elements] += base
        assert (seen == 1).all(), (batch, tasks, size)
    assert len(shift_parts(1, starts, 12, 4)) == 4 and len(shift_parts(10, starts, 12, 4)) == 4
    assert len(shift_parts(1, starts, 12, 100)) == 6  # one shifted evaluation a task at most
    assert len(shift_parts(1, np.array([0]), 12, 4)) == 1  # no shifted evaluation: the value alone


def test_shift_groups_balance_the_remaining_work():
    starts = np.array([0] + [0] * 4 + [90] * 4)  # 4 evaluations of 100 rows, 4 of 10
    (_, first, _), (_, second, _) = shift_parts(1, starts, 100, 2)
    assert len(first) < len(second) and 0 in first and 4 in second
