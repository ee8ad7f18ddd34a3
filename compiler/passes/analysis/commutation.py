"""Commutation of gates from how they act on each wire (a sufficient, exact test).

A gate is *Z-type* on a wire when it is block diagonal in that wire's Z basis
(`Σ_k |k⟩⟨k| ⊗ U_k`): every control, and every wire of a diagonal gate.  It
is *X-type* when it is block diagonal in the X basis: the target of `cx`,
`ccx`, `x`, `rx`, `sx`, `crx`, both wires of `rxx`.  Two gates commute when,
on every wire they share, both are Z-type or both are X-type: then both
decompose over the same projectors on the shared wires, and the remaining
factors act on disjoint wires.  Measurements, resets, barriers and
conditioned gates commute with nothing here (passes never reorder across them).
"""

from __future__ import annotations

from functools import lru_cache

from qdl.compiler.gates import GATES
from qdl.compiler.ir import GateOp, Op

Z, X = "Z", "X"

# Per-target-wire types of non-diagonal gates with a basis-aligned action (rules as data).
X_TARGETS: dict[str, tuple[str | None, ...]] = {
    "x": (X,), "rx": (X,), "sx": (X,), "sxdg": (X,), "rxx": (X, X),
    "cx": (Z, X), "ccx": (Z, Z, X), "crx": (Z, X),
    "cy": (Z, None), "ch": (Z, None), "cry": (Z, None), "cswap": (Z, None, None),
}


def wire_types(op: GateOp) -> dict[int, str | None]:
    """Each wire of `op` -> "Z", "X" or None (neither)."""
    return _wire_types(op.gate, op.qubits, op.controls)


@lru_cache(maxsize=4096)
def _wire_types(gate: str, qubits: tuple[int, ...], controls: tuple[int, ...]) -> dict[int, str | None]:
    types: dict[int, str | None] = {c: Z for c in controls}
    if GATES[gate].diagonal:
        targets: tuple[str | None, ...] = (Z,) * len(qubits)
    else:
        targets = X_TARGETS.get(gate, (None,) * len(qubits))
    types.update(zip(qubits, targets))
    return types  # shared by the cache: callers must not mutate it


def commute(a: Op, b: Op) -> bool:
    """True when `a` and `b` are known to commute (see the module docstring)."""
    if not (isinstance(a, GateOp) and isinstance(b, GateOp)):
        return False
    if a.condition is not None or b.condition is not None:
        return False
    ta, tb = wire_types(a), wire_types(b)
    return all(ta[q] is not None and ta[q] == tb[q] for q in ta.keys() & tb.keys())
