"""How the planner takes a gate op of each shape: named controlled gates in base form, and the route.

`cx`, `crz`, `ccx`, ... become their base gate plus controls (read from the
gate table's own modifier rows), so a control costs only the controlled
subspace; `route` then says whether an op fuses into a 1-qubit block, is a
flip (X-like, a swap's three), or needs a matrix of its own.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from qdl.compiler.backends.llvm.blocking import Step
from qdl.compiler.gates import GATES, GateSpec, lookup
from qdl.compiler.gates import _CONTROLLED_FORMS  # the table's own modifier rows


def _base_forms() -> dict[str, tuple[str, int]]:
    """named controlled gate -> (base gate, controls), the most controls first (ccx -> x, 2)."""
    out: dict[str, tuple[str, int]] = {}
    for (base, count), named in sorted(_CONTROLLED_FORMS.items(), key=lambda kv: -kv[0][1]):
        fits = GATES[base].num_qubits + count == GATES[named].num_qubits
        if base != "gphase" and fits and named not in out:
            out[named] = (base, count)
    return out


BASE_FORMS = _base_forms()


def base_form(spec: GateSpec, controls: tuple[int, ...], values: tuple[bool, ...],
              targets: tuple[int, ...]) -> tuple[GateSpec, tuple[int, ...], tuple[bool, ...], tuple[int, ...]]:
    """A named controlled gate as its base gate plus controls (ccx -> x on the last qubit, two controls)."""
    if spec.name in BASE_FORMS:
        base, count = BASE_FORMS[spec.name]
        spec = GATES[base]
        controls, values = controls + targets[:count], values + (True,) * count
        targets = targets[count:]
    if len(set(controls + targets)) != len(controls + targets):
        raise ValueError(f"repeated qubit in {spec.name} on {controls + targets}")
    return spec, controls, values, targets


class Route(NamedTuple):
    """What `_Builder.add` does with a gate op of one shape (`route`): `kind`, and the op in base form.

    `steps` are the op's whole steps when it needs no matrix (an X-like flip, a swap's three flips).
    """

    kind: str  # "skip" | "fuse" | "swap" | "x" | "gate"
    spec: GateSpec
    controls: tuple[int, ...]
    values: tuple[bool, ...]
    targets: tuple[int, ...]
    steps: tuple[Step, ...] = ()
    phase: bool = False


@lru_cache(maxsize=65536)
def route_of(gate: str, num_params: int, controls: tuple[int, ...], values: tuple[bool, ...],
           targets: tuple[int, ...]) -> Route | None:
    """The route of a gate op on given (placed) qubits, None when malformed; cached: circuits repeat shapes."""
    spec = lookup(gate)
    if spec is None or len(targets) != spec.num_qubits or num_params != spec.num_params:
        return None
    spec, controls, values, targets = base_form(spec, controls, values, targets)
    if spec.name == "id":
        return Route("skip", spec, controls, values, targets)
    if not controls and len(targets) == 1 and spec.name != "x":
        return Route("fuse", spec, controls, values, targets)
    if spec.name == "swap":  # three CNOTs, each a swap of a quarter of the amplitudes
        a, b = targets
        flips = tuple(Step(False, True, (t,), controls + (c,), values + (True,), 0) for c, t in ((a, b), (b, a), (a, b)))
        return Route("swap", spec, controls, values, targets, flips)
    if spec.name == "x":
        return Route("x", spec, controls, values, targets, (Step(False, True, targets, controls, values, 0),))
    phase = len(targets) == 1 and unit_first_entry(spec.name)
    return Route("gate", spec, controls, values, targets, phase=phase)


@lru_cache(maxsize=None)
def unit_first_entry(name: str) -> bool:
    """Is the gate diagonal with first entry exactly 1 for every parameter (p, t, s, z, ...)? From the table."""
    spec = GATES[name]
    if not spec.diagonal or spec.num_qubits != 1:
        return False
    rng = np.random.default_rng(0)
    samples = [spec.matrix(*rng.uniform(-7, 7, spec.num_params)) for _ in range(4)]
    return all(m[0, 0] == 1 for m in samples)
