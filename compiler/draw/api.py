"""One entry point for drawing a circuit in any format, with argument values checked first.

`qdl.api` and `qdlc draw` both call `draw` / `check_values`, so the Python
and command-line faces accept and reject the same things.
"""

from __future__ import annotations

import shutil
from typing import Any, Mapping

import numpy as np

from qdl.compiler.draw.text import draw_text
from qdl.compiler.ir import Circuit
from qdl.errors import ArgumentError

FORMATS = ("text", "mpl")


def check_values(circuit: Circuit, args: Mapping[str, Any] | None) -> dict[str, np.ndarray] | None:
    """`args` as float arrays of their declared shapes; unknown names or wrong shapes are an `ArgumentError`.

    Arguments left out stay symbolic in the drawing.
    """
    if not args:
        return None
    values = {}
    for name, value in args.items():
        argument = circuit.argument(name)
        if argument is None:
            known = ", ".join(a.name for a in circuit.arguments) or "(none)"
            raise ArgumentError(f"circuit `{circuit.name}` has no argument `{name}`; its arguments: {known}")
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise ArgumentError(f"argument `{name}`: expected numbers, got {value!r}") from None
        if array.shape != argument.shape:
            raise ArgumentError(f"argument `{name}` has shape {list(argument.shape)}, got a value of shape "
                                f"{list(array.shape)}")
        values[name] = array
    return values


def terminal_width() -> int:
    """Columns of the terminal (80 when there is none)."""
    return shutil.get_terminal_size((80, 24)).columns


def draw(circuit: Circuit, format: str = "text", width: int | None = None,
         args: Mapping[str, Any] | None = None) -> Any:
    """A text drawing (str) of `width` columns (default 100), or a matplotlib Figure for "mpl"."""
    values = check_values(circuit, args)
    if format == "text":
        if width is not None and (isinstance(width, bool) or not isinstance(width, int) or width < 20):
            raise ArgumentError(f"width must be an integer of at least 20, got {width!r}")
        return draw_text(circuit, width or 100, values)
    if format == "mpl":
        from qdl.compiler.draw.mpl import draw_figure
        return draw_figure(circuit, values)
    raise ArgumentError(f"unknown drawing format {format!r}; choose one of {', '.join(FORMATS)}")
