"""Shared checks for the exporters of JSON pulse schedules (`qdl.pulse_schedule` v0.1, note §8a).

The input of every exporter is the plain dict of §8a.  `validate` checks the
parts an exporter relies on, `walk` replays the instructions in time order on
per-frame clocks (the gap before each one is the delay an exporter must emit),
`check_timing` enforces the device's timing constraints and `sample` turns a
waveform entry into its complex samples.  Every error is a `PulseExportError`
naming the instruction (its index, op, frame and originating gate).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Mapping

import numpy as np

from qdl.compiler.pulse import expr_json
from qdl.compiler.pulse.expr_json import PulseExportError
from qdl.compiler.pulse.waveforms import Constant, Drag, Gaussian, GaussianSquare, WaveformError

FORMAT = "qdl.pulse_schedule"
FRAME_OPS = ("play", "delay", "shift_phase", "set_phase", "shift_frequency", "set_frequency", "acquire")
VALUE_FIELDS = ("phase", "frequency")
SHAPES = ("gaussian", "gaussian_square", "drag", "constant", "samples")
REQUIRED = ("format", "version", "device", "time_unit", "phase_convention", "parameters", "ports", "frames",
            "waveforms", "instructions")
OP_KEYS = {"play": ("frame", "waveform"), "shift_phase": ("frame", "phase"), "set_phase": ("frame", "phase"),
           "shift_frequency": ("frame", "frequency"), "set_frequency": ("frame", "frequency"),
           "delay": ("frame", "duration"), "acquire": ("frame", "duration", "qubit", "memory_slot"),
           "barrier": ("frames",), "conditional": ("duration", "frames", "condition", "body")}  # the schema's (§8a)
MULTI_FRAME_OPS = ("barrier", "conditional")


def describe(index: int, inst: Mapping) -> str:
    """`instruction 3 (play on q0_drive at t0=160, gate "x q0")` for error messages."""
    where = inst.get("frame") or ", ".join(inst.get("frames", ()))
    gate = f', gate "{inst["gate"]}"' if "gate" in inst else ""
    return f"instruction {index} ({inst.get('op')} on {where} at t0={inst.get('t0')}{gate})"


def validate(doc: Mapping) -> None:
    """Raise `PulseExportError` if `doc` is not a schedule the exporters can translate."""
    if doc.get("format") != FORMAT:
        raise PulseExportError(f"not a pulse schedule: format is {doc.get('format')!r}, expected {FORMAT!r}")
    missing = [k for k in REQUIRED if k not in doc]
    if missing:
        raise PulseExportError(f"the schedule lacks {', '.join(f'`{k}`' for k in missing)} (see qdl.pulse_schedule v0.1)")
    if not isinstance(doc["device"].get("dt"), (int, float)) or not doc["device"]["dt"] > 0:
        raise PulseExportError(f"device.dt must be a positive number of seconds, got {doc['device'].get('dt')!r}")
    if doc.get("time_unit") != "dt":
        raise PulseExportError(f"time_unit must be 'dt', got {doc.get('time_unit')!r}")
    ports = {p["name"] for p in doc["ports"]}
    for frame in doc["frames"]:
        if frame["port"] not in ports:
            raise PulseExportError(f"frame `{frame['name']}` uses the undeclared port `{frame['port']}`")
        for key in ("frequency", "phase"):
            if key in frame:
                expr_json.check(frame[key], f"frame `{frame['name']}` {key}")
    for name, wf in doc["waveforms"].items():
        _validate_waveform(name, wf)
    frames = {f["name"] for f in doc["frames"]}
    for index, inst in enumerate(doc["instructions"]):
        _validate_instruction(index, inst, frames, doc["waveforms"])
    _validate_parameters(doc)


def _validate_parameters(doc: Mapping) -> None:
    declared = {p["name"] for p in doc["parameters"]}
    values = [f.get(k, 0) for f in doc["frames"] for k in ("frequency", "phase")]
    values += [v for wf in doc["waveforms"].values() for v in wf.get("params", {}).values()]
    values += [i[k] for _, i in flat(doc) for k in VALUE_FIELDS if k in i]
    values += list(doc.get("final_frame_phases", {}).values())
    missing = set().union(*(expr_json.free_params(v) for v in values)) - declared
    if missing:
        raise PulseExportError(f"parameters {sorted(missing)} are used but not declared in `parameters`")


def _validate_waveform(name: str, wf: Mapping) -> None:
    if wf.get("shape") not in SHAPES:
        raise PulseExportError(f"waveform `{name}` has unknown shape {wf.get('shape')!r} (one of {SHAPES})")
    if not isinstance(wf.get("duration"), int) or wf["duration"] < 1:
        raise PulseExportError(f"waveform `{name}` needs an integer duration ≥ 1 dt, got {wf.get('duration')!r}")
    if wf["shape"] == "samples" and len(wf.get("samples", ())) != wf["duration"]:
        raise PulseExportError(f"waveform `{name}` has {len(wf.get('samples', ()))} samples for duration "
                               f"{wf['duration']}")
    for key, value in wf.get("params", {}).items():
        expr_json.check(value, f"waveform `{name}` parameter `{key}`")


def flat(doc: Mapping) -> Iterator[tuple[int, Mapping]]:
    """(index, instruction) of every instruction, those in a conditional block after it with its index."""
    for index, inst in enumerate(doc["instructions"]):
        yield index, inst
        if inst.get("op") == "conditional":
            yield from ((index, i) for i in inst.get("body", ()))


def _validate_conditional(index: int, inst: Mapping, frames: set, waveforms: Mapping) -> None:
    """The condition's form and the body: frame instructions inside the block, on its frames."""
    condition = inst["condition"] if isinstance(inst["condition"], Mapping) else {}
    bits, value = condition.get("bits"), condition.get("value")
    if not isinstance(inst["duration"], int) or inst["duration"] < 0:
        raise PulseExportError(f"{describe(index, inst)}: needs an integer `duration` ≥ 0 dt")
    if not (isinstance(bits, list) and bits and all(isinstance(b, int) and b >= 0 for b in bits)
            and len(set(bits)) == len(bits) and isinstance(value, int) and 0 <= value < 2 ** len(bits)):
        raise PulseExportError(f"{describe(index, inst)}: the condition must be {{\"bits\": [distinct slots], "
                               f"\"value\": 0 ≤ integer < 2**len(bits)}}, got {inst['condition']!r}")
    end = inst["t0"] + inst["duration"]
    for sub in inst["body"]:
        if sub.get("op") not in FRAME_OPS or sub.get("op") == "acquire":
            raise PulseExportError(f"{describe(index, inst)}: a conditional block holds plays, delays and frame "
                                   f"changes only, not {sub.get('op')!r}")
        _validate_instruction(index, sub, set(inst["frames"]), waveforms)
        if sub["t0"] < inst["t0"] or sub["t0"] + duration(sub, {"waveforms": waveforms}) > end:
            raise PulseExportError(f"{describe(index, inst)}: {sub['op']} at t0={sub['t0']} runs outside the block "
                                   f"[{inst['t0']}, {end}); the block lasts as long as its branch")


def _validate_instruction(index: int, inst: Mapping, frames: set, waveforms: Mapping) -> None:
    op = inst.get("op")
    if op not in FRAME_OPS + MULTI_FRAME_OPS:
        raise PulseExportError(f"{describe(index, inst)}: unknown op {op!r}")
    if not isinstance(inst.get("t0"), int) or inst["t0"] < 0:
        raise PulseExportError(f"{describe(index, inst)}: t0 must be an integer ≥ 0")
    missing = [k for k in OP_KEYS[op] if k not in inst]
    if missing:
        raise PulseExportError(f"{describe(index, inst)}: a {op} needs {', '.join(f'`{k}`' for k in missing)}")
    used = inst.get("frames", []) if op in MULTI_FRAME_OPS else [inst.get("frame")]
    for frame in used:
        if frame not in frames:
            raise PulseExportError(f"{describe(index, inst)}: unknown frame `{frame}`")
    if op == "conditional":
        _validate_conditional(index, inst, frames, waveforms)
    for key in ("waveform", "kernel"):
        if key in inst and inst[key] not in waveforms:
            raise PulseExportError(f"{describe(index, inst)}: unknown waveform `{inst[key]}`")
    if op in ("delay", "acquire") and not (isinstance(inst.get("duration"), int) and inst["duration"] >= 1):
        raise PulseExportError(f"{describe(index, inst)}: needs an integer `duration` ≥ 1 dt")
    for key in VALUE_FIELDS:
        if key in inst:
            expr_json.check(inst[key], describe(index, inst))


def duration(inst: Mapping, doc: Mapping) -> int:
    """How far an instruction advances its frame's clock (0 for frame changes and barriers)."""
    if inst["op"] == "play":
        return doc["waveforms"][inst["waveform"]]["duration"]
    if inst["op"] in ("delay", "acquire", "conditional"):
        return inst["duration"]
    return 0


@dataclass(frozen=True)
class Step:
    """One instruction in time order with the idle time each of its frames needs first."""

    index: int
    inst: Mapping
    gaps: tuple[tuple[str, int], ...]  # (frame, dt to wait) for frames whose clock is before t0


def walk(doc: Mapping) -> Iterator[Step]:
    """Instructions stably sorted by t0, with per-frame gaps; raises on overlaps on one frame.

    A conditional block is one step over its frames lasting its duration;
    its body is the exporter's to walk (`walk_body`).
    """
    clock = {f["name"]: 0 for f in doc["frames"]}
    order = sorted(range(len(doc["instructions"])), key=lambda i: doc["instructions"][i]["t0"])
    for index in order:
        inst = doc["instructions"][index]
        names = inst["frames"] if inst["op"] in MULTI_FRAME_OPS else [inst["frame"]]
        gaps = []
        for name in names:
            if clock[name] > inst["t0"]:
                raise PulseExportError(
                    f"{describe(index, inst)}: frame `{name}` is busy until t={clock[name]} dt; instructions "
                    "on one frame must not overlap (list a frame change before a play with the same t0)")
            if clock[name] < inst["t0"]:
                gaps.append((name, inst["t0"] - clock[name]))
            clock[name] = inst["t0"] + duration(inst, doc)
        yield Step(index, inst, tuple(gaps))


def walk_body(block: Mapping, doc: Mapping) -> tuple[list[Step], dict[str, int]]:
    """The steps of a conditional block's body (gaps from the block's start) and each frame's idle tail."""
    sub = {"frames": [{"name": f} for f in block["frames"]], "waveforms": doc["waveforms"],
           "instructions": [{**i, "t0": i["t0"] - block["t0"]} for i in block["body"]]}
    steps = list(walk(sub))
    ends = {f: 0 for f in block["frames"]}
    for step in steps:
        frame = step.inst["frame"]
        ends[frame] = max(ends[frame], step.inst["t0"] + duration(step.inst, doc))
    return steps, {f: block["duration"] - end for f, end in ends.items() if block["duration"] > end}


def check_timing(doc: Mapping) -> None:
    """Enforce `device.timing`: play/acquire durations and start alignment (reference note §6)."""
    timing = doc["device"].get("timing", {})
    grain, min_len = timing.get("granularity", 1), timing.get("min_length", 1)
    for index, inst in flat(doc):  # plays inside conditional blocks too
        if inst["op"] not in ("play", "acquire"):
            continue
        length = duration(inst, doc)
        align = timing.get("pulse_alignment" if inst["op"] == "play" else "acquire_alignment", 1)
        problems = []
        if length % grain:
            problems.append(f"duration {length} dt is not a multiple of the granularity {grain}")
        if length < min_len:
            problems.append(f"duration {length} dt is below the minimum length {min_len}")
        if inst["t0"] % align:
            problems.append(f"start {inst['t0']} dt is not a multiple of the alignment {align}")
        if problems:
            raise PulseExportError(f"{describe(index, inst)} breaks the device timing constraints: "
                                   + "; ".join(problems))


def parameter_values(doc: Mapping) -> dict[str, float]:
    """Each declared parameter's `value` (parameters without one are left out)."""
    return {p["name"]: p["value"] for p in doc["parameters"] if "value" in p}


def sample(wf: Mapping, values: Mapping[str, float]) -> np.ndarray:
    """complex128 samples of a waveform entry, expressions evaluated at `values` (note §1.2 formulas)."""
    if wf["shape"] == "samples":
        return np.array([complex(re, im) for re, im in wf["samples"]])
    p = {k: expr_json.evaluate(v, values) for k, v in wf.get("params", {}).items()}
    amp, angle, n = p.get("amp", 0.0), p.get("angle", 0.0), wf["duration"]
    try:
        if wf["shape"] == "constant":
            return Constant(n, amp, angle).samples()
        if wf["shape"] == "gaussian":
            return Gaussian(n, amp, p["sigma"], angle).samples()
        if wf["shape"] == "drag":
            return Drag(n, amp, p["sigma"], p["beta"], angle).samples()
        return GaussianSquare(n, amp, p["sigma"], p["width"], angle).samples()
    except (WaveformError, KeyError) as err:
        raise PulseExportError(f"waveform {dict(wf)!r}: {err}") from None
