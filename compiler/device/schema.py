"""The `qdl.device/0.1` schema as tables: every key, its type and whether it is required.

`check_keys(data)` walks a parsed device file and returns `Problem`s for unknown
keys, missing keys and wrong types; values are checked by `load.check_values`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from qdl.compiler.device.locate import Path

SCHEMA_VERSIONS = ("qdl.device/0.1",)

UNKNOWN_KEY, MISSING_KEY, WRONG_TYPE = "E0603", "E0604", "E0605"


@dataclass(frozen=True, slots=True)
class Field:
    """One key: its type (`str int float bool ints floats pairs strs number_or_list table tables`)."""

    kind: str
    required: bool = True


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a device file, at key `path` (`on_key`: point at the key, else its value)."""

    code: str
    path: Path
    message: str
    label: str
    help: str | None = None
    on_key: bool = False


def _fields(required: str, optional: str = "", **kinds: str) -> dict[str, Field]:
    names = [(n, True) for n in required.split()] + [(n, False) for n in optional.split()]
    return {n: Field(kinds.get(n, "float"), req) for n, req in names}


TOP = _fields("schema name dt num_qubits native_gates timing topology calibrations",
              "description phase_convention model qubits couplings",
              schema="str", name="str", description="str", phase_convention="str", num_qubits="int",
              native_gates="strs", timing="table", topology="table", calibrations="table", model="table",
              qubits="tables", couplings="tables")
TIMING = _fields("granularity min_length pulse_alignment acquire_alignment",
                 granularity="int", min_length="int", pulse_alignment="int", acquire_alignment="int")
TOPOLOGY = _fields("kind", "edges ecr_directions directions", kind="str", edges="pairs",
                   ecr_directions="pairs", directions="pairs")
MODEL = _fields("", "levels frame hamiltonian", levels="int", frame="str", hamiltonian="str")
QUBIT = _fields("index", "frequency_ghz anharmonicity_ghz drive_strength_ghz t1_us t2_us "
                "readout_frequency_ghz readout_error", index="int")
COUPLING = _fields("qubits j_mhz", qubits="pair")
# calibration kinds, chosen by `implementation` or `shape` (and the gate for measure / 2q gates)
CALIBRATIONS: dict[str, dict[str, Field]] = {
    "virtual": _fields("implementation duration", implementation="str", duration="int"),
    "native": _fields("implementation duration", "qubits", implementation="str", duration="int", qubits="pair"),
    "drag": _fields("shape duration sigma amp beta angle", shape="str", duration="int",
                    amp="number_or_list", beta="number_or_list", angle="number_or_list"),
    "cross_resonance": _fields("qubits shape duration width sigma cr_amp cr_angle cancel_amp cancel_angle",
                               "control_phase target_phase", qubits="pair", shape="str", duration="int", width="int"),
    "measure": _fields("shape duration width sigma amp ringdown_delay acquire_duration", shape="str",
                       duration="int", width="int", amp="number_or_list", ringdown_delay="int",
                       acquire_duration="int"),
}
TYPE_NAMES = {"str": "a string", "int": "an integer", "float": "a number", "strs": "an array of strings",
              "pairs": "an array of [qubit, qubit] pairs", "pair": "a [qubit, qubit] pair",
              "table": "a table", "tables": "an array of tables `[[...]]`",
              "number_or_list": "a number or an array of numbers (one per qubit)"}


def has_type(value: Any, kind: str) -> bool:
    """True when `value` (as parsed by tomllib) has the schema type `kind`."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    checks = {
        "str": lambda: isinstance(value, str),
        "int": lambda: isinstance(value, int) and not isinstance(value, bool),
        "float": lambda: number,
        "strs": lambda: isinstance(value, list) and all(isinstance(v, str) for v in value),
        "pair": lambda: _is_pair(value),
        "pairs": lambda: isinstance(value, list) and all(_is_pair(v) for v in value),
        "table": lambda: isinstance(value, dict),
        "tables": lambda: isinstance(value, list) and all(isinstance(v, dict) for v in value),
        "number_or_list": lambda: number or (isinstance(value, list) and all(has_type(v, "float") for v in value)),
    }
    return checks[kind]()


def _is_pair(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(has_type(v, "int") for v in value)


def check_table(data: dict[str, Any], fields: dict[str, Field], path: Path, what: str) -> list[Problem]:
    """Unknown keys, missing required keys and wrong types of one table."""
    problems: list[Problem] = []
    for key, value in data.items():
        field = fields.get(key)
        if field is None:
            problems.append(_unknown(key, fields, path, what))
        elif not has_type(value, field.kind):
            problems.append(Problem(WRONG_TYPE, path + (key,), f"`{key}` must be {TYPE_NAMES[field.kind]}",
                                    f"found {_describe(value)}"))
    for key, field in fields.items():
        if field.required and key not in data:
            problems.append(Problem(MISSING_KEY, path, f"{what} has no `{key}`", f"`{key}` is missing here",
                                    help=f"add `{key} = ...` ({TYPE_NAMES[field.kind]}); see docs/hardware.md",
                                    on_key=True))
    return problems


def _unknown(key: str, fields: dict[str, Field], path: Path, what: str) -> Problem:
    close = difflib.get_close_matches(key, list(fields), n=1)
    hint = f"did you mean `{close[0]}`?" if close else f"known keys: {', '.join(fields)}"
    return Problem(UNKNOWN_KEY, path + (key,), f"unknown key `{key}` in {what}", "not a key of the schema",
                   help=hint, on_key=True)


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean `{str(value).lower()}`"
    if isinstance(value, str):
        return f"the string \"{value}\""
    if isinstance(value, (int, float)):
        return f"the number `{value}`"
    return "an array" if isinstance(value, list) else "a table"
