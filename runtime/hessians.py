"""Hessians of a circuit's results: shift rules applied twice (see `compiler.autodiff.hessian`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from qdl.compiler.autodiff import GradientProgram
from qdl.compiler.autodiff.hessian import HessianProgram
from qdl.compiler.autodiff.linearize import linear_circuit, shifted_many
from qdl.compiler.ir import Var
from qdl.runtime import reference
from qdl.runtime.gradients import _by_argument, _chain, _expand, _recombine, _slot_derivatives


@dataclass(frozen=True)
class Hessian:
    """Values, gradients and Hessians of every result; `hessians[i][(a, b)]` has shape
    (B,) + result shape + shape of a + shape of b."""

    values: tuple[np.ndarray, ...]
    gradients: tuple[dict[str, np.ndarray], ...]
    hessians: tuple[dict[tuple[str, str], np.ndarray], ...]
    evaluations: int


def hessian(program: HessianProgram, args: Mapping[str, np.ndarray]) -> Hessian:
    """Second derivatives by the shift rules applied twice (`compiler.autodiff.hessian`)."""
    gradient = program.gradient
    linear = linear_circuit(gradient.circuit)
    batch = reference.batch_size(linear, args)
    values, slot_derivs, count = _slot_derivatives(gradient, linear, args, batch, "parameter-shift")
    first = _chain(gradient, slot_derivs, values, args, batch)
    runs = [values] + [reference.simulate(shifted_many(linear, gradient, e.shifts), args)
                       for e in program.evaluations[1:]]
    second = [np.zeros(f.shape + f.shape[-1:]) for f in first]
    column = {arg: n for n, arg in enumerate(gradient.elements)}
    factors = [[(column[p.arg], _numeric(p.derivative, args, batch)) for p in s.partials] for s in gradient.slots]
    for (i, j), terms in program.entries:
        for k, out in enumerate(second):
            h = sum((c * runs[n][k] for n, c in terms), np.zeros_like(values[k]))
            for (a, fa), (b, fb) in ((x, y) for x in factors[i] for y in factors[j]):
                out[..., a, b] += h * _expand(fa * fb, h)
                if i != j:
                    out[..., b, a] += h * _expand(fa * fb, h)
    _second_order_chain(gradient, slot_derivs, second, column, args, batch)
    hessians, gradients = _recombine_second(gradient.circuit.results, list(values), first, second)
    out_values, _ = _recombine(gradient.circuit.results, list(values), [{} for _ in values])
    return Hessian(tuple(out_values), tuple(_by_argument(gradient, g) for g in gradients),
                   tuple(_by_pair(gradient, h) for h in hessians), count + len(runs) - 1)


def _numeric(expr, args: Mapping[str, np.ndarray], batch: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(expr.evaluate(args), np.float64), (batch,))


def _second_order_chain(program, slot_derivs, second, column, args, batch) -> None:
    """Σ_i ∂f/∂θi ∂²θi/∂a∂b, for angles nonlinear in the arguments."""
    for slot in program.slots:
        for pa in slot.partials:
            for pb in slot.partials:
                d2 = _numeric(pa.derivative.diff(pb.arg), args, batch)
                for k, out in enumerate(second):
                    g = slot_derivs[k][(slot.op, slot.param)]
                    out[..., column[pa.arg], column[pb.arg]] += g * _expand(d2, g)


def _recombine_second(results, values, first, second):
    """Var'' = <H²>'' - 2(<H> <H>'' + <H>' <H>'ᵀ); linear results pass through."""
    hessians, gradients = [], []
    for result in results:
        mean, mean_g, mean_h = values.pop(0), first.pop(0), second.pop(0)
        if not isinstance(result, Var):
            gradients.append(mean_g)
            hessians.append(mean_h)
            continue
        values.pop(0)
        sq_g, sq_h = first.pop(0), second.pop(0)
        gradients.append(sq_g - 2 * _expand(mean, mean_g) * mean_g)
        outer = mean_g[..., :, None] * mean_g[..., None, :]
        hessians.append(sq_h - 2 * (_expand(mean, mean_h) * mean_h + outer))
    return hessians, gradients


def _by_pair(program: GradientProgram, matrix: np.ndarray) -> dict[tuple[str, str], np.ndarray]:
    """Split the two element axes into blocks shaped (prefix) + shape of a + shape of b."""
    spans, start = {}, 0
    for name in program.wrt:
        argument = program.circuit.argument(name)
        assert argument is not None
        spans[name] = (start, start + argument.size, argument.shape)
        start += argument.size
    prefix = matrix.shape[:-2]
    return {(a, b): matrix[..., sa:ea, sb:eb].reshape(prefix + shape_a + shape_b)
            for a, (sa, ea, shape_a) in spans.items() for b, (sb, eb, shape_b) in spans.items()}
