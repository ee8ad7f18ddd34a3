"""Shared machinery for peephole passes: pairs of gates adjacent up to disjoint gates.

`rewrite_pairs(ops, combine)` walks the ops once, keeping for every qubit a
stack of the surviving ops that touch it.  A new unconditioned gate's
*partner* is an earlier unconditioned gate on exactly the same qubit set such
that every op in between either acts on other qubits (commutation by
disjointness) or provably commutes with the new gate
(`analysis.commutation`: diagonal gates through controls, X-type gates
through targets); at most `window` commuting ops per qubit are skipped.
`combine(earlier, later)` returns None (keep both), `()` (drop both) or
`(op,)` (the earlier one becomes `op`, the later one is dropped).  Ops never
move across measurements, resets, barriers or conditioned ops on their qubits.

Global phase policy: passes keep the IR exact.  A rewrite that leaves a
global phase emits a zero-qubit `gphase` when a result can see it (a `state`
result) and drops it otherwise (probabilities, samples, expectation values).
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import networkx as nx

from qdl.compiler.expr import Const, Expr
from qdl.compiler.ir import Circuit, GateOp, MeasureOp, Op, ResetOp, State
from qdl.compiler.passes.analysis.commutation import commute
from qdl.compiler.passes.analysis.commutation_dag import BUDGET, adjacent

Combine = Callable[[GateOp, GateOp], "tuple[GateOp, ...] | None"]

# Two-qubit gates whose matrix is unchanged by swapping their qubits.
SYMMETRIC = frozenset({"cz", "swap", "iswap", "iswapdg", "cphase", "rxx", "ryy", "rzz"})


def op_qubits(op: Op) -> tuple[int, ...]:
    if isinstance(op, GateOp):
        return op.all_qubits
    if isinstance(op, (MeasureOp, ResetOp)):
        return (op.qubit,)
    return op.qubits


def rewrite_pairs(ops: Sequence[Op], combine: Combine, window: int = 0,
                  dag: Callable[[], nx.DiGraph] | None = None) -> tuple[Op, ...]:
    """See the module docstring; linear in the number of ops for a fixed `window`.

    With `dag` (returning the commutation DAG of `ops`, `analysis.commutation_dag`,
    called only when needed) the walks go up to `BUDGET` ops instead of
    `window`, and a candidate pair that the walk over the other qubits' ops
    cannot clear is checked on the DAG: no live op on a path between them.
    """
    out: list[Op | None] = []
    origin: list[int] = []  # out index -> index in `ops` (a DAG node)
    removed: set[int] = set()
    stacks: dict[int, list[int]] = {}
    walk = window if dag is None else max(window, BUDGET)  # the DAG bounds the search instead
    for position, op in enumerate(ops):
        clear = _dag_clear(dag, origin, removed, position) if dag is not None else _clear
        hit = _find(op, out, stacks, combine, walk, clear)
        if hit is None:
            out.append(op)
            origin.append(position)
            for q in op_qubits(op):
                stacks.setdefault(q, []).append(len(out) - 1)
            continue
        index, merged = hit
        out[index] = merged[0] if merged else None
        removed.add(position)
        if not merged or not merged[0].all_qubits:  # the pair left no gate on these qubits
            removed.add(origin[index])
            for q in op_qubits(op):
                _drop(stacks[q], index)
    return tuple(op for op in out if op is not None)


Clear = Callable[[GateOp, int, "list[Op | None]", "dict[int, list[int]]", int], bool]


def _dag_clear(dag: Callable[[], nx.DiGraph], origin: list[int], removed: set[int], position: int) -> Clear:
    """`_clear`, else the DAG's answer for the op at `position` of the input (the cheap walk first)."""
    return lambda op, index, out, stacks, window: (_clear(op, index, out, stacks, window)
                                                   or adjacent(dag(), origin[index], position, removed))


def _drop(stack: list[int], index: int) -> None:
    for k in range(len(stack) - 1, -1, -1):
        if stack[k] == index:
            del stack[k]
            return


def _find(op: Op, out: list[Op | None], stacks: dict[int, list[int]], combine: Combine,
          window: int, clear: Clear) -> tuple[int, tuple[GateOp, ...]] | None:
    """The latest earlier gate `op` can move back to and combine with, and the result."""
    if not isinstance(op, GateOp) or op.condition is not None or not op.all_qubits:
        return None
    for depth, index in enumerate(reversed(stacks.get(op.all_qubits[0], []))):
        earlier = out[index]
        merged = combine(earlier, op) if _pairable(earlier, op) else None  # type: ignore[arg-type]
        if merged is not None and clear(op, index, out, stacks, window):
            return index, merged
        if depth >= window or not commute(earlier, op):  # type: ignore[arg-type]
            return None
    return None


def _pairable(earlier: Op | None, op: GateOp) -> bool:
    return (isinstance(earlier, GateOp) and earlier.condition is None
            and set(earlier.all_qubits) == set(op.all_qubits))


def _clear(op: GateOp, index: int, out: list[Op | None], stacks: dict[int, list[int]], window: int) -> bool:
    """True when every op after `index` on `op`'s other qubits commutes with `op`."""
    for q in op.all_qubits[1:]:
        for depth, later in enumerate(reversed(stacks[q])):
            if later == index:
                break
            if depth >= window or not commute(out[later], op):  # type: ignore[arg-type]
                return False
    return True


def same_wires(a: GateOp, b: GateOp) -> bool:
    """Same gate placement: same controls (any order), same targets (any order if symmetric)."""
    if set(zip(a.controls, a.control_values)) != set(zip(b.controls, b.control_values)):
        return False
    if a.qubits == b.qubits:
        return True
    return a.gate in SYMMETRIC and b.gate in SYMMETRIC and sorted(a.qubits) == sorted(b.qubits)


def phase_observable(circuit: Circuit) -> bool:
    """True when a result exposes the global phase (a `state` result)."""
    return any(isinstance(r, State) for r in circuit.results)


def global_phase(angle: float, keep: bool) -> tuple[GateOp, ...]:
    """A `gphase(angle)` op when `keep` and the phase is not trivial, else nothing."""
    wrapped = math.remainder(angle, 2 * math.pi)
    if not keep or abs(wrapped) < 1e-15:
        return ()
    wrapped = math.pi if wrapped <= -math.pi else wrapped  # (-π, π]
    return (GateOp("gphase", (), (Const(wrapped),)),)


def const_values(params: Sequence[Expr]) -> tuple[float, ...] | None:
    """The parameters as floats when all are constants, else None."""
    if not all(isinstance(p, Const) for p in params):
        return None
    return tuple(p.value for p in params)  # type: ignore[attr-defined]
