"""Gradients estimated from shots: parameter shift on sampled expectations, with standard errors."""

from __future__ import annotations

from dataclasses import replace
from typing import Mapping

import numpy as np

from qdl.compiler.autodiff import AutodiffError, GradientProgram
from qdl.compiler.autodiff.linearize import linear_circuit, shifted_circuit
from qdl.compiler.ir import Circuit, ExpVal, Observable, PauliTerm, Probs, Var
from qdl.runtime import reference
from qdl.runtime.gradients import (Jacobian, _by_argument, _chain, _expand)


def sampled_jacobian(program: GradientProgram, args: Mapping[str, np.ndarray], method: str,
                     shots: int, seed: int | None) -> Jacobian:
    """Parameter-shift estimates from `shots` samples per circuit evaluation and Pauli term.

    Each Pauli term of an `expval` is measured in its own basis: its estimate is
    2k/N - 1 with k ~ Binomial(N, (1 + <P>)/2), variance (1 - est²)/N; `probs`
    are multinomial frequencies, variance p(1-p)/N per entry.  Evaluations are
    independent, so variances add with squared coefficients through the shift
    rules and the chain rule; `standard_errors` are their square roots.
    """
    if method not in ("best", "parameter-shift"):
        raise AutodiffError(f"with shots, gradients are estimated by parameter shift, not `{method}`")
    linear = linear_circuit(program.circuit)
    batch = reference.batch_size(linear, args)
    rng = np.random.default_rng(seed)
    values, variances = _estimate(linear, args, shots, rng)
    derivs: list[dict] = [{} for _ in values]
    spreads: list[dict] = [{} for _ in values]
    for slot in program.slots:
        runs = [_estimate(shifted_circuit(linear, slot.op, slot.param, t.shift), args, shots, rng)
                for t in slot.rule.terms]
        for k in range(len(values)):
            key = (slot.op, slot.param)
            derivs[k][key] = sum(t.coeff * run[0][k] for t, run in zip(slot.rule.terms, runs))
            spreads[k][key] = sum(t.coeff**2 * run[1][k] for t, run in zip(slot.rule.terms, runs))
    columns = _chain(program, derivs, values, args, batch)
    spreads = _chain(program, spreads, values, args, batch, power=2)
    out = _recombine_sampled(program.circuit.results, values, variances, columns, spreads)
    return Jacobian(tuple(v for v, _, _ in out), tuple(_by_argument(program, d) for _, d, _ in out),
                    "parameter-shift", 1 + program.shifted_evaluations,
                    tuple(_by_argument(program, np.sqrt(e)) for _, _, e in out))


def _recombine_sampled(results, values, variances, derivs, spreads):
    """(value, derivative, variance of the derivative) per result; `var` by the delta method:
    Var' = <H²>' - 2<H><H>', with <H>, <H>' and <H²>' estimated independently."""
    items = list(zip(values, variances, derivs, spreads))
    out = []
    for result in results:
        mean, mean_var, d, d_var = items.pop(0)
        if not isinstance(result, Var):
            out.append((mean, d, d_var))
            continue
        second, _, d2, d2_var = items.pop(0)
        m = _expand(mean, d)
        spread = d2_var + 4 * m**2 * d_var + 4 * d**2 * _expand(mean_var, d)
        out.append((second - mean**2, d2 - 2 * m * d, spread))
    return out


def _estimate(circuit: Circuit, args: Mapping[str, np.ndarray], shots: int,
              rng: np.random.Generator) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Sampled estimates of the linear results and their variances."""
    units = [ExpVal(Observable((PauliTerm(1.0, t.paulis),)))
             for r in circuit.results if isinstance(r, ExpVal) for t in r.observable.terms]
    exact = list(reference.simulate(replace(circuit, results=tuple(units)), args)) if units else []
    probs = [r for r in circuit.results if isinstance(r, Probs)]
    exact_probs = list(reference.simulate(replace(circuit, results=tuple(probs)), args)) if probs else []
    batch = reference.batch_size(circuit, args)
    means, variances = [], []
    for result in circuit.results:
        if isinstance(result, Probs):
            p = np.clip(exact_probs.pop(0), 0.0, None)
            counts = np.stack([rng.multinomial(shots, row / row.sum()) for row in p])
            means.append(counts / shots)
            variances.append(means[-1] * (1 - means[-1]) / shots)
            continue
        mean, variance = np.zeros(batch), np.zeros(batch)
        for term in result.observable.terms:
            value = exact.pop(0)
            if not term.paulis:  # the identity: no measurement needed
                mean = mean + term.coeff * value
                continue
            estimate = 2 * rng.binomial(shots, np.clip((1 + value) / 2, 0.0, 1.0)) / shots - 1
            mean = mean + term.coeff * estimate
            variance = variance + term.coeff**2 * (1 - estimate**2) / shots
        means.append(mean)
        variances.append(variance)
    return means, variances
