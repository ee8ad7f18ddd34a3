"""The matplotlib drawing (the optional `qdl[plot]` extra): the text drawing's layout as a figure.

Same columns as the text drawing (`layers.pack`), same marks (`labels.roles`):
boxes with labels, ● / ○ controls, ⊕ targets, × swap ends, a meter for a
measurement with a double line to its bit, classical conditions as ● / ○ on
the bits they read.  Columns that do not fit `fold` units go on to a new
block of wires below.  Uses `matplotlib.figure.Figure` directly, so no GUI
backend and no global pyplot state are involved.
"""

from __future__ import annotations

from typing import Any

from qdl.compiler.draw.labels import CONTROL, NEG_CONTROL, SWAP, X_TARGET, Values, gate_label
from qdl.compiler.draw.layers import Placed, pack
from qdl.compiler.draw.text import header, marks_of, row_names
from qdl.compiler.ir import BarrierOp, Circuit, MeasureOp

CHAR = 0.13  # width of one label character, in row spacings
INCH = 0.55  # inches per row spacing
GATE_HEIGHT = 0.6
BOX = {"facecolor": "#dbe9f6", "edgecolor": "#1f4e79", "linewidth": 1.2}
LINE = "#1f1f1f"


class PlotExtraMissing(ImportError):
    """matplotlib is not installed: the message names the extra that brings it."""


def _matplotlib() -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise PlotExtraMissing("drawing as SVG/PNG needs matplotlib: pip install 'qdl[plot]'") from None
    return Figure


def draw_figure(circuit: Circuit, values: Values | None = None, fold: float = 24.0) -> Any:
    """A matplotlib `Figure` of `circuit`; `fold` is the width of one block of wires, in row spacings."""
    Figure = _matplotlib()
    layout = pack(circuit)
    nq, rows = circuit.num_qubits, layout.num_rows
    marks = [[marks_of(p, nq, values) for p in col] for col in layout.columns]
    widths = [max(0.8, CHAR * max(len(t) for m in col for t in m.values()) + 0.35) for col in marks]
    blocks = _blocks(widths, fold)
    span = max((sum(widths[i] for i in block) for block in blocks), default=1.0) + 1.9  # labels, margin
    bottom = (len(blocks) - 1) * (rows + 0.6) + rows - 0.4 + 0.5 * bool(layout.global_ops)
    figure = Figure(figsize=(max(span, 3.0) * INCH, (bottom + 0.9) * INCH))
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(-1.4, span - 1.4)
    axes.set_ylim(bottom, -0.9)
    axes.axis("off")
    axes.text(-1.3, -0.6, header(circuit), fontsize=10, family="monospace", va="center")
    if layout.global_ops:  # a global phase has no wire: a note under the drawing, as in the text form
        phases = (circuit.ops[i] for i in layout.global_ops)
        note = "global phase: " + " ".join(gate_label(op.gate, op.params, values) for op in phases)
        axes.text(-1.3, bottom - 0.3, note, fontsize=9, family="monospace", va="center")
    names = row_names(circuit)
    for b, block in enumerate(blocks):
        top = b * (rows + 0.6)
        end = sum(widths[i] for i in block) + 0.2
        for row in range(rows):
            _wire(axes, top + row, end, row >= nq)
            axes.text(-0.15, top + row, names[row], ha="right", va="center", fontsize=10, family="monospace")
        x = 0.2
        for i in block:
            for p, m in zip(layout.columns[i], marks[i]):
                _op(axes, p, m, x + widths[i] / 2, top, nq)
            x += widths[i]
    return figure


def save(circuit: Circuit, path: str, fmt: str, values: Values | None = None) -> None:
    """Write the drawing of `circuit` to `path` as `fmt` ("svg" or "png")."""
    figure = draw_figure(circuit, values)
    figure.savefig(path, format=fmt, dpi=150, facecolor="white")


def _blocks(widths: list[float], fold: float) -> list[list[int]]:
    blocks: list[list[int]] = [[]]
    used = 0.0
    for i, w in enumerate(widths):
        if blocks[-1] and used + w > fold:
            blocks.append([])
            used = 0.0
        blocks[-1].append(i)
        used += w
    return blocks


def _wire(axes: Any, y: float, end: float, classical: bool) -> None:
    if classical:
        for dy in (-0.04, 0.04):
            axes.plot([0, end], [y + dy, y + dy], color=LINE, lw=0.8, zorder=1)
    else:
        axes.plot([0, end], [y, y], color=LINE, lw=1.0, zorder=1)


def _op(axes: Any, p: Placed, marks: dict[int, str], x: float, top: float, nq: int) -> None:
    """Draw one op at column centre `x`: its connector first, then a mark per row."""
    from matplotlib.patches import Circle, FancyBboxPatch
    if isinstance(p.op, BarrierOp):
        axes.add_patch(FancyBboxPatch((x - 0.12, top + p.low - 0.4), 0.24, p.high - p.low + 0.8,
                                      boxstyle="square,pad=0", facecolor="#cccccc", edgecolor="none",
                                      alpha=0.6, zorder=2))
        return
    quantum_end = max((r for r in p.rows if r < nq), default=p.low)
    if quantum_end > p.low:
        axes.plot([x, x], [top + p.low, top + quantum_end], color=LINE, lw=1.2, zorder=2)
    if p.high > quantum_end:
        for dx in (-0.035, 0.035):
            axes.plot([x + dx, x + dx], [top + quantum_end, top + p.high], color=LINE, lw=0.8, zorder=2)
    for row, text in marks.items():
        _mark(axes, text, x, top + row, isinstance(p.op, MeasureOp), Circle, FancyBboxPatch)


def _mark(axes: Any, text: str, x: float, y: float, measure: bool, Circle: Any, Box: Any) -> None:
    if text in (CONTROL, NEG_CONTROL, "○"):
        axes.add_patch(Circle((x, y), 0.1, facecolor=LINE if text == CONTROL else "white", edgecolor=LINE,
                              lw=1.2, zorder=4))
    elif text == X_TARGET:
        axes.add_patch(Circle((x, y), 0.2, facecolor="white", edgecolor=LINE, lw=1.2, zorder=4))
        axes.plot([x - 0.2, x + 0.2], [y, y], color=LINE, lw=1.2, zorder=5)
        axes.plot([x, x], [y - 0.2, y + 0.2], color=LINE, lw=1.2, zorder=5)
    elif text == SWAP:
        for sign in (1, -1):
            axes.plot([x - 0.12, x + 0.12], [y - 0.12 * sign, y + 0.12 * sign], color=LINE, lw=1.5, zorder=4)
    elif text == "╩":
        axes.plot([x - 0.1, x, x + 0.1], [y - 0.14, y, y - 0.14], color=LINE, lw=1.0, zorder=4)
    elif measure:
        _meter(axes, x, y, Box)
    else:
        w = max(0.5, CHAR * len(text) + 0.15)
        axes.add_patch(Box((x - w / 2, y - GATE_HEIGHT / 2), w, GATE_HEIGHT, boxstyle="round,pad=0,rounding_size=0.06",
                           zorder=3, **BOX))
        axes.text(x, y, text, ha="center", va="center", fontsize=9, family="monospace", zorder=4)


def _meter(axes: Any, x: float, y: float, Box: Any) -> None:
    from matplotlib.patches import Arc
    axes.add_patch(Box((x - 0.3, y - GATE_HEIGHT / 2), 0.6, GATE_HEIGHT, boxstyle="round,pad=0,rounding_size=0.06",
                       zorder=3, facecolor="#f3e3c3", edgecolor="#7a5200", linewidth=1.2))
    axes.add_patch(Arc((x, y + 0.15), 0.4, 0.4, theta1=180, theta2=360, color=LINE, lw=1.0, zorder=4))
    axes.plot([x, x + 0.16], [y + 0.15, y - 0.18], color=LINE, lw=1.0, zorder=4)
