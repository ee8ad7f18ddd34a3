"""A device's coupling map as a networkx graph with its all-pairs distance matrix."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import networkx as nx
import numpy as np

from qdl.compiler.device import Device, load_device


@dataclass(frozen=True, eq=False)
class CouplingMap:
    """Physical qubits 0..n-1, undirected edges, hop distances and neighbour lists."""

    num_qubits: int
    graph: nx.Graph
    distance: np.ndarray  # distance[a, b]: fewest edges from a to b
    neighbours: tuple[tuple[int, ...], ...]

    @classmethod
    def from_edges(cls, num_qubits: int, edges: list[tuple[int, int]] | tuple[tuple[int, int], ...]) -> "CouplingMap":
        """The map of `edges` on qubits 0..num_qubits-1 (must be connected; device files are checked)."""
        graph = nx.Graph()
        graph.add_nodes_from(range(num_qubits))
        graph.add_edges_from(edges)
        lengths = dict(nx.all_pairs_shortest_path_length(graph))
        distance = np.full((num_qubits, num_qubits), num_qubits, dtype=np.int64)
        for a, row in lengths.items():
            for b, d in row.items():
                distance[a, b] = d
        neighbours = tuple(tuple(sorted(graph.neighbors(q))) for q in range(num_qubits))
        return cls(num_qubits, graph, distance, neighbours)

    @classmethod
    def of_device(cls, device: Device) -> "CouplingMap":
        """The device's coupling map (every pair for an all-to-all device)."""
        n = device.num_qubits
        if device.topology.all_to_all:
            return cls.from_edges(n, [(a, b) for a in range(n) for b in range(a + 1, n)])
        return cls.from_edges(n, device.topology.edges)

    def coupled(self, a: int, b: int) -> bool:
        """True when a and b share an edge."""
        return bool(self.distance[a, b] == 1)

    def edges(self) -> list[tuple[int, int]]:
        """Every edge once, as (smaller, larger), sorted."""
        return sorted((min(a, b), max(a, b)) for a, b in self.graph.edges)


@lru_cache(maxsize=32)
def device_and_map(spec: str) -> tuple[Device, CouplingMap]:
    """The device named `spec` (built-in name or file) and its coupling map; raises `DeviceError`."""
    device = load_device(spec)
    return device, CouplingMap.of_device(device)
