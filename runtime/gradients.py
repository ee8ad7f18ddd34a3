"""Run a gradient program on the reference simulator: Jacobians of a circuit's results.

Every result is first written as *linear* results, expectations of fixed
operators (`compiler.autodiff.linearize`): `expval` and `probs` are linear
already; `var(H)` becomes `expval(H)` and `expval(H²)`, recombined here by
Var' = <H²>' - 2<H><H>'.  For linear results the derivative with respect to
one angle (a *slot*) is computed by one of the methods below, and the chain
rule of the program turns slot derivatives into argument derivatives:

* `parameter-shift`: Σ coeff · f(circuit with that angle shifted), the slot's
  shift rule; one simulation per shifted circuit serves every result and
  every `probs` entry; the unshifted value is simulated once.  On the `llvm`
  back end all shifted evaluations are slot vectors of one kernel batch
  (`runtime.llvm.shift`).
* `adjoint`: one backward sweep per expectation (`runtime.adjoint`); for
  circuits without mid-circuit measurement, reset or conditions.  On the
  `llvm` back end one compiled forward and backward sweep serves every
  expectation (`runtime.llvm.adjoint`).
* `finite-diff`: central differences of the linear results in each argument
  element, step `FD_STEP` = ε^(1/3) ≈ 6e-6 (ε = machine epsilon: balances the
  O(h²) truncation and O(ε/h) rounding errors, ~1e-10 absolute).
* `best`: adjoint when it applies, else parameter shift.

On the `llvm` back end, parameter shift's batch and the compiled adjoint's
batch run on an executor (`runtime.executors`: this process's threads, or a
Dask cluster), given by `executor=`; the reference paths, finite differences
and shots always run in this process.

`precision="single"` (llvm only) runs parameter shift's batch and the
compiled adjoint on complex64 states (their sums in double); finite
differences always run on the reference in double (their step needs
double's resolution).

Arguments are batched like `reference.simulate`: shape (B,) + argument shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from qdl.compiler.autodiff import AutodiffError, GradientProgram
from qdl.compiler.autodiff.linearize import linear_circuit, shifted_circuit
from qdl.compiler.ir import Circuit, Result, Var
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
    why = _adjoint_unsupported(program)
    if method == "best":
        return "parameter-shift" if why else "adjoint"
    if method == "adjoint" and why:
        raise AutodiffError(f"circuit `{program.circuit.name}`: {why}; use method=\"parameter-shift\"")
    return method


_LINEAR: dict[int, tuple[GradientProgram, Circuit, str | None]] = {}  # id -> (program kept alive, linear, reason)


def _linear(program: GradientProgram) -> tuple[Circuit, str | None]:
    """The program's linear circuit and `adjoint_unsupported` of it, once per program: both walk every op."""
    hit = _LINEAR.get(id(program))
    if hit is None or hit[0] is not program:
        if len(_LINEAR) >= 256:
            del _LINEAR[next(iter(_LINEAR))]
        linear = linear_circuit(program.circuit)
        hit = _LINEAR[id(program)] = (program, linear, adjoint_unsupported(linear))
    return hit[1], hit[2]


def _adjoint_unsupported(program: GradientProgram) -> str | None:
    return _linear(program)[1]


def jacobian(program: GradientProgram, args: Mapping[str, np.ndarray], method: str = "best",
             shots: int | None = None, seed: int | None = None, backend: str = "reference",
             precision: str = "double", executor: Any = None) -> Jacobian:
    """Values and Jacobians of `program.circuit`'s results at `args` (batched).

    With `shots`, values and derivatives are estimated from samples (parameter
    shift only; see `sampled_jacobian`).  `backend="llvm"` runs the adjoint
    method in compiled code, and parameter shift as one batch through one kernel,
    both on states of the given `precision`, on `executor` (default: one thread here).
    """
    if shots is not None:
        from qdl.runtime.shots import sampled_jacobian  # shots build on this module's helpers
        return sampled_jacobian(program, args, method, shots, seed)
    method = choose_method(program, method)
    linear = _linear(program)[0]
    batch = reference.batch_size(linear, args)
    if method == "finite-diff":
        values, columns, count = _finite_diff(program, linear, args)
    elif method == "adjoint" and backend == "llvm":
        values, columns, count = _llvm_adjoint(program, linear, args, batch, precision, executor)
    elif backend == "llvm":
        values, slot_derivs, count = _llvm_shift(program, linear, args, batch, method, precision, executor)
        columns = _chain(program, slot_derivs, values, args, batch)
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


def _llvm_shift(program: GradientProgram, linear: Circuit, args: Mapping[str, np.ndarray], batch: int,
                method: str, precision: str = "double", executor: Any = None):
    """Parameter shift as one batch of shifted slot vectors through one LLVM kernel (`runtime.llvm.shift`)."""
    from qdl.runtime.llvm import Unsupported
    from qdl.runtime.llvm.shift import shift_derivatives
    try:
        return shift_derivatives(program, linear, args, batch, precision=precision, executor=executor)
    except Unsupported:  # mid-circuit measurement, reset or conditions: one reference run per shift
        return _slot_derivatives(program, linear, args, batch, method)


def _llvm_adjoint(program: GradientProgram, linear: Circuit, args: Mapping[str, np.ndarray], batch: int,
                  precision: str = "double", executor: Any = None):
    """The adjoint kernel of the LLVM back end; circuits it cannot compile take the numpy sweep."""
    from qdl.runtime.llvm import Unsupported
    from qdl.runtime.llvm.adjoint import linear_jacobian
    try:
        return linear_jacobian(program, linear, args, batch, precision, executor)
    except Unsupported:
        values, slot_derivs, count = _slot_derivatives(program, linear, args, batch, "adjoint")
        return values, _chain(program, slot_derivs, values, args, batch), count


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
