"""`layout{device=t5}`: place a circuit's qubits on a device's physical qubits (SABRE's forward-backward search).

Each trial starts from a layout (trial 0 the trivial one, i -> i; trial 1
a dense one, `_dense`; the others random), routes the circuit's two-qubit gates forwards, then the
reversed circuit from where the forward run ended, `iterations` times: the
end of a backward run is a start that suits the circuit's first gates.  The
trial whose final layout needs the fewest SWAPs in the best of `swap_trials`
forward runs wins (Qiskit's `SabreLayout` at `-O3` does 20 trials of 4 iterations).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from typing import ClassVar, Sequence

import networkx as nx

from qdl.compiler.ir import Circuit, Op
from qdl.compiler.passes.manager import CircuitPass, PassContext, register_pass
from qdl.compiler.passes.route.common import (
    LayoutReport, placed_ops, prepare, publish, relabelled, two_qubit_dag,
)
from qdl.compiler.passes.route.coupling import CouplingMap, device_and_map
from qdl.compiler.passes.route.sabre import Dag, full_layout, route


def sabre_layout(ops: Sequence[Op], num_qubits: int, cmap: CouplingMap, *, seed: int = 0,
                 trials: int = 8, iterations: int = 4, swap_trials: int = 1) -> tuple[int, ...]:
    """Virtual -> physical for qubits 0..num_qubits-1 (see the module docstring)."""
    forward = two_qubit_dag(ops)
    n = cmap.num_qubits
    if _trivial_fits(forward, cmap):  # nothing to gain, and the reader's numbering is kept
        return tuple(range(num_qubits))
    backward = Dag.build(list(reversed(forward.qubits)))
    best: tuple[int, tuple[int, ...]] | None = None
    for trial in range(trials):
        rng = random.Random(seed * 100_003 + trial)
        layout = list(range(n)) if trial == 0 else _dense(forward, cmap, num_qubits) if trial == 1 \
            else rng.sample(range(n), n)
        for _ in range(iterations):
            layout = list(route(forward, cmap, layout, rng.randrange(1 << 30)).final)
            layout = list(route(backward, cmap, layout, rng.randrange(1 << 30)).final)
        swaps = min(route(forward, cmap, layout, seed * 100_003 + k).swaps for k in range(swap_trials))
        if best is None or swaps < best[0]:
            best = (swaps, tuple(layout[:num_qubits]))
        if swaps == 0:
            break
    assert best is not None
    return best[1]


def _dense(dag: Dag, cmap: CouplingMap, num_qubits: int) -> list[int]:
    """Busiest qubits first (breadth first over the interaction graph) on the most central qubits."""
    weight = Counter(q for pair in dag.qubits for q in pair)
    partners: dict[int, Counter] = {}
    for a, b in dag.qubits:
        partners.setdefault(a, Counter())[b] += 1
        partners.setdefault(b, Counter())[a] += 1
    order: list[int] = []
    for root in sorted(range(num_qubits), key=lambda q: -weight[q]):
        if root in order:
            continue
        queue = [root]
        while queue:
            q = queue.pop(0)
            if q not in order:
                order.append(q)
                queue += [p for p, _ in partners.get(q, Counter()).most_common() if p not in order]
    centre = int(cmap.distance.sum(axis=1).argmin())
    physical = list(nx.bfs_tree(cmap.graph, centre))
    layout = [0] * num_qubits
    for v, p in zip(order, physical):
        layout[v] = p
    return full_layout(layout, cmap.num_qubits)


def _trivial_fits(dag: Dag, cmap: CouplingMap) -> bool:
    """True when every two-qubit gate already acts on coupled qubits (so i -> i needs no SWAP)."""
    return all(cmap.coupled(a, b) for a, b in dag.qubits)


@register_pass
@dataclass(frozen=True)
class Layout(CircuitPass):
    """Move every circuit onto `device`'s physical qubits, placed so that routing needs few SWAPs.

    Gates on 3+ qubits are lowered first (`lower-multi-qubit`).  Ops and
    results (`probs`/`sample` columns, observable terms) follow the qubits,
    so every output is the same; a `state` result becomes the device-sized
    state, permuted by the layout (ancillas in |0>).  The layout is recorded
    in `ctx.facts["layout"]` and the pass record (`qdlc --stats`); the `route`
    pass then starts from it.  Raises E0612 when the circuit has more qubits
    than the device.
    """

    name: ClassVar[str] = "layout"
    device: str = "t5"
    seed: int = 0
    trials: int = 8

    def run_circuit(self, circuit: Circuit, ctx: PassContext) -> Circuit:
        device, cmap = device_and_map(self.device)
        circuit = prepare(circuit, device)
        virtual = sabre_layout(circuit.ops, circuit.num_qubits, cmap, seed=self.seed, trials=self.trials)
        publish(ctx, LayoutReport(circuit.name, self.device, virtual, virtual, 0))
        return placed(circuit, virtual, cmap.num_qubits)


def placed(circuit: Circuit, virtual: Sequence[int], num_physical: int) -> Circuit:
    """`circuit` moved onto `num_physical` qubits, its qubit q on `virtual[q]` (ops and results)."""
    layout = full_layout(virtual, num_physical)
    return relabelled(circuit, placed_ops(circuit.ops, layout), layout, num_physical)
