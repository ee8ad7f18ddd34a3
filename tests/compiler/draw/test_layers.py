"""Layer packing: no two ops of a column share a row, per-row order is program order, nothing lost."""

from __future__ import annotations

from hypothesis import given, settings

from qdl.compiler.draw.layers import pack, touched_rows
from qdl.compiler.ir import Circuit, GateOp
from qdl.compiler.passes.analysis.stats import depth

from draw_strategies import circuits


def _qubits(op) -> set[int]:
    rows = touched_rows(op, 10**6, 0)  # rows below 10**6 are qubits
    return {r for r in rows if r < 10**6}


@settings(max_examples=300, deadline=None)
@given(circuits())
def test_columns_never_share_a_row_or_a_qubit(circuit: Circuit):
    layout = pack(circuit)
    for column in layout.columns:
        spans = sorted((p.low, p.high) for p in column)
        assert all(a[1] < b[0] for a, b in zip(spans, spans[1:])), spans
        qubits = [q for p in column for q in _qubits(p.op)]
        assert len(qubits) == len(set(qubits))


@settings(max_examples=300, deadline=None)
@given(circuits())
def test_per_row_order_is_program_order_and_every_op_is_placed_once(circuit: Circuit):
    layout = pack(circuit)
    placed = [p.index for column in layout.columns for p in column] + list(layout.global_ops)
    assert sorted(placed) == list(range(len(circuit.ops)))
    where = {p.index: c for c, column in enumerate(layout.columns) for p in column}
    for row in range(layout.num_rows):
        on_row = [i for i in sorted(where) if row in touched_rows(circuit.ops[i], circuit.num_qubits,
                                                                   circuit.num_qubits)]
        columns = [where[i] for i in on_row]
        assert columns == sorted(columns) and len(set(columns)) == len(columns)


@settings(max_examples=200, deadline=None)
@given(circuits())
def test_column_count_is_at_least_the_depth(circuit: Circuit):
    assert len(pack(circuit).columns) >= depth(circuit)


def test_a_gate_on_distant_qubits_blocks_the_wires_between():
    circuit = Circuit("c", (), 3, (GateOp("cx", (0, 2)), GateOp("h", (1,))), ())
    layout = pack(circuit)
    assert [[p.index for p in column] for column in layout.columns] == [[0], [1]]


def test_independent_gates_share_a_column():
    circuit = Circuit("c", (), 3, (GateOp("h", (0,)), GateOp("h", (2,)), GateOp("cx", (0, 1))), ())
    assert [[p.index for p in column] for column in pack(circuit).columns] == [[0, 1], [2]]
