"""MaxCut by QAOA on random 3-regular graphs (networkx), trained with qdl.optim, p = 1, 2, 3.

Run:  python examples/qaoa_maxcut.py [--quick] [--plot PATH | --no-plot]

The circuit is qaoa_maxcut.qdl.  A qdl graph is compile-time data: edge
indices pick qubits, and the compiler must know every qubit index, so a
circuit cannot take its edges as an argument.  The `.qdl` file is therefore
a complete program for one example graph whose three constants `N`, `EDGES`
and `P` this script replaces, by exact line match, with each networkx graph
and depth before compiling the text with `qdl.compile` (one program per
graph and p).  Everything else (the QAOA layers from the standard library,
the cut observable) stays as written in the file.

Training maximises the expected cut <CUT> with Adam from `qdl.optim` and
exact (adjoint) gradients.  The restarts run as one batched call: row r of
gamma, beta is restart r, and Adam updates every entry independently.  Row 0
starts from the best p - 1 angles with one more layer of angle 0 (the same
state, so depth never loses), the others at random.  The approximation
ratio is the best expected cut over the maximum cut, found by brute force
over all 2**N colourings.  `--quick`: one 8-node graph, fewer restarts and
steps.
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import networkx as nx
import numpy as np

import qdl
from qdl.optim import Adam

from _common import parse_args, save_curves

TEMPLATE = Path(__file__).with_name("qaoa_maxcut.qdl")


@dataclass(frozen=True)
class Budget:
    """How much work a run does: graphs as (nodes, seed), depths, restarts, Adam steps."""

    graphs: tuple[tuple[int, int], ...]
    depths: tuple[int, ...] = (1, 2, 3)
    restarts: int = 8
    steps: int = 150


FULL = Budget(graphs=((8, 0), (10, 0), (12, 0)))
QUICK = Budget(graphs=((8, 0),), restarts=4, steps=50)


@dataclass
class DepthResult:
    """The best angles found at one depth p and what they give."""

    p: int
    gamma: np.ndarray
    beta: np.ndarray
    expected_cut: float
    ratio: float
    p_max_cut: float  # probability that a measurement gives a maximum cut
    history: list[float]  # best expected cut over the restarts, per step


def source_for(nodes: int, edges: list[tuple[int, int]], p: int) -> str:
    """The text of qaoa_maxcut.qdl with its constants N, EDGES and P set to this graph and depth."""
    values = {"N": str(nodes), "EDGES": str([list(e) for e in edges]), "P": str(p)}
    text = TEMPLATE.read_text()
    for name, value in values.items():
        text, count = re.subn(rf"^const {name} = .*;$", f"const {name} = {value};", text, flags=re.M)
        if count != 1:
            raise ValueError(f"{TEMPLATE.name} should declare `const {name}` on one line, found {count}")
    return text


def cut_sizes(nodes: int, edges: list[tuple[int, int]]) -> np.ndarray:
    """The number of cut edges of every colouring; bit i of the index is the side of node i."""
    sides = (np.arange(2**nodes)[:, None] >> np.arange(nodes)) & 1
    return sum(sides[:, a] != sides[:, b] for a, b in edges)


def train_depth(program: qdl.Program, p: int, warm: DepthResult | None, budget: Budget,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """Adam on all restarts at once; the best (gamma, beta) seen and the best cut per step."""
    gamma = rng.uniform(-0.6, 0.6, (budget.restarts, p))
    beta = rng.uniform(-0.8, 0.8, (budget.restarts, p))
    if warm is not None:
        gamma[0], beta[0] = np.append(warm.gamma, 0.0), np.append(warm.beta, 0.0)
    optimizer, best, history = Adam(lr=0.05), (-np.inf, gamma[0], beta[0]), []
    for _ in range(budget.steps + 1):
        cuts, (d_gamma, d_beta) = program.expected_cut.value_and_grad(gamma, beta)
        top = int(np.argmax(cuts))
        if cuts[top] > best[0]:
            best = (float(cuts[top]), gamma[top].copy(), beta[top].copy())
        history.append(best[0])
        gamma, beta = optimizer.step((gamma, beta), (-d_gamma, -d_beta))  # ascend the cut
    return best[1], best[2], history


def regular_graph(nodes: int, seed: int) -> list[tuple[int, int]]:
    """The edges (a, b), a < b, of networkx's random 3-regular graph for this seed."""
    return sorted(tuple(sorted(e)) for e in nx.random_regular_graph(3, nodes, seed=seed).edges())


def solve(nodes: int, edges: list[tuple[int, int]], budget: Budget,
          rng: np.random.Generator) -> tuple[int, list[DepthResult]]:
    """The maximum cut of the graph and QAOA's result at each depth."""
    sizes = cut_sizes(nodes, edges)
    best_cut, results = int(sizes.max()), []
    for p in budget.depths:
        program = qdl.compile(source_for(nodes, edges, p), TEMPLATE.name, base_dir=TEMPLATE.parent)
        gamma, beta, history = train_depth(program, p, results[-1] if results else None, budget, rng)
        probs = program.cut_probabilities(gamma, beta)
        results.append(DepthResult(p, gamma, beta, history[-1], history[-1] / best_cut,
                                   float(probs[sizes == best_cut].sum()), history))
    return best_cut, results


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args("qaoa_maxcut", __doc__, argv)
    budget = QUICK if args.quick else FULL
    rng, curves, ok = np.random.default_rng(7), {}, True
    for nodes, seed in budget.graphs:
        start = time.perf_counter()
        edges = regular_graph(nodes, seed)
        best_cut, results = solve(nodes, edges, budget, rng)
        print(f"3-regular graph, {nodes} nodes (networkx seed {seed}), {len(edges)} edges: "
              f"maximum cut {best_cut} (brute force)")
        for r in results:
            print(f"  p = {r.p}: expected cut {r.expected_cut:.4f}  ratio {r.ratio:.4f}  "
                  f"P(maximum cut) {r.p_max_cut:.3f}")
            curves[f"n={nodes}, p={r.p}"] = [h / best_cut for h in r.history]
        print(f"  {budget.restarts} restarts x {budget.steps} Adam steps per p, "
              f"wall time {time.perf_counter() - start:.2f} s")
        ratios = [r.ratio for r in results]
        ok = ok and ratios[0] > 0.6924 and all(b >= a - 1e-9 for a, b in zip(ratios, ratios[1:]))
    save_curves(args.plot, curves, title="QAOA MaxCut: best ratio so far", xlabel="Adam step",
                ylabel="expected cut / maximum cut")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
