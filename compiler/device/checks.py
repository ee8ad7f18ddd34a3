"""Value checks of a device file whose keys and types are already right (see `schema`).

Each check returns `Problem`s: amplitudes over 1, durations off the timing grid,
coupling maps that name unknown qubits or are disconnected, native gates that
are unknown or have no calibration, per-qubit arrays of the wrong length.
"""

from __future__ import annotations

import math
from typing import Any

import networkx as nx

from qdl.compiler.device.model import NON_GATES
from qdl.compiler.device.schema import Problem
from qdl.compiler.gates import lookup

OUT_OF_RANGE, OFF_GRID, BAD_COUPLING, NO_CALIBRATION = "E0606", "E0607", "E0608", "E0609"
AMP_TOLERANCE = 1e-7  # a calibrated |amp| of 1 + rounding is accepted (reference note §8d)
PHASE_KEYS = ("control_phase", "target_phase")  # virtual-Z corrections of a 2q calibration, radians
ALL_TO_ALL = "all-to-all"


def check_values(data: dict[str, Any]) -> list[Problem]:
    n = data["num_qubits"]
    problems = _positive(data, ("dt",), data["dt"]) + _positive(data, ("num_qubits",), n)
    for key, value in data["timing"].items():
        problems += _positive(data, ("timing", key), value)
    if problems:
        return problems
    problems += _check_natives(data)
    topology = _check_topology(data["topology"], n)
    if topology:  # one root cause: pairs are not checked against a broken coupling map
        return problems + topology
    problems += _check_qubits(data.get("qubits", []), n)
    for i, coupling in enumerate(data.get("couplings", [])):
        problems += _check_pair(coupling["qubits"], n, ("couplings", i, "qubits"), data["topology"])
    for gate, cal in data["calibrations"].items():
        entries = cal if isinstance(cal, list) else [cal]
        for i, entry in enumerate(entries):
            path = ("calibrations", gate) + ((i,) if isinstance(cal, list) else ())
            problems += _check_calibration(entry, path, data)
    return problems + _check_directions_calibrated(data)


def _positive(data: dict[str, Any], path: tuple[str, ...], value: float) -> list[Problem]:
    if value > 0:
        return []
    return [Problem(OUT_OF_RANGE, path, f"`{path[-1]}` must be positive", f"found `{value}`")]


def _check_natives(data: dict[str, Any]) -> list[Problem]:
    problems = []
    path = ("native_gates",)
    for gate in data["native_gates"]:
        spec = lookup(gate)
        if gate not in NON_GATES and (spec is None or spec.name != gate):
            problems.append(Problem(NO_CALIBRATION, path, f"unknown native gate `{gate}`",
                                    "not a gate of qdl's gate table",
                                    help="use canonical names from docs/language.md (`rz`, `sx`, `ecr`, ...)"))
        elif gate not in ("delay", "barrier") and gate not in data["calibrations"]:
            problems.append(Problem(NO_CALIBRATION, path, f"native gate `{gate}` has no calibration",
                                    f"`{gate}` is listed here",
                                    help=f"add a `[calibrations.{gate}]` table, or remove `{gate}` from the list"))
    return problems


def _check_topology(topology: dict[str, Any], n: int) -> list[Problem]:
    if topology["kind"] == ALL_TO_ALL:
        return []
    if "edges" not in topology:
        return [Problem("E0604", ("topology",), "`[topology]` has no `edges`", "`edges` is missing here",
                        help=f"list the coupled pairs, `edges = [[0, 1], ...]`, or set `kind = \"{ALL_TO_ALL}\"`",
                        on_key=True)]
    problems = []
    for pair in topology["edges"]:
        problems += _check_pair(pair, n, ("topology", "edges"), None)
    if problems:
        return problems
    graph = nx.Graph(map(tuple, topology["edges"]))
    graph.add_nodes_from(range(n))
    parts = sorted(nx.connected_components(graph), key=min)
    if len(parts) > 1:
        stray = sorted(set().union(*parts[1:]))
        problems.append(Problem(BAD_COUPLING, ("topology", "edges"), "the coupling map is disconnected",
                                f"qubits {stray} cannot reach qubit 0",
                                help="add an edge joining the parts, or lower `num_qubits`"))
    return problems


def _check_pair(pair: list[int], n: int, path: tuple[Any, ...], topology: dict[str, Any] | None) -> list[Problem]:
    a, b = pair
    if not (0 <= a < n and 0 <= b < n):
        bad = a if not 0 <= a < n else b
        return [Problem(BAD_COUPLING, path, f"the pair {pair} names qubit {bad}, which does not exist",
                        f"qubits are 0..{n - 1}", help="fix the pair or raise `num_qubits`")]
    if a == b:
        return [Problem(BAD_COUPLING, path, f"the pair {pair} couples a qubit to itself", "a self-loop")]
    if topology is None or topology["kind"] == ALL_TO_ALL:
        return []
    if [a, b] not in topology.get("edges", []) and [b, a] not in topology.get("edges", []):
        return [Problem(BAD_COUPLING, path, f"the pair {pair} is not an edge of the coupling map",
                        "not in `[topology] edges`", help=f"add [{a}, {b}] to `edges` or fix the pair")]
    return []


def _check_qubits(qubits: list[dict[str, Any]], n: int) -> list[Problem]:
    indices = [q["index"] for q in qubits]
    for i, index in enumerate(indices):
        if index != i:
            return [Problem(OUT_OF_RANGE, ("qubits", i, "index"), f"qubit entry {i} has `index = {index}`",
                            f"expected `index = {i}`", help="list `[[qubits]]` entries in order 0, 1, 2, ...")]
    if qubits and len(qubits) != n:
        return [Problem(OUT_OF_RANGE, ("num_qubits",), f"{len(qubits)} `[[qubits]]` entries for "
                        f"`num_qubits = {n}`", "does not match the qubit entries",
                        help="give one `[[qubits]]` entry per qubit, or none")]
    return []


def _check_calibration(cal: dict[str, Any], path: tuple[Any, ...], data: dict[str, Any]) -> list[Problem]:
    problems = _check_duration(cal, path, data["timing"])
    n = data["num_qubits"]
    for key in ("amp", "beta", "angle"):
        if isinstance(cal.get(key), list) and len(cal[key]) != n:
            problems.append(Problem(OUT_OF_RANGE, path + (key,), f"`{key}` has {len(cal[key])} values for "
                                    f"{n} qubits", "one value per qubit expected",
                                    help="give one value per qubit, or one number for all"))
    for key in ("amp", "cr_amp", "cancel_amp"):
        problems += _check_amplitude(cal.get(key), path + (key,))
    for key in PHASE_KEYS:
        problems += _check_phase(cal.get(key), path + (key,))
    if "sigma" in cal and cal["sigma"] <= 0:
        problems.append(Problem(OUT_OF_RANGE, path + ("sigma",), "`sigma` must be positive", f"found {cal['sigma']}"))
    if "width" in cal and not 0 <= cal["width"] <= cal["duration"]:
        problems.append(Problem(OUT_OF_RANGE, path + ("width",), "`width` must lie in 0..duration",
                                f"found {cal['width']} for duration {cal['duration']}"))
    if "qubits" in cal:
        problems += _check_pair(cal["qubits"], n, path + ("qubits",), data["topology"])
    return problems


def _check_amplitude(value: Any, path: tuple[Any, ...]) -> list[Problem]:
    values = value if isinstance(value, list) else [] if value is None else [value]
    for q, amp in enumerate(values):
        if abs(amp) > 1 + AMP_TOLERANCE:
            where = f" (qubit {q})" if isinstance(value, list) else ""
            return [Problem(OUT_OF_RANGE, path, f"amplitude {amp}{where} is over 1", "|amp| must be at most 1",
                            help="pulse amplitudes are fractions of the full drive range; "
                                 "lengthen the pulse instead")]
    return []


def _check_phase(value: Any, path: tuple[Any, ...]) -> list[Problem]:
    # a phase beyond ±2π is almost surely in degrees, and inf/nan are valid TOML floats
    if value is None or (math.isfinite(value) and abs(value) <= 2 * math.pi):
        return []
    return [Problem(OUT_OF_RANGE, path, f"`{path[-1]}` {value} is not an angle in radians within ±2π",
                    "must be finite, |phase| ≤ 2π",
                    help="phases are radians (degrees × π/180); reduce the angle modulo 2π")]


def _check_duration(cal: dict[str, Any], path: tuple[Any, ...], timing: dict[str, int]) -> list[Problem]:
    duration, virtual = cal["duration"], cal.get("implementation") == "virtual"
    if virtual and duration != 0:
        return [Problem(OUT_OF_RANGE, path + ("duration",), "a virtual gate takes no time",
                        f"found `duration = {duration}`", help="set `duration = 0`")]
    if virtual:
        return []
    grid, shortest = timing["granularity"], timing["min_length"]
    if duration % grid:
        low = duration - duration % grid
        return [Problem(OFF_GRID, path + ("duration",), f"duration {duration} dt is not a multiple of the "
                        f"granularity {grid}", f"{duration} = {duration // grid}·{grid} + {duration % grid}",
                        help=f"use {low} or {low + grid}")]
    if duration < shortest:
        return [Problem(OFF_GRID, path + ("duration",), f"duration {duration} dt is shorter than `min_length` "
                        f"{shortest}", "too short", help=f"use at least {shortest}")]
    return []


def _check_directions_calibrated(data: dict[str, Any]) -> list[Problem]:
    topology, cals = data["topology"], data["calibrations"]
    key = "ecr_directions" if "ecr_directions" in topology else "directions"
    calibrated = {tuple(c["qubits"]) for entries in cals.values() if isinstance(entries, list)
                  for c in entries}
    missing = [pair for pair in topology.get(key, []) if tuple(pair) not in calibrated]
    if not missing:
        return []
    return [Problem(NO_CALIBRATION, ("topology", key), f"direction {missing[0]} has no two-qubit calibration",
                    "listed here", help=f"add a `[[calibrations.<gate>]]` entry with `qubits = {missing[0]}`")]
