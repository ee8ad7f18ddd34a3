"""The host side of the LLVM adjoint: unit matrices before the kernel, derivatives and chain rule after.

Everything is batched with index arrays built once per compiled circuit, so a
call costs a handful of numpy operations per gate name, not per op:

* `MatrixLayout.fill`: every gate occurrence's matrix (one `spec.matrix` call
  per gate name), per unit the suffix products P_j = g_L ... g_{j+1} and
  U_unit† = (P_0 g_1)† into the kernel's matrix buffer;
* `MatrixLayout.gradients`: D_j = P_j (∂g_j g_j†) P_j† with the exact
  derivative of `runtime.adjoint.derivative_at` (one call per gate name and
  parameter; none for rotations, whose ∂g g† = -iG is a constant), contracted
  with the kernel's R: 2 Re Σ_ab (D_j)_ab R_ab;
* `Chain.apply`: slot derivatives -> argument elements, the partials of the
  gradient program (constant ones as one matrix product).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping

import numpy as np

from qdl.compiler.autodiff import GradientProgram
from qdl.compiler.backends.llvm.adjoint import AdjointPlan
from qdl.compiler.expr import Const, Expr
from qdl.compiler.gates import GATES, GateSpec
from qdl.runtime.adjoint import derivative_at


@dataclass(frozen=True)
class GateGroup:
    """Occurrences of one gate: positions in their dimension's stack, parameter slots (count, params)."""

    spec: GateSpec
    positions: np.ndarray
    params: np.ndarray


@dataclass(frozen=True)
class UnitGroup:
    """Units of one dimension, length and storage: members (units, length) positions, matrix columns."""

    dim: int
    diagonal: bool
    members: np.ndarray
    columns: np.ndarray


@dataclass(frozen=True)
class WantedGroup:
    """Differentiated angles of one gate parameter: where their gate and slots live."""

    spec: GateSpec
    param: int
    positions: np.ndarray  # in the dimension's stack
    params: np.ndarray  # (angles, gate params) slot columns
    constant: np.ndarray | None  # ∂g g† when it does not depend on the angles (see `fixed_generator`)


@dataclass(frozen=True)
class WantedBlock:
    """Differentiated angles of one gate dimension, contracted with R in one batch (groups concatenated)."""

    dim: int
    groups: tuple[WantedGroup, ...]
    positions: np.ndarray  # in the dimension's stack
    outputs: np.ndarray  # slot numbers (program order)
    reduced: np.ndarray  # (angles, dim²) complex offsets of R
    fixed: np.ndarray | None  # (angles, d, d): every group's ∂g g† when all are constant


@dataclass(frozen=True)
class MatrixLayout:
    """Index arrays from an `AdjointPlan` to the matrix buffer and back; see the module docstring."""

    slots: tuple[Expr, ...]
    counts: dict[int, int]  # dimension -> occurrences
    gates: tuple[GateGroup, ...]
    units: tuple[UnitGroup, ...]
    wanted: tuple[WantedBlock, ...]
    num_entries: int
    num_outputs: int

    @classmethod
    def of(cls, plan: AdjointPlan, keys: tuple[tuple[int, int], ...]) -> "MatrixLayout":
        slots: dict[Expr, int] = {}
        counts: dict[int, int] = {}
        by_gate: dict[str, list[tuple[int, tuple[int, ...]]]] = {}
        where: dict[tuple[int, int], tuple[int, tuple[int, ...]]] = {}  # (unit, gate) -> (stack position, slots)
        by_shape: dict[tuple[int, int, bool], list[tuple[list[int], int]]] = {}
        for number, unit in enumerate(plan.units):
            if unit.mat < 0:
                continue  # swaps only: no matrix, no angle
            members = []
            for j, gate in enumerate(unit.gates):
                position = counts.get(unit.dim, 0)
                counts[unit.dim] = position + 1
                members.append(position)
                where[(number, j)] = (position, tuple(slots.setdefault(p, len(slots)) for p in gate.params))
                by_gate.setdefault(gate.spec.name, []).append(where[(number, j)])
            by_shape.setdefault((unit.dim, len(members), unit.diagonal), []).append((members, unit.mat))
        gates = {name: GateGroup(GATES[name], np.array([p for p, _ in rows], dtype=np.intp),
                                 np.array([s for _, s in rows], dtype=np.intp).reshape(len(rows), -1))
                 for name, rows in by_gate.items()}
        units = tuple(_unit_group(dim, diagonal, rows) for (dim, _, diagonal), rows in by_shape.items())
        wanted = _wanted_groups(plan, keys, where)
        return cls(tuple(slots), counts, tuple(gates.values()), units, wanted, plan.num_entries, len(keys))

    def fill(self, slot_values: np.ndarray, batch: int) -> tuple[np.ndarray, dict, dict]:
        """(matrix buffer (B, entries), suffix products and gate matrices per dimension)."""
        stacks = {d: np.empty((batch, count, d, d), dtype=np.complex128) for d, count in self.counts.items()}
        for group in self.gates:
            stacks[group.spec.dim][:, group.positions] = _matrices(group, slot_values, batch)
        suffixes = {d: np.empty_like(stack) for d, stack in stacks.items()}
        mats = np.empty((batch, max(self.num_entries, 1)), dtype=np.complex128)
        for unit in self.units:
            total = _suffix_products(stacks[unit.dim], suffixes[unit.dim], unit.members)
            inverse = _dagger(total)
            entries = np.diagonal(inverse, axis1=-2, axis2=-1) if unit.diagonal else inverse
            mats[:, unit.columns] = entries.reshape(batch, len(unit.members), -1)
        return mats, suffixes, stacks

    def gradients(self, slot_values: np.ndarray, suffixes: dict, stacks: dict,
                  reduced: np.ndarray) -> np.ndarray:
        """(B, O, W): 2 Re Σ_ab (D_j)_ab R_ab for every differentiated angle."""
        batch, count = reduced.shape[:2]
        out = np.zeros((batch, count, self.num_outputs))
        for block in self.wanted:
            inner = block.fixed if block.fixed is not None else _generators(block, slot_values, stacks[block.dim])
            after = suffixes[block.dim][:, block.positions]
            flat = (after @ inner @ _dagger(after)).reshape(batch, len(block.outputs), -1)
            out[:, :, block.outputs] = 2 * np.einsum("bwk,bowk->bow", flat, reduced[:, :, block.reduced]).real
        return out


def _generators(block: WantedBlock, slot_values: np.ndarray, stack: np.ndarray) -> np.ndarray:
    """∂g g† (B, angles, d, d) for every angle of the block, groups concatenated."""
    batch = slot_values.shape[0]
    parts = [_generator(group, slot_values, stack) if group.constant is None
             else np.broadcast_to(group.constant, (batch, len(group.positions)) + group.constant.shape)
             for group in block.groups]
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)


def _generator(group: WantedGroup, slot_values: np.ndarray, stack: np.ndarray) -> np.ndarray:
    """∂g g† (B, angles, d, d): the exact derivative times the inverse gate."""
    values = [slot_values[:, group.params[:, j]] for j in range(group.spec.num_params)]
    return derivative_at(group.spec, group.param, values) @ _dagger(stack[:, group.positions])


@lru_cache(maxsize=None)
def fixed_generator(name: str, param: int) -> np.ndarray | None:
    """∂g/∂θ_param g† when it is the same at every angle (g = e^{-iθG} V with G fixed: -iG), else None.

    True for the rotations (rx, crz, rzz, ...), not for u3's φ and λ; then the
    derivative costs no gate-table call per evaluation.  Decided by sampling
    three parameter points: the entries are trigonometric polynomials, so a
    dependence shows at generic points.
    """
    spec = GATES[name]
    rng = np.random.default_rng(0)
    samples = []
    for _ in range(3):
        values = [np.array(v) for v in rng.uniform(-np.pi, np.pi, size=spec.num_params)]
        samples.append(derivative_at(spec, param, values) @ _dagger(spec.matrix(*values)))
    if any(np.abs(m - samples[0]).max() > 1e-12 for m in samples[1:]):
        return None
    return samples[0]


def _dagger(m: np.ndarray) -> np.ndarray:
    return np.conj(np.swapaxes(m, -1, -2))


def _matrices(group: GateGroup, slot_values: np.ndarray, batch: int) -> np.ndarray:
    """(B, occurrences, d, d) from one batched gate-table call."""
    d = group.spec.dim
    if not group.spec.num_params:
        return np.broadcast_to(group.spec.matrix(), (batch, len(group.positions), d, d))
    values = [slot_values[:, group.params[:, j]] for j in range(group.spec.num_params)]
    return group.spec.matrix(*values)


def _suffix_products(stack: np.ndarray, suffixes: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Write P_j = g_L ... g_{j+1} for every member; return the units' products g_L ... g_1."""
    batch, d = stack.shape[0], stack.shape[-1]
    after = np.broadcast_to(np.eye(d, dtype=np.complex128), (batch, len(members), d, d))
    for j in range(members.shape[1] - 1, -1, -1):
        suffixes[:, members[:, j]] = after
        after = after @ stack[:, members[:, j]]
    return after


def _unit_group(dim: int, diagonal: bool, rows: list[tuple[list[int], int]]) -> UnitGroup:
    width = dim if diagonal else dim * dim
    columns = np.array([mat for _, mat in rows], dtype=np.intp)[:, None] + np.arange(width)
    return UnitGroup(dim, diagonal, np.array([m for m, _ in rows], dtype=np.intp), columns)


def _wanted_groups(plan: AdjointPlan, keys: tuple[tuple[int, int], ...],
                   where: dict[tuple[int, int], tuple[int, tuple[int, ...]]]) -> tuple[WantedBlock, ...]:
    """Group the program's slots by (gate, parameter) for the derivative, by dimension for the rest."""
    rows: dict[tuple[str, int], list[tuple[int, tuple[int, ...], int, np.ndarray]]] = {}
    for output, key in enumerate(keys):
        number, j = plan.wanted[key]
        unit = plan.units[number]
        position, params = where[(number, j)]
        rows.setdefault((unit.gates[j].spec.name, key[1]), []).append(
            (position, params, output, unit.reduced + np.arange(unit.dim**2)))
    by_dim: dict[int, list] = {}
    for (name, param), members in rows.items():
        by_dim.setdefault(GATES[name].dim, []).append((name, param, members))
    return tuple(_wanted_block(dim, groups) for dim, groups in by_dim.items())


def _wanted_block(dim: int, groups: list) -> WantedBlock:
    members = [m for _, _, ms in groups for m in ms]
    made = tuple(WantedGroup(GATES[name], param, np.array([m[0] for m in ms], dtype=np.intp),
                             np.array([m[1] for m in ms], dtype=np.intp).reshape(len(ms), -1),
                             fixed_generator(name, param)) for name, param, ms in groups)
    fixed = None
    if all(g.constant is not None for g in made):
        fixed = np.concatenate([np.broadcast_to(g.constant, (len(g.positions), dim, dim)) for g in made])
    return WantedBlock(dim, made, np.array([m[0] for m in members], dtype=np.intp),
                       np.array([m[2] for m in members], dtype=np.intp), np.stack([m[3] for m in members]), fixed)


@dataclass(frozen=True)
class Chain:
    """The program's chain rule as data: constant partials in a matrix, the rest as expressions."""

    constant: np.ndarray  # (slots, elements)
    varying: tuple[tuple[int, int, Expr], ...]  # (slot, element column, ∂angle/∂element)

    @classmethod
    def of(cls, program: GradientProgram) -> "Chain":
        column = {arg: i for i, arg in enumerate(program.elements)}
        constant = np.zeros((len(program.slots), len(column)))
        varying = []
        for w, slot in enumerate(program.slots):
            for partial in slot.partials:
                if isinstance(partial.derivative, Const):
                    constant[w, column[partial.arg]] += partial.derivative.value
                else:
                    varying.append((w, column[partial.arg], partial.derivative))
        return cls(constant, tuple(varying))

    def apply(self, grads: np.ndarray, args: Mapping[str, np.ndarray], batch: int) -> np.ndarray:
        """(B, O, slots) -> (B, O, elements)."""
        out = grads @ self.constant
        for w, col, expr in self.varying:
            factor = np.broadcast_to(np.asarray(expr.evaluate(args), np.float64), (batch,))
            out[:, :, col] += grads[:, :, w] * factor[:, None]
        return out
