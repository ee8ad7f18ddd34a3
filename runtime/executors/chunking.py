"""How a batch is cut into tasks: row ranges of a forward batch, parts of a parameter-shift batch.

Plain functions of sizes only (no cluster), so that the cut is tested on its own.
A forward or adjoint batch of B slot rows makes `tasks` contiguous row ranges.
A parameter-shift batch (B elements × 1 + T evaluations, `runtime.llvm.shift`)
is cut along the elements first (each part keeps every evaluation of its
elements, so their shared prefixes stay shared) and, when there are fewer
elements than tasks, along the shifted evaluations too: those sorted by start
row and grouped into runs of about equal work (rows still to apply), each
group continuing its own copy of the unshifted evaluation.
"""

from __future__ import annotations

import math

import numpy as np


def row_chunks(batch: int, tasks: int, size: int | None = None) -> list[slice]:
    """Contiguous row ranges covering `batch` rows: `size` rows each, else about `tasks` equal ones."""
    size = size or max(1, math.ceil(batch / max(1, tasks)))
    return [slice(start, min(start + size, batch)) for start in range(0, batch, size)]


def shift_parts(batch: int, starts: np.ndarray, end: int, tasks: int,
                size: int | None = None) -> list[tuple[slice, np.ndarray, bool]]:
    """(elements, shifted evaluations (indices k - 1), computes the unshifted one) of each task.

    `starts` (1 + T,) are the evaluations' start rows, `end` the op table's
    length; `size` caps the evaluations (elements × (1 + terms)) of a task
    instead of aiming at `tasks` tasks.  Every element range has exactly one
    part that computes its unshifted evaluation.
    """
    terms = len(starts) - 1
    if size is not None:
        tasks = math.ceil(batch * (1 + terms) / size)
    tasks = max(1, tasks)
    element_parts = max(1, min(batch, tasks))
    groups = _term_groups(np.asarray(starts[1:], dtype=np.int64), end, math.ceil(tasks / element_parts))
    return [(elements, group, k == 0) for elements in row_chunks(batch, element_parts)
            for k, group in enumerate(groups)]


def _term_groups(starts: np.ndarray, end: int, parts: int) -> list[np.ndarray]:
    """The shifted evaluations, by start row, in up to `parts` groups of about equal remaining rows."""
    order = np.argsort(starts, kind="stable")
    parts = min(parts, len(order))
    if parts <= 1:
        return [order]
    work = np.cumsum(np.maximum(end - starts[order], 1))
    bounds = np.searchsorted(work, work[-1] * np.arange(1, parts) / parts, side="right")
    for k in range(len(bounds)):  # no empty group: at least one evaluation each, in order
        bounds[k] = min(max(bounds[k], (bounds[k - 1] if k else 0) + 1), len(order) - (parts - 1 - k))
    return np.split(order, bounds)
