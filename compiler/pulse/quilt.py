"""Export a JSON pulse schedule (`qdl.pulse_schedule` v0.1) to Quil-T, exactly timed (reference note §3, §8b).

    from qdl.compiler.pulse.quilt import export_quilt
    text = export_quilt(doc)

Mapping: a frame is `<qubits of its port> "<frame name>"` with a `DEFFRAME`
(direction, initial frequency, sample rate 1/dt, the port as hardware object);
parameters are `DECLARE name REAL[1]` read as `name[0]`; every waveform is a
`DEFWAVEFORM` of its exact samples (note §1.2 formulas; the Quil built-ins use
other shapes), with `%amp`, `%angle`, `%beta` arguments when those are
expressions (constants play as the built-in `flat`, and a played
`gaussian_square` as its rising edge, a `flat` top and its falling edge);
instructions are `NONBLOCKING PULSE`/`NONBLOCKING CAPTURE`
(only the named frame is used), `SHIFT-PHASE`, `SET-PHASE`, `SHIFT-FREQUENCY`,
`SET-FREQUENCY`, `DELAY` (in seconds, n·dt) and `FENCE` for barriers.  Every
frame's start times are reproduced with `DELAY`s, as in the OpenPulse export.
A conditional block (v0.2) jumps over its body with `JUMP-UNLESS`/`JUMP-WHEN`
on the condition's `ro` bits; the skipping branch `DELAY`s the block's frames
for its duration, so both branches leave every frame at the same time.

Sign rule.  qdl's convention (`axis=+phase`) is the rotating-frame drive
`(Ω/2)(d·e^{iφ} a† + h.c.)`: a frame phase φ turns the drive axis by +φ and
`rz(θ)` is `shift_phase(-θ)`.  Quil-T's is the opposite: its `DEFCAL RZ(%theta)`
is `SHIFT-PHASE +%theta` (note §3), i.e. the lab signal `Re[d_Q e^{i(ωt+φ_Q)}]`
drives a transmon whose |1⟩ lies above |0⟩, giving `(Ω/2)(conj(d_Q e^{iφ_Q}) a† + h.c.)`.
The same physical schedule therefore has **φ_Q = -φ** (every SHIFT-PHASE and
SET-PHASE value and initial frame phase negated) and **d_Q = conj(d)** (waveform
samples conjugated: angle → -angle, the DRAG quadrature negated).  Frequencies
and times are unchanged.  So qdl's `rz(θ)` → `shift_phase(-θ)` prints as
`SHIFT-PHASE 0 "q0_drive" theta[0]`, as in Quil's own calibrations.
tests/compiler/pulse/test_quilt.py checks this by simulating both texts.
"""

from __future__ import annotations

import re
from typing import Mapping

import numpy as np

from qdl.compiler.pulse import export_common as common
from qdl.compiler.pulse import expr_json
from qdl.compiler.pulse.expr_json import PulseExportError

SYNTAX = expr_json.Syntax(param=lambda name: f"{name}[0]", strict=True, power="^",
                          function={"sin": "sin", "cos": "cos", "exp": "exp", "sqrt": "sqrt"})
SYMBOLIC = ("amp", "angle", "beta")  # waveform fields that may be expressions (they become %arguments)
REGISTER = "ro"
RISE, FALL, MIN_FLAT = "__rise", "__fall", 64  # a gaussian_square's edges, and the shortest top played as `flat`
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*\Z")
DIRECTION = {"acquire": "rx"}


def export_quilt(doc: Mapping, *, check_timing: bool = True) -> str:
    """Quil-T text of a §8a schedule, with Quil's sign rule (see the module docstring)."""
    common.validate(doc)
    for param in doc["parameters"]:
        if not IDENTIFIER.match(param["name"]) or param["name"] in (REGISTER, "pi", "i"):
            raise PulseExportError(f"parameter name `{param['name']}` is not usable as Quil memory; rename it")
    if check_timing:
        common.check_timing(doc)
    dt = doc["device"]["dt"]
    lines = [f"# {doc['format']} {doc['version']}, device {doc['device']['name']}; times in seconds (dt = {dt!r} s)",
             "# Quil sign rule: phases negated and waveforms conjugated w.r.t. qdl's axis=+phase; "
             "rz(theta) is SHIFT-PHASE +theta"]
    lines += [f"DECLARE {p['name']} {'INTEGER' if p['kind'] == 'int' else 'REAL'}[1]" for p in doc["parameters"]]
    slots = [i["memory_slot"] for i in doc["instructions"] if i["op"] == "acquire"]
    slots += [b for i in doc["instructions"] if i["op"] == "conditional" for b in i["condition"]["bits"]]
    if slots:
        lines.append(f"DECLARE {REGISTER} BIT[{max(slots) + 1}]")
    frames = {f["name"]: _frame_ref(f, doc) for f in doc["frames"]}
    lines += _defframes(doc, frames)
    for name, wf in doc["waveforms"].items():
        lines += _defwaveforms(name, wf, doc)
    lines += _initial_frame_state(doc, frames)
    for step in common.walk(_expand_barriers(doc)):  # a FENCE also waits for the frames a barrier omits
        lines += [f"DELAY {frames[f]} {_seconds(n, dt)}" for f, n in step.gaps]
        if step.inst["op"] == "conditional":
            lines += _conditional(step.index, step.inst, doc, frames)
        else:
            lines.append(_statement(step.index, step.inst, doc, frames))
    return "\n".join(lines) + "\n"


def _conditional(index: int, block: Mapping, doc: Mapping, frames: Mapping[str, str]) -> list[str]:
    """JUMP-WHEN/JUMP-UNLESS past the body unless the condition holds; the other branch idles as long.

    Each bit of the condition that must be 1 skips the body when it is 0
    (`JUMP-UNLESS`), each that must be 0 when it is 1 (`JUMP-WHEN`); both
    branches leave the block's frames at its end, so later times are static.
    """
    dt, skip, end = doc["device"]["dt"], f"@qdl-skip-{index}", f"@qdl-end-{index}"
    bits, value = block["condition"]["bits"], block["condition"]["value"]
    lines = [f"JUMP-{'UNLESS' if (value >> k) & 1 else 'WHEN'} {skip} {REGISTER}[{b}]" for k, b in enumerate(bits)]
    steps, tails = common.walk_body(block, doc)
    for step in steps:
        lines += [f"DELAY {frames[f]} {_seconds(n, dt)}" for f, n in step.gaps]
        lines.append(_statement(index, step.inst, doc, frames))
    lines += [f"DELAY {frames[f]} {_seconds(n, dt)}" for f, n in tails.items()]
    if not block["duration"]:
        return lines + [f"LABEL {skip}"]
    idle = [f"DELAY {frames[f]} {_seconds(block['duration'], dt)}" for f in block["frames"]]
    return lines + [f"JUMP {end}", f"LABEL {skip}"] + idle + [f"LABEL {end}"]


def negated(value: object) -> object:
    """-value as a tree, without a double negation (`neg(x)` → `x`)."""
    if expr_json.is_number(value):
        return -value
    if value.get("op") == "neg":
        return value["args"][0]
    return {"op": "neg", "args": [value]}


def _expr(value: object, where: str = "") -> str:
    try:
        return expr_json.to_infix(value, SYNTAX)
    except PulseExportError as err:
        raise PulseExportError(f"{where}: {err} (Quil has no `abs` or `atan2`)" if where else str(err)) from None


def _seconds(samples: int, dt: float) -> str:
    return repr(samples * dt)


def _frame_ref(frame: Mapping, doc: Mapping) -> str:
    port = next(p for p in doc["ports"] if p["name"] == frame["port"])
    if not port["qubits"]:
        raise PulseExportError(f"frame `{frame['name']}`: Quil-T frames need qubits, port `{port['name']}` has none")
    return " ".join(str(q) for q in port["qubits"]) + f' "{frame["name"]}"'


def _defframes(doc: Mapping, frames: Mapping[str, str]) -> list[str]:
    lines = []
    kinds = {p["name"]: p["kind"] for p in doc["ports"]}
    for frame in doc["frames"]:
        lines += [f"DEFFRAME {frames[frame['name']]}:",
                  f'    DIRECTION: "{DIRECTION.get(kinds[frame["port"]], "tx")}"']
        if expr_json.is_number(frame["frequency"]):
            lines.append(f"    INITIAL-FREQUENCY: {float(frame['frequency'])!r}")
        lines += [f"    SAMPLE-RATE: {1.0 / doc['device']['dt']!r}", f'    HARDWARE-OBJECT: "{frame["port"]}"']
    return lines


def _initial_frame_state(doc: Mapping, frames: Mapping[str, str]) -> list[str]:
    """SET-FREQUENCY for symbolic initial frequencies, SET-PHASE for non-zero initial phases."""
    lines = []
    for frame in doc["frames"]:
        if not expr_json.is_number(frame["frequency"]):
            lines.append(f"SET-FREQUENCY {frames[frame['name']]} {_expr(frame['frequency'])}")
        phase = frame.get("phase", 0.0)
        if not (expr_json.is_number(phase) and phase == 0):
            lines.append(f"SET-PHASE {frames[frame['name']]} {_expr(negated(phase))}")
    return lines


def _complex(z: complex) -> str:
    re_, im = float(z.real), float(z.imag)
    return f"({re_!r}{'-' if np.signbit(im) else '+'}{abs(im)!r}i)"


def _defwaveforms(name: str, wf: Mapping, doc: Mapping) -> list[str]:
    """DEFWAVEFORMs of a waveform: whole, or its edges when its flat top plays as `flat` (see `_plateau`)."""
    if wf["shape"] == "constant":
        return []  # played as the built-in `flat`, exact for a constant envelope
    args, terms = _terms(wf)
    head = f"({', '.join('%' + k for k in args)})" if args else ""
    plateau = _plateau(name, doc)
    played = any(i["op"] == "play" and i["waveform"] == name for i in doc["instructions"])
    kernel = any(i.get("kernel") == name for i in doc["instructions"])
    parts = [(name, terms)] if plateau is None or kernel or not played else []
    if plateau is not None and played:
        parts += [(f"{name}{RISE}", terms[:plateau[0]]), (f"{name}{FALL}", terms[plateau[1]:])]
    return [line for part, body in parts if body for line in (f"DEFWAVEFORM {part}{head}:", "    " + ", ".join(body))]


def _terms(wf: Mapping) -> tuple[list[str], list[str]]:
    """The symbolic fields (%arguments) and one Quil expression per conjugated sample."""
    params = wf.get("params", {})
    symbolic = [k for k in SYMBOLIC if k in params and not expr_json.is_number(params[k])]
    if not symbolic:
        return [], [_complex(z) for z in np.conj(common.sample(wf, {}))]
    unit = {k: (1.0 if k == "amp" else 0.0) if k in symbolic else v for k, v in params.items()}
    base = np.conj(common.sample({**wf, "params": unit}, {}))  # amp·e^{-i angle}·(G - iβ·slope·G) at β = 0
    factors = "".join(f"*{f}" for f in (["%amp"] if "amp" in symbolic else [])
                      + (["cis(-%angle)"] if "angle" in symbolic else []))
    if "beta" in symbolic:
        quad = np.conj(common.sample({**wf, "params": {**unit, "beta": 1.0}}, {})) - base  # -i·slope·G (·amp e^{-iα})
        return symbolic, [f"({_complex(b)}+{_complex(q)}*%beta){factors}" for b, q in zip(base, quad)]
    return symbolic, [f"{_complex(b)}{factors}" for b in base]


def _plateau(name: str, doc: Mapping) -> tuple[int, int] | None:
    """[start, stop) of a gaussian_square's samples that are exactly amp·e^{i·angle}, when long enough.

    Those samples play as `flat(...)`, exactly, between DEFWAVEFORMs of the
    edges: a 22400-sample readout pulse becomes a few hundred samples of text.
    """
    wf = doc["waveforms"][name]
    params = wf.get("params", {})
    if wf["shape"] != "gaussian_square" or {f"{name}{RISE}", f"{name}{FALL}"} & set(doc["waveforms"]):
        return None
    unit = np.real(common.sample({**wf, "params": {**params, "amp": 1.0, "angle": 0.0}}, {}))
    flat = np.flatnonzero(unit == 1.0)
    if len(flat) < MIN_FLAT or flat[-1] - flat[0] + 1 != len(flat):
        return None
    return int(flat[0]), int(flat[-1]) + 1


def _play_calls(name: str, doc: Mapping) -> list[str]:
    """What a play of waveform `name` sends: the waveform, or edge, `flat` top, edge."""
    plateau = _plateau(name, doc)
    if plateau is None:
        return [_waveform_call(name, doc)]
    wf = doc["waveforms"][name]
    top = _flat(name, {**wf, "duration": plateau[1] - plateau[0]}, doc["device"]["dt"])
    edges = [(f"{name}{RISE}", plateau[0]), (top, None), (f"{name}{FALL}", wf["duration"] - plateau[1])]
    return [call if size is None else _waveform_call(name, doc).replace(name, call, 1)
            for call, size in edges if size != 0]


def _waveform_call(name: str, doc: Mapping) -> str:
    wf = doc["waveforms"][name]
    params = wf.get("params", {})
    if wf["shape"] == "constant":
        return _flat(name, wf, doc["device"]["dt"])
    symbolic = [k for k in SYMBOLIC if k in params and not expr_json.is_number(params[k])]
    if not symbolic:
        return name
    args = ", ".join(f"{k}: {_expr(params[k], f'waveform `{name}` {k}')}" for k in symbolic)
    return f"{name}({args})"


def _flat(name: str, wf: Mapping, dt: float) -> str:
    amp, angle = wf["params"].get("amp", 0.0), wf["params"].get("angle", 0.0)
    if expr_json.is_number(amp) and expr_json.is_number(angle):
        iq = _complex(np.conj(amp * np.exp(1j * angle)))
    else:
        _expr(amp, f"waveform `{name}` amp")  # names the waveform if Quil cannot spell it
        iq = f"{expr_json.to_infix(amp, SYNTAX, 2)}*cis({_expr(negated(angle), f'waveform `{name}` angle')})"
    return f"flat(duration: {_seconds(wf['duration'], dt)}, iq: {iq})"


def _statement(index: int, inst: Mapping, doc: Mapping, frames: Mapping[str, str]) -> str:
    op, dt = inst["op"], doc["device"]["dt"]
    if op == "play":
        return "\n".join(f"NONBLOCKING PULSE {frames[inst['frame']]} {call}" for call in _play_calls(inst["waveform"], doc))
    if op in ("shift_phase", "set_phase"):
        value = _expr(negated(inst["phase"]), common.describe(index, inst))
        return f"{op.upper().replace('_', '-')} {frames[inst['frame']]} {value}"
    if op in ("shift_frequency", "set_frequency"):
        value = _expr(inst["frequency"], common.describe(index, inst))
        return f"{op.upper().replace('_', '-')} {frames[inst['frame']]} {value}"
    if op == "delay":
        return f"DELAY {frames[inst['frame']]} {_seconds(inst['duration'], dt)}"
    if op == "barrier":
        return _fence(inst, doc)
    if "kernel" not in inst:
        kernel = f"flat(duration: {_seconds(inst['duration'], dt)}, iq: 1.0)"
    elif doc["waveforms"][inst["kernel"]]["duration"] != inst["duration"]:
        raise PulseExportError(f"{common.describe(index, inst)}: the kernel `{inst['kernel']}` lasts "
                               f"{doc['waveforms'][inst['kernel']]['duration']} dt but the acquire "
                               f"{inst['duration']} dt; Quil-T takes the capture length from the kernel")
    else:
        kernel = _waveform_call(inst["kernel"], doc)
    return f"NONBLOCKING CAPTURE {frames[inst['frame']]} {kernel} {REGISTER}[{inst['memory_slot']}]"


def _fence(inst: Mapping, doc: Mapping) -> str:
    frames = {f["name"]: f["port"] for f in doc["frames"]}
    qubits = {q for p in doc["ports"] if p["name"] in {frames[f] for f in inst["frames"]} for q in p["qubits"]}
    return "FENCE " + " ".join(str(q) for q in sorted(qubits))


def _expand_barriers(doc: Mapping) -> dict:
    """A copy whose barriers list every frame on their qubits: Quil's FENCE aligns all of them."""
    qubits_of = {p["name"]: set(p["qubits"]) for p in doc["ports"]}
    port_of = {f["name"]: f["port"] for f in doc["frames"]}
    out = []
    for inst in doc["instructions"]:
        if inst["op"] == "barrier":
            qubits = set().union(*(qubits_of[port_of[f]] for f in inst["frames"]))
            wider = [f for f in port_of if qubits_of[port_of[f]] & qubits]
            inst = {**inst, "frames": wider}
        out.append(inst)
    return {**doc, "instructions": out}
