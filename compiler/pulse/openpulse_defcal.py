"""Export a circuit as gate-level OpenQASM 3 + OpenPulse: `defcal`s, then the native circuit (note §2.2, §2.4, §8b).

    from qdl.compiler.pulse.openpulse_defcal import export_openpulse_defcal
    text = export_openpulse_defcal(circuit, "t5")

The other standard form beside the flat, exactly timed `cal { }` of
`compiler.pulse.openpulse`.  Layout of the output:

* the same header, `input`s, `bit` register, `@qdl` metadata and `cal { }`
  declarations (ports, extern templates, frames, waveforms) as the flat
  export of the circuit's schedule, so waveform names and frames agree;
* one `defcal` per (native gate, physical qubits) the circuit uses, each
  body the lowering of that gate through the device calibrations
  (`compiler.passes.schedule.lower.Lowerer`, nothing re-derived here):
  `rz(angle[32] th) $q` shifts every frame tracking q by `-th`; `sx`, `x`
  play the calibrated DRAG; `ecr $c, $t` the echoed CR pulses;
  `measure $q -> bit` the stimulus and the capture;
* the native circuit on physical qubits: `rz(theta) $0; sx $0; ecr $1, $0;
  c[0] = measure $0;`, angles as expressions of the `input`s, in the order
  the flat scheduler places them (`build.arranged_ops`, i.e.
  `dynamic.arrange`): a readout group is `box { barrier $0, $1;
  c[0] = measure $0; c[1] = measure $1; }` (one unit: all the qubits' frames
  aligned at its start and held to its end, like the flat `MeasureGroup`
  block), `reset` is its measurement into a scratch slot and
  `if (c[k]) { x $q; }`, and a conditioned gate is `if (cond) { gate; }` with
  the flat export's condition (`c[k]`, `!c[k]`, `c == v`, `c[i] == 1 && ...`).
  The `bit` register is as large as the flat export's (scratch slots too).

Timing inside a defcal: every frame starts at the defcal's start, a
`delay` moves a frame to its instruction's offset, and every frame the
defcal uses is padded with `delay`s to the gate's duration, so each defcal
has a definite duration and uses exactly the frames the scheduler reserves
for the gate (the scheduler's `bit:k` resources are not frames and never
appear).  With OpenPulse's implicit barrier on the frames of each defcal,
scheduling the gate calls ASAP (ALAP) on frames, a condition after the
measurement writing its bits and a measurement after the readers of its
bit, each start on the device's grid, reproduces the flat schedule of the
same method; an `if` lasts as long as its body, the untaken branch idling
the same frames.  A gate-level `barrier $a, $b;` aligns
the frames on the qubits' ports or tracking them.  Explicit delays (the
readout ring-down) carry `@qdl {}` like the flat export; unannotated
delays only move a frame's clock.  `compiler.pulse.openpulse_defcal_import`
expands the program back into a timed schedule.

Array arguments become `input array[angle[32], n, ...] w;` and their
elements `w[1]`; the flat export cannot name those (identifiers only).
Gates and variables share OpenQASM's global scope, so an argument named
like a gate the program calls (`x`) is declared as `x_arg`, its `@qdl` note
keeping `"argument": "x"`.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Mapping

from qdl.compiler.expr import Arg
from qdl.compiler.ir import BarrierOp, Circuit, GateOp, MeasureOp
from qdl.compiler.passes.schedule.lower import MeasureGroup
from qdl.compiler.pulse import export_common as common
from qdl.compiler.pulse import expr_json
from qdl.compiler.pulse.expr_json import PulseExportError
from qdl.compiler.pulse.openpulse import SYNTAX, _check_names, _declarations, _register_size, condition_text, header
from qdl.compiler.pulse.openpulse_import import CAPTURE_DURATION, CAPTURE_KERNEL, PARAM_TYPES, REGISTER
from qdl.compiler.pulse.schedule import (
    Acquire, Delay, Instruction, Play, PulseSchedule, SetFrequency, SetPhase, ShiftFrequency, ShiftPhase, end_time,
)
from qdl.compiler.pulse.serialize import GHZ, value_to_json

__all__ = ["export_openpulse_defcal", "defcal_program"]

INDENT = "    "
RESULT = "b"  # the measurement defcals' local bit
ELEMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\[([0-9, ]+)\]$")


def export_openpulse_defcal(circuit: Circuit, device: object, method: str = "alap", *,
                            values: Mapping[str, object] | None = None, extern_ports: bool = False) -> str:
    """Gate-level OpenQASM 3 + OpenPulse of `circuit` on `device` (a `Device`, built-in name or .toml path).

    The circuit is placed, routed and lowered to native gates as
    `schedule_circuit` does; `method` ("alap" or "asap") only names, in a
    comment, how its flat schedule was placed.  Raises `ScheduleError`
    (no calibration, bad timing) or `PulseExportError` (unusable names).
    """
    from qdl.compiler.passes.schedule.build import native_placement, resolve_device, schedule_circuit
    device = resolve_device(device)
    native, placement = native_placement(circuit, device)
    schedule = schedule_circuit(native, device, method, values=values, native=False, placement=placement)
    return defcal_program(native, schedule, method=method, extern_ports=extern_ports)


def defcal_program(native: Circuit, schedule: PulseSchedule, *, method: str = "alap",
                   extern_ports: bool = False) -> str:
    """The program of a native `circuit` whose flat schedule (on its device) is `schedule`."""
    from qdl.compiler.passes.schedule.build import arranged_ops, layout_of
    from qdl.compiler.passes.schedule.lower import Lowerer
    if schedule.device is None:
        raise PulseExportError("the schedule carries no device (it was loaded from JSON); the defcals come from "
                               "the device's calibrations: export the circuit with `export_openpulse_defcal`")
    ops = arranged_ops(native)  # resets lowered, readout grouped: the op list the flat schedule was placed from
    layout = layout_of(schedule.device, ops)
    if layout.frames != schedule.frames:  # the defcals must name the frames the declarations declare
        raise PulseExportError("the schedule's frames are not those of the circuit's layout; "
                               "export a schedule made by `schedule_circuit` from this circuit")
    doc = schedule.to_json()
    common.validate(doc)
    taken = {op.gate for op in ops if isinstance(op, GateOp)} | {"measure", "box", RESULT, "th"}
    inputs = _inputs(doc, native, taken)
    _check_names({**doc, "parameters": [{"name": name, "kind": "real"} for name in inputs]})
    renamed = {note["argument"]: name for name, (_, note) in inputs.items() if "argument" in note}
    size = _register_size(doc) if _measures(ops) else 0
    lines = _preamble(doc, inputs, size, method, extern_ports)
    lowerer = Lowerer(schedule.device, layout)
    frames = {f.name for f in layout.frames}
    lines += _defcals(ops, lowerer, frames) + [""] + [line for op in ops for line in _call(op, renamed, size)]
    return "\n".join(lines) + "\n"


def _preamble(doc: Mapping, inputs: Mapping[str, tuple[str, dict]], size: int, method: str,
              extern_ports: bool) -> list[str]:
    """Header, `input`s, the `bit` register, the `@qdl` metadata and the `cal { }` declarations (as the flat export).

    The register has the flat export's size: the circuit's bits and the scratch slots resets measure into.
    """
    lines = header(doc) + ["// gate level: the defcals the circuit uses, then the circuit on physical qubits; "
                           f"its calls placed {method.upper()} on the frames of each defcal give the flat schedule"]
    for name, (decl, note) in inputs.items():
        lines += [f"@qdl {json.dumps(note)}", f"input {decl} {name};"]
    if size:
        lines.append(f"bit[{size}] {REGISTER};")
    meta = {k: v for k, v in doc.items() if k not in ("parameters", "ports", "frames", "waveforms", "instructions")}
    lines += [f"@qdl {json.dumps(meta)}", "cal {"]
    return lines + [INDENT + line for line in _declarations(doc, extern_ports)] + ["}", ""]


def _measures(ops: list[object]) -> list[MeasureOp]:
    """The measurements of the arranged ops, those of each `MeasureGroup` in its order."""
    return [m for op in ops for m in (op.measures if isinstance(op, MeasureGroup) else (op,))
            if isinstance(m, MeasureOp)]


def _inputs(doc: Mapping, native: Circuit, taken: set[str]) -> dict[str, tuple[str, dict]]:
    """`input` declarations by name: (type, `@qdl` note); array elements `w[1]` declare the array `w`.

    An argument named like a gate of the program (`x`) or a defcal variable
    is declared as `x_arg`, its note keeping `"argument": "x"`: gates and
    variables share OpenQASM's global scope.
    """
    out: dict[str, tuple[str, dict]] = {}
    for param in doc["parameters"]:
        note = {k: v for k, v in param.items() if k not in ("name", "kind")}
        match = ELEMENT.match(param["name"])
        name = match.group(1) if match else param["name"]
        if name in taken:
            note["argument"] = name
            name = _free_name(name, taken | {p["name"] for p in doc["parameters"]})
        if not match:
            out[name] = (PARAM_TYPES[param["kind"]], note)
            continue
        base, note = match.group(1), {k: v for k, v in note.items() if k != "argument"}
        argument = native.argument(base)
        if argument is None or not argument.shape:
            raise PulseExportError(f"parameter `{param['name']}` is an element of `{base}`, which the circuit "
                                   "does not declare as an array")
        shape = ", ".join(str(n) for n in argument.shape)
        _, known = out.setdefault(name, (f"array[{PARAM_TYPES[param['kind']]}, {shape}]", {"elements": {}}))
        known["elements"][param["name"]] = note
        if name != base:
            known["argument"] = base
    return out


def _defcals(ops: list[object], lowerer: object, frames: set[str]) -> list[str]:
    """One defcal per (gate, qubits) the circuit uses, conditioned or not: by gate name, then qubits; measurements
    last.  `frames` are the layout's frames: the blocks' other resources (the `bit:k` slots) are no frames."""
    used: dict[tuple[bool, str, tuple[int, ...]], object] = {}
    for op in ops:
        if isinstance(op, GateOp) and op.gate != "gphase":
            used.setdefault((False, op.gate, op.qubits), op)
    for m in _measures(ops):
        used.setdefault((True, "measure", (m.qubit,)), m)
    lines: list[str] = []
    for key in sorted(used):
        op = used[key]
        if isinstance(op, MeasureOp):
            lines += _defcal(f"defcal measure ${op.qubit} -> bit", lowerer.block(MeasureOp(op.qubit, 0)), frames)
        else:
            lines += _gate_defcal(op, lowerer, frames)
    return lines


def _gate_defcal(op: GateOp, lowerer: object, frames: set[str]) -> list[str]:
    """The defcal of `op`'s gate on its qubits; angles become `angle[32]` arguments `th`, `th1`, ..."""
    names = ["th"] + [f"th{k}" for k in range(1, len(op.params))]
    placeholder = GateOp(op.gate, op.qubits, tuple(Arg(n) for n in names[:len(op.params)]), span=op.span)
    block = lowerer.block(placeholder)
    args = f"({', '.join(f'angle[32] {n}' for n in names[:len(op.params)])})" if op.params else ""
    return _defcal(f"defcal {op.gate}{args} " + ", ".join(f"${q}" for q in op.qubits), block, frames)


def _defcal(signature: str, block: object, frames: set[str]) -> list[str]:
    """`signature { body }`: one line for short bodies, else one statement a line."""
    body = _body(block, frames)
    if len(body) <= 2 and not any(s.startswith("@") for s in body) and len(signature + " ".join(body)) < 100:
        return [f"{signature} {{ {' '.join(body)} }}"]
    return [f"{signature} {{"] + [INDENT + s for s in body] + ["}"]


def _body(block: object, frames: set[str]) -> list[str]:
    """The block's instructions on per-frame clocks from 0, padded to its duration on every frame it uses."""
    insts: list[Instruction] = sorted(block.instructions, key=lambda i: i.t0)  # stable: lowering order
    used = [getattr(i, "frame") for i in insts] + [r for r in block.resources if r in frames]
    clock = dict.fromkeys(used, 0)
    lines: list[str] = []
    captured = False
    for inst in insts:
        if clock[inst.frame] > inst.t0:
            raise PulseExportError(f"calibration of `{inst.gate}`: frame `{inst.frame}` overlaps itself")
        if clock[inst.frame] < inst.t0:
            lines.append(f"delay[{inst.t0 - clock[inst.frame]}dt] {inst.frame};")
        lines += _statement(inst)
        clock[inst.frame] = end_time(inst)
        captured |= isinstance(inst, Acquire)
    lines += [f"delay[{block.duration - clock[f]}dt] {f};" for f in clock if clock[f] < block.duration]
    return lines + ([f"return {RESULT};"] if captured else [])


def _free_name(name: str, taken: set[str]) -> str:
    while name in taken:
        name += "_arg" if not name.endswith("_arg") else "_"
    return name


def _expr(value: object, renamed: Mapping[str, str] | None = None) -> str:
    if not renamed:
        return expr_json.to_infix(value_to_json(value), SYNTAX)

    def spell(name: str) -> str:  # `x[1]` of a renamed `x` is `x_arg[1]`
        match = ELEMENT.match(name)
        base = match.group(1) if match else name
        return renamed.get(base, base) + name[len(base):]
    return expr_json.to_infix(value_to_json(value), replace(SYNTAX, param=spell))


def _statement(inst: Instruction) -> list[str]:
    if isinstance(inst, Play):
        return [f"play({inst.frame}, {inst.name});"]
    if isinstance(inst, (ShiftPhase, SetPhase)):
        op = "shift_phase" if isinstance(inst, ShiftPhase) else "set_phase"
        return [f"{op}({inst.frame}, {_expr(inst.phase)});"]
    if isinstance(inst, (ShiftFrequency, SetFrequency)):
        op, ghz = (("shift_frequency", inst.delta_ghz) if isinstance(inst, ShiftFrequency)
                   else ("set_frequency", inst.frequency_ghz))
        return [f"{op}({inst.frame}, {expr_json.format_number(ghz * GHZ)});"]
    if isinstance(inst, Delay):
        return ["@qdl {}", f"delay[{inst.duration}dt] {inst.frame};"]  # explicit, not a clock move
    if isinstance(inst, Acquire):
        source = (f"{CAPTURE_KERNEL}({inst.frame}, {inst.kernel})" if inst.kernel
                  else f"{CAPTURE_DURATION}({inst.frame}, {inst.duration}dt)")
        return [f"bit {RESULT} = {source};"]
    raise PulseExportError(f"`{type(inst).__name__}` has no place in a defcal body")


def _call(op: object, renamed: Mapping[str, str], size: int) -> list[str]:
    """The gate-level statements of one arranged native op (`size`: the `bit` register's)."""
    if isinstance(op, GateOp):
        if op.gate == "gphase":
            return []  # a global phase is not observable on hardware (the schedule drops it too)
        args = f"({', '.join(_expr(p, renamed) for p in op.params)})" if op.params else ""
        gate = f"{op.gate}{args} " + ", ".join(f"${q}" for q in op.qubits) + ";"
        if op.condition is None:
            return [gate]
        condition = {"bits": list(op.condition.bits), "value": op.condition.value}
        return [f"if ({condition_text(condition, size)}) {{ {gate} }}"]  # as the flat export spells it
    if isinstance(op, MeasureOp):
        return [f"{REGISTER}[{op.bit}] = measure ${op.qubit};"]
    if isinstance(op, MeasureGroup):
        if len(op.measures) == 1:
            return _call(op.measures[0], renamed, size)
        # one scheduling unit: all the qubits' frames aligned at its start, every measurement from there
        inner = ["barrier " + ", ".join(f"${q}" for q in op.qubits) + ";"]
        return ["box {"] + [INDENT + s for s in inner + [line for m in op.measures for line in _call(m, {}, size)]] \
            + ["}"]
    if isinstance(op, BarrierOp):
        return ["barrier " + ", ".join(f"${q}" for q in op.qubits) + ";"]
    raise PulseExportError(f"`{type(op).__name__}` has no gate-level OpenQASM form here")
