"""Export a JSON pulse schedule (`qdl.pulse_schedule` v0.1) to OpenQASM 3 + OpenPulse, exactly timed.

    from qdl.compiler.pulse.openpulse import export_openpulse, import_openpulse
    text = export_openpulse(doc)          # one `cal { }` block (reference note §8b)
    assert import_openpulse(text) == doc  # for documents in canonical form, see below

Layout of the output (all inside one `cal { }`, so every frame's clock starts
at 0): `port` declarations, the `extern` waveform templates used (types only,
as the reference parser `openpulse` 1.0.1 requires, §2.3), one `newframe` per
frame, one `waveform` per waveform entry, then the instructions in t0 order.
Before an instruction, `delay[<n>dt] frame;` moves each of its frames from its
clock to the instruction's t0, which reproduces every absolute start time.
Parameters become `input angle[32]` / `input float[64]` / `input int[64]`;
expressions print infix (`-theta`, `x0_amp * 0.5`).  A waveform's complex
amplitude `amp·e^{i·angle}` prints as `amp + 0.0im` when angle is 0 and as
`amp * exp(angle * 1.0im)` otherwise, so amp and angle stay separate symbols.

What OpenPulse cannot say (port kinds and qubits, `tracks_qubit`, parameter
values/bounds/trainability, the device, originating gates, which delays were
explicit) goes into `@qdl {json}` annotations, which other tools ignore.

A conditional block (v0.2) prints as `if (c[k]) { ... } else { delay ... }`
(`!c[k]`, `c == v` or `c[i] == 1 && c[j] == 0` for other conditions): the
taken branch plays the body and idles to the block's end, the other idles the
block's frames for its duration, so every later start time is the same on
either branch.  `import_openpulse` reads these blocks back.

Sign convention: the same as the JSON (`axis=+phase`): a frame phase φ turns
the drive axis by +φ, `rz(θ)` is `shift_phase(frame, -θ)` (note §4.3) and
OpenPulse's `play` samples are `d·e^{iφ}` in the frame.  No sign changes.

Canonical form (what `import_openpulse` returns): instructions stably sorted
by t0; every parametric waveform has an `angle` and every frame a `phase`;
numbers are those of the text (40 and 40.0 compare equal).
"""

from __future__ import annotations

import json
import re
from typing import Mapping

from qdl.compiler.pulse import export_common as common
from qdl.compiler.pulse import expr_json
from qdl.compiler.pulse.expr_json import PulseExportError
from qdl.compiler.pulse.openpulse_import import (
    CAPTURE_DURATION, CAPTURE_KERNEL, INSTRUCTION_KEYS, PARAM_TYPES, REGISTER, SIGNATURES, import_openpulse,
)

__all__ = ["export_openpulse", "import_openpulse"]

SYNTAX = expr_json.Syntax(param=lambda name: name, function={op: op for op in expr_json.OPS}, power="**")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
RESERVED = {"port", "frame", "waveform", "play", "delay", "barrier", "newframe", "shift_phase", "set_phase",
            "shift_frequency", "set_frequency", "get_phase", "get_frequency", "capture", "input", "output",
            "cal", "defcal", "angle", "float", "int", "bit", "complex", "duration", "dt", "pi", "im",
            CAPTURE_KERNEL, CAPTURE_DURATION, REGISTER, *SIGNATURES, *expr_json.OPS}
INDENT = "    "


def export_openpulse(doc: Mapping, *, extern_ports: bool = False, check_timing: bool = True) -> str:
    """OpenQASM 3 + OpenPulse text of a §8a schedule; every t0 is reproduced with explicit delays.

    `extern_ports=True` writes the spec's `extern port d0;` instead of `port d0;`
    (the reference parser rejects the former, §2.3).  Raises `PulseExportError`
    naming the instruction when the schedule breaks the device timing
    constraints, overlaps on a frame, or uses names OpenQASM cannot spell.
    """
    common.validate(doc)
    _check_names(doc)
    if check_timing:
        common.check_timing(doc)
    lines = header(doc)
    for param in doc["parameters"]:
        lines += _annotation({k: v for k, v in param.items() if k not in ("name", "kind")}, "")
        lines.append(f"input {PARAM_TYPES[param['kind']]} {param['name']};")
    if any(i["op"] in ("acquire", "conditional") for i in doc["instructions"]):
        lines.append(f"bit[{_register_size(doc)}] {REGISTER};")
    meta = {k: v for k, v in doc.items() if k not in ("parameters", "ports", "frames", "waveforms", "instructions")}
    lines += _annotation(meta, "")
    lines.append("cal {")
    lines += [INDENT + line for line in _declarations(doc, extern_ports) + _body(doc)]
    lines.append("}")
    return "\n".join(lines) + "\n"


def header(doc: Mapping) -> list[str]:
    """The program's first lines: version, grammar, the document's format and device, the phase convention."""
    return ["OPENQASM 3.0;", 'defcalgrammar "openpulse";',
            f"// {doc['format']} {doc['version']}, device {doc['device']['name']}, dt = {doc['device']['dt']!r} s",
            f"// phase convention {doc['phase_convention']}: a frame phase turns the drive axis by +phase; "
            "rz(theta) is shift_phase(frame, -theta)"]


def _annotation(extra: Mapping, indent: str) -> list[str]:
    return [f"{indent}@qdl {json.dumps(extra)}"] if extra else []


def _check_names(doc: Mapping) -> None:
    seen: dict[str, str] = {}
    groups = [("parameter", [p["name"] for p in doc["parameters"]]), ("port", [p["name"] for p in doc["ports"]]),
              ("frame", [f["name"] for f in doc["frames"]]), ("waveform", list(doc["waveforms"]))]
    for what, names in groups:
        for name in names:
            if not IDENTIFIER.match(name) or name in RESERVED:
                raise PulseExportError(f"{what} name `{name}` is not usable as an OpenQASM identifier; rename it")
            if name in seen:
                raise PulseExportError(f"{what} `{name}` has the same name as a {seen[name]}; rename one of them")
            seen[name] = what
    for param in doc["parameters"]:
        if param["kind"] not in PARAM_TYPES:
            raise PulseExportError(f"parameter `{param['name']}` has unknown kind {param['kind']!r}")


def _declarations(doc: Mapping, extern_ports: bool) -> list[str]:
    lines: list[str] = []
    for port in doc["ports"]:
        lines += _annotation({k: v for k, v in port.items() if k != "name"}, "")
        lines.append(f"{'extern ' if extern_ports else ''}port {port['name']};")
    shapes = sorted({wf["shape"] for wf in doc["waveforms"].values()} - {"samples"})
    for shape in shapes:
        args, names = SIGNATURES[shape]
        lines.append(f"extern {shape}({', '.join(args)}) -> waveform;  // ({', '.join(names)})")
    acquires = [i for i in doc["instructions"] if i["op"] == "acquire"]
    if any("kernel" in i for i in acquires):
        lines.append(f"extern {CAPTURE_KERNEL}(frame, waveform) -> bit;  // (frame, integration kernel)")
    if any("kernel" not in i for i in acquires):
        lines.append(f"extern {CAPTURE_DURATION}(frame, duration) -> bit;  // (frame, length; device kernel)")
    for frame in doc["frames"]:
        lines += _annotation({k: v for k, v in frame.items() if k not in ("name", "port", "frequency", "phase")}, "")
        lines.append(f"frame {frame['name']} = newframe({frame['port']}, {_expr(frame['frequency'])}, "
                     f"{_expr(frame.get('phase', 0.0))});")
    for name, wf in doc["waveforms"].items():
        lines += _annotation({k: v for k, v in wf.items() if k not in ("shape", "duration", "params", "samples")}, "")
        lines.append(f"waveform {name} = {_waveform(name, wf)};")
    return lines


def _expr(value: object) -> str:
    return expr_json.to_infix(value, SYNTAX)


def _waveform(name: str, wf: Mapping) -> str:
    if wf["shape"] == "samples":
        return "{" + ", ".join(_complex(re_, im) for re_, im in wf["samples"]) + "}"
    params = dict(wf.get("params", {}))
    _, names = SIGNATURES[wf["shape"]]
    unknown = set(params) - set(names) - {"amp", "angle"}
    if unknown:
        raise PulseExportError(f"waveform `{name}`: parameters {sorted(unknown)} have no place in "
                               f"OpenPulse `{wf['shape']}`({', '.join(names)})")
    args = [_amplitude(params.get("amp", 0.0), params.get("angle", 0.0)), f"{wf['duration']}dt"]
    for key in names[2:]:
        value = params.get(key)
        if key == "beta":
            args.append(_expr(0.0 if value is None else value))
        elif not expr_json.is_number(value):
            raise PulseExportError(f"waveform `{name}`: `{key}` must be a static number of dt, got {value!r}")
        else:  # sigma and width are in dt; 40.0 prints as 40dt
            args.append(f"{int(value) if float(value).is_integer() else value!r}dt")
    return f"{wf['shape']}({', '.join(args)})"


def _amplitude(amp: object, angle: object) -> str:
    if expr_json.is_number(angle) and angle == 0:
        return f"{expr_json.to_infix(amp, SYNTAX, 1)} + {expr_json.format_number(float(angle))}im"
    return f"{expr_json.to_infix(amp, SYNTAX, 2)} * exp({expr_json.to_infix(angle, SYNTAX, 3)} * 1.0im)"


def _complex(re_: float, im: float) -> str:
    sign = "-" if str(float(im)).startswith("-") else "+"
    return f"{expr_json.format_number(float(re_))} {sign} {expr_json.format_number(abs(float(im)))}im"


def _body(doc: Mapping) -> list[str]:
    lines: list[str] = []
    for step in common.walk(doc):
        for frame, gap in step.gaps:
            lines.append(f"delay[{gap}dt] {frame};")
        inst = step.inst
        extra = {k: v for k, v in inst.items() if k not in INSTRUCTION_KEYS}
        if inst["op"] == "conditional":
            lines += _conditional(step.index, inst, doc)
            continue
        if inst["op"] == "delay":
            lines.append(f"@qdl {json.dumps(extra)}")  # marks an explicit delay, not a gap filler
        else:
            lines += _annotation(extra, "")
        lines.append(_statement(step.index, inst, doc))
    return lines


def _conditional(index: int, block: Mapping, doc: Mapping) -> list[str]:
    """`if (cond) { body; idle tails } else { idle }`: both branches advance the block's frames equally."""
    steps, tails = common.walk_body(block, doc)
    lines = _annotation({k: v for k, v in block.items() if k not in INSTRUCTION_KEYS + ("condition", "body")}, "")
    lines.append(f"if ({condition_text(block['condition'], _register_size(doc))}) {{")
    for step in steps:
        lines += [f"{INDENT}delay[{gap}dt] {frame};" for frame, gap in step.gaps]
        extra = {k: v for k, v in step.inst.items() if k not in INSTRUCTION_KEYS}
        lines += [INDENT + line for line in (_annotation(extra, "") if step.inst["op"] != "delay"
                                             else [f"@qdl {json.dumps(extra)}"])]
        lines.append(INDENT + _statement(index, step.inst, doc))
    lines += [f"{INDENT}delay[{gap}dt] {frame};" for frame, gap in tails.items()]
    if block["duration"]:
        lines += ["} else {"] + [f"{INDENT}delay[{block['duration']}dt] {frame};" for frame in block["frames"]]
    return lines + ["}"]


def _register_size(doc: Mapping) -> int:
    slots = [i["memory_slot"] for i in doc["instructions"] if i["op"] == "acquire"]
    slots += [b for i in doc["instructions"] if i["op"] == "conditional" for b in i["condition"]["bits"]]
    return max(slots) + 1


def condition_text(condition: Mapping, register_size: int) -> str:
    """`c[k]`, `!c[k]`, `c == v` (the whole register) or `c[i] == 1 && c[j] == 0` for a JSON condition."""
    bits, value = condition["bits"], condition["value"]
    if len(bits) == 1:
        return f"{'' if value else '!'}{REGISTER}[{bits[0]}]"
    if list(bits) == list(range(register_size)):
        return f"{REGISTER} == {value}"
    return " && ".join(f"{REGISTER}[{b}] == {(value >> k) & 1}" for k, b in enumerate(bits))


def _statement(index: int, inst: Mapping, doc: Mapping) -> str:
    op = inst["op"]
    if op == "play":
        return f"play({inst['frame']}, {inst['waveform']});"
    if op in ("shift_phase", "set_phase"):
        return f"{op}({inst['frame']}, {_expr(inst['phase'])});"
    if op in ("shift_frequency", "set_frequency"):
        return f"{op}({inst['frame']}, {_expr(inst['frequency'])});"
    if op == "delay":
        return f"delay[{inst['duration']}dt] {inst['frame']};"
    if op == "barrier":
        return f"barrier {', '.join(inst['frames'])};"
    if "kernel" not in inst:
        return f"{REGISTER}[{inst['memory_slot']}] = {CAPTURE_DURATION}({inst['frame']}, {inst['duration']}dt);"
    if doc["waveforms"][inst["kernel"]]["duration"] != inst["duration"]:
        raise PulseExportError(f"{common.describe(index, inst)}: the kernel `{inst['kernel']}` lasts "
                               f"{doc['waveforms'][inst['kernel']]['duration']} dt but the acquire "
                               f"{inst['duration']} dt; OpenPulse takes the capture length from the kernel")
    return f"{REGISTER}[{inst['memory_slot']}] = {CAPTURE_KERNEL}({inst['frame']}, {inst['kernel']});"
