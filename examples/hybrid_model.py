"""A hybrid PyTorch model: a linear layer, a qdl circuit and another linear layer, trained together.

Run:  python examples/hybrid_model.py [--quick] [--plot PATH | --no-plot]

The task: tell the inner of two noisy concentric circles from the outer one
(generated here with numpy), which no linear model can.  The model is

    x (2) -> nn.Linear(2, 4) -> pi * tanh -> qdl circuit (4 qubits) -> nn.Linear(4, 1) -> logit

where the circuit is hybrid_model.qdl wrapped in `qdl.torch.QuantumLayer`
(its weights `w` are an `nn.Parameter` of the declared shape (2, 4, 3)).
`torch.optim.Adam` trains all three parts on the binary cross-entropy; one
`loss.backward()` reaches the classical weights through the circuit (its
derivatives with respect to the data `x`) and the circuit's own weights.
Prints the loss before and after, the gradient norm of each part at the
first step, the test accuracy and the wall time; exits 1 unless the loss
fell and every part got a nonzero gradient.  `--quick` trains on fewer
points for fewer steps.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch import nn

import qdl
import qdl.torch

from _common import parse_args, save_curves


@dataclass(frozen=True)
class Budget:
    """Training and test set sizes and Adam steps."""

    train: int = 200
    test: int = 200
    steps: int = 120


FULL, QUICK = Budget(), Budget(train=64, test=100, steps=25)


class HybridModel(nn.Module):
    """Linear encoder, quantum layer, linear read-out."""

    def __init__(self, circuit: qdl.api.CircuitFunction) -> None:
        super().__init__()
        self.encoder = nn.Linear(2, 4)
        self.quantum = qdl.torch.QuantumLayer(circuit)
        self.head = nn.Linear(4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        angles = torch.pi * torch.tanh(self.encoder(x))
        expectations = torch.stack(self.quantum(angles), dim=-1)  # four <Z_i> per point
        return self.head(expectations).squeeze(-1)


@dataclass
class HybridResult:
    """Losses per step, each part's gradient norm at the first step, the test accuracy, the time."""

    losses: list[float]
    grad_norms: dict[str, float]
    test_accuracy: float
    seconds: float
    model: HybridModel = field(repr=False)


def circles(n: int, rng: np.random.Generator, noise: float = 0.08) -> tuple[np.ndarray, np.ndarray]:
    """n points on two noisy circles: class 1 on radius 0.5, class 0 on radius 1."""
    labels = rng.integers(0, 2, n)
    t = rng.uniform(0, 2 * np.pi, n)
    radius = np.where(labels == 1, 0.5, 1.0)
    points = radius[:, None] * np.stack([np.cos(t), np.sin(t)], axis=1)
    return points + rng.normal(0, noise, points.shape), labels


def gradient_norms(model: HybridModel) -> dict[str, float]:
    """The norm of the gradient that reached each part of the model."""
    parts = {"encoder (nn.Linear)": model.encoder, "quantum (qdl)": model.quantum, "head (nn.Linear)": model.head}
    return {name: float(torch.cat([p.grad.flatten() for p in part.parameters()]).norm())
            for name, part in parts.items()}


def train(budget: Budget, seed: int = 0) -> HybridResult:
    start = time.perf_counter()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    (x_train, y_train), (x_test, y_test) = circles(budget.train, rng), circles(budget.test, rng)
    model = HybridModel(qdl.load(Path(__file__).with_name("hybrid_model.qdl")).features)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    x, y = torch.tensor(x_train, dtype=torch.float32), torch.tensor(y_train, dtype=torch.float32)
    losses, norms = [], {}
    for step in range(budget.steps):
        optimizer.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(model(x), y)
        loss.backward()
        norms = norms or gradient_norms(model)
        optimizer.step()
        losses.append(loss.item())
    with torch.no_grad():
        predicted = (model(torch.tensor(x_test, dtype=torch.float32)) > 0).numpy()
    return HybridResult(losses, norms, float((predicted == y_test).mean()), time.perf_counter() - start, model)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args("hybrid_model", __doc__, argv)
    budget = QUICK if args.quick else FULL
    result = train(budget)
    print(f"concentric circles: {budget.train} training and {budget.test} test points")
    print(result.model)
    print("gradient norm at the first step: "
          + ", ".join(f"{name} {norm:.3g}" for name, norm in result.grad_norms.items()))
    print(f"loss {result.losses[0]:.4f} -> {result.losses[-1]:.4f} after {budget.steps} Adam steps; "
          f"test accuracy {result.test_accuracy:.1%}; wall time {result.seconds:.2f} s")
    save_curves(args.plot, {"training loss": result.losses}, title="Hybrid model (concentric circles)",
                xlabel="Adam step", ylabel="binary cross-entropy")
    learned = result.losses[-1] < result.losses[0] and all(n > 0 for n in result.grad_norms.values())
    return 0 if learned else 1


if __name__ == "__main__":
    sys.exit(main())
