"""`route{device=t5,seed=0}`: SWAP insertion so that every two-qubit gate acts on coupled qubits (SABRE).

The circuit's qubit q starts on physical qubit q: run `layout` first to
choose a good placement (`route` reads the layout it recorded, so the
report speaks of the program's qubits).  `trials` seeded SABRE runs
(`sabre`) are made and the one with the fewest SWAPs is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Sequence

from qdl.compiler.ir import Circuit, GateOp, Op
from qdl.compiler.passes.manager import CircuitPass, PassContext, register_pass
from qdl.compiler.passes.optimize.elide_swaps import relabel_op
from qdl.compiler.passes.route.common import (
    LayoutReport, circuit_dag, narrowed, prepare, previous_report, publish, relabelled,
)
from qdl.compiler.passes.route.coupling import CouplingMap, device_and_map
from qdl.compiler.passes.route.layout import placed, sabre_layout
from qdl.compiler.passes.route.sabre import Routing, full_layout, route


@dataclass(frozen=True)
class Routed:
    """A routed circuit: ops on physical qubits, and where each circuit qubit ends (`final[q]`)."""

    circuit: Circuit
    final: tuple[int, ...]
    swaps: int


def route_circuit(circuit: Circuit, cmap: CouplingMap, *, seed: int = 0, trials: int = 20) -> Routed:
    """Route `circuit` (qubits <= the map's, no gate on 3+ qubits) from the trivial layout q -> q."""
    dag = circuit_dag(circuit.ops)
    start = full_layout(range(circuit.num_qubits), cmap.num_qubits)
    best: Routing | None = None
    for trial in range(trials):
        routing = route(dag, cmap, start, seed * 100_003 + trial)
        if best is None or routing.swaps < best.swaps:
            best = routing
        if best.swaps == 0:
            break
    assert best is not None
    ops = _replay(circuit.ops, best, start)
    final = best.final[:circuit.num_qubits]
    return Routed(relabelled(circuit, ops, final, cmap.num_qubits), final, best.swaps)


def _replay(ops: Sequence[Op], routing: Routing, start: Sequence[int]) -> list[Op]:
    """The ops in routed order on the physical qubits that hold their qubits, with the SWAPs."""
    v2p, p2v = list(start), [0] * len(start)
    for v, p in enumerate(v2p):
        p2v[p] = v
    out: list[Op] = []
    span = None
    for step in routing.steps:
        if isinstance(step, int):
            out.append(relabel_op(ops[step], v2p))
            span = ops[step].span
            continue
        a, b = step
        va, vb = p2v[a], p2v[b]
        p2v[a], p2v[b], v2p[va], v2p[vb] = vb, va, b, a
        out.append(GateOp("swap", (a, b), span=span))  # the span of the op before it: where routing got stuck
    return out


def place_and_route(circuit: Circuit, cmap: CouplingMap, *, seed: int = 0,
                    trials: int = 20) -> tuple[Circuit, LayoutReport]:
    """`layout` then `route` on a coupling map given directly: the routed circuit and its report."""
    if circuit.num_qubits > cmap.num_qubits:
        raise ValueError(f"circuit `{circuit.name}` has {circuit.num_qubits} qubits, the map {cmap.num_qubits}")
    circuit = narrowed(circuit)
    virtual = sabre_layout(circuit.ops, circuit.num_qubits, cmap, seed=seed, trials=trials)
    routed = route_circuit(placed(circuit, virtual, cmap.num_qubits), cmap, seed=seed, trials=trials)
    final = tuple(routed.final[p] for p in virtual)
    return routed.circuit, LayoutReport(circuit.name, "(coupling map)", virtual, final, routed.swaps)


@register_pass
@dataclass(frozen=True)
class Route(CircuitPass):
    """Insert SWAPs so that every two-qubit gate acts on a coupled pair of `device` (SABRE, best of `trials`).

    Gates on 3+ qubits are lowered first (`lower-multi-qubit`).  Measurements
    keep their bits; results (`probs`/`sample` columns, observable terms)
    read the physical qubits where their qubits end, so every output is the
    same; a `state` result is the device's state, permuted by the final
    layout (ancillas in |0>).  The initial and final layouts and the SWAP
    count go to `ctx.facts["layout"]` and the pass record (`qdlc --stats`).
    Raises E0612 when the circuit has more qubits than the device.
    """

    name: ClassVar[str] = "route"
    device: str = "t5"
    seed: int = 0
    trials: int = 20

    def run_circuit(self, circuit: Circuit, ctx: PassContext) -> Circuit:
        device, cmap = device_and_map(self.device)
        circuit = prepare(circuit, device)
        routed = route_circuit(circuit, cmap, seed=self.seed, trials=self.trials)
        before = previous_report(ctx, circuit)
        if before is None or any(q >= circuit.num_qubits for q in before.final):
            before = LayoutReport(circuit.name, self.device, tuple(range(circuit.num_qubits)),
                                  tuple(range(circuit.num_qubits)))
        final = tuple(routed.final[q] for q in before.final)
        publish(ctx, LayoutReport(circuit.name, self.device, before.initial, final, before.swaps + routed.swaps))
        return routed.circuit
