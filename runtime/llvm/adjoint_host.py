"""The host side of the LLVM adjoint: the program's chain rule, and buffers for unbatched calls.

The matrices are no host work any more: the adjoint kernel builds every
unit's U† and every derivative D_j from the slot values itself
(`compiler.backends.llvm.adjoint_fill`).  What stays on the host:

* `Chain.apply`: slot derivatives -> argument elements, the partials of the
  gradient program (constant ones as one matrix product);
* `UnbatchedBuffers`: every buffer of a plain (unbatched) value-and-gradient
  call allocated once, addresses taken once, so such a call is a slot gather,
  two ctypes calls and one matrix product.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from qdl.compiler.autodiff import GradientProgram
from qdl.compiler.expr import Const, Expr
from qdl.compiler.ir import Argument
from qdl.runtime.llvm.buffers import WorkBuffers, fill_slot_row, gather_plan, scalar_floats
from qdl.runtime.llvm.kernel import CompiledCircuit



@dataclass(frozen=True)
class Chain:
    """The program's chain rule as data: constant partials in a matrix, the rest as expressions."""

    constant: np.ndarray  # (slots, elements)
    varying: tuple[tuple[int, int, Expr], ...]  # (slot, element column, ∂angle/∂element)
    pieces: tuple[tuple[int, int, tuple[int, ...]], ...] = ()  # per differentiated argument: columns, shape
    identity: bool = False  # `constant` is the identity (slot w is element w), `varying` empty

    def columns(self, grads: np.ndarray) -> np.ndarray:
        """`grads` (..., slots) as element columns (..., elements) under the constant partials alone."""
        return grads.copy() if self.identity else grads @ self.constant

    @classmethod
    def of(cls, program: GradientProgram) -> "Chain":
        column = {arg: i for i, arg in enumerate(program.elements)}
        constant = np.zeros((len(program.slots), len(column)))
        varying = []
        for w, slot in enumerate(program.slots):
            for partial in slot.partials:
                if isinstance(partial.derivative, Const):
                    constant[w, column[partial.arg]] += partial.derivative.value
                else:
                    varying.append((w, column[partial.arg], partial.derivative))
        identity = not varying and constant.shape[0] == constant.shape[1] and \
            bool(np.array_equal(constant, np.eye(len(column))))
        return cls(constant, tuple(varying), _pieces(program), identity)

    def apply(self, grads: np.ndarray, args: Mapping[str, np.ndarray], batch: int) -> np.ndarray:
        """(B, O, slots) -> (B, O, elements)."""
        out = grads @ self.constant
        for w, col, expr in self.varying:
            factor = np.broadcast_to(np.asarray(expr.evaluate(args), np.float64), (batch,))
            out[:, :, col] += grads[:, :, w] * factor[:, None]
        return out

    def split(self, row: np.ndarray) -> tuple[Any, ...]:
        """One result's element derivatives (elements,) as one value per argument, as `gradients` shapes them.

        A scalar argument's derivative is a numpy scalar, not a 0-d array, like the general path's.
        """
        return tuple(row[start] if not shape else row[start:stop].reshape(shape) for start, stop, shape in self.pieces)


def _pieces(program: GradientProgram) -> tuple[tuple[int, int, tuple[int, ...]], ...]:
    """(first column, end column, shape) of every differentiated argument, in `program.wrt` order."""
    out, start = [], 0
    for name in program.wrt:
        argument = program.circuit.argument(name)
        assert argument is not None
        out.append((start, start + argument.size, tuple(argument.shape)))
        start += argument.size
    return tuple(out)


@dataclass
class UnbatchedBuffers:
    """Every buffer of one unbatched call (forward kernel's, values, gradients, adjoint scratch), addresses taken once.

    `gathers` and `shapes` describe how plain arguments (float64 arrays of
    exactly their declared shapes) fill the slot row, as the forward
    kernel's own fast path does (`buffers.gather_plan`).
    """

    forward: WorkBuffers
    values: np.ndarray  # (1, observables)
    grads: np.ndarray  # (1, observables, slots)
    scratch: np.ndarray
    gathers: list[tuple[int, Any, np.ndarray]]
    shapes: tuple[tuple[int, ...], ...]
    scalar_floats: tuple[bool, ...] = ()  # per argument: a `float` scalar, which may come as a Python float
    addresses: tuple[int, ...] = field(default=(), init=False)

    @classmethod
    def of(cls, forward: CompiledCircuit, arguments: tuple[Argument, ...], observables: int, outputs: int,
           scratch_doubles: int) -> "UnbatchedBuffers":
        return cls(WorkBuffers.of(forward.plan, 1, with_slots=True, with_state=True), np.empty((1, observables)),
                   np.empty((1, observables, outputs)), np.empty(scratch_doubles),
                   gather_plan(arguments, forward.slots), tuple(tuple(a.shape) for a in arguments),
                   scalar_floats(arguments))

    def __post_init__(self) -> None:
        self.addresses = (self.forward.slots_at, self.forward.state_at, self.values.ctypes.data,
                          self.grads.ctypes.data, self.scratch.ctypes.data)

    def gather(self, values: tuple[Any, ...]) -> bool:
        """Fill the slot row from plain arguments (`buffers.fill_slot_row`); False for anything else."""
        return fill_slot_row(self.forward.slots[0], self.gathers, self.shapes, self.scalar_floats, values)
