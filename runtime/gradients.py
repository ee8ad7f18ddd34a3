"""Run a gradient program on the reference simulator: Jacobians of a circuit's results.

Every result is first written as *linear* results, expectations of fixed
operators (`compiler.autodiff.linearize`): `expval` and `probs` are linear
already; `var(H)` becomes `expval(H)` and `expval(H²)`, recombined here by
Var' = <H²>' - 2<H><H>'.  For linear results the derivative with respect to
one angle (a *slot*) is computed by one of the methods below, and the chain
rule of the program turns slot derivatives into argument derivatives:

* `parameter-shift`: Σ coeff · f(circuit with that angle shifted), the slot's
  shift rule; one simulation per shifted circuit serves every result and
  every `probs` entry; the unshifted value is simulated once.
* `adjoint`: one backward sweep per expectation (`runtime.adjoint`); for
  circuits without mid-circuit measurement, reset or conditions.
* `finite-diff`: central differences of the linear results in each argument
  element, step `FD_STEP` = ε^(1/3) ≈ 6e-6 (ε = machine epsilon: balances the
  O(h²) truncation and O(ε/h) rounding errors, ~1e-10 absolute).
* `best`: adjoint when it applies, else parameter shift.

Arguments are batched like `reference.simulate`: shape (B,) + argument shape.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping

import numpy as np

from qdl.compiler.autodiff import AutodiffError, GradientProgram
from qdl.compiler.autodiff.hessian import HessianProgram
from qdl.compiler.autodiff.linearize import linear_circuit, shifted_circuit, shifted_many
from qdl.compiler.ir import Circuit, ExpVal, Observable, PauliTerm, Probs, Result, Var
from qdl.runtime import reference
from qdl.runtime.adjoint import adjoint_derivatives, adjoint_unsupported

METHODS = ("best", "parameter-shift", "adjoint", "finite-diff")
FD_STEP = float(np.finfo(np.float64).eps ** (1 / 3))


@dataclass(frozen=True)
class Jacobian:
    """Values and derivatives of every result of a circuit, batched.

    `values[i]` has shape (B,) + result shape; `derivatives[i][name]` has shape
    (B,) + result shape + argument shape.  `evaluations` counts circuit
    simulations (each over the whole batch).
    """

    values: tuple[np.ndarray, ...]
    derivatives: tuple[dict[str, np.ndarray], ...]
    method: str
    evaluations: int
    standard_errors: tuple[dict[str, np.ndarray], ...] | None = None  # with shots only


def choose_method(program: GradientProgram, method: str) -> str:
    """Resolve `best`, and reject unknown or inapplicable methods with a clear message."""
    if method not in METHODS:
        raise AutodiffError(f"unknown differentiation method `{method}`; choose one of {', '.join(METHODS)}")
    linear = linear_circuit(program.circuit)
    why = adjoint_unsupported(linear)
    if method == "best":
        return "parameter-shift" if why else "adjoint"
    if method == "adjoint" and why:
        raise AutodiffError(f"circuit `{program.circuit.name}`: {why}; use method=\"parameter-shift\"")
    return method


def jacobian(program: GradientProgram, args: Mapping[str, np.ndarray], method: str = "best",
             shots: int | None = None, seed: int | None = None) -> Jacobian:
    """Values and Jacobians of `program.circuit`'s results at `args` (batched).

    With `shots`, values and derivatives are estimated from samples (parameter
    shift only; see `sampled_jacobian`).
    """
    if shots is not None:
        return sampled_jacobian(program, args, method, shots, seed)
    method = choose_method(program, method)
    linear = linear_circuit(program.circuit)
    batch = reference._batch_size(linear, args)
    if method == "finite-diff":
        values, columns, count = _finite_diff(program, linear, args)
    else:
        values, slot_derivs, count = _slot_derivatives(program, linear, args, batch, method)
        columns = _chain(program, slot_derivs, values, args, batch)
    linear_derivs = [_by_argument(program, c) for c in columns]
    out_values, out_derivs = _recombine(program.circuit.results, list(values), linear_derivs)
    return Jacobian(tuple(out_values), tuple(out_derivs), method, count)


# --- recombination of linear results ------------------------------------------------------


def _recombine(results: tuple[Result, ...], values: list[np.ndarray],
               derivs: list[dict[str, np.ndarray]]) -> tuple[list[np.ndarray], list[dict[str, np.ndarray]]]:
    out_values, out_derivs = [], []
    for result in results:
        if not isinstance(result, Var):
            out_values.append(values.pop(0))
            out_derivs.append(derivs.pop(0))
            continue
        mean, mean_d = values.pop(0), derivs.pop(0)
        second, second_d = values.pop(0), derivs.pop(0)
        out_values.append(second - mean**2)
        out_derivs.append({name: second_d[name] - 2 * _expand(mean, d) * d for name, d in mean_d.items()})
    return out_values, out_derivs


def _expand(values: np.ndarray, like: np.ndarray) -> np.ndarray:
    return values.reshape(values.shape + (1,) * (like.ndim - values.ndim))


# --- slot derivatives --------------------------------------------------------------------


def _slot_derivatives(program: GradientProgram, linear: Circuit, args: Mapping[str, np.ndarray],
                      batch: int, method: str):
    """(values, [per linear result: {(op, param): ∂/∂angle}], simulations)."""
    values = reference.simulate(linear, args)
    keys = [(s.op, s.param) for s in program.slots]
    if method == "adjoint":
        return values, adjoint_derivatives(linear, keys, args, batch), 1
    derivs: list[dict[tuple[int, int], np.ndarray]] = [{} for _ in values]
    count = 1
    for slot in program.slots:
        total = [np.zeros_like(v) for v in values]
        for term in slot.rule.terms:
            shifted = reference.simulate(shifted_circuit(linear, slot.op, slot.param, term.shift), args)
            count += 1
            for acc, value in zip(total, shifted):
                acc += term.coeff * value
        for k, acc in enumerate(total):
            derivs[k][(slot.op, slot.param)] = acc
    return values, derivs, count


def _chain(program: GradientProgram, slot_derivs, values, args: Mapping[str, np.ndarray],
           batch: int, power: int = 1) -> list[np.ndarray]:
    """Per linear result: (B,) + result shape + (elements,), by the program's chain rule.

    With power=2 the partials are squared: variances of independent slot estimates.
    """
    column = {arg: i for i, arg in enumerate(program.elements)}
    out = [np.zeros(np.shape(v) + (len(column),)) for v in values]
    for slot in program.slots:
        for partial in slot.partials:
            factor = np.broadcast_to(np.asarray(partial.derivative.evaluate(args), np.float64), (batch,)) ** power
            for k, derivs in enumerate(slot_derivs):
                d = derivs[(slot.op, slot.param)]
                out[k][..., column[partial.arg]] += d * _expand(factor, d)
    return out


def _by_argument(program: GradientProgram, columns: np.ndarray) -> dict[str, np.ndarray]:
    """Split the element axis into one array per argument, shaped like the argument."""
    out, start = {}, 0
    for name in program.wrt:
        argument = program.circuit.argument(name)
        assert argument is not None
        block = columns[..., start:start + argument.size]
        out[name] = block.reshape(columns.shape[:-1] + argument.shape)
        start += argument.size
    return out


# --- finite differences ------------------------------------------------------------------


def _finite_diff(program: GradientProgram, linear: Circuit, args: Mapping[str, np.ndarray]):
    values = reference.simulate(linear, args)
    out = [np.zeros(np.shape(v) + (len(program.elements),)) for v in values]
    for column, arg in enumerate(program.elements):
        plus = reference.simulate(linear, _nudged(args, arg.name, arg.index, FD_STEP))
        minus = reference.simulate(linear, _nudged(args, arg.name, arg.index, -FD_STEP))
        for k, (p, m) in enumerate(zip(plus, minus)):
            out[k][..., column] = (p - m) / (2 * FD_STEP)
    return values, out, 1 + 2 * len(program.elements)


def _nudged(args: Mapping[str, np.ndarray], name: str, index: tuple[int, ...], step: float):
    value = np.array(args[name], dtype=np.float64)  # a copy: bound arrays may be broadcast views
    value[(Ellipsis, *index)] += step
    return {**args, name: value}


# --- Hessians ------------------------------------------------------------------------------


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
    batch = reference._batch_size(linear, args)
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


# --- shots ------------------------------------------------------------------------------------


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
    batch = reference._batch_size(linear, args)
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
    batch = reference._batch_size(circuit, args)
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
