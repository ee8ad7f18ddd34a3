"""Circuit statistics: gate counts by kind, two-qubit count, depth, parameter count.

An analysis (returns facts, never IR).  Depth is the ASAP layer count over
gates, measurements and resets (barriers and zero-qubit gates take no layer);
a gate occupies its controls and targets.  Module stats sum over circuits.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from qdl.compiler.ir import BarrierOp, Circuit, GateOp, Module


@dataclass(frozen=True)
class Stats:
    """Counts for one circuit or a whole module (summed)."""

    gates: int = 0
    two_qubit: int = 0
    multi_qubit: int = 0
    depth: int = 0
    params: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def __add__(self, other: "Stats") -> "Stats":
        kinds = Counter(self.by_kind) + Counter(other.by_kind)
        return Stats(self.gates + other.gates, self.two_qubit + other.two_qubit,
                     self.multi_qubit + other.multi_qubit, self.depth + other.depth,
                     self.params + other.params, dict(sorted(kinds.items())))

    def summary(self) -> str:
        kinds = " ".join(f"{k}={v}" for k, v in self.by_kind.items())
        return (f"gates={self.gates} 2q={self.two_qubit} depth={self.depth} "
                f"params={self.params} [{kinds}]")


def gate_kind(op: GateOp) -> str:
    """`cx`, or `ctrl2-rz` for an `rz` with two extra controls."""
    return f"ctrl{len(op.controls)}-{op.gate}" if op.controls else op.gate


def circuit_stats(circuit: Circuit) -> Stats:
    """The `Stats` of one circuit (see the module docstring)."""
    gates = [op for op in circuit.ops if isinstance(op, GateOp)]
    kinds = Counter(gate_kind(op) for op in gates)
    width = [len(op.all_qubits) for op in gates]
    params = sum(1 for op in gates for p in op.params if not p.is_constant)
    return Stats(len(gates), width.count(2), sum(w > 2 for w in width), depth(circuit),
                 params, dict(sorted(kinds.items())))


def depth(circuit: Circuit) -> int:
    """ASAP layer count (see the module docstring)."""
    level: dict[int, int] = {}
    deepest = 0
    for op in circuit.ops:
        if isinstance(op, BarrierOp):
            continue
        qubits = op.all_qubits if isinstance(op, GateOp) else (op.qubit,)
        if not qubits:
            continue
        layer = 1 + max(level.get(q, 0) for q in qubits)
        level.update((q, layer) for q in qubits)
        deepest = max(deepest, layer)
    return deepest


def module_stats(module: Module) -> Stats:
    """Stats summed over the module's circuits."""
    total = Stats()
    for circuit in module.circuits:
        total = total + circuit_stats(circuit)
    return total

