"""A data re-uploading classifier on two moons, trained with PyTorch through `qdl.torch.QuantumLayer`.

Run:  python examples/reuploading_classifier.py [--quick] [--plot PATH | --no-plot]

The circuit is reuploading_classifier.qdl: two qubits, four layers that
each upload the point again with trainable input scales.  The data are two
interleaved half circles with Gaussian noise, generated here with numpy
(no scikit-learn), standardised with the training set's mean and spread.
The layer's `param` arguments (`scale`, `w`) are its `nn.Parameter`s; the
loss is the mean squared error between <Z> and the label +1 / -1, minimised
by `torch.optim.Adam` on the whole training set per step (the batch is one
kernel call; gradients by the adjoint method).  A point is class 1 when
<Z> < 0.  Prints the train and test accuracy and the wall time; exits 1 if
the test accuracy is below 90 % (80 % with `--quick`, which trains on fewer
points for fewer steps).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

import qdl
import qdl.torch

from _common import parse_args, save_curves


@dataclass(frozen=True)
class Budget:
    """Training and test set sizes, Adam steps, and the test accuracy the run must reach."""

    train: int = 300
    test: int = 300
    steps: int = 150
    target: float = 0.90


FULL, QUICK = Budget(), Budget(train=100, test=200, steps=60, target=0.80)


@dataclass
class ClassifierResult:
    """The accuracies, the loss per step, the wall time and the trained layer."""

    train_accuracy: float
    test_accuracy: float
    losses: list[float]
    seconds: float
    layer: torch.nn.Module = field(repr=False)


def two_moons(n: int, rng: np.random.Generator, noise: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """n points of the plane and their labels: class 0 on the upper moon, class 1 on the lower."""
    t = rng.uniform(0, np.pi, n)
    labels = rng.integers(0, 2, n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    points = np.where(labels[:, None] == 0, upper, lower)
    return points + rng.normal(0, noise, points.shape), labels


def accuracy(layer: torch.nn.Module, x: torch.Tensor, labels: np.ndarray) -> float:
    with torch.no_grad():
        return float(((layer(x) < 0).numpy() == labels).mean())


def train(budget: Budget, seed: int = 0) -> ClassifierResult:
    """Train on fresh data; the accuracies, the loss per step and the wall time."""
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    (x_train, y_train), (x_test, y_test) = two_moons(budget.train, rng), two_moons(budget.test, rng)
    mean, spread = x_train.mean(axis=0), x_train.std(axis=0)
    inputs = lambda x: torch.tensor((x - mean) / spread, dtype=torch.float32)
    program = qdl.load(Path(__file__).with_name("reuploading_classifier.qdl"))
    layer = qdl.torch.QuantumLayer(program.classify, init=lambda argument: rng.normal(0, 1, argument.shape))
    optimizer = torch.optim.Adam(layer.parameters(), lr=0.05)
    x, target = inputs(x_train), torch.tensor(1.0 - 2.0 * y_train, dtype=torch.float32)
    losses = []
    for _ in range(budget.steps):
        optimizer.zero_grad()
        loss = ((layer(x) - target) ** 2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return ClassifierResult(accuracy(layer, x, y_train), accuracy(layer, inputs(x_test), y_test), losses,
                            time.perf_counter() - start, layer)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args("reuploading_classifier", __doc__, argv)
    budget = QUICK if args.quick else FULL
    result = train(budget)
    print(f"two moons: {budget.train} training and {budget.test} test points; {result.layer}")
    print(f"loss {result.losses[0]:.4f} -> {result.losses[-1]:.4f} after {budget.steps} Adam steps")
    print(f"accuracy: train {result.train_accuracy:.1%}, test {result.test_accuracy:.1%} "
          f"(target {budget.target:.0%}); wall time {result.seconds:.2f} s")
    save_curves(args.plot, {"training loss": result.losses}, title="Re-uploading classifier (two moons)",
                xlabel="Adam step", ylabel="mean squared error")
    return 0 if result.test_accuracy >= budget.target else 1


if __name__ == "__main__":
    sys.exit(main())
