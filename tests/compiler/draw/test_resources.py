"""Resource reports against independent counts: networkx depth, direct counts, runtime evaluation counts."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings

from qdl.compiler.autodiff import gradient_program
from qdl.compiler.draw.resources import format_resources, level_resources, resources, state_memory
from qdl.compiler.driver import compile_file
from qdl.compiler.ir import BarrierOp, Circuit, GateOp, Module
from qdl.compiler.passes import optimize_module
from qdl.runtime.gradients import jacobian

from draw_strategies import circuits

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((REPO / "examples").glob("*.qdl"))


def _longest_path_depth(circuit: Circuit) -> int:
    """Depth as the longest chain of ops linked by a shared qubit (networkx, nodes weighted 1)."""
    graph = nx.DiGraph()
    last: dict[int, int] = {}
    for i, op in enumerate(circuit.ops):
        if isinstance(op, BarrierOp):
            continue
        qubits = op.all_qubits if isinstance(op, GateOp) else (op.qubit,)
        if not qubits:
            continue
        graph.add_node(i)
        for q in qubits:
            if q in last:
                graph.add_edge(last[q], i)
            last[q] = i
    if not graph:
        return 0
    return nx.dag_longest_path_length(graph) + 1


@settings(max_examples=200, deadline=None)
@given(circuits())
def test_counts_match_independent_counts(circuit: Circuit):
    report = level_resources(circuit)
    gates = [op for op in circuit.ops if isinstance(op, GateOp)]
    assert report.depth == _longest_path_depth(circuit)
    assert report.gates == len(gates)
    assert report.two_qubit == sum(len(g.qubits) + len(g.controls) == 2 for g in gates)
    assert sum(report.by_kind.values()) == len(gates)
    assert report.by_kind.get("cx", 0) == sum(g.gate == "cx" and not g.controls for g in gates)
    assert report.memory_bytes == 16 * 2 ** circuit.num_qubits
    assert report.parameters == 1  # `theta` of the strategy


@pytest.mark.parametrize("n", [1, 5, 20, 30])
def test_state_memory(n: int):
    assert state_memory(n) == 16 * 2**n and state_memory(n, "single") == 8 * 2**n


@pytest.mark.parametrize("source", EXAMPLES, ids=lambda p: p.stem)
def test_gradient_costs_are_the_evaluations_the_runtime_makes(source: Path):
    for circuit in compile_file(source).module.circuits:
        report = level_resources(circuit)
        if not circuit.trainable:
            assert all(c.evaluations is None for c in report.gradient)
            continue
        program = gradient_program(circuit)
        rng = np.random.default_rng(0)
        args = {a.name: rng.uniform(-1, 1, (1,) + a.shape) for a in circuit.arguments}
        for method in ("parameter-shift", "finite-diff"):
            counted = jacobian(program, args, method, backend="reference").evaluations
            assert report.cost(method).evaluations == counted, method
        assert (report.cost("adjoint").evaluations == 2) == (jacobian(program, args).method == "adjoint")


def test_levels_are_the_optimized_circuits():
    circuit = compile_file(REPO / "examples" / "vqe_h2.qdl").module["energy"]
    report = resources(circuit)
    for level in (0, 1, 2, 3):
        optimized = optimize_module(Module((circuit,)), level).circuits[0]
        assert report.at(level).gates == len([op for op in optimized.ops if isinstance(op, GateOp)])
    assert report.at(0).by_kind == {"double_excitation": 1, "x": 2}
    assert report.at(3).multi_qubit == 0 < report.at(3).two_qubit


def test_text_table():
    circuit = compile_file(REPO / "examples" / "ghz.qdl").module["ghz"]
    text = format_resources(resources(circuit, (0, 2)))
    lines = text.splitlines()
    assert lines[0] == "circuit ghz" and lines[1].split() == ["-O0", "-O2"]
    assert "cx" in text and lines[-1] == "note: gradient: no param arguments"
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:] if line.strip()}
    assert rows["depth"] == ["5", "5"] and rows["qubits"] == ["5", "5"]
    assert Counter(rows["cx"]) == Counter(["4", "4"])
