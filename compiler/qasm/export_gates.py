"""Which OpenQASM gate stands for each gate of the table, and the `gate` blocks for the rest.

OpenQASM 3: a gate with an *exact* stdgates.inc counterpart (same matrix,
global phase included, so `ctrl @` stays right) is written by that name;
`gphase` is built in; every other gate `g` becomes `qdl_g`, defined by a
`gate` block built from the gate table's exact decomposition, recursively,
until only stdgates gates and `gphase` remain.  The built-in `U` is never
written: the specification changed its global phase between revisions
(3.1: `U(θ, φ, λ)` = e^{iθ/2} `u3(θ, φ, λ)`), while the stdgates matrices did not
change.

OpenQASM 2: the 23 gates of the OpenQASM 2 paper's qelib1.inc (which every
reader knows), equal to ours up to a global phase (`phase` is `u1`, `crx(θ)`
is `cu3(θ, -π/2, π/2)`, ...); `gphase` is dropped; the others get `qdl_g`
blocks as above.  With no `ctrl @`, a controlled gate is
written as qelib1's controlled gate (`QELIB1_CONTROLLED`, exact as a whole
up to one global phase) or else by controlling every gate of its
decomposition; `negctrl` is an `x` before and after.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterable

from qdl.compiler.expr import Arg, Const, Expr
from qdl.compiler.gates import GATES
from qdl.compiler.qasm.export_exprs import format_angle
from qdl.compiler.qasm.export_names import QasmExportError

Params = tuple[Expr, ...]

STDGATES_EXACT: dict[str, str] = {
    **{g: g for g in ("id", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx", "rx", "ry", "rz", "u1",
                      "cx", "cy", "cz", "ch", "swap", "crx", "cry", "crz", "ccx", "cswap")},
    "phase": "p", "cphase": "cp",
}


def _same(params: Params) -> Params:
    return params


def _angles(*values: float) -> Callable[[Params], Params]:
    return lambda params: (*params, *(Const(v) for v in values))


def _fixed(value: float) -> Callable[[Params], Params]:
    return lambda params: (Const(value),)


_HALF_PI = math.pi / 2
# gate -> (qelib1 gate, its parameters): equal up to a global phase.  Only the 23 gates of
# the OpenQASM 2 paper's qelib1.inc, which every reader knows (Qiskit's by default).
QELIB1_GATES: dict[str, tuple[str, Callable[[Params], Params]]] = {
    **{g: (g, _same) for g in ("id", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "rx", "ry", "rz",
                               "u1", "u2", "u3", "cx", "cy", "cz", "ch", "crz", "ccx")},
    "phase": ("u1", _same), "cphase": ("cu1", _same),
    "crx": ("cu3", _angles(-_HALF_PI, _HALF_PI)), "cry": ("cu3", _angles(0.0, 0.0)),
}
# (gate, number of controls) -> qelib1 gate on controls + qubits, exact up to a global phase
QELIB1_CONTROLLED: dict[tuple[str, int], tuple[str, Callable[[Params], Params]]] = {
    ("x", 1): ("cx", _same), ("x", 2): ("ccx", _same), ("cx", 1): ("ccx", _same),
    ("y", 1): ("cy", _same), ("z", 1): ("cz", _same), ("h", 1): ("ch", _same),
    ("rx", 1): ("cu3", _angles(-_HALF_PI, _HALF_PI)), ("ry", 1): ("cu3", _angles(0.0, 0.0)),
    ("rz", 1): ("crz", _same), ("phase", 1): ("cu1", _same), ("u1", 1): ("cu1", _same),
    ("u3", 1): ("cu3", _same), ("u2", 1): ("cu3", lambda p: (Const(_HALF_PI), *p)),
    ("s", 1): ("cu1", _fixed(_HALF_PI)), ("sdg", 1): ("cu1", _fixed(-_HALF_PI)),
    ("t", 1): ("cu1", _fixed(math.pi / 4)), ("tdg", 1): ("cu1", _fixed(-math.pi / 4)),
    # a controlled global phase is a phase on the controls
    ("gphase", 1): ("u1", _same), ("gphase", 2): ("cu1", _same),
}


@dataclass(frozen=True)
class Call:
    """One gate application by its OpenQASM name (`gphase` included), on qubit positions."""

    name: str
    qubits: tuple[int, ...]
    params: Params


def qasm3_name(gate: str) -> str:
    return "gphase" if gate == "gphase" else STDGATES_EXACT.get(gate, f"qdl_{gate}")


def qasm2_calls(gate: str, qubits: tuple[int, ...], params: Params,
                controls: tuple[int, ...] = ()) -> list[Call]:
    """`gate` controlled on `controls` (all on |1>) as qelib1 / `qdl_` calls, up to global phase.

    Raises QasmExportError naming the sub-gate that has no OpenQASM 2 form.
    """
    if not controls:
        if gate == "gphase":
            return []
        name, convert = QELIB1_GATES.get(gate, (f"qdl_{gate}", _same))
        return [Call(name, qubits, convert(params))]
    form = QELIB1_CONTROLLED.get((gate, len(controls)))
    if form is not None:
        return [Call(form[0], controls + qubits, form[1](params))]
    decomposition = GATES[gate].decomposition
    if decomposition is None:
        raise QasmExportError(f"qelib1.inc has no `{gate}` with {len(controls)} control(s)")
    calls: list[Call] = []
    for sub, local, sub_params in decomposition(params):
        calls += qasm2_calls(sub, tuple(qubits[i] for i in local), sub_params, controls)
    return calls


def definitions(used: Iterable[str], version: int, taken: frozenset[str]) -> list[str]:
    """`gate qdl_g ...` blocks for the `qdl_` names in `used`, each after the ones it calls."""
    blocks: dict[str, str] = {}
    for name in used:
        _define(name, version, taken, blocks)
    return list(blocks.values())


def _define(name: str, version: int, taken: frozenset[str], blocks: dict[str, str]) -> None:
    if not name.startswith("qdl_") or name in blocks:
        return
    spec = GATES[name.removeprefix("qdl_")]
    params = _locals("p", spec.num_params, taken)
    qubits = _locals("a", spec.num_qubits, taken)
    assert spec.decomposition is not None, f"gate `{spec.name}` needs a decomposition for OpenQASM"
    body = _body(spec.decomposition(tuple(Arg(p) for p in params)), version)
    for call in body:
        _define(call.name, version, taken, blocks)
    signature = name + (f"({', '.join(params)})" if params else "") + " " + ", ".join(qubits)
    lines = [f"  {render(call, lambda q: qubits[q], lambda a: a.name, version)}" for call in body]
    blocks[name] = "\n".join([f"gate {signature} {{", *lines, "}"])


def _body(parts: Iterable[tuple[str, tuple[int, ...], Params]], version: int) -> list[Call]:
    if version == 3:
        return [Call(qasm3_name(g), qubits, params) for g, qubits, params in parts]
    return [call for g, qubits, params in parts for call in qasm2_calls(g, qubits, params)]


def _locals(stem: str, count: int, taken: frozenset[str]) -> list[str]:
    """`p0, p1, ...`, each with `_` appended while it is a global name of the program."""
    names = []
    for i in range(count):
        name = f"{stem}{i}"
        while name in taken:
            name += "_"
        names.append(name)
    return names


def render(call: Call, qubit: Callable[[int], str], arg: Callable[[Arg], str], version: int,
           modifiers: str = "") -> str:
    """`modifiers name(params) qubits;` with angles printed for `version`."""
    text = modifiers + call.name
    if call.params:
        text += f"({', '.join(format_angle(p, arg, version) for p in call.params)})"
    if call.qubits:
        text += " " + ", ".join(qubit(q) for q in call.qubits)
    return text + ";"
