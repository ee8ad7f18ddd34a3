"""Adjoint differentiation on the reference simulator: one forward and one backward sweep.

For <H> with |ψ> = U_N ... U_1 |0>, keep |φ_k> = U_k ... U_1 |0> and
<λ_k| = <ψ| H U_N ... U_{k+1}; then ∂<H>/∂θ = 2 Re <λ_k| ∂U_k/∂θ |φ_{k-1}>.
The backward sweep applies U_k† to both vectors, so memory stays at two
states (plus one for the derivative) whatever the depth.

∂U/∂θ is exact: as a function of one parameter, every entry of a gate matrix
is Σ_λ C_λ e^{-iλθ} over the distinct eigenvalues λ of its generator (the
gate table's spectra include global phases for this reason).  Sampling the
matrix at K = #distinct eigenvalues shifts s_m and inverting the K×K matrix
V_mλ = e^{-iλ s_m} recovers the C_λ(θ); then ∂U/∂θ = Σ_λ -iλ C_λ(θ).
A control restricts the derivative to the controlled slice (zero elsewhere).

Supported: expectation values of circuits without mid-circuit measurements,
resets or conditions (terminal measurements are dropped first).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Mapping, Sequence

import numpy as np

from qdl.compiler.gates import GateSpec
from qdl.compiler.ir import Circuit, ExpVal, GateOp, Observable, Op
from qdl.runtime import reference as ref
from qdl.runtime.reference_results import apply_observable, state_axis


def adjoint_unsupported(circuit: Circuit) -> str | None:
    """Why the adjoint method cannot differentiate `circuit` (None when it can)."""
    if not all(isinstance(r, ExpVal) for r in circuit.results):
        return "the adjoint method differentiates expectation values only"
    if ref._is_dynamic(_ops(circuit)):
        return "the adjoint method needs a circuit without mid-circuit measurements, resets or conditions"
    return None


def _ops(circuit: Circuit) -> tuple[Op, ...]:
    return ref.without_terminal_measurements(circuit.ops, ref.z_diagonal_qubits(circuit))


def adjoint_derivatives(circuit: Circuit, slots: Sequence[tuple[int, int]], args: Mapping[str, np.ndarray],
                        batch: int) -> list[dict[tuple[int, int], np.ndarray]]:
    """Per ExpVal result: (op index, param index) -> ∂<H>/∂angle, shape (B,)."""
    wanted: dict[int, list[int]] = {}
    for op, param in slots:
        wanted.setdefault(op, []).append(param)
    return [_sweep(circuit, r.observable, wanted, args, batch) for r in circuit.results]


def _sweep(circuit: Circuit, observable: Observable, wanted: dict[int, list[int]],
           args: Mapping[str, np.ndarray], batch: int) -> dict[tuple[int, int], np.ndarray]:
    n = circuit.num_qubits
    ops = circuit.ops  # indices must match the program's; measurements are skipped below
    psi = ref._run_static(_ops(circuit), n, args, batch)
    lam = apply_observable(psi, observable, n)
    out: dict[tuple[int, int], np.ndarray] = {}
    for index in range(len(ops) - 1, -1, -1):
        op = ops[index]
        if not isinstance(op, GateOp):
            continue
        spec = ref._spec(op)
        inverse = np.conj(np.swapaxes(ref._matrix(op, spec, args), -1, -2))
        psi = ref._apply_gate(psi, op, inverse, n)
        for param in wanted.get(index, ()):
            dpsi = _apply_derivative(psi, op, matrix_derivative(op, spec, param, args), n)
            out[(index, param)] = 2 * np.sum(np.conj(lam) * dpsi, axis=tuple(range(1, psi.ndim))).real
        lam = ref._apply_gate(lam, op, inverse, n)
    return out


def matrix_derivative(op: GateOp, spec: GateSpec, param: int, args: Mapping[str, np.ndarray]) -> np.ndarray:
    """∂U/∂θ_param of the (uncontrolled) gate matrix, exact; see the module docstring."""
    return derivative_at(spec, param, [np.asarray(p.evaluate(args), dtype=np.float64) for p in op.params])


def derivative_at(spec: GateSpec, param: int, values: Sequence[np.ndarray]) -> np.ndarray:
    """∂U/∂θ_param at evaluated parameter `values` (arrays of any common shape S) -> S + (d, d)."""
    spectrum = spec.generator_eigenvalues[param]
    if spectrum is None:
        raise ValueError(f"gate `{spec.name}` has no generator spectrum")
    shifts, weights = _sample_weights(tuple(spectrum))
    values = np.broadcast_arrays(*values)
    total = None
    for s, w in zip(shifts, weights):
        sample = w * spec.matrix(*[v + s if j == param else v for j, v in enumerate(values)])
        total = sample if total is None else total + sample
    return total


@lru_cache(maxsize=None)
def _sample_weights(spectrum: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Shifts s_m and weights w_m with ∂U/∂θ = Σ_m w_m U(θ + s_m): w_m = Σ_λ -iλ (V⁻¹)_λm."""
    eigen = sorted({round(x, 12) for x in spectrum})
    span = eigen[-1] - eigen[0]
    step = 2 * math.pi / (len(eigen) * span) if span else 1.0
    shifts = step * np.arange(len(eigen))
    vandermonde = np.exp(-1j * np.outer(shifts, eigen))  # V[m, k] = e^{-iλ_k s_m}
    solve = np.linalg.inv(vandermonde)
    return shifts, (-1j * np.asarray(eigen)) @ solve


def _apply_derivative(psi: np.ndarray, op: GateOp, dmatrix: np.ndarray, n: int) -> np.ndarray:
    """∂U|ψ> for the op: the derivative on the controlled slice, 0 elsewhere; `psi` untouched."""
    if not op.controls:
        return ref._apply_matrix(psi, dmatrix, [state_axis(q, n) for q in op.qubits])
    index: list[object] = [slice(None)] * psi.ndim
    control_axes = [state_axis(c, n) for c in op.controls]
    for axis, value in zip(control_axes, op.control_values):
        index[axis] = int(value)
    targets = [state_axis(q, n) for q in op.qubits]
    shifted = [a - sum(c < a for c in control_axes) for a in targets]
    part = ref._apply_matrix(psi[tuple(index)], dmatrix, shifted)
    out = np.zeros(np.broadcast_shapes(psi.shape, (part.shape[0],) + psi.shape[1:]), dtype=np.complex128)
    out[tuple(index)] = part
    return out
