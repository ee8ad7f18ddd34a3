"""Rich display in notebooks: a circuit's drawing and its resource table as HTML, or its figure as SVG.

`qdl.api` delegates `_repr_html_` / `_repr_svg_` of compiled programs and
circuits here.  The resource table of a notebook display is the circuit as
it is (one level: the program was loaded at its own `opt_level`), so that
showing a large circuit never runs the optimizer three more times.
"""

from __future__ import annotations

import html
import io
from typing import Iterable

from qdl.compiler.draw.mpl import PlotExtraMissing, draw_figure
from qdl.compiler.draw.resources import Resources, level_resources
from qdl.compiler.draw.text import DEFAULT_WIDTH, draw_text
from qdl.compiler.ir import Circuit

_PRE = "font-family:monospace;line-height:1.15;white-space:pre;overflow-x:auto"


def circuit_html(circuit: Circuit, width: int = DEFAULT_WIDTH) -> str:
    """The text drawing in a <pre> block followed by the resource table."""
    drawing = html.escape(draw_text(circuit, width))
    table = Resources(circuit.name, (level_resources(circuit),))._repr_html_()
    return f"<div><pre style='{_PRE}'>{drawing}</pre>{table}</div>"


def program_html(circuits: Iterable[Circuit], width: int = DEFAULT_WIDTH) -> str:
    """Every circuit's `circuit_html`, one after the other."""
    return "".join(circuit_html(c, width) for c in circuits)


def circuit_svg(circuit: Circuit) -> str | None:
    """The matplotlib drawing as SVG text, or None without matplotlib (the display falls back to HTML)."""
    try:
        figure = draw_figure(circuit)
    except PlotExtraMissing:
        return None
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", facecolor="white")
    return buffer.getvalue()
