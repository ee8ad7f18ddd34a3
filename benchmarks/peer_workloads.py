"""The peer benchmark's workloads as library-neutral gate lists (perf_baselines.md).

Every library adapter (`peer_libraries.py`) translates the same `Workload`,
so qdl and its peers run the same circuit gate for gate.  Qubit numbering is
qdl's, little-endian: qubit i is bit i of a basis-state index.  Angles are
the textbook convention, RY(θ) = exp(-iθY/2); adapters of libraries with
another convention convert.  Every workload returns <Z0>.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Gate:
    """One gate: `name` in ry, rz, cx, h, cp, swap; controls come first in `qubits`.

    A rotation's angle is element `param` of the parameter vector; `cp` has a
    fixed `angle`.
    """

    name: str
    qubits: tuple[int, ...]
    param: int | None = None
    angle: float = 0.0


@dataclass(frozen=True)
class Workload:
    """A circuit on `n` qubits with `num_params` free angles, result <Z0>."""

    kind: str
    n: int
    gates: tuple[Gate, ...]
    num_params: int

    @property
    def label(self) -> str:
        return f"{self.kind} n={self.n}"

    def then(self, other: "Workload") -> "Workload":
        """This circuit followed by `other` (same qubits; `other`'s parameters renumbered after ours)."""
        shifted = tuple(g if g.param is None else Gate(g.name, g.qubits, g.param + self.num_params)
                        for g in other.gates)
        return Workload(f"{self.kind}+{other.kind}", self.n, self.gates + shifted,
                        self.num_params + other.num_params)


def ansatz(n: int, layers: int) -> Workload:
    """Hardware-efficient ansatz: per layer RY then RZ on every qubit, then the CNOT ring i -> i+1 mod n."""
    gates: list[Gate] = []
    for layer in range(layers):
        for q in range(n):
            first = 2 * (layer * n + q)
            gates += [Gate("ry", (q,), first), Gate("rz", (q,), first + 1)]
        gates += [Gate("cx", (q, (q + 1) % n)) for q in range(n)]
    return Workload("forward", n, tuple(gates), 2 * n * layers)


def qft(n: int) -> Workload:
    """Quantum Fourier transform: H and the controlled-phase ladder per qubit, then the final swaps."""
    gates: list[Gate] = []
    for target in range(n):
        gates.append(Gate("h", (target,)))
        gates += [Gate("cp", (control, target), angle=math.pi / 2 ** (control - target))
                  for control in range(target + 1, n)]
    gates += [Gate("swap", (q, n - 1 - q)) for q in range(n // 2)]
    return Workload("qft", n, tuple(gates), 0)
