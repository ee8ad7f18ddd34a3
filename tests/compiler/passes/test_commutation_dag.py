"""The commutation DAG: every pair the rule table cannot commute is ordered by a path."""

from __future__ import annotations

import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pass_strategies import circuit, dynamic_ops
from qdl.compiler.ir import Circuit, GateOp, MeasureOp, Probs
from qdl.compiler.passes import PassContext
from qdl.compiler.passes.analysis.commutation import commute
from qdl.compiler.passes.analysis.commutation_dag import adjacent, build_commutation_dag, commutation_dag, op_wires


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 4), data=st.data())
def test_non_commuting_pairs_are_ordered(n, data):
    ops = data.draw(dynamic_ops(n, bits=2))
    dag = build_commutation_dag(circuit(n, ops, (), num_bits=2))
    assert nx.is_directed_acyclic_graph(dag) and all(i < j for i, j in dag.edges)
    for j, b in enumerate(ops):
        for i in range(j):
            if op_wires(ops[i]).keys() & op_wires(b).keys() and not commute(ops[i], b):
                assert nx.has_path(dag, i, j), (ops[i], b)


def _circuit(*ops) -> Circuit:
    return Circuit("c", (), 3, tuple(ops), (Probs((0, 1, 2)),), num_bits=1)


def test_commuting_ops_share_a_group():
    cx = GateOp("cx", (0, 1))
    dag = build_commutation_dag(_circuit(cx, GateOp("t", (0,)), GateOp("x", (1,)), cx, GateOp("h", (1,))))
    assert set(dag.edges) == {(0, 4), (2, 4), (3, 4)}
    assert adjacent(dag, 0, 3, removed=())


def test_live_ops_on_a_path_block_and_removed_ones_do_not():
    dag = build_commutation_dag(_circuit(GateOp("h", (0,)), GateOp("x", (0,)), GateOp("x", (0,)), GateOp("h", (0,))))
    assert not adjacent(dag, 0, 3, removed=())
    assert adjacent(dag, 0, 3, removed={1, 2})


def test_measurements_commute_with_nothing():
    dag = build_commutation_dag(_circuit(GateOp("z", (0,)), MeasureOp(0, 0), GateOp("z", (0,)),
                                         GateOp("x", (1,), condition=None)))
    assert not adjacent(dag, 0, 2, removed=())


def test_cached_on_the_context():
    c, ctx = _circuit(GateOp("h", (0,))), PassContext()
    assert commutation_dag(c, ctx) is commutation_dag(c, ctx)
