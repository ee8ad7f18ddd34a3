"""The text drawing: wires as rows, packed columns of ops, folded to a width.

    q[0]: ─ry(theta)──rz(phi)──────●──h──M───────────
                                   │     ║
    q[1]: ─h──────────●────────────⊕─────╫──M────────

Every row of the layout (`layers.pack`) is a wire line (─ for a qubit, ═ for a
classical bit) with a gap line below it that carries the vertical connectors:
│ between the qubits of one gate, ║ from a measurement or a classical
condition to its bits, ┼ / ╫ / ╬ where a connector crosses a wire it does not
touch.  A condition marks each bit it reads with the value it needs (● 1,
○ 0); a measurement writes its bit at ╩.  Columns that do not fit the width
go on to the next block (» at the end of a block, « at the start of the next).
"""

from __future__ import annotations

from dataclasses import dataclass

from qdl.compiler.draw.labels import Values, gate_label, roles
from qdl.compiler.draw.layers import Layout, Placed, pack
from qdl.compiler.ir import BarrierOp, Circuit, GateOp, MeasureOp, Register, ResetOp
from qdl.compiler.ir_text import format_observable

QWIRE, CWIRE = "─", "═"
_CROSS = {(False, False): "┼", (True, False): "╫", (True, True): "╬", (False, True): "╪"}
DEFAULT_WIDTH = 100


@dataclass
class _Column:
    """Text of one column: a wire cell and a gap cell per row, all `width` wide."""

    width: int
    wires: list[str]
    gaps: list[str]


def draw_text(circuit: Circuit, width: int = DEFAULT_WIDTH, values: Values | None = None) -> str:
    """The whole drawing of `circuit`: header, folded blocks of wires, footer; ends in a newline."""
    layout = pack(circuit)
    names = row_names(circuit)
    label_width = max((len(n) for n in names), default=0)
    prefix = [f"{n:>{label_width}}: " for n in names]
    columns = [_column(layout, col, values) for col in layout.columns]
    lines = [header(circuit)]
    for number, block in enumerate(_blocks(columns, width - label_width - 4)):
        if number:
            lines.append("")
        lines += _block_lines(layout, prefix, block, first=number == 0,
                              last=block[-1] is columns[-1] if columns else True)
    lines += _footer(circuit, layout, width, values)
    return "\n".join(line.rstrip() for line in lines) + "\n"


def row_names(circuit: Circuit) -> list[str]:
    """`q[0]`, ..., `c[1]`: register element names (`%i` / `$i` outside any register)."""
    qubits = _names(circuit.qubit_registers, circuit.num_qubits, "%")
    return qubits + _names(circuit.bit_registers, circuit.num_bits, "$")


def _names(registers: tuple[Register, ...], count: int, sigil: str) -> list[str]:
    names = [f"{sigil}{i}" for i in range(count)]
    for reg in registers:
        for k in range(reg.size):
            if reg.start + k < count:
                names[reg.start + k] = f"{reg.name}[{k}]"
    return names


def header(circuit: Circuit) -> str:
    """`circuit name(arg, param w)`: the first line of a drawing."""
    args = ", ".join(("param " if a.trainable else "") + a.name for a in circuit.arguments)
    return f"circuit {circuit.name}({args})"


def _footer(circuit: Circuit, layout: Layout, width: int, values: Values | None) -> list[str]:
    lines = []
    if layout.global_ops:
        phases = (circuit.ops[i] for i in layout.global_ops)
        labels = [gate_label(op.gate, op.params, values) for op in phases if isinstance(op, GateOp)]
        lines += _wrapped("global phase: ", labels, width)
    names = row_names(circuit)
    results = ", ".join(_result(r, names) for r in circuit.results)
    if results:
        lines.append(_clip(f"returns {results}", width))
    return lines


def _result(result, names: list[str]) -> str:
    observable = getattr(result, "observable", None)
    if observable is not None:
        return f"{type(result).__name__.lower()}({format_observable(observable)})"
    qubits = getattr(result, "qubits", None)
    kind = type(result).__name__.lower()
    return kind if qubits is None else f"{kind}({', '.join(names[q] for q in qubits)})"


def _wrapped(lead: str, labels: list[str], width: int) -> list[str]:
    """`lead` then the labels, as many a line as fit, later lines indented under the first label.

    A label longer than the room is clipped on a line of its own.
    """
    lines, line = [], lead
    for label in labels:
        if line.strip() and len(line) + 1 + len(label) > width and line != lead:
            lines.append(_clip(line, width))
            line = " " * len(lead)
        line += ("" if line.endswith(" ") else " ") + label
    return lines + [_clip(line, width)]


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[:max(width - 1, 1)] + "…"


def _blocks(columns: list[_Column], room: int) -> list[list[_Column]]:
    """Columns grouped so that each group fits `room` characters (a wider column stands alone)."""
    blocks: list[list[_Column]] = [[]]
    used = 0
    for column in columns:
        if blocks[-1] and used + column.width > room:
            blocks.append([])
            used = 0
        blocks[-1].append(column)
        used += column.width
    return blocks


def _block_lines(layout: Layout, prefix: list[str], block: list[_Column], first: bool, last: bool) -> list[str]:
    lines = []
    nq = layout.circuit.num_qubits
    for row, label in enumerate(prefix):
        wire = QWIRE if row < nq else CWIRE
        start, end = (wire if first else "«"), (wire if last else "»")
        lines.append(label + start + "".join(c.wires[row] for c in block) + end)
        if row + 1 < len(prefix):
            lines.append(" " * len(label) + " " + "".join(c.gaps[row] for c in block))
    return lines


def _column(layout: Layout, placed: tuple[Placed, ...], values: Values | None) -> _Column:
    """Lay out one column: wire cells with marks or labels, gap cells with connectors."""
    nq = layout.circuit.num_qubits
    marks = [marks_of(p, nq, values) for p in placed]
    width = 2 + max(len(text) for m in marks for text in m.values())
    rows = layout.num_rows
    column = _Column(width, [(QWIRE if r < nq else CWIRE) * width for r in range(rows)], [" " * width] * rows)
    for p, mark in zip(placed, marks):
        _draw(column, p, mark, nq)
    return column


def marks_of(p: Placed, nq: int, values: Values | None) -> dict[int, str]:
    """Row -> the text the op shows on that row (`nq` qubits come before the bit rows)."""
    op = p.op
    if isinstance(op, GateOp):
        out = roles(op, values)
        if op.condition is not None:
            out.update((nq + bit, "●" if op.condition.value >> k & 1 else "○")
                       for k, bit in enumerate(op.condition.bits))
        return out
    if isinstance(op, MeasureOp):
        return {op.qubit: "M", nq + op.bit: "╩"}
    if isinstance(op, ResetOp):
        return {op.qubit: "|0⟩"}
    assert isinstance(op, BarrierOp)
    return {row: "░" for row in p.rows}


def _draw(column: _Column, p: Placed, marks: dict[int, str], nq: int) -> None:
    """Write one op's marks and its vertical connector into `column`."""
    width, centre = column.width, (column.width - 1) // 2
    barrier = isinstance(p.op, BarrierOp)
    quantum_end = max((r for r in p.rows if r < nq), default=p.low)  # below it the connector is classical
    for row in range(p.low, p.high + 1):
        wire = QWIRE if row < nq else CWIRE
        classical = row > quantum_end
        if row in marks:
            text = marks[row]
            left = (width - len(text)) // 2
            column.wires[row] = wire * left + text + wire * (width - left - len(text))
        elif not barrier:
            column.wires[row] = _put(column.wires[row], centre, _CROSS[(classical, row >= nq)])
        if row < p.high and not barrier:
            link = "║" if row >= quantum_end else "│"
            column.gaps[row] = _put(column.gaps[row], centre, link)
        elif row < p.high and row in marks and row + 1 in marks:
            column.gaps[row] = _put(column.gaps[row], centre, "░")


def _put(cell: str, at: int, char: str) -> str:
    return cell[:at] + char + cell[at + 1:]
