"""Gate modifiers in the elaborator: `inv @`, `pow(k) @`, `ctrl @` and `negctrl @`, innermost first.

A mixin of `gate_calls.GateCalls`, which splits the control operands off and
hands the ops of one gate instance here; it uses the elaborator's
`evaluator`, `state`, `options`, `_control_count`, `_over_budget` and `qubit_name`.
"""

from __future__ import annotations

from dataclasses import replace

from qdl.compiler import gates as gate_table
from qdl.compiler.frontend import ast
from qdl.compiler.frontend.arithmetic import fail
from qdl.compiler.ir import BarrierOp, GateOp, Op


class Modifiers:
    """`GateCalls`'s modifier methods."""

    def _apply_modifiers(self, node: ast.GateCall, ops: list[Op], controls: list[int]) -> list[Op]:
        for modifier in reversed(node.modifiers):
            if modifier.kind == "inv":
                ops = self._invert(ops, modifier)
            elif modifier.kind == "pow":
                ops = self._power(ops, modifier)
            else:
                count = self._control_count(modifier)
                mine, controls = controls[len(controls) - count:], controls[:len(controls) - count]
                ops = [self._control(op, mine, modifier.kind == "ctrl", modifier) for op in ops]
        return ops

    def _only_gates(self, ops: list[Op], modifier: ast.Modifier) -> None:
        for op in ops:
            if not isinstance(op, (GateOp, BarrierOp)):
                raise fail("E0307", f"`{modifier.kind}` cannot be applied to a gate that measures or resets",
                           modifier.span, "modifier on a non-unitary gate")

    def _invert(self, ops: list[Op], modifier: ast.Modifier) -> list[Op]:
        self._only_gates(ops, modifier)
        out: list[Op] = []
        for op in reversed(ops):
            if isinstance(op, GateOp):
                name, params = gate_table.lookup(op.gate).inverse(op.params)
                op = rebuilt(op, name, tuple(params), op.controls, op.control_values)
            out.append(op)
        return out

    def _power(self, ops: list[Op], modifier: ast.Modifier) -> list[Op]:
        self._only_gates(ops, modifier)
        k = self.evaluator.constant_number(modifier.arg, "a `pow` exponent")
        if k.is_integer():
            if len(ops) * abs(k) + self.state.op_count > self.options.max_ops:
                self._over_budget(modifier.span, f"repeats the gate {abs(k):.0f} times")
            base = ops if k >= 0 else self._invert(ops, modifier)
            return base * int(abs(k))
        gate_ops = [op for op in ops if isinstance(op, GateOp)]
        if len(gate_ops) == 1:
            op = gate_ops[0]
            form = gate_table.power_form(op.gate, op.params, k)
            if form is not None:
                return [replace(op, gate=name, params=tuple(params)) for name, params in form]
        raise fail("E0308", f"`pow({k:g})` with a fractional exponent is only defined for single "
                   "rotation-like gates", modifier.span, "fractional power",
                   help="use an integer exponent, or a rotation gate whose angle can be scaled")

    def _control(self, op: Op, controls: list[int], positive: bool, modifier: ast.Modifier) -> Op:
        if isinstance(op, BarrierOp):
            return op
        if not isinstance(op, GateOp):
            raise fail("E0307", f"`{modifier.kind}` cannot be applied to a gate that measures or resets",
                       modifier.span, "modifier on a non-unitary gate")
        overlap = set(controls) & set(op.all_qubits)
        if overlap:
            raise fail("E0301", f"qubit {self.qubit_name(min(overlap))} is both a control and a target",
                       modifier.span, "control overlaps the gate's qubits")
        new = rebuilt(op, op.gate, op.params, tuple(controls) + op.controls,
                       (positive,) * len(controls) + op.control_values)
        return normalize_controls(new)


def rebuilt(op: GateOp, gate: str, params: tuple, controls: tuple[int, ...],
             control_values: tuple[bool, ...]) -> GateOp:
    """`replace(op, gate=..., ...)` without `dataclasses.replace`'s field introspection.

    `inv @` and `ctrl @` rebuild every op they touch; the generic `replace` took
    a fifth of such a call.  Every other field is carried over (a test checks the
    field list, so a new `GateOp` field cannot be dropped here unnoticed).
    """
    return GateOp(gate, op.qubits, params, controls, control_values, op.condition, op.span)


_CONTROLLED_BASE = {"cx": ("x", 1), "ccx": ("x", 2), "cy": ("y", 1), "cz": ("z", 1),
                    "ch": ("h", 1), "crx": ("rx", 1), "cry": ("ry", 1), "crz": ("rz", 1),
                    "cphase": ("phase", 1), "cswap": ("swap", 1)}


def normalize_controls(op: GateOp) -> GateOp:
    """Fold positive controls into a named controlled gate where the table has one."""
    if not op.controls or not all(op.control_values):
        return op
    base, inner = _CONTROLLED_BASE.get(op.gate, (op.gate, 0))
    if op.gate == "gphase":  # controlled global phase = phase gate on the last control
        last = op.controls[-1]
        return normalize_controls(GateOp("phase", (last,), op.params, op.controls[:-1],
                                         op.control_values[:-1], op.condition, op.span))
    name = gate_table.controlled_form(base, inner + len(op.controls))
    if name is None:
        return op
    return GateOp(name, op.controls + op.qubits, op.params, (), (), op.condition, op.span)
