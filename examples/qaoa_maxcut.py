"""MaxCut by QAOA: a batched grid search for p = 1, then a local refinement at p = 2.

Run:  python examples/qaoa_maxcut.py

The graph, the QAOA state and the cut observable are in qaoa_maxcut.qdl.
The whole p = 1 grid is one batched call (one row per (gamma, beta) pair);
a layer with both angles 0 is the identity, so p = 1 is gamma = [g, 0],
beta = [b, 0].  The approximation ratio is the expected cut over the
brute-force maximum cut.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

import qdl

N = 5
EDGES = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 0), (0, 2)]  # as in qaoa_maxcut.qdl


def max_cut() -> int:
    """The largest number of cut edges, by trying every 2-colouring."""
    return max(sum(s[a] != s[b] for a, b in EDGES) for s in itertools.product((0, 1), repeat=N))


def grid_search_p1(expected_cut, points: int = 41) -> tuple[float, float, float]:
    """The best (gamma, beta, cut) on a grid, evaluated in one batched call."""
    g, b = np.meshgrid(np.linspace(-np.pi / 2, np.pi / 2, points),
                       np.linspace(-np.pi / 2, np.pi / 2, points), indexing="ij")
    zeros = np.zeros(g.size)
    gamma = np.stack([g.ravel(), zeros], axis=1)  # shape (B, 2): layer 2 switched off
    beta = np.stack([b.ravel(), zeros], axis=1)
    cuts = expected_cut(gamma, beta)              # shape (B,)
    best = int(np.argmax(cuts))
    return float(g.ravel()[best]), float(b.ravel()[best]), float(cuts[best])


def refine(expected_cut, gamma: np.ndarray, beta: np.ndarray, steps: int = 30):
    """Coordinate search on all four p = 2 angles, shrinking the step."""
    angles = np.concatenate([gamma, beta])
    value = float(expected_cut(angles[:2], angles[2:]))
    step = 0.2
    for _ in range(steps):
        trials = [angles + sign * step * np.eye(4)[k] for k in range(4) for sign in (1, -1)]
        batch = np.array(trials)
        cuts = expected_cut(batch[:, :2], batch[:, 2:])
        k = int(np.argmax(cuts))
        if cuts[k] > value:
            angles, value = batch[k], float(cuts[k])
        else:
            step /= 2
    return angles[:2], angles[2:], value


def main() -> int:
    program = qdl.load(Path(__file__).with_name("qaoa_maxcut.qdl"))
    best = max_cut()
    print(f"graph: {N} nodes, {len(EDGES)} edges, maximum cut {best}")

    g, b, cut1 = grid_search_p1(program.expected_cut)
    print(f"p = 1: gamma = {g:+.4f}, beta = {b:+.4f}  expected cut {cut1:.4f}  "
          f"ratio {cut1 / best:.4f}")

    gamma, beta, cut2 = refine(program.expected_cut, np.array([g, 0.0]), np.array([b, 0.0]))
    print(f"p = 2: gamma = {np.round(gamma, 4)}, beta = {np.round(beta, 4)}  expected cut {cut2:.4f}  "
          f"ratio {cut2 / best:.4f}")

    probs = program.cut_probabilities(gamma, beta)
    top = int(np.argmax(probs))
    sides = [(top >> i) & 1 for i in range(N)]  # bit i of the index is node i
    cut = sum(sides[a] != sides[b] for a, b in EDGES)
    print(f"most likely assignment: {sides} (probability {probs[top]:.3f}), cuts {cut} edges")
    return 0 if cut2 >= cut1 > len(EDGES) / 2 else 1


if __name__ == "__main__":
    sys.exit(main())
