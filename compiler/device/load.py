"""Read a device file: TOML syntax, then keys and types (`schema`), then values (`checks`), then the model.

Every mistake becomes a `Diagnostic` whose span is the offending key or value
(found by `locate`, since tomllib gives no positions); all of a file's
mistakes are reported together in one `DeviceError`.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from qdl.compiler.device import checks
from qdl.compiler.device.locate import locate, nearest
from qdl.compiler.device.model import (
    Calibration, Coupling, CrossResonanceCal, Device, DragCal, MeasureCal, NativeCal, Qubit, Timing, Topology,
    VirtualCal,
)
from qdl.compiler.device.schema import (
    CALIBRATIONS, COUPLING, MODEL, QUBIT, SCHEMA_VERSIONS, TIMING, TOP, TOPOLOGY, Problem, check_table,
)
from qdl.compiler.diagnostics import Diagnostic, SourceMap, Span, error, render_all
from qdl.errors import QdlError

BAD_TOML, BAD_SCHEMA, UNKNOWN_DEVICE, CANNOT_READ = "E0601", "E0602", "E0610", "E0001"


class DeviceError(QdlError, ValueError):
    """A device file or name is wrong; `str(err)` is the rendered diagnostics."""

    def __init__(self, rendered: str, diagnostics: list[Diagnostic]) -> None:
        super().__init__(rendered)
        self.diagnostics = diagnostics


def builtin_devices() -> dict[str, Path]:
    """Built-in device name -> file (`stdlib/devices/<name>.toml`)."""
    where = Path(str(resources.files("qdl.stdlib"))) / "devices"  # package data, also when installed
    return {p.stem: p for p in sorted(where.glob("*.toml"))}


def load_device(spec: str | Path) -> Device:
    """A built-in device by name (`"t5"`), or a device file by path; raises `DeviceError`."""
    builtins = builtin_devices()
    path = builtins.get(str(spec)) or Path(spec)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        looks_like_name = not str(spec).endswith(".toml") and "/" not in str(spec)
        code = UNKNOWN_DEVICE if looks_like_name else CANNOT_READ
        what = f"unknown device `{spec}`" if looks_like_name else f"cannot read device file `{spec}`"
        diagnostic = error(code, what, None, help=f"built-in devices: {', '.join(builtins)}; "
                                                   "or give the path of a `.toml` device file",
                           notes=() if looks_like_name else (str(exc),))
        raise DeviceError(render_all([diagnostic], SourceMap()), [diagnostic]) from None
    return parse_device(text, str(path))


def parse_device(text: str, file: str = "<device>") -> Device:
    """The device described by TOML `text` (named `file` in messages); raises `DeviceError`."""
    sources = SourceMap()
    sources.add(file, text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        diagnostic = _syntax_error(exc, text, file)
        raise DeviceError(render_all([diagnostic], sources), [diagnostic]) from None
    problems = check_structure(data)
    if not problems:
        problems = checks.check_values(data)
    if problems:
        places = locate(text)
        diagnostics = [_diagnostic(p, places, file) for p in problems]
        raise DeviceError(render_all(diagnostics, sources), diagnostics)
    return build(data, file)


def _syntax_error(exc: tomllib.TOMLDecodeError, text: str, file: str) -> Diagnostic:
    found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
    message = re.sub(r"\s*\(at .*\)$", "", str(exc)).strip() or "invalid TOML"
    offset = 0
    if found:
        line, column = int(found.group(1)), int(found.group(2))
        starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        offset = starts[min(line, len(starts)) - 1] + column - 1
    span = Span(file, offset, offset + 1)
    return error(BAD_TOML, f"the device file is not valid TOML: {message.lower()}", span, "here",
                 help="device files are TOML 1.0: `key = value`, `[table]`, `[[array-of-tables]]`")


def _diagnostic(problem: Problem, places: dict, file: str) -> Diagnostic:
    place = nearest(places, problem.path)
    span = None
    if place is not None:
        exact = place is places.get(problem.path)
        start, end = ((place.key_start, place.key_end) if problem.on_key or not exact
                      else (place.value_start, max(place.value_end, place.value_start + 1)))
        span = Span(file, start, end)
    else:  # a key missing from the top level: point at the file's start, so that the file is named
        span = Span(file, 0, 1)
    return error(problem.code, problem.message, span, problem.label, help=problem.help)


def check_structure(data: dict[str, Any]) -> list[Problem]:
    """Schema version, then unknown / missing keys and wrong types in every table."""
    version = data.get("schema")
    if isinstance(version, str) and version not in SCHEMA_VERSIONS:
        return [Problem(BAD_SCHEMA, ("schema",), f"unknown device schema `{version}`", "not a supported version",
                        help=f"supported: {', '.join(SCHEMA_VERSIONS)}")]
    problems = check_table(data, TOP, (), "the device file")
    for key, fields, what in (("timing", TIMING, "`[timing]`"), ("topology", TOPOLOGY, "`[topology]`"),
                              ("model", MODEL, "`[model]`")):
        if isinstance(data.get(key), dict):
            problems += check_table(data[key], fields, (key,), what)
    for key, fields in (("qubits", QUBIT), ("couplings", COUPLING)):
        for i, entry in enumerate(data.get(key) or []):
            if isinstance(entry, dict):
                problems += check_table(entry, fields, (key, i), f"`[[{key}]]` entry {i}")
    if isinstance(data.get("calibrations"), dict):
        problems += _check_calibration_tables(data["calibrations"])
    return problems


def _check_calibration_tables(cals: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    for gate, cal in cals.items():
        entries = cal if isinstance(cal, list) else [cal]
        for i, entry in enumerate(entries):
            path = ("calibrations", gate) + ((i,) if isinstance(cal, list) else ())
            if not isinstance(entry, dict):
                problems.append(Problem("E0605", path, f"calibration of `{gate}` must be a table", "not a table"))
                continue
            kind = calibration_kind(gate, entry, isinstance(cal, list))
            if not kind:
                key = "implementation" if "implementation" in entry else "shape"
                problems.append(Problem("E0606", path + (key,), f"unknown calibration {key} "
                                        f"`{entry.get(key)}` for `{gate}`", "not supported here",
                                        help="shapes: `drag` (one-qubit gates), `gaussian_square` (`measure`, "
                                             "`[[calibrations.<2q gate>]]`); implementations: `virtual`, `native`"))
                continue
            problems += check_table(entry, CALIBRATIONS[kind], path, f"the calibration of `{gate}`")
    return problems


def calibration_kind(gate: str, entry: dict[str, Any], per_pair: bool) -> str:
    """The `CALIBRATIONS` key of one calibration table, or "" when its shape or implementation is unknown."""
    if "implementation" in entry:
        return entry["implementation"] if entry["implementation"] in ("virtual", "native") else ""
    if gate == "measure":
        return "measure" if entry.get("shape") == "gaussian_square" else ""
    if per_pair:
        return "cross_resonance" if entry.get("shape") == "gaussian_square" else ""
    return "drag" if entry.get("shape") == "drag" else ""


# --- building the model ----------------------------------------------------------------


def build(data: dict[str, Any], file: str) -> Device:
    """The `Device` of a checked file."""
    n, topology = data["num_qubits"], data["topology"]
    all_to_all = topology["kind"] == checks.ALL_TO_ALL
    edges = tuple((a, b) for a in range(n) for b in range(a + 1, n)) if all_to_all else \
        tuple((a, b) for a, b in topology["edges"])
    directions = tuple((a, b) for a, b in topology.get("ecr_directions", topology.get("directions", [])))
    return Device(
        name=data["name"], schema=data["schema"], dt=float(data["dt"]), num_qubits=n,
        native_gates=tuple(data["native_gates"]), timing=Timing(**data["timing"]),
        topology=Topology(topology["kind"], edges, directions, all_to_all),
        qubits=tuple(Qubit(**q) for q in data.get("qubits", [])),
        couplings=tuple(Coupling((c["qubits"][0], c["qubits"][1]), c["j_mhz"]) for c in data.get("couplings", [])),
        calibrations={g: _calibration(g, c, n) for g, c in data["calibrations"].items()},
        description=data.get("description", ""), phase_convention=data.get("phase_convention", ""),
        model=dict(data.get("model", {})), path=file)


def _per_qubit(value: float | list[float], n: int) -> tuple[float, ...]:
    return tuple(float(v) for v in value) if isinstance(value, list) else (float(value),) * n


def _calibration(gate: str, cal: Any, n: int) -> Calibration:
    if isinstance(cal, list):
        if cal and cal[0].get("implementation") == "native":
            return NativeCal(cal[0]["duration"])
        return tuple(_cross_resonance(c) for c in cal)
    kind = calibration_kind(gate, cal, False)
    if kind == "virtual":
        return VirtualCal()
    if kind == "native":
        return NativeCal(cal["duration"])
    if kind == "drag":
        return DragCal(cal["duration"], float(cal["sigma"]), *(_per_qubit(cal[k], n) for k in ("amp", "beta", "angle")))
    return MeasureCal(cal["duration"], cal["width"], float(cal["sigma"]), _per_qubit(cal["amp"], n),
                      cal["ringdown_delay"], cal["acquire_duration"])


def _cross_resonance(c: dict[str, Any]) -> CrossResonanceCal:
    fields = {k: v for k, v in c.items() if k != "shape"}
    phases = {k: float(c.get(k, 0.0)) for k in ("control_phase", "target_phase")}  # absent: no correction
    return CrossResonanceCal(**{**fields, **phases, "qubits": tuple(c["qubits"])})
