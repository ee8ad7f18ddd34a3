"""`to-native{device=t5}`: every gate -> the native gates of a device (docs/hardware.md).

Three steps, each exact including the global phase:

1. `lower.expand` rewrites controlled and multi-qubit gates into `cx` and
   one-qubit gates (the table's decompositions), keeping the device's own
   entangler where it is calibrated in that direction;
2. `cx` becomes the entangler plus constant one-qubit corrections
   (`ENTANGLER_RULES`);
3. one-qubit gates become `rz` + `sx` (+ `x`) (`native_1q`): runs of constant
   gates are multiplied out and re-synthesised, symbolic ones follow
   `SYMBOLIC_RULES` so that trainable angles sit only in `rz` (frame phases);
   adjacent `rz` are added.  On an ion device `sx` is `gpi2` and `x` is `gpi(0)`.

`gphase` ops keep the circuit exact (a hardware target ignores them).  A `cx`
on a pair that is not coupled keeps its (control, target) order: placing
qubits on the coupling map is the routing pass's job.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, ClassVar

import numpy as np

from qdl.compiler.device import Device, load_device
from qdl.compiler.device.load import DeviceError
from qdl.compiler.diagnostics import SourceMap, error, render_all
from qdl.compiler.expr import Const, Expr, add
from qdl.compiler.gates import GATES, unitary_of
from qdl.compiler.ir import Circuit, GateOp, Op
from qdl.compiler.passes.lower.expand import Call
from qdl.compiler.passes.lower.lowering import lower_circuit
from qdl.compiler.passes.lower.native_1q import SYMBOLIC_RULES, constant_pieces
from qdl.compiler.passes.manager import CircuitPass, PassContext, register_pass

PI = math.pi
NO_NATIVE_SET = "E0611"


def _ecr_cx(c: int, t: int) -> list[Call]:
    """CX = (RZ(π/2)⊗I) · ECR · (X⊗SX), exactly (control first; docs/hardware.md derives it)."""
    return [Call("x", (c,)), Call("sx", (t,)), Call("ecr", (c, t)), Call("rz", (c,), (Const(PI / 2),))]


def _ms_cx(c: int, t: int) -> list[Call]:
    """CX = e^{iπ/4} (RY(π/2)⊗I) · MS · (RX(-π/2)⊗RX(π/2)) · (RY(-π/2)⊗I), MS = RXX(π/2)."""
    return [Call("ry", (c,), (Const(-PI / 2),)), Call("rx", (c,), (Const(-PI / 2),)),
            Call("rx", (t,), (Const(PI / 2),)), Call("ms", (c, t)), Call("ry", (c,), (Const(PI / 2),)),
            Call("gphase", (), (Const(PI / 4),))]


def _flipped(rule: Callable[[int, int], list[Call]]) -> Callable[[int, int], list[Call]]:
    """cx(c, t) = (H⊗H) cx(t, c) (H⊗H): for an entangler calibrated the other way round."""
    return lambda c, t: [Call("h", (c,)), Call("h", (t,))] + rule(t, c) + [Call("h", (c,)), Call("h", (t,))]


ENTANGLER_RULES: dict[str, Callable[[int, int], list[Call]]] = {"ecr": _ecr_cx, "ms": _ms_cx}


@lru_cache(maxsize=32)
def _load(spec: str) -> Device:
    return load_device(spec)


def _check_basis(device: Device) -> None:
    gates = device.gates
    one_qubit = {"rz", "sx"} <= gates or {"rz", "gpi2"} <= gates
    if one_qubit and (device.entangler in ENTANGLER_RULES or device.entangler == "cx"):
        return
    diagnostic = error(NO_NATIVE_SET, f"device `{device.name}` has no native set `to-native` can target",
                       None, notes=(f"native gates: {', '.join(device.native_gates)}",),
                       help="a device needs `rz` with `sx` (or `gpi2`) and an entangler `ecr`, `ms` or `cx`")
    raise DeviceError(render_all([diagnostic], SourceMap()), [diagnostic])


@register_pass
@dataclass(frozen=True)
class ToNative(CircuitPass):
    """Rewrite every gate into the native gates of `device` (a built-in name or a device file).

    Exact including the global phase; symbolic angles stay symbolic, and on a
    superconducting device trainable angles appear only in `rz` (and `gphase`).
    Requires: nothing.  Preserves: conditions and spans (copied onto every piece).
    """

    name: ClassVar[str] = "to-native"
    device: str = "t5"

    def run_circuit(self, circuit: Circuit, ctx: PassContext) -> Circuit:
        device = _load(self.device)
        _check_basis(device)
        circuit = lower_circuit(circuit, lambda call: _kept(call, device))
        return dataclasses.replace(circuit, ops=tuple(_Translator(device).run(circuit.ops)))


def _kept(call: Call, device: Device) -> bool:
    """Step 1 stops at uncontrolled one-qubit gates, `cx`, and the calibrated entangler."""
    if call.controls:
        return False
    if len(call.qubits) <= 1 or call.gate == "cx":
        return True
    return call.gate == device.entangler and device.calibrated_direction(*call.qubits)


class _Translator:
    """Steps 2 and 3 over a flat op list: constant one-qubit runs are fused per qubit until
    another op touches the qubit, then re-synthesised; `rz` runs and `gphase` are merged."""

    def __init__(self, device: Device) -> None:
        self.device = device
        self.pending: dict[int, tuple[np.ndarray, GateOp]] = {}
        self.out: list[Op] = []

    def run(self, ops: tuple[Op, ...]) -> list[Op]:
        for op in ops:
            if not isinstance(op, GateOp):
                self._flush(op_qubits(op))
                self.out.append(op)
            else:
                self._gate(op, fuse=op.condition is None)
        self._flush(tuple(self.pending))
        return [piece for op in _merge_rz(self.out) for piece in self._native_pulses(op)]

    def _gate(self, op: GateOp, fuse: bool) -> None:
        if op.gate == "gphase":
            self.out.append(op)
        elif len(op.qubits) == 1 and all(p.is_constant for p in op.params):
            self._constant(op, fuse)
        elif len(op.qubits) == 1:
            self._flush(op.qubits)
            self.out += to_ops(_symbolic(op.gate, op.qubits[0], op.params), op)
        elif op.gate == "cx" and self.device.entangler != "cx":
            for piece in to_ops(self._cx_rule(*op.qubits), op):
                self._gate(piece, fuse)
        else:  # the calibrated entangler itself
            self._flush(op.qubits)
            self.out.append(op)

    def _constant(self, op: GateOp, fuse: bool) -> None:
        q = op.qubits[0]
        u = unitary_of(op.gate, [float(p.evaluate({})) for p in op.params])
        if not fuse:
            self._flush(op.qubits)
            self.out += to_ops(constant_pieces(u, q), op)
            return
        before, first = self.pending.get(q, (np.eye(2, dtype=complex), op))
        self.pending[q] = (u @ before, first)

    def _cx_rule(self, control: int, target: int) -> list[Call]:
        rule = ENTANGLER_RULES[self.device.entangler]  # type: ignore[index]
        calibrated = self.device.calibrated_direction
        if calibrated(control, target) or not calibrated(target, control):
            return rule(control, target)
        return _flipped(rule)(control, target)

    def _flush(self, qubits: tuple[int, ...]) -> None:
        for q in qubits:
            if q in self.pending:
                u, first = self.pending.pop(q)
                self.out += to_ops(constant_pieces(u, q), dataclasses.replace(first, condition=None))

    def _native_pulses(self, op: Op) -> list[Op]:
        """`sx`/`x` as the device's pulses: `gpi2`/`gpi(0)` on ions, `sx sx` without a native `x`."""
        gates = self.device.gates
        if not isinstance(op, GateOp) or op.gate not in ("sx", "x") or op.gate in gates:
            return [op]
        if "gpi2" in gates:
            calls = [Call("gpi", op.qubits, (Const(0.0),))] if op.gate == "x" else \
                [Call("gpi2", op.qubits), Call("gphase", (), (Const(PI / 4),))]  # SX = e^{iπ/4} GPI2(0)
        else:
            calls = [Call("sx", op.qubits), Call("sx", op.qubits)]  # X = SX²
        return list(to_ops(calls, op))


def _symbolic(gate: str, q: int, params: tuple[Expr, ...]) -> list[Call]:
    rule = SYMBOLIC_RULES.get(gate)
    if rule is not None:
        return rule(q, params)
    decomposition = GATES[gate].decomposition  # any other one-qubit gate: its table form first
    assert decomposition is not None, f"internal error: no rule for `{gate}`"
    return [piece for g, _, p in decomposition(params) for piece in
            (_symbolic(g, q, p) if g != "gphase" else [Call(g, (), p)])]


def to_ops(calls: list[Call], op: GateOp) -> list[GateOp]:
    """`calls` as uncontrolled gate ops with `op`'s condition and span."""
    return [GateOp(c.gate, c.qubits, c.params, (), (), op.condition, op.span) for c in calls]


def op_qubits(op: Op) -> tuple[int, ...]:
    if isinstance(op, GateOp):
        return op.all_qubits
    return tuple(getattr(op, "qubits", ())) or (getattr(op, "qubit"),)


def _merge_rz(ops: list[Op]) -> list[Op]:
    """Adjacent unconditioned `rz` on a qubit added into one; unconditioned `gphase` summed at the end."""
    out: list[Op] = []
    angles: dict[int, tuple[Expr, GateOp]] = {}
    phase: Expr = Const(0.0)
    for op in ops:
        gate = op.gate if isinstance(op, GateOp) and op.condition is None else None
        if isinstance(op, GateOp) and gate == "gphase":
            phase = add(phase, op.params[0])
        elif isinstance(op, GateOp) and gate == "rz":
            angle, first = angles.get(op.qubits[0], (Const(0.0), op))
            angles[op.qubits[0]] = (add(angle, op.params[0]), first)
        else:
            for q in op_qubits(op):
                phase = add(phase, _emit_rz(angles.pop(q, None), out))
            out.append(op)
    for q in sorted(angles):
        phase = add(phase, _emit_rz(angles[q], out))
    if not (phase.is_constant and abs(math.remainder(float(phase.evaluate({})), 2 * PI)) < 1e-12):
        out.append(GateOp("gphase", (), (phase,)))
    return out


def _emit_rz(pending: tuple[Expr, GateOp] | None, out: list[Op]) -> Expr:
    """Append the merged `rz` (none for a constant multiple of 2π); the global phase it leaves."""
    if pending is None:
        return Const(0.0)
    angle, first = pending
    if not angle.is_constant:
        out.append(dataclasses.replace(first, params=(angle,)))
        return Const(0.0)
    value = math.remainder(float(angle.evaluate({})), 4 * PI)
    if abs(abs(value) - 2 * PI) < 1e-12:  # RZ(±2π) = -I
        return Const(PI)
    if abs(value) > 1e-12:
        out.append(dataclasses.replace(first, params=(Const(value),)))
    return Const(0.0)
