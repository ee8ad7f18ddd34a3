"""Run a metric program: the (block-)diagonal Fubini–Study metric in argument space.

Each block of `compiler.autodiff.metric` is one circuit (the layer's prefix)
returning <G_i> and <G_i G_j>; one simulation gives the block's covariance
g_ij = <G_i G_j> - <G_i><G_j> in angle space, and the chain rule maps it to
the trained argument elements: Σ_blocks Jᵀ g J with J[i, a] = ∂angle_i/∂a.

Arguments are batched like `reference.simulate`: shape (B,) + argument shape;
the metric has shape (B, P, P), P = number of trained argument elements.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from qdl.compiler.autodiff.metric import MetricBlock, MetricProgram
from qdl.compiler.ir import Circuit
from qdl.runtime import reference


def metric_tensor(program: MetricProgram, args: Mapping[str, np.ndarray], backend: str = "reference") -> np.ndarray:
    """The metric of `program.circuit`'s state at `args` (batched): shape (B, P, P), symmetric."""
    batch = reference.batch_size(program.circuit, args)
    column = {arg: k for k, arg in enumerate(program.elements)}
    metric = np.zeros((batch, len(column), len(column)))
    for block in program.blocks:
        covariance = _covariance(block, _run(block.prefix, args, backend), batch)
        jacobian = np.zeros((batch, len(block.slots), len(column)))
        for i, slot in enumerate(block.slots):
            for partial in slot.partials:
                factor = np.asarray(partial.derivative.evaluate(args), dtype=np.float64)
                jacobian[:, i, column[partial.arg]] += np.broadcast_to(factor, (batch,))
        metric += np.einsum("bip,bij,bjq->bpq", jacobian, covariance, jacobian)
    return metric


def _covariance(block: MetricBlock, values: tuple[np.ndarray, ...], batch: int) -> np.ndarray:
    """(B, k, k) covariances of the layer's generators; pairs not evaluated ("diag") stay 0."""
    count = len(block.slots)
    means = np.stack([np.broadcast_to(v, (batch,)) for v in values[:count]], axis=1)
    out = np.zeros((batch, count, count))
    for (i, j), second in zip(block.pairs, values[count:]):
        out[:, i, j] = out[:, j, i] = second - means[:, i] * means[:, j]
    return out


def _run(circuit: Circuit, args: Mapping[str, np.ndarray], backend: str) -> tuple[np.ndarray, ...]:
    """All expectations of one block in one simulation; the LLVM kernel is cached by circuit."""
    if backend == "llvm":
        from qdl.runtime import llvm
        try:
            return llvm.run(circuit, args)
        except llvm.Unsupported:
            pass
    return reference.simulate(circuit, args)
