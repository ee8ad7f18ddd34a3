"""The AD pass: a circuit and the arguments to differentiate -> a `GradientProgram`.

A *slot* is one angle (parameter `param` of op `op`) whose expression depends
on a differentiated argument.  The program lists, per slot, its shift rule
(from the gate's generator spectrum, see `shift_rules`) and the classical
chain rule ∂angle/∂(argument element) as symbolic `Expr`s (`Expr.diff`), so

    ∂f/∂a = Σ_slots (Σ_terms coeff · f(circuit with angle + shift)) · ∂angle/∂a

is exact for any argument used in several gates and inside expressions.
Slots outside the backward light cone of every result are pruned (listed, no
evaluations).  The program is plain data: it prints (`format_gradient_program`)
and any back end can run it (`qdl.runtime.gradients`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Sequence

from qdl.compiler.autodiff.errors import AutodiffError, no_rule_error
from qdl.compiler.autodiff.light_cone import light_cone
from qdl.compiler.autodiff.shift_rules import ShiftRule, rule_for
from qdl.compiler.diagnostics import SourceMap, Span
from qdl.compiler.expr import ZERO, Arg, Expr
from qdl.compiler.ir import FLOAT, Circuit, GateOp

OUTSIDE_LIGHT_CONE = "outside the light cone of every result"
NO_FREQUENCY = "no frequency: a global phase, the derivative is 0"


@dataclass(frozen=True, slots=True)
class Partial:
    """∂angle/∂arg for one argument element, as an expression of the arguments."""

    arg: Arg
    derivative: Expr


@dataclass(frozen=True, slots=True)
class Slot:
    """One differentiated angle: its shift rule and chain-rule partials."""

    op: int
    param: int
    gate: str
    angle: Expr
    rule: ShiftRule
    partials: tuple[Partial, ...]
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class PrunedSlot:
    """An angle that depends on a differentiated argument but needs no evaluation."""

    op: int
    param: int
    gate: str
    reason: str
    span: Span | None = None


@dataclass(frozen=True)
class GradientProgram:
    """Shifted evaluations and their recombination; see the module docstring."""

    circuit: Circuit
    wrt: tuple[str, ...]
    slots: tuple[Slot, ...]
    pruned: tuple[PrunedSlot, ...]

    @property
    def shifted_evaluations(self) -> int:
        """Circuit evaluations one gradient costs besides the shared unshifted value."""
        return sum(len(slot.rule.terms) for slot in self.slots)

    @property
    def evaluations(self) -> int:
        """All circuit evaluations of one value-and-gradient: the unshifted one plus the shifted."""
        return 1 + self.shifted_evaluations

    @property
    def elements(self) -> tuple[Arg, ...]:
        """Every differentiated argument element, in argument order then row-major."""
        return argument_elements(self.circuit, self.wrt)


def argument_elements(circuit: Circuit, names: Sequence[str]) -> tuple[Arg, ...]:
    """The elements of arguments `names`, in that order then row-major: the columns of derivatives."""
    out: list[Arg] = []
    for name in names:
        argument = circuit.argument(name)
        assert argument is not None
        out += [Arg(name, index) for index in itertools.product(*(range(n) for n in argument.shape))]
    return tuple(out)


def differentiable_arguments(circuit: Circuit, wrt: Sequence[str] | None) -> tuple[str, ...]:
    """The argument names to differentiate: `wrt`, checked, or the `param` ones."""
    if wrt is None:
        return tuple(a.name for a in circuit.trainable)
    names = (wrt,) if isinstance(wrt, str) else tuple(wrt)
    for name in names:
        argument = circuit.argument(name)
        if argument is None:
            known = ", ".join(a.name for a in circuit.arguments) or "(none)"
            raise AutodiffError(f"circuit `{circuit.name}` has no argument `{name}`; its arguments: {known}")
        if argument.dtype != FLOAT:
            raise AutodiffError(f"cannot differentiate with respect to `{name}`: it is `{argument.dtype}`, "
                                "only float arguments have derivatives")
    if len(set(names)) != len(names):
        raise AutodiffError(f"an argument is listed twice in wrt={list(names)}")
    return names


def gradient_program(circuit: Circuit, wrt: Sequence[str] | None = None,
                     sources: SourceMap | None = None) -> GradientProgram:
    """The AD pass (see the module docstring); default `wrt` = the `param` arguments.

    Raises `AutodiffError` for int/bool/unknown arguments in `wrt`, and for a
    live slot whose gate has no generator spectrum (naming the gate and its
    source location; `sources` helps render it).
    """
    names = differentiable_arguments(circuit, wrt)
    live = light_cone(circuit)
    slots: list[Slot] = []
    pruned: list[PrunedSlot] = []
    for index, op in enumerate(circuit.ops):
        if not isinstance(op, GateOp):
            continue
        for param, angle in enumerate(op.params):
            partials = angle_partials(angle, frozenset(names))
            if not partials:
                continue
            if index not in live:
                pruned.append(PrunedSlot(index, param, op.gate, OUTSIDE_LIGHT_CONE, op.span))
                continue
            rule = rule_for(op.gate, param, len(op.controls))
            if rule is None:
                raise no_rule_error(op.gate, op.span, sources)
            if not rule.terms:
                pruned.append(PrunedSlot(index, param, op.gate, NO_FREQUENCY, op.span))
                continue
            slots.append(Slot(index, param, op.gate, angle, rule, partials, op.span))
    return GradientProgram(circuit, names, tuple(slots), tuple(pruned))


def angle_partials(angle: Expr, names: frozenset[str]) -> tuple[Partial, ...]:
    """∂angle/∂a for every element a of the arguments `names` it depends on (non-zero, sorted)."""
    args = sorted((a for a in angle.free_args() if a.name in names), key=lambda a: (a.name, a.index))
    partials = (Partial(arg, angle.diff(arg)) for arg in args)
    return tuple(p for p in partials if p.derivative != ZERO)
