"""SABRE SWAP insertion (Li, Ding, Xie, ASPLOS 2019) on plain data: a dependency DAG and a coupling map.

The router keeps a *front layer* of two-qubit gates whose predecessors have
all run.  Whatever can run does (one-qubit ops, measurements, barriers,
two-qubit gates on coupled qubits); when nothing can, it adds the SWAP on an
edge next to a front gate that minimises

    max(decay[a], decay[b]) * (sum_F D + W * sum_E D)

where D is the hop distance of a gate's qubits after the SWAP, F the front
layer, E the *lookahead layer* (the two-qubit gates that become ready once
the front layer has run) and W = `LOOKAHEAD_WEIGHT` / (device qubits), the
weights of Qiskit's SabreSwap with `heuristic="decay"`.  `decay` grows on qubits just swapped, so that
parallel SWAPs are preferred to serial ones, and resets when a gate runs or
every `DECAY_RESET` swaps.  Ties are broken by the seeded random generator.
If `10 n` swaps make no progress the closest front gate is moved together
along a shortest path (the "release valve"), so routing always ends.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Sequence, Union

import networkx as nx

from qdl.compiler.passes.route.coupling import CouplingMap

LOOKAHEAD_WEIGHT = 0.5  # divided by the device's qubit count, as in Qiskit's SabreSwap "decay"
DECAY_STEP = 0.001
DECAY_RESET = 5
STALL_LIMIT = 10  # SWAPs per device qubit without progress before the release valve opens


@dataclass(frozen=True)
class Dag:
    """Dependencies of a list of nodes (ops): node j follows node i when they share a wire.

    `qubits[i]` are node i's (virtual) qubits; `routed[i]` marks the nodes that
    must act on coupled physical qubits (the two-qubit gates).
    """

    qubits: tuple[tuple[int, ...], ...]
    routed: tuple[bool, ...]
    successors: tuple[tuple[int, ...], ...]
    indegree: tuple[int, ...]

    @classmethod
    def build(cls, qubits: Sequence[tuple[int, ...]], wires: Sequence[tuple[int, ...]] | None = None,
              routed: Sequence[bool] | None = None) -> "Dag":
        """`wires[i]` (default `qubits[i]`) are what node i occupies: its qubits, and bits as negative ids;
        `routed[i]` defaults to "node i has two qubits"."""
        wires = qubits if wires is None else wires
        routed = [len(q) == 2 for q in qubits] if routed is None else routed
        last: dict[int, int] = {}
        successors: list[list[int]] = [[] for _ in qubits]
        indegree = [0] * len(qubits)
        for i, occupied in enumerate(wires):
            preds = {last[w] for w in occupied if w in last}
            for p in preds:
                successors[p].append(i)
            indegree[i] = len(preds)
            last.update((w, i) for w in occupied)
        return cls(tuple(map(tuple, qubits)), tuple(routed),
                   tuple(map(tuple, successors)), tuple(indegree))


Step = Union[int, tuple[int, int]]  # a node index, or a SWAP of two physical qubits


@dataclass(frozen=True)
class Routing:
    """The nodes in run order with SWAPs between them, the SWAP count, and the final layout.

    `final[v]` is the physical qubit that holds virtual qubit v after the last step
    (for every physical qubit's worth of virtual qubits, ancillas included).
    """

    steps: tuple[Step, ...]
    swaps: int
    final: tuple[int, ...]


def route(dag: Dag, cmap: CouplingMap, layout: Sequence[int], seed: int = 0) -> Routing:
    """Route `dag` from `layout` (virtual -> physical, a permutation of the device's qubits)."""
    return _Router(dag, cmap, layout, random.Random(seed)).run()


def full_layout(partial: Sequence[int], num_physical: int) -> list[int]:
    """`partial` (virtual -> physical for the circuit's qubits) extended with ancillas on the free qubits."""
    used = set(partial)
    return list(partial) + [p for p in range(num_physical) if p not in used]


class _Router:
    """The state of one routing run (see the module docstring)."""

    def __init__(self, dag: Dag, cmap: CouplingMap, layout: Sequence[int], rng: random.Random) -> None:
        self.dag, self.cmap, self.rng = dag, cmap, rng
        self.dist = cmap.distance.tolist()
        self.v2p = list(layout)
        self.p2v = [0] * len(self.v2p)
        for v, p in enumerate(self.v2p):
            self.p2v[p] = v
        self.indegree = list(dag.indegree)
        self.steps: list[Step] = []
        self.decay = [1.0] * cmap.num_qubits

    def run(self) -> Routing:
        """Run nodes while they can, add the best SWAP when none can, until every node has run."""
        front = self._advance([i for i, d in enumerate(self.indegree) if d == 0])
        swaps = stalled = 0
        limit = STALL_LIMIT * self.cmap.num_qubits
        while front:
            if stalled >= limit:
                swaps += self._release(front)
                stalled = 0
            else:
                a, b = self._best_swap(front)
                self._swap(a, b)
                swaps, stalled = swaps + 1, stalled + 1
                self._decay(a, b, swaps)
            done = len(self.steps)
            front = self._advance(front)
            if any(isinstance(s, int) for s in self.steps[done:]):
                stalled = 0
                self.decay = [1.0] * len(self.decay)
        return Routing(tuple(self.steps), swaps, tuple(self.v2p))

    def _ready(self, i: int) -> bool:
        if not self.dag.routed[i]:
            return True
        a, b = self.dag.qubits[i]
        return self.dist[self.v2p[a]][self.v2p[b]] == 1

    def _advance(self, front: list[int]) -> list[int]:
        """Run every node that can run (and what that frees); the rest is the new front layer."""
        stack, waiting = list(reversed(front)), []
        while stack:
            i = stack.pop()
            if not self._ready(i):
                waiting.append(i)
                continue
            self.steps.append(i)
            for s in reversed(self.dag.successors[i]):
                self.indegree[s] -= 1
                if self.indegree[s] == 0:
                    stack.append(s)
        return sorted(waiting)

    def _swap(self, a: int, b: int) -> None:
        va, vb = self.p2v[a], self.p2v[b]
        self.p2v[a], self.p2v[b] = vb, va
        self.v2p[va], self.v2p[vb] = b, a
        self.steps.append((a, b))

    def _decay(self, a: int, b: int, swaps: int) -> None:
        if swaps % DECAY_RESET == 0:
            self.decay = [1.0] * len(self.decay)
        else:
            self.decay[a] += DECAY_STEP
            self.decay[b] += DECAY_STEP

    def _next_layer(self, front: list[int]) -> list[int]:
        """The two-qubit nodes that become ready once the whole front layer has run."""
        indegree: dict[int, int] = {}
        stack, out = list(front), []
        while stack:
            for s in self.dag.successors[stack.pop()]:
                left = indegree.get(s, self.indegree[s]) - 1
                indegree[s] = left
                if left == 0:
                    (out.append if self.dag.routed[s] else stack.append)(s)
        return out

    def _best_swap(self, front: list[int]) -> tuple[int, int]:
        """The SWAP with the lowest heuristic cost; ties broken at random."""
        front_pairs = self._pairs(front)
        ext_pairs = self._pairs(self._next_layer(front))
        candidates = sorted({(min(p, n), max(p, n)) for pair in front_pairs for p in pair
                             for n in self.cmap.neighbours[p]})
        f_scale, e_scale = 1.0, LOOKAHEAD_WEIGHT / self.cmap.num_qubits
        best: list[tuple[int, int]] = []
        best_score = float("inf")
        for a, b in candidates:
            score = max(self.decay[a], self.decay[b]) * (
                f_scale * self._cost(front_pairs, a, b) + e_scale * self._cost(ext_pairs, a, b))
            if score < best_score - 1e-10:
                best, best_score = [(a, b)], score
            elif score <= best_score + 1e-10:
                best.append((a, b))
        return self.rng.choice(best)

    def _pairs(self, nodes: list[int]) -> list[tuple[int, int]]:
        v2p = self.v2p
        return [(v2p[q[0]], v2p[q[1]]) for q in (self.dag.qubits[i] for i in nodes)]

    def _cost(self, pairs: list[tuple[int, int]], a: int, b: int) -> int:
        """Summed distance of `pairs` after swapping physical qubits a and b."""
        dist, total = self.dist, 0
        for x, y in pairs:
            x = b if x == a else a if x == b else x
            y = b if y == a else a if y == b else y
            total += dist[x][y]
        return total

    def _release(self, front: list[int]) -> int:
        """Bring the closest front gate's qubits together along a shortest path; the SWAPs added."""
        pairs = self._pairs(front)
        x, y = min(pairs, key=lambda pair: (self.dist[pair[0]][pair[1]], pair))
        path = nx.shortest_path(self.cmap.graph, x, y)
        for a, b in zip(path[:-2], path[1:-1]):
            self._swap(a, b)
        return len(path) - 2
