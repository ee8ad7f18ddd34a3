"""Exact expansion of a (controlled) gate into a smaller gate set, symbolic angles kept.

`expand(call, keep)` rewrites one gate application until every piece passes
`keep`.  Rules, in order (all exact including the global phase, so they stay
valid under further controls):

1. an uncontrolled gate becomes its table decomposition (`GateSpec.decomposition`),
   except `ccx` (`toffoli`: the same six `cx`, with the controls' part split off);
2. a controlled gate with a named controlled form becomes that gate
   (`x` with two controls is `ccx`, a controlled `gphase` is a `phase`);
3. a named controlled gate under more controls sheds its own controls into
   them (`ctrl @ cx` is `x` with two controls);
4. a controlled primitive uses `CONTROLLED_RULES`: `rz`/`ry` under k controls
   are a Gray-code multiplexor of 2**k rotations by ±θ/2**k and 2**k `cx`;
   `rx`, `x`, `z`, `y`, `h` change basis to one of those; `gphase` is a phase
   on the last control;
5. any other controlled gate controls every gate of its decomposition.

Calls carry positive controls only (the pass turns `negctrl` into `x` pairs).
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from qdl.compiler.expr import Const, Expr, mul
from qdl.compiler.gates import GATES, PI, controlled_form


class Call(NamedTuple):
    """`gate(params)` on `qubits`, controlled on `controls` (all on |1>)."""

    gate: str
    qubits: tuple[int, ...]
    params: tuple[Expr, ...] = ()
    controls: tuple[int, ...] = ()


Keep = Callable[[Call], bool]

# Named controlled gates -> (base gate, number of leading qubits that are its controls).
CONTROLLED_BASE: dict[str, tuple[str, int]] = {
    "cx": ("x", 1), "ccx": ("x", 2), "cy": ("y", 1), "cz": ("z", 1), "ch": ("h", 1),
    "crx": ("rx", 1), "cry": ("ry", 1), "crz": ("rz", 1), "cphase": ("phase", 1), "cswap": ("swap", 1),
}


def expand(call: Call, keep: Keep) -> list[Call]:
    """`call` as calls that all pass `keep` (see the module docstring)."""
    if keep(call):
        return [call]
    return [piece for part in _step(call) for piece in expand(part, keep)]


def _step(call: Call) -> list[Call]:
    """One rewrite of `call` by the first rule that applies."""
    gate, qubits, params, controls = call
    decomposition = GATES[gate].decomposition
    if not controls:
        if gate in UNCONTROLLED_RULES:
            return UNCONTROLLED_RULES[gate](call)
        if decomposition is None:
            raise ValueError(f"gate `{gate}` has no decomposition to lower")
        return [Call(g, tuple(qubits[i] for i in local), p) for g, local, p in decomposition(params)]
    named = controlled_form(gate, len(controls))
    if named is not None:
        return [Call(named, controls + qubits, params)]
    if gate in CONTROLLED_BASE:
        base, count = CONTROLLED_BASE[gate]
        return [Call(base, qubits[count:], params, controls + qubits[:count])]
    if gate in CONTROLLED_RULES:
        return CONTROLLED_RULES[gate](call)
    if decomposition is None:
        raise ValueError(f"controlled `{gate}` has no rule to lower")
    return [Call(g, tuple(qubits[i] for i in local), p, controls) for g, local, p in decomposition(params)]


def toffoli(call: Call, phase_first: bool = False) -> list[Call]:
    """`ccx` as `h · CCZ · h`, the CCZ phase polynomial split into two exact pieces.

    CCZ = exp(iπ/4 (x0 + x1 + x2 - x0⊕x1 - x0⊕x2 - x1⊕x2 + x0⊕x1⊕x2)): the
    terms on the target's parities take four `cx` with `t`/`tdg` on the
    target; the rest, π/2·x0·x1, is one `cphase(π/2)` on the controls.  Kept
    apart, the `cphase` of two Toffolis on the same controls merge (into `cz`)
    or cancel (compute / uncompute pairs), which the textbook circuit hides.
    The `cphase` commutes with the rest (the controls are Z-type there): it
    goes after it, or before it with `phase_first`.
    """
    a, b, t = call.qubits
    parity = [("t", None), ("tdg", a), ("t", b), ("tdg", a), (None, b)]  # a `cx` from a or b, then a phase
    out = [Call("h", (t,))]
    for phase, control in parity:
        if control is not None:
            out.append(Call("cx", (control, t)))
        if phase is not None:
            out.append(Call(phase, (t,)))
    out.append(Call("h", (t,)))
    cphase = Call("cphase", (a, b), (Const(PI / 2),))
    return [cphase, *out] if phase_first else [*out, cphase]


def multiplexor(call: Call) -> list[Call]:
    """`rz`/`ry`(θ) under k controls: 2**k rotations by ±θ/2**k, each followed by a `cx`.

    The indicator of "all controls 1" is 2**-k Σ_S (-1)^{|S|} (-1)^{x·S}; in
    Gray-code order over the subsets S one `cx` per step makes the target
    see the parity x·S, and `x` conjugation negates the rotation.
    """
    gate, (target,), (theta,), controls = call
    count = len(controls)
    gray = [step ^ (step >> 1) for step in range(2**count)] + [0]
    out: list[Call] = []
    for subset, following in zip(gray, gray[1:]):
        sign = (-1) ** bin(subset).count("1")
        out.append(Call(gate, (target,), (mul(sign / 2**count, theta),)))
        out.append(Call("cx", (controls[(subset ^ following).bit_length() - 1], target)))
    return out


def _conjugated(before: list[Call], base: str, after: list[Call],
                params: Callable[[Call], tuple[Expr, ...]] = lambda c: c.params) -> Callable[[Call], list[Call]]:
    """A rule `V · C^k(base) · V†` with uncontrolled `before` / `after` on the target (local 0)."""
    def rule(call: Call) -> list[Call]:
        moved = [[piece._replace(qubits=call.qubits) for piece in side] for side in (before, after)]
        return moved[0] + [Call(base, call.qubits, params(call), call.controls)] + moved[1]
    return rule


def _piece(gate: str, *angles: float) -> Call:
    return Call(gate, (0,), tuple(Const(a) for a in angles))


def _table(gate: str, qubits: tuple[int, ...]) -> list[Call]:
    decomposition = GATES[gate].decomposition
    assert decomposition is not None
    return [Call(g, tuple(qubits[i] for i in local), p) for g, local, p in decomposition(())]


def fredkin(call: Call) -> list[Call]:
    """`cswap` as `cx · ccx · cx` with the textbook Toffoli inside, whose first and last
    `cx` sit next to the outer ones (measured on the corpus: fewer `cx` after -O3)."""
    c, a, b = call.qubits
    return [Call("cx", (b, a)), *_table("ccx", (c, a, b)), Call("cx", (b, a))]


UNCONTROLLED_RULES: dict[str, Callable[[Call], list[Call]]] = {"ccx": toffoli, "cswap": fredkin}

# Controlled primitives (no named form for this many controls) -> exact smaller calls.
CONTROLLED_RULES: dict[str, Callable[[Call], list[Call]]] = {
    "rz": multiplexor,
    "ry": multiplexor,
    "rx": _conjugated([_piece("h")], "rz", [_piece("h")]),
    "x": _conjugated([_piece("h")], "z", [_piece("h")]),
    "z": _conjugated([], "phase", [], lambda c: (Const(PI),)),
    "y": _conjugated([_piece("sdg")], "x", [_piece("s")]),
    "h": _conjugated([_piece("ry", -PI / 4)], "z", [_piece("ry", PI / 4)]),
    "gphase": lambda c: [Call("phase", c.controls[-1:], c.params, c.controls[:-1])],
}
