"""What a kernel call reads and writes besides the kernel: slot matrices from arguments, work buffers.

`SlotReader` evaluates a plan's slots (its distinct parameter expressions)
into the (B, slots) float64 matrix the kernel reads; `gather_plan` is the
same gather precomputed for the unbatched fast paths; `WorkBuffers` holds a
call's matrices, scratch and (for fast paths) its own slots, state and
results, with their addresses taken once; `check_memory` refuses a state
batch the machine cannot hold before anything is allocated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from qdl.compiler.backends.llvm import KernelPlan
from qdl.compiler.expr import Arg, Expr
from qdl.compiler.ir import FLOAT, Argument, Circuit

PRECISIONS = {"double": np.dtype(np.complex128), "single": np.dtype(np.complex64)}  # the state's dtype
_F64 = np.dtype(np.float64)
_SCALARS = (float, np.float64)  # exact types: not bool, int or float32, which the general path converts


@dataclass(frozen=True)
class SlotReader:
    """Evaluates the plan's slots into (B, slots): plain argument elements by one gather per argument."""

    gathers: tuple[tuple[str, np.ndarray, np.ndarray], ...]  # (argument, slot columns, flat element index)
    others: tuple[tuple[int, Expr], ...]
    count: int

    @classmethod
    def of(cls, circuit: Circuit, slots: tuple[Expr, ...]) -> "SlotReader":
        by_name: dict[str, list[tuple[int, int]]] = {}
        others = []
        for j, expr in enumerate(slots):
            argument = circuit.argument(expr.name) if isinstance(expr, Arg) else None
            if argument is None or len(expr.index) != len(argument.shape):
                others.append((j, expr))
                continue
            flat = int(np.ravel_multi_index(expr.index, argument.shape)) if argument.shape else 0
            by_name.setdefault(expr.name, []).append((j, flat))
        gathers = tuple((name, np.array([j for j, _ in pairs], dtype=np.intp),
                         np.array([f for _, f in pairs], dtype=np.intp)) for name, pairs in by_name.items())
        return cls(gathers, tuple(others), len(slots))

    def read(self, args: Mapping[str, np.ndarray], batch: int) -> np.ndarray:
        out = np.empty((batch, self.count), dtype=np.float64)
        if not batch:  # nothing to read (and an empty array has no row width to reshape by)
            return out
        for name, columns, flat in self.gathers:
            out[:, columns] = np.asarray(args[name], dtype=np.float64).reshape(batch, -1)[:, flat]
        for j, expr in self.others:
            out[:, j] = np.broadcast_to(np.asarray(expr.evaluate(args), dtype=np.float64), (batch,))
        return out


def gather_plan(arguments: tuple[Argument, ...], reader: SlotReader) -> list[tuple[int, Any, np.ndarray]]:
    """Per argument: its position in the call, its slot columns (a slice when contiguous), flat indices."""
    position = {a.name: k for k, a in enumerate(arguments)}
    plan = []
    for name, columns, flat in reader.gathers:
        contiguous = np.array_equal(columns, np.arange(columns[0], columns[0] + len(columns)))
        plan.append((position[name], slice(int(columns[0]), int(columns[0]) + len(columns)) if contiguous
                     else columns, flat))
    return plan


@dataclass
class WorkBuffers:
    """Work buffers for `count` batch elements with their addresses taken once (ctypes calls stay cheap)."""

    mats: np.ndarray
    scratch: np.ndarray
    slots: np.ndarray
    state: np.ndarray
    out: np.ndarray

    @classmethod
    def of(cls, plan: KernelPlan, count: int, with_slots: bool = False, with_state: bool = False) -> "WorkBuffers":
        none, amplitude = np.empty(1), PRECISIONS[plan.precision]
        return cls(np.empty((count, max(plan.num_entries, 1)), dtype=np.complex128),  # matrices: always double
                   np.empty(2**plan.chunk_qubits if plan.blocked else 1, dtype=amplitude),
                   np.empty((count, max(len(plan.slots), 1))) if with_slots else none,
                   np.empty((count, 2**plan.num_qubits), dtype=amplitude) if with_state else none,
                   np.empty((count, max(plan.results.width, 1))) if with_state else none)

    def __post_init__(self) -> None:
        self.mats_at, self.scratch_at = self.mats.ctypes.data, self.scratch.ctypes.data
        self.slots_at, self.state_at, self.out_at = self.slots.ctypes.data, self.state.ctypes.data, self.out.ctypes.data


def check_memory(needed: int) -> None:
    """Fail before allocating a state batch larger than the memory the OS reports available."""
    if needed < 1 << 28:
        return
    try:
        with open("/proc/meminfo") as info:
            fields = dict(line.split(":", 1) for line in info)
        available = int(fields["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        return
    if needed > available:
        raise MemoryError(f"the state vectors need {needed / 2**30:.1f} GiB but only "
                          f"{available / 2**30:.1f} GiB are available; use fewer qubits or a smaller batch")


def scalar_floats(arguments: tuple[Argument, ...]) -> tuple[bool, ...]:
    """Per argument: a scalar `float`, which a plain call may pass as a Python or numpy float."""
    return tuple(not a.shape and a.dtype == FLOAT for a in arguments)


def fill_slot_row(row: np.ndarray, gathers: list[tuple[int, Any, np.ndarray]], shapes: tuple[tuple[int, ...], ...],
                  scalars: tuple[bool, ...], values: tuple[Any, ...]) -> bool:
    """Fill a fast path's slot row from plain arguments; False (nothing usable: the general path) otherwise.

    Plain: float64 arrays of exactly the declared shapes, or a Python or
    numpy float for a scalar `float` argument (what an optimizer loop passes).
    """
    if len(values) != len(shapes):
        return False
    for shape, scalar, value in zip(shapes, scalars, values):
        if type(value) is np.ndarray:
            if value.dtype != _F64 or value.shape != shape:
                return False
        elif not scalar or type(value) not in _SCALARS:
            return False
    for position, columns, flat in gathers:
        value = values[position]
        if type(value) is not np.ndarray:
            row[columns] = value  # a scalar argument: every column reads its one element
        elif type(columns) is slice:
            value.take(flat, out=row[columns])
        else:
            row[columns] = value.ravel()[flat]
    return True
