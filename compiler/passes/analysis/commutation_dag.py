"""The commutation DAG of a circuit: edges order only ops that may not commute.

Nodes are op indices (`circuit.ops[i]`, node attribute `op`).  Built with
per-wire frontiers from the rule table of `analysis.commutation`: on each wire
(qubits, and classical bits for measurements and conditions) consecutive ops
of the same type ("Z" or "X") form a *group* whose members commute there;
every member of a group gets an edge from every member of the previous group
on that wire.  An op with no type on a wire (a non-basis-aligned gate, a
measurement, reset, barrier or conditioned gate) is a group of its own.
Two ops that do not commute by the table are therefore joined by a path, so
the DAG over-approximates the true dependencies; linear in the ops times the
group sizes (which the rule table keeps small on real circuits).

`adjacent(dag, a, b, removed)` answers the peephole question: can `b` move
next to `a` (no *live* op on a path from `a` to `b`)?  It stays a sound
over-approximation while a pass deletes ops (`removed`) and merges a later op
into an earlier one of the same gate and wires (whose wire types are equal).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Collection, Hashable

import networkx as nx

from qdl.compiler.ir import Circuit, GateOp, MeasureOp, Op, ResetOp
from qdl.compiler.passes.analysis.commutation import wire_types

if TYPE_CHECKING:  # the manager imports the analyses
    from qdl.compiler.passes.manager import PassContext

Wire = Hashable
# Nodes a search may visit before `adjacent` gives up and answers "no" (keeps passes linear).
BUDGET = 256


def op_wires(op: Op) -> dict[Wire, str | None]:
    """Each wire of `op` (qubits `("q", i)`, bits `("b", i)`) -> "Z", "X" or None."""
    if isinstance(op, MeasureOp):
        return {("q", op.qubit): None, ("b", op.bit): None}
    if isinstance(op, ResetOp):
        return {("q", op.qubit): None}
    if not isinstance(op, GateOp):  # a barrier
        return {("q", q): None for q in op.qubits}
    if op.condition is not None:
        wires: dict[Wire, str | None] = {("q", q): None for q in op.all_qubits}
        return wires | {("b", b): None for b in op.condition.bits}
    return {("q", q): t for q, t in wire_types(op).items()}


def build_commutation_dag(circuit: Circuit) -> nx.DiGraph:
    """The commutation DAG of `circuit.ops` (see the module docstring)."""
    dag = nx.DiGraph()
    # wire -> (type of the current group, its members, the previous group's members)
    frontier: dict[Wire, tuple[str | None, list[int], list[int]]] = {}
    for index, op in enumerate(circuit.ops):
        dag.add_node(index, op=op)
        for wire, kind in op_wires(op).items():
            group_kind, members, previous = frontier.get(wire, (None, [], []))
            if kind is None or kind != group_kind or not members:
                previous, members = members, []
                frontier[wire] = (kind, members, previous)
            dag.add_edges_from((p, index) for p in previous)
            members.append(index)
    return dag


def adjacent(dag: nx.DiGraph, a: int, b: int, removed: Collection[int]) -> bool:
    """True when no live op lies on a path from `a` to `b` (`a < b`); False if unsure."""
    after_a = _reach(dag.successors, a, lambda n: a < n < b)
    before_b = _reach(dag.predecessors, b, lambda n: a < n < b)
    if after_a is None or before_b is None:
        return False
    return not any(n not in removed for n in after_a & before_b)


def _reach(step, start: int, inside) -> set[int] | None:  # type: ignore[no-untyped-def]
    """Nodes reachable from `start` through nodes `inside` the interval, or None past `BUDGET`."""
    seen: set[int] = set()
    todo = [start]
    while todo:
        for n in step(todo.pop()):
            if n in seen or not inside(n):
                continue
            if len(seen) >= BUDGET:
                return None
            seen.add(n)
            todo.append(n)
    return seen


def commutation_dag(circuit: Circuit, ctx: PassContext) -> nx.DiGraph:
    """The commutation DAG of `circuit`, cached on `ctx` while the circuit is unchanged."""
    return ctx.analysis("commutation-dag", circuit, build_commutation_dag)  # type: ignore[no-any-return]
