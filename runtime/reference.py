"""The numpy reference state-vector simulator: simple, exact, and the oracle in tests.

Qubit order.  Basis-state indices are little-endian, as in the IR and Qiskit:
bit i of an index is qubit i, so on 3 qubits `x q[0]` gives index 1 and
`x q[2]` index 4.  Internally a batch of states is an array of shape
`(B,) + (2,) * n` (the C-order reshape of the little-endian vector), so qubit
q lives on axis `1 + (n - 1 - q)`.  Gate matrices from `compiler.gates` are
written with their FIRST qubit as the MOST significant bit; `_apply_matrix`
reads the gate's local basis value from its qubits' axes in that order.

Results follow the same rule (`reference_results.py`): `Probs(qubits)` has bit
j of its index equal to `qubits[j]`; `State` is the little-endian vector;
`Sample` column j is `qubits[j]`.

Mid-circuit measurement, reset and classically conditioned gates are simulated
exactly by branching: a list of `Branch(weight, state, bits)`, split at every
measurement with both outcomes possible.  Circuits without them run fully
vectorised over the batch; circuits with them run one batch element at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np

from qdl.compiler.gates import GateSpec, lookup
from qdl.compiler.ir import (
    BarrierOp, Circuit, Condition, ExpVal, GateOp, MeasureOp, Op, ResetOp, Sample, State, Var,
)
from qdl.runtime import sampling
from qdl.runtime.reference_results import Weighted, results, state_axis

# Outcomes less likely than this are dropped instead of branched on (round-off only).
ZERO_PROBABILITY = 1e-12


@dataclass
class Branch:
    """One measurement history: its probability, its (normalised) state and bits."""

    weight: float
    state: np.ndarray  # (1,) + (2,) * n
    bits: tuple[int, ...]


def simulate(circuit: Circuit, args: Mapping[str, np.ndarray], *, shots: int | None = None,
             seed: int | None = None) -> tuple[np.ndarray, ...]:
    """Run `circuit` on a batch of arguments; one array per result, leading axis B.

    `args[name]` has shape `(B,) + argument.shape`.  `shots` is required when
    the circuit has a `Sample` result; `seed` makes sampling reproducible
    (`runtime.sampling`: the LLVM back end draws the same shots from it).
    """
    if shots is None and any(isinstance(r, Sample) for r in circuit.results):
        raise ValueError("`sample` needs a number of shots; pass shots=...")
    batch = batch_size(circuit, args)
    word = sampling.seed_word(seed)
    ops = without_terminal_measurements(circuit.ops, z_diagonal_qubits(circuit))
    if not _is_dynamic(ops):
        state = _run_static(ops, circuit.num_qubits, args, batch)
        return results(circuit, [(np.ones(batch), state)], shots, word)
    per_element = [results(circuit, _weighted(_branches(circuit, ops, _element(args, b))), shots, word, b)
                   for b in range(batch)]
    return tuple(np.concatenate(parts) for parts in zip(*per_element))


def without_terminal_measurements(ops: Sequence[Op], droppable: set[int] | None = None) -> tuple[Op, ...]:
    """Drop measurements of `droppable` qubits (default: all) that nothing after them notices.

    A measurement is terminal when no later op touches its qubit and no later
    condition reads any bit.  Dropping it leaves unchanged every result that is
    diagonal in Z on that qubit (probabilities, samples, Z-type expectations),
    so circuits that end in `measure q -> c` need no branching.
    """
    touched: set[int] = set()
    conditions_after = False
    kept: list[Op] = []
    for op in reversed(ops):
        terminal = op.qubit not in touched and not conditions_after if isinstance(op, MeasureOp) else False
        if terminal and (droppable is None or op.qubit in droppable):
            continue
        if isinstance(op, GateOp):
            touched.update(op.all_qubits)
            conditions_after = conditions_after or op.condition is not None
        elif isinstance(op, (MeasureOp, ResetOp)):
            touched.add(op.qubit)
        kept.append(op)
    return tuple(reversed(kept))


def z_diagonal_qubits(circuit: Circuit) -> set[int]:
    """Qubits on which every result is diagonal in the Z basis."""
    qubits = set(range(circuit.num_qubits))
    for result in circuit.results:
        if isinstance(result, State):
            return set()
        if isinstance(result, (ExpVal, Var)):
            qubits -= {q for term in result.observable.terms for q, letter in term.paulis if letter != "Z"}
    return qubits


def outcome_probabilities(circuit: Circuit, args: Mapping[str, np.ndarray] | None = None) -> dict[int, float]:
    """Exact distribution of the final classical register (bit j of a value = bit j).

    Bits never written stay 0.  For one set of arguments (batch axis absent or 1).
    """
    env = {name: np.asarray(value).reshape((1,) + np.shape(value)[-len(a.shape):] if a.shape else (1,))
           for a in circuit.arguments for name, value in (args or {}).items() if name == a.name}
    out: dict[int, float] = {}
    for br in _branches(circuit, circuit.ops, env, keep_bits=True):
        value = sum(bit << j for j, bit in enumerate(br.bits))
        out[value] = out.get(value, 0.0) + br.weight
    return out


def unitary(circuit_or_ops: Circuit | Iterable[Op], num_qubits: int,
            args: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
    """The full 2**n x 2**n unitary, little-endian, for one set of arguments.

    `args` values are unbatched (or carry a batch axis of length 1).  Barriers
    are ignored; measurements, resets and conditions are rejected.
    """
    ops = circuit_or_ops.ops if isinstance(circuit_or_ops, Circuit) else tuple(circuit_or_ops)
    dim = 2**num_qubits
    columns = np.eye(dim, dtype=np.complex128).reshape((dim,) + (2,) * num_qubits)
    for op in ops:
        if isinstance(op, BarrierOp):
            continue
        if not isinstance(op, GateOp) or op.condition is not None:
            raise ValueError(f"`unitary` needs a purely unitary circuit, found {type(op).__name__}")
        spec = _spec(op)
        columns = _apply_gate(columns, op, _matrix(op, spec, args or {}, scalar=True), num_qubits)
    return columns.reshape(dim, dim).T


# --- gate application --------------------------------------------------------------


def _spec(op: GateOp) -> GateSpec:
    spec = lookup(op.gate)
    if spec is None:
        raise ValueError(f"unknown gate {op.gate!r}")
    if len(op.qubits) != spec.num_qubits or len(op.params) != spec.num_params:
        raise ValueError(f"gate {spec.name!r} takes {spec.num_qubits} qubits and "
                         f"{spec.num_params} parameters, got {len(op.qubits)} and {len(op.params)}")
    return spec


def _matrix(op: GateOp, spec: GateSpec, env: Mapping[str, np.ndarray], scalar: bool = False) -> np.ndarray:
    """The op's matrix: (d, d) for constant params, else (B, d, d)."""
    values = [np.asarray(p.evaluate(env), dtype=np.float64) for p in op.params]
    if scalar:
        if any(v.size != 1 for v in values):
            raise ValueError("`unitary` needs unbatched arguments")
        values = [v.reshape(()) for v in values]
    return spec.matrix(*values)


def _apply_matrix(psi: np.ndarray, matrix: np.ndarray, axes: Sequence[int]) -> np.ndarray:
    """out_i = Σ_j M[i, j] psi_j over the 2**k slices of the gate's axes (axes[0] = MSB).

    Elementwise multiply-adds on slice views rather than `matmul`: BLAS calls
    on these thin products are fast when the machine is idle but slow down a
    hundredfold when it is oversubscribed; skipping zero entries also makes
    permutation and diagonal gates cheap.  M is (d, d), (1, d, d) or (B, d, d).
    """
    dim = 2 ** len(axes)
    coeffs = matrix.reshape(-1, dim, dim)
    batch_shape = (coeffs.shape[0],) + (1,) * (psi.ndim - 1 - len(axes))
    out = np.zeros(np.broadcast_shapes(psi.shape, batch_shape + (1,) * len(axes)), dtype=np.complex128)
    inputs = [psi[_slice(psi.ndim, axes, j)] for j in range(dim)]
    for i in range(dim):
        target = out[_slice(out.ndim, axes, i)]  # a view: += writes into `out`
        for j in range(dim):
            if coeffs[:, i, j].any():
                target += coeffs[:, i, j].reshape(batch_shape) * inputs[j]
    return out


def _slice(ndim: int, axes: Sequence[int], value: int) -> tuple[object, ...]:
    """Index selecting basis value `value` on `axes` (axes[0] = most significant bit)."""
    index: list[object] = [slice(None)] * ndim
    for position, axis in enumerate(axes):
        index[axis] = (value >> (len(axes) - 1 - position)) & 1
    return tuple(index)


def _apply_gate(psi: np.ndarray, op: GateOp, matrix: np.ndarray, num_qubits: int) -> np.ndarray:
    """Apply a (possibly controlled) gate; may reuse `psi`'s buffer.

    Controls select a view of the controlled slice; only that slice changes, so
    a controlled zero-qubit gate (gphase) is a relative phase.
    """
    if not op.controls:
        return _apply_matrix(psi, matrix, [state_axis(q, num_qubits) for q in op.qubits])
    index: list[object] = [slice(None)] * psi.ndim
    control_axes = [state_axis(c, num_qubits) for c in op.controls]
    for axis, value in zip(control_axes, op.control_values):
        index[axis] = int(value)  # integer indices drop the control axes from the view
    targets = [state_axis(q, num_qubits) for q in op.qubits]
    shifted = [a - sum(c < a for c in control_axes) for a in targets]
    psi[tuple(index)] = _apply_matrix(psi[tuple(index)], matrix, shifted)
    return psi


def _zero_state(batch: int, num_qubits: int) -> np.ndarray:
    psi = np.zeros((batch,) + (2,) * num_qubits, dtype=np.complex128)
    psi[(slice(None),) + (0,) * num_qubits] = 1.0
    return psi


# --- running -----------------------------------------------------------------------


def batch_size(circuit: Circuit, args: Mapping[str, np.ndarray]) -> int:
    sizes = {np.shape(args[a.name])[0] for a in circuit.arguments if a.name in args}
    if len(sizes) > 1:
        raise ValueError(f"arguments disagree on the batch size: {sorted(sizes)}")
    return sizes.pop() if sizes else 1


def _element(args: Mapping[str, np.ndarray], b: int) -> dict[str, np.ndarray]:
    return {name: np.asarray(value)[b : b + 1] for name, value in args.items()}


def _is_dynamic(ops: Sequence[Op]) -> bool:
    return any(isinstance(op, (MeasureOp, ResetOp)) or (isinstance(op, GateOp) and op.condition is not None)
               for op in ops)


def _run_static(ops: Sequence[Op], num_qubits: int, args: Mapping[str, np.ndarray], batch: int) -> np.ndarray:
    psi = _zero_state(batch, num_qubits)
    for op in ops:
        if isinstance(op, GateOp):
            psi = _apply_gate(psi, op, _matrix(op, _spec(op), args), num_qubits)
    return psi


def _branches(circuit: Circuit, ops: Sequence[Op], env: Mapping[str, np.ndarray],
              keep_bits: bool = False) -> list[Branch]:
    """Exact branching simulation of one batch element.

    With `keep_bits`, branches that differ only in their bits stay apart (for
    outcome distributions); otherwise a measurement whose outcome is certain
    does not branch, and neither does anything in `_reset`.
    """
    n = circuit.num_qubits
    branches = [Branch(1.0, _zero_state(1, n), (0,) * circuit.num_bits)]
    for op in ops:
        if isinstance(op, GateOp):
            branches = _gate_on_branches(branches, op, env, n)
        elif isinstance(op, MeasureOp):
            branches = [child for br in branches for child in _measure(br, op.qubit, op.bit, n)]
        elif isinstance(op, ResetOp):
            branches = [child for br in branches for child in _reset(br, op.qubit, n)]
    return branches


def _weighted(branches: list[Branch]) -> Weighted:
    return [(np.array([br.weight]), br.state) for br in branches]


def _gate_on_branches(branches: list[Branch], op: GateOp, env: Mapping[str, np.ndarray],
                      n: int) -> list[Branch]:
    spec = _spec(op)
    matrix = _matrix(op, spec, env)
    for br in branches:
        if op.condition is None or _holds(op.condition, br.bits):
            br.state = _apply_gate(br.state, op, matrix, n)
    return branches


def _holds(condition: Condition, bits: tuple[int, ...]) -> bool:
    value = sum(bits[b] << i for i, b in enumerate(condition.bits))
    return value == condition.value


def _project(br: Branch, qubit: int, n: int) -> list[tuple[int, float, np.ndarray]]:
    """The possible outcomes of measuring `qubit`: (value, probability, normalised state)."""
    axis = state_axis(qubit, n)
    outcomes = []
    for value in (0, 1):
        index = (slice(None),) * axis + (value,)
        part = np.zeros_like(br.state)
        part[index] = br.state[index]
        probability = float(np.sum(np.abs(part) ** 2))
        if probability > ZERO_PROBABILITY:
            outcomes.append((value, probability, part / np.sqrt(probability)))
    return outcomes


def _measure(br: Branch, qubit: int, bit: int, n: int) -> list[Branch]:
    return [Branch(br.weight * p, state, br.bits[:bit] + (value,) + br.bits[bit + 1 :])
            for value, p, state in _project(br, qubit, n)]


def _reset(br: Branch, qubit: int, n: int) -> list[Branch]:
    """Measure, then flip the |1> outcome back to |0>; identical results merge."""
    axis = state_axis(qubit, n)
    children = [Branch(br.weight * p, np.flip(state, axis) if value else state, br.bits)
                for value, p, state in _project(br, qubit, n)]
    if len(children) == 2 and _same_ray(children[0].state, children[1].state):
        # e.g. reset of an unentangled qubit: one pure state, not a mixture
        return [Branch(br.weight, children[0].state, br.bits)]
    return children


def _same_ray(a: np.ndarray, b: np.ndarray) -> bool:
    return abs(np.vdot(a, b)) > 1 - 1e-12
