"""Schedule a circuit on a device: native gates -> blocks -> placed pulse instructions (`PulseSchedule`)."""

from __future__ import annotations

import dataclasses
from typing import Iterable, Mapping, Sequence

import numpy as np

from qdl.compiler.device import Device, load_device
from qdl.compiler.expr import Arg, Const, Expr
from qdl.compiler.ir import INT, Circuit, GateOp, MeasureOp
from qdl.compiler.passes.schedule.dynamic import arrange
from qdl.compiler.passes.schedule.layout import build_layout
from qdl.compiler.passes.schedule.lower import (
    Block, Lowerer, MeasureGroup, fail, kernel_name, kernel_waveform,
)
from qdl.compiler.passes.schedule.scheduler import place
from qdl.compiler.pulse.schedule import (
    BitCondition, Instruction, NativeGate, NativeMeasure, Parameter, Placement, Play, PulseSchedule, ShiftPhase,
    flat_instructions, shifted,
)
from qdl.compiler.pulse.timing import timing_violations

OUT_OF_RANGE = "E0606"


def resolve_device(device: Device | str) -> Device:
    """A `Device` as given, or loaded from a built-in name or a file path."""
    return device if isinstance(device, Device) else load_device(device)


def native_placement(circuit: Circuit, device: Device) -> tuple[Circuit, Placement | None]:
    """`circuit` placed and routed on the device, in its native gates (`layout,route,to-native`).

    The layout keeps the program's qubit numbering when every two-qubit gate
    already acts on a coupled pair.  The `Placement` (None when nothing was
    placed) gives each program qubit's first and last physical qubit.
    """
    from qdl.compiler.passes.lower.to_native import ToNative
    from qdl.compiler.passes.manager import PassContext
    from qdl.compiler.passes.route import Layout, Route
    name, ctx = device.path or device.name, PassContext()
    for step in (Layout(device=name), Route(device=name), ToNative(device=name)):
        circuit = step.run_circuit(circuit, ctx)
    report = ctx.facts.get("layout", {}).get(circuit.name)
    return circuit, (Placement(report.initial, report.final, report.swaps) if report else None)


def to_native(circuit: Circuit, device: Device) -> Circuit:
    """`circuit` placed, routed and rewritten into the device's native gates."""
    return native_placement(circuit, device)[0]


def schedule_circuit(circuit: Circuit, device: Device | str, method: str = "alap", *,
                     values: Mapping[str, object] | None = None, native: bool = True,
                     ops: Sequence[object] | None = None, placement: Placement | None = None) -> PulseSchedule:
    """Lower `circuit` to a pulse schedule on `device` by `method` ("asap" or "alap").

    `native` first places, routes and translates the circuit for the device
    (`native_placement`; the schedule records the `placement`); `ops` replaces
    the circuit's ops (already native; may contain `DelayOp`).  Resets,
    measurements and conditioned gates are arranged as hardware runs them
    (`dynamic.arrange`: resets as measure + conditional `x`, readout grouped).  `values` gives
    the circuit arguments' values recorded with the declared parameters.
    """
    device = resolve_device(device)
    if native and ops is None:
        circuit, placement = native_placement(circuit, device)
    ops = arranged_ops(circuit, ops)
    _check_size(circuit, ops, device)
    layout = layout_of(device, ops)
    lowerer = Lowerer(device, layout)
    blocks = [b for b in (lowerer.block(op) for op in ops) if b is not None]
    blocks, starts = place(blocks, method)
    instructions = _absolute(blocks, starts)
    durations = sorted({i.duration for i in instructions if getattr(i, "kernel", "")})
    schedule = PulseSchedule(
        layout.frames, instructions, layout.ports, _parameters(circuit, instructions, values),
        device.name, device.dt, dataclasses.asdict(device.timing),
        tuple((kernel_name(d), kernel_waveform(d)) for d in durations), _gates(ops), _qubits(ops),
        circuit.name, device, placement, _measurements(ops))
    problems = timing_violations(schedule)
    if problems:  # the lowering should never produce these; report rather than emit a bad schedule
        raise fail("E0607", "the schedule breaks the device timing: " + "; ".join(problems), circuit.span)
    return schedule


def arranged_ops(circuit: Circuit, ops: Sequence[object] | None = None) -> list[object]:
    """The circuit's ops (or `ops`) as hardware runs them: `dynamic.arrange`, resets measuring into the slots
    after the circuit's bits.  The flat schedule and the gate-level export both start from this list."""
    ops = list(circuit.ops if ops is None else ops)
    return arrange(ops, _first_free_bit(circuit, ops))


def _check_size(circuit: Circuit, ops: list[object], device: Device) -> None:
    used = _qubits(ops)
    if circuit.num_qubits > device.num_qubits or (used and used[-1] >= device.num_qubits):
        n = max(circuit.num_qubits, used[-1] + 1 if used else 0)
        raise fail(OUT_OF_RANGE, f"circuit `{circuit.name}` needs {n} qubits; device `{device.name}` has "
                   f"{device.num_qubits}", circuit.span, "this circuit",
                   help="use fewer qubits or a larger device")


def _op_qubits(op: object) -> tuple[int, ...]:
    if isinstance(op, GateOp):
        return op.all_qubits
    qubits = getattr(op, "qubits", None)
    return tuple(qubits) if qubits is not None else (getattr(op, "qubit"),)


def layout_of(device: Device, ops: Sequence[object]):
    """The frames and ports of arranged native `ops` on `device`: what the schedule and its exports name."""
    return build_layout(device, _qubits(ops), _pairs(ops), _measured(ops))


def _qubits(ops: Iterable[object]) -> tuple[int, ...]:
    return tuple(sorted({q for op in ops for q in _op_qubits(op)}))


def _pairs(ops: Iterable[object]) -> tuple[tuple[int, int], ...]:
    pairs: dict[tuple[int, int], None] = {}
    for op in ops:
        if isinstance(op, GateOp) and len(op.qubits) == 2 and op.gate != "gphase":
            pairs[(op.qubits[0], op.qubits[1])] = None
    return tuple(pairs)


def _first_free_bit(circuit: Circuit, ops: list[object]) -> int:
    """The first memory slot after the circuit's bits (resets measure into slots from here)."""
    used = [op.bit for op in ops if isinstance(op, MeasureOp)]
    return max([circuit.num_bits] + [b + 1 for b in used])


def _measures(ops: Iterable[object]) -> list[MeasureOp]:
    return [m for op in ops for m in (op.measures if isinstance(op, MeasureGroup) else (op,))
            if isinstance(m, MeasureOp)]


def _measured(ops: Iterable[object]) -> tuple[int, ...]:
    return tuple(sorted({m.qubit for m in _measures(ops)}))


def _absolute(blocks: list[Block], starts: list[int]) -> tuple[Instruction, ...]:
    out = [shifted(i, start) for block, start in zip(blocks, starts) for i in block.instructions]
    return tuple(sorted(out, key=lambda i: i.t0))  # stable: program order among equal t0


def _is_gate(op: object) -> bool:
    return isinstance(op, GateOp) and op.gate != "gphase"


def _gates(ops: Iterable[object]) -> tuple[NativeGate, ...]:
    out = []
    for op in filter(_is_gate, ops):
        params = tuple(p.value if isinstance(p, Const) else p for p in op.params)
        condition = BitCondition(op.condition.bits, op.condition.value) if op.condition else None
        out.append(NativeGate(op.gate, op.qubits, params, condition))
    return tuple(out)


def _measurements(ops: Iterable[object]) -> tuple[NativeMeasure, ...]:
    """Each measurement with the number of gates (as in `_gates`) before it."""
    out, gates = [], 0
    for op in ops:
        gates += _is_gate(op)
        out += [NativeMeasure(m.qubit, m.bit, gates) for m in _measures([op])]
    return tuple(out)


def free_args(instructions: Iterable[Instruction]) -> frozenset[Arg]:
    """The circuit-argument elements the instructions depend on."""
    out: frozenset[Arg] = frozenset()
    for inst in flat_instructions(tuple(instructions)):
        if isinstance(inst, Play):
            out |= inst.waveform.free_args()
        elif isinstance(inst, ShiftPhase) and isinstance(inst.phase, Expr):
            out |= inst.phase.free_args()
    return out


def arg_name(arg: Arg) -> str:
    """`theta`, or `w[1]` / `w[1,0]` for an element of an array argument."""
    return arg.name + (f"[{','.join(str(i) for i in arg.index)}]" if arg.index else "")


def _parameters(circuit: Circuit, instructions: tuple[Instruction, ...],
                values: Mapping[str, object] | None) -> tuple[Parameter, ...]:
    declared = {a.name: a for a in circuit.arguments}
    out = []
    for arg in sorted(free_args(instructions), key=arg_name):
        argument = declared.get(arg.name)
        kind = "int" if argument is not None and argument.dtype == INT else "angle"
        value = None
        if values is not None and arg.name in values:
            array = np.asarray(values[arg.name], dtype=float)
            value = float(array[arg.index] if arg.index else array)
        out.append(Parameter(arg_name(arg), kind, bool(argument and argument.trainable), value))
    return tuple(out)
