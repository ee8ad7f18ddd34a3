"""Layer packing: a circuit's flat op list -> columns of ops that can be drawn side by side.

Shared by the text and the matplotlib drawings.  Rows are the circuit's
qubits (rows 0..n-1) followed by its classical bits (rows n..n+m-1).  An op
*touches* the rows it acts on or reads (its controls, targets, the bit a
measurement writes, the bits a condition reads) and *spans* every row
between the first and the last of them, because its vertical connector is
drawn through them.  Packing is ASAP over spans: an op goes into the first
column after the last column that holds an op spanning one of its rows.

Invariants (property-tested): two ops in one column never span a common
row, so never share a qubit; ops that share a row keep their program order.
Zero-qubit gates (a global phase) have no row and are kept apart in
`Layout.global_ops`.
"""

from __future__ import annotations

from dataclasses import dataclass

from qdl.compiler.ir import BarrierOp, Circuit, GateOp, MeasureOp, Op, ResetOp


@dataclass(frozen=True)
class Placed:
    """One op in a column: its index in `circuit.ops`, the rows it touches and spans."""

    index: int
    op: Op
    rows: tuple[int, ...]
    low: int
    high: int


@dataclass(frozen=True)
class Layout:
    """The packed columns of one circuit, and its row count."""

    circuit: Circuit
    columns: tuple[tuple[Placed, ...], ...]
    global_ops: tuple[int, ...]

    @property
    def num_rows(self) -> int:
        """Qubit rows plus bit rows."""
        return self.circuit.num_qubits + self.circuit.num_bits


def touched_rows(op: Op, num_qubits: int, all_qubits: int) -> tuple[int, ...]:
    """The rows `op` acts on or reads, in no particular order (bit b is row num_qubits + b)."""
    if isinstance(op, GateOp):
        bits = op.condition.bits if op.condition is not None else ()
        return op.all_qubits + tuple(num_qubits + b for b in bits)
    if isinstance(op, MeasureOp):
        return (op.qubit, num_qubits + op.bit)
    if isinstance(op, ResetOp):
        return (op.qubit,)
    if isinstance(op, BarrierOp):
        return op.qubits or tuple(range(all_qubits))
    raise TypeError(f"not an IR op: {op!r}")


def pack(circuit: Circuit) -> Layout:
    """Pack `circuit.ops` into columns (see the module docstring)."""
    free: list[int] = [0] * (circuit.num_qubits + circuit.num_bits)  # next free column per row
    columns: list[list[Placed]] = []
    global_ops: list[int] = []
    for index, op in enumerate(circuit.ops):
        rows = touched_rows(op, circuit.num_qubits, circuit.num_qubits)
        if not rows:
            global_ops.append(index)
            continue
        low, high = min(rows), max(rows)
        column = max(free[low:high + 1])
        if column == len(columns):
            columns.append([])
        columns[column].append(Placed(index, op, tuple(rows), low, high))
        free[low:high + 1] = [column + 1] * (high - low + 1)
    return Layout(circuit, tuple(tuple(c) for c in columns), tuple(global_ops))
