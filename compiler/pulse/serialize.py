"""The canonical JSON schedule `qdl.pulse_schedule` v0.1/v0.2 (reference note §8a): `dump` and `load`.

`dump(schedule)` gives a plain dict (what `json.dumps` writes and the
OpenPulse/Quil-T/plot exporters read); `load(doc)` rebuilds the
`PulseSchedule`, and `load(dump(s)) == s`.  Values are numbers or expression
trees over declared parameters, never strings:
`{"param": "theta"}`, `{"op": "neg", "args": [...]}` with the operators
add, sub, mul, div, neg, pow, sin, cos, exp, sqrt (and abs, atan2 in the
schema; qdl's expressions have no `abs`, and `atan2(y, x)` loads only with a
constant positive x).  Frequencies are in Hz in the document, GHz in memory.
The native gates the schedule implements are kept under `source.gates`, so a
document alone is enough to verify it (`runtime.pulse.verify`), and where
the measurements come among them under `source.measurements`.

Version 0.2 adds conditional blocks, `{"op": "conditional", "t0",
"duration", "frames", "condition": {"bits", "value"}, "body": [...]}`, and
conditioned source gates (`"condition"`).  `dump` writes the lowest version
that describes the schedule (0.1 without conditions), `load` reads both.
"""

from __future__ import annotations

import re
from typing import Any

from qdl.compiler.expr import Arg, Binary, Const, Expr, Unary, apply, div
from qdl.compiler.pulse.schedule import (
    Acquire, Barrier, BitCondition, Conditional, Delay, Frame, Instruction, NativeGate, NativeMeasure, Parameter,
    Placement, Play, Port, PulseSchedule, SetFrequency, SetPhase, ShiftFrequency, ShiftPhase, flat_instructions,
)
from qdl.compiler.pulse.waveforms import Constant, Drag, Gaussian, GaussianSquare, Samples, Value, Waveform
from qdl.errors import QdlError

FORMAT, VERSION = "qdl.pulse_schedule", "0.2"
VERSIONS = ("0.1", "0.2")  # 0.2 adds conditional blocks and conditioned source gates
PHASE_CONVENTION = "axis=+phase"
GHZ = 1e9
BINARY_TO_JSON = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow"}
JSON_TO_BINARY = {v: k for k, v in BINARY_TO_JSON.items()}
UNARY_OPS = ("neg", "sin", "cos", "exp", "sqrt")
SHAPES = {"gaussian": Gaussian, "gaussian_square": GaussianSquare, "drag": Drag, "constant": Constant}
PARAMS = {"gaussian": ("amp", "angle", "sigma"), "gaussian_square": ("amp", "angle", "sigma", "width"),
          "drag": ("amp", "angle", "sigma", "beta"), "constant": ("amp", "angle")}
ELEMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\[([0-9, ]+)\]$")


class ScheduleFormatError(QdlError, ValueError):
    """A document that is not a valid `qdl.pulse_schedule` (or a value v0.1 cannot express)."""


# ---- values --------------------------------------------------------------------------------------------

def value_to_json(value: Value) -> Any:
    """A number or an expression tree."""
    if isinstance(value, Const):
        return value.value
    if not isinstance(value, Expr):
        return float(value)
    if isinstance(value, Arg):
        return {"param": value.name + (f"[{','.join(map(str, value.index))}]" if value.index else "")}
    if isinstance(value, Binary):
        return {"op": BINARY_TO_JSON[value.op], "args": [value_to_json(value.lhs), value_to_json(value.rhs)]}
    assert isinstance(value, Unary)
    if value.fn in UNARY_OPS:
        return {"op": value.fn, "args": [value_to_json(value.arg)]}
    if value.fn == "tan":  # tan = sin / cos keeps the value exactly representable
        return {"op": "div", "args": [value_to_json(apply("sin", value.arg)), value_to_json(apply("cos", value.arg))]}
    if value.fn == "arctan":
        return {"op": "atan2", "args": [value_to_json(value.arg), 1.0]}
    raise ScheduleFormatError(f"`{value.fn}` has no operator in qdl.pulse_schedule v0.1 (in {value})")


def value_from_json(node: Any) -> Value:
    """The inverse of `value_to_json` (numbers stay floats)."""
    if isinstance(node, bool) or node is None:
        raise ScheduleFormatError(f"not a value: {node!r}")
    if isinstance(node, (int, float)):
        return float(node)
    if isinstance(node, dict) and set(node) == {"param"}:
        match = ELEMENT.match(str(node["param"]))
        if match:
            return Arg(match.group(1), tuple(int(i) for i in match.group(2).split(",")))
        return Arg(str(node["param"]))
    if not isinstance(node, dict) or set(node) != {"op", "args"} or not isinstance(node["args"], list):
        raise ScheduleFormatError(f"not a value (number, {{param}} or {{op, args}}): {node!r}")
    op, args = node["op"], [_expr(value_from_json(a)) for a in node["args"]]
    if op in JSON_TO_BINARY and len(args) == 2:
        return Binary(JSON_TO_BINARY[op], args[0], args[1])
    if op in UNARY_OPS and len(args) == 1:
        return Unary(op, args[0])
    if op == "atan2" and len(args) == 2 and isinstance(args[1], Const) and args[1].value > 0:
        return Unary("arctan", args[0] if args[1].value == 1.0 else div(args[0], args[1]))
    raise ScheduleFormatError(f"operator `{op}` with {len(args)} arguments is not supported here")


def _expr(value: Value) -> Expr:
    return value if isinstance(value, Expr) else Const(float(value))


def _number(value: Value) -> Value:
    return value.value if isinstance(value, Const) else value


# ---- waveforms -----------------------------------------------------------------------------------------

def waveform_to_json(wf: Waveform) -> dict:
    """`{"shape", "duration", "params"}` (or `samples`) of one waveform."""
    if isinstance(wf, Samples):
        return {"shape": "samples", "duration": wf.duration, "samples": [[z.real, z.imag] for z in wf.values]}
    shape = next(name for name, cls in SHAPES.items() if type(wf) is cls)
    if getattr(wf, "lifted", True) is False:
        raise ScheduleFormatError("unlifted Gaussians have no shape in qdl.pulse_schedule v0.1")
    return {"shape": shape, "duration": int(wf.duration),
            "params": {k: value_to_json(getattr(wf, k)) for k in PARAMS[shape]}}


def waveform_from_json(doc: dict) -> Waveform:
    """The waveform of one `waveforms` entry."""
    shape = doc.get("shape")
    if shape == "samples":
        return Samples(int(doc["duration"]), tuple(complex(re_, im) for re_, im in doc["samples"]))
    if shape not in SHAPES:
        raise ScheduleFormatError(f"unknown waveform shape {shape!r}")
    params = {k: _number(value_from_json(v)) for k, v in doc.get("params", {}).items()}
    missing = [k for k in PARAMS[shape] if k not in params and k != "angle"]
    if missing:
        raise ScheduleFormatError(f"{shape} waveform needs {', '.join(missing)}")
    return SHAPES[shape](duration=int(doc["duration"]), **params)


# ---- instructions --------------------------------------------------------------------------------------

def _instruction_to_json(inst: Instruction) -> dict:
    out: dict[str, Any] = {"t0": int(inst.t0)}
    if isinstance(inst, Play):
        out.update(op="play", frame=inst.frame, waveform=inst.name)
    elif isinstance(inst, (ShiftPhase, SetPhase)):
        out.update(op="shift_phase" if isinstance(inst, ShiftPhase) else "set_phase", frame=inst.frame,
                   phase=value_to_json(inst.phase))
    elif isinstance(inst, ShiftFrequency):
        out.update(op="shift_frequency", frame=inst.frame, frequency=inst.delta_ghz * GHZ)
    elif isinstance(inst, SetFrequency):
        out.update(op="set_frequency", frame=inst.frame, frequency=inst.frequency_ghz * GHZ)
    elif isinstance(inst, Delay):
        out.update(op="delay", frame=inst.frame, duration=int(inst.duration))
    elif isinstance(inst, Acquire):
        out.update(op="acquire", frame=inst.frame, duration=int(inst.duration), qubit=inst.qubit,
                   memory_slot=inst.memory_slot)
        if inst.kernel:
            out["kernel"] = inst.kernel
    elif isinstance(inst, Conditional):
        out.update(op="conditional", duration=int(inst.duration), frames=list(inst.frames),
                   condition=_condition_to_json(inst.condition), body=[_instruction_to_json(i) for i in inst.body])
    else:
        out.update(op="barrier", frames=list(inst.frames))
    if inst.gate:
        out["gate"] = inst.gate
    return out


def _instruction_from_json(doc: dict, waveforms: dict[str, Waveform]) -> Instruction:
    op, t0, gate = doc.get("op"), int(doc["t0"]), doc.get("gate", "")
    try:
        if op == "play":
            return Play(t0, doc["frame"], waveforms[doc["waveform"]], doc["waveform"], gate)
        if op in ("shift_phase", "set_phase"):
            cls = ShiftPhase if op == "shift_phase" else SetPhase
            return cls(t0, doc["frame"], _number(value_from_json(doc["phase"])), gate)
        if op == "shift_frequency":
            return ShiftFrequency(t0, doc["frame"], float(doc["frequency"]) / GHZ, gate)
        if op == "set_frequency":
            return SetFrequency(t0, doc["frame"], float(doc["frequency"]) / GHZ, gate)
        if op == "delay":
            return Delay(t0, doc["frame"], int(doc["duration"]), gate)
        if op == "acquire":
            return Acquire(t0, doc["frame"], int(doc["duration"]), int(doc["qubit"]), int(doc["memory_slot"]),
                           doc.get("kernel", ""), gate)
        if op == "barrier":
            return Barrier(t0, tuple(doc.get("frames", ())), gate)
        if op == "conditional":
            body = tuple(_instruction_from_json(i, waveforms) for i in doc["body"])
            return Conditional(t0, int(doc["duration"]), tuple(doc["frames"]), _condition_from_json(doc["condition"]),
                               body, gate)
    except KeyError as exc:
        raise ScheduleFormatError(f"`{op}` instruction at t0 = {t0} needs {exc}") from None
    except ValueError as exc:  # a condition or conditional block that breaks its invariants
        raise ScheduleFormatError(f"`{op}` instruction at t0 = {t0}: {exc}") from None
    raise ScheduleFormatError(f"unknown instruction op {op!r}")


def _condition_to_json(condition: BitCondition) -> dict:
    return {"bits": list(condition.bits), "value": int(condition.value)}


def _condition_from_json(doc: dict) -> BitCondition:
    if not isinstance(doc, dict) or set(doc) != {"bits", "value"} or not isinstance(doc["value"], int):
        raise ScheduleFormatError(f"a condition is {{\"bits\": [slots], \"value\": integer}}, got {doc!r}")
    return BitCondition(tuple(int(b) for b in doc["bits"]), doc["value"])


def _gate_to_json(gate: NativeGate) -> dict:
    out = {"name": gate.name, "qubits": list(gate.qubits), "params": [value_to_json(p) for p in gate.params]}
    if gate.condition is not None:
        out["condition"] = _condition_to_json(gate.condition)
    return out


def _gate_from_json(doc: dict) -> NativeGate:
    condition = _condition_from_json(doc["condition"]) if "condition" in doc else None
    return NativeGate(doc["name"], tuple(doc["qubits"]), tuple(_number(value_from_json(p)) for p in doc["params"]),
                      condition)


def version_of(schedule: PulseSchedule) -> str:
    """The lowest format version that describes `schedule`: 0.2 with conditional blocks, else 0.1."""
    dynamic = any(isinstance(i, Conditional) for i in schedule.instructions)
    return "0.2" if dynamic or any(g.condition for g in schedule.gates) else "0.1"


# ---- documents -----------------------------------------------------------------------------------------

def dump(schedule: PulseSchedule) -> dict:
    """The `qdl.pulse_schedule` v0.1 document of `schedule` (a JSON-ready dict)."""
    waveforms: dict[str, Waveform] = dict(schedule.kernels)
    for k, inst in enumerate(i for i in flat_instructions(schedule.instructions) if isinstance(i, Play)):
        name = inst.name or f"wf{k}"
        if waveforms.setdefault(name, inst.waveform) != inst.waveform:
            raise ScheduleFormatError(f"two different waveforms are both called `{name}`")
    if not schedule.dt or schedule.dt <= 0:
        raise ScheduleFormatError("the schedule has no sample period `dt`; give the device's dt (seconds)")
    device: dict[str, Any] = {"name": schedule.device_name, "dt": schedule.dt}
    if schedule.timing:
        device["timing"] = dict(schedule.timing)
    doc: dict[str, Any] = {
        "format": FORMAT, "version": version_of(schedule), "device": device, "time_unit": "dt",
        "phase_convention": PHASE_CONVENTION,
        "parameters": [_parameter_to_json(p) for p in schedule.parameters],
        "ports": [{"name": p.name, "kind": p.kind, "qubits": list(p.qubits)} for p in schedule.ports],
        "frames": [_frame_to_json(f) for f in schedule.frames],
        "waveforms": {name: waveform_to_json(w) for name, w in waveforms.items()},
        "instructions": [_instruction_to_json(i) for i in schedule.instructions],
        "final_frame_phases": {k: value_to_json(v) for k, v in schedule.final_frame_phases.items()},
        "source": {"circuit": schedule.circuit, "qubits": list(schedule.qubits),
                   "gates": [_gate_to_json(g) for g in schedule.gates]},
    }
    if schedule.measurements:
        doc["source"]["measurements"] = [{"qubit": m.qubit, "bit": m.bit, "position": m.position}
                                         for m in schedule.measurements]
    if schedule.placement is not None:
        placed = schedule.placement
        doc["source"]["layout"] = {"initial": list(placed.initial), "final": list(placed.final), "swaps": placed.swaps}
    return doc


def load(doc: dict) -> PulseSchedule:
    """The `PulseSchedule` of a `qdl.pulse_schedule` document; raises `ScheduleFormatError`."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ScheduleFormatError(f"not a {FORMAT} document (its `format` is {doc.get('format') if isinstance(doc, dict) else doc!r})")
    if doc.get("version") not in VERSIONS:
        raise ScheduleFormatError(f"{FORMAT} version {doc.get('version')!r} is not supported; "
                                  f"this qdl reads {', '.join(VERSIONS)}")
    if doc.get("phase_convention") != PHASE_CONVENTION:
        raise ScheduleFormatError(f"phase_convention must be {PHASE_CONVENTION!r}")
    try:
        waveforms = {name: waveform_from_json(w) for name, w in doc["waveforms"].items()}
        instructions = tuple(_instruction_from_json(i, waveforms) for i in doc["instructions"])
        played = {i.name for i in flat_instructions(instructions) if isinstance(i, Play)}
        source = doc.get("source", {})
        gates = tuple(_gate_from_json(g) for g in source.get("gates", ()))
        _check_version(doc["version"], instructions, gates)
        measurements = tuple(NativeMeasure(int(m["qubit"]), int(m["bit"]), int(m["position"]))
                             for m in source.get("measurements", ()))
        ports = tuple(Port(p["name"], p["kind"], tuple(p["qubits"])) for p in doc["ports"])
        return PulseSchedule(
            tuple(_frame_from_json(f, ports) for f in doc["frames"]), instructions, ports,
            tuple(_parameter_from_json(p) for p in doc["parameters"]), doc["device"]["name"],
            doc["device"]["dt"], doc["device"].get("timing"),
            tuple((n, w) for n, w in waveforms.items() if n not in played), gates,
            tuple(source.get("qubits", ())), source.get("circuit", ""), placement=_placement(source.get("layout")),
            measurements=measurements)
    except (KeyError, TypeError) as exc:
        raise ScheduleFormatError(f"malformed {FORMAT} document: missing or wrong {exc}") from None


def _check_version(version: str, instructions: tuple[Instruction, ...], gates: tuple[NativeGate, ...]) -> None:
    """A 0.1 document has no conditions (they came with 0.2)."""
    if version == "0.1" and (any(isinstance(i, Conditional) for i in instructions) or any(g.condition for g in gates)):
        raise ScheduleFormatError(f"{FORMAT} 0.1 has no conditional blocks or conditions; "
                                  "a document with them declares version 0.2")


def _placement(layout: dict | None) -> Placement | None:
    if layout is None:
        return None
    return Placement(tuple(layout["initial"]), tuple(layout["final"]), int(layout.get("swaps", 0)))


def _parameter_to_json(p: Parameter) -> dict:
    out: dict[str, Any] = {"name": p.name, "kind": p.kind, "trainable": p.trainable}
    if p.value is not None:
        out["value"] = p.value
    if p.bounds is not None:
        out["bounds"] = list(p.bounds)
    return out


def _parameter_from_json(doc: dict) -> Parameter:
    bounds = doc.get("bounds")
    return Parameter(doc["name"], doc["kind"], bool(doc.get("trainable", False)), doc.get("value"),
                     tuple(bounds) if bounds is not None else None)


def _frame_to_json(f: Frame) -> dict:
    out: dict[str, Any] = {"name": f.name, "port": f.port or f"d{f.qubit}", "frequency": f.frequency_ghz * GHZ,
                           "phase": f.phase}
    if f.tracks_qubit is not None:
        out["tracks_qubit"] = f.tracks_qubit
    return out


def _frame_from_json(doc: dict, ports: tuple[Port, ...]) -> Frame:
    port = next((p for p in ports if p.name == doc["port"]), None)
    qubit = port.qubits[0] if port is not None and port.qubits else int(doc.get("tracks_qubit", 0))
    phase = _number(value_from_json(doc.get("phase", 0.0)))
    return Frame(doc["name"], qubit, _number(value_from_json(doc["frequency"])) / GHZ, phase,
                 doc.get("tracks_qubit"), doc["port"])
