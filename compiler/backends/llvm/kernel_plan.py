"""The kernel plan: what `plan.lower` makes and the code generator and the host read.

A plan is an op table (`Row`s, in stages) plus the layout of the gate
matrices the host fills before every call (`fill_matrices`): one batched
call of the gate table per `MatrixGroup`, then the fused blocks multiplied
out (`Product`, `Gather`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qdl.compiler.backends.llvm.encode import Row, StageRow
from qdl.compiler.backends.llvm.fuse2 import ZERO
from qdl.compiler.backends.llvm.results_layout import ReductionLayout
from qdl.compiler.expr import Expr
from qdl.compiler.gates import GateSpec


class Unsupported(NotImplementedError):
    """The circuit needs something this back end does not do yet (measurement, reset, conditions)."""


@dataclass(frozen=True, slots=True)
class MatrixGroup:
    """All ops of one gate whose matrices the host builds in one batched call.

    `params[i, j]` is the slot of parameter j of op i; `columns` (ops, entries)
    are complex offsets into the matrix buffer; `fixed` holds the entries of
    parameterless gates, computed once.
    """

    spec: GateSpec
    diagonal: bool
    params: np.ndarray
    columns: np.ndarray
    fixed: np.ndarray | None = None


@dataclass(frozen=True, slots=True)
class Product:
    """Fused blocks of one length: `out` (blocks, w) = members[-1] ... members[0] (blocks, w) each.

    `dim` x `dim` matrices (w = dim*dim, or dim when `diagonal`): 2 for the
    1-qubit blocks, 4 for the fused 2-qubit blocks (`fuse2`).
    """

    diagonal: bool
    out: np.ndarray
    members: tuple[np.ndarray, ...]
    dim: int = 2


@dataclass(frozen=True, slots=True)
class Gather:
    """The fused 2-qubit blocks' members as 4x4s, copied into place before their products.

    Member i's 16 entries start at `out[i]` and entry e is `base[i] +
    patterns[pattern[i], e]`, or the stored 0 or 1 where that code is `ZERO`
    or `ONE` (`fuse2`).
    """

    out: np.ndarray  # (members,)
    base: np.ndarray  # (members,)
    pattern: np.ndarray  # (members,)
    patterns: np.ndarray  # (patterns, 16)
    zero: int
    one: int

    def sources(self) -> np.ndarray:
        """(members, 16) complex offsets of the entries each member's 4x4 reads."""
        codes = self.patterns[self.pattern]
        return np.where(codes >= 0, codes + self.base[:, None], np.where(codes == ZERO, self.zero, self.one))


@dataclass(frozen=True)
class KernelPlan:
    """Everything the code generator and the host need for one circuit."""

    num_qubits: int
    rows: tuple[Row, ...]
    aux: tuple[int, ...]
    num_entries: int  # complex matrix entries per batch element
    slots: tuple[Expr, ...]  # distinct parameter expressions, evaluated on the host
    groups: tuple[MatrixGroup, ...]
    products: tuple[Product, ...] = ()
    stages: tuple[StageRow, ...] = ()
    chunk_qubits: int = 0  # the chunk is 2**chunk_qubits amplitudes (= num_qubits when unblocked)
    results: ReductionLayout = ReductionLayout.of_results(())  # what the kernel reduces the states to
    occurrences: tuple[tuple[int, int], ...] = ()  # with distinct slots: (op index, parameter) of each slot
    final_places: tuple[int, ...] = ()  # qubit -> bit position of the final state (relabelled swaps)
    precision: str = "double"  # the state's amplitudes: complex128 ("double") or complex64 ("single")
    gathers: tuple[Gather, ...] = ()  # after `products`: the members of the fused 2-qubit blocks, as 4x4s
    blocks2: tuple[Product, ...] = ()  # then the fused 2-qubit blocks' matrices (dim 4)

    def table(self) -> list[int]:
        return [v for r in self.rows for v in r.fields()]

    def stage_table(self) -> list[int]:
        return [v for s in self.stages for v in s.fields()]

    @property
    def blocked(self) -> bool:
        return self.chunk_qubits < self.num_qubits


def entries(matrix: np.ndarray, diagonal: bool) -> np.ndarray:
    """The entries a matrix stores: its diagonal when `diagonal`, else all of it (row-major)."""
    return np.diagonal(matrix, axis1=-2, axis2=-1) if diagonal else matrix


def fill_matrices(plan: KernelPlan, slot_values: np.ndarray) -> np.ndarray:
    """The (B, num_entries) complex128 matrix buffer for slot values of shape (B, slots)."""
    batch = slot_values.shape[0]
    out = np.empty((batch, max(plan.num_entries, 1)), dtype=np.complex128)
    for group in plan.groups:
        if group.fixed is not None:
            out[:, group.columns] = group.fixed
            continue
        values = [slot_values[:, group.params[:, j]] for j in range(group.spec.num_params)]  # (B, ops) each
        mats = entries(group.spec.matrix(*values), group.diagonal)
        out[:, group.columns] = mats.reshape(batch, len(group.params), -1)
    _multiply_out(out, plan.products)
    for gather in plan.gathers:
        out[:, gather.out[:, None] + np.arange(16)] = out[:, gather.sources()]
    _multiply_out(out, plan.blocks2)
    return out


def _multiply_out(out: np.ndarray, products: tuple[Product, ...]) -> None:
    for product in products:
        acc = out[:, product.members[0]]
        for columns in product.members[1:]:
            if product.diagonal:
                acc = out[:, columns] * acc
            else:
                shape = acc.shape[:2] + (product.dim, product.dim)
                acc = np.matmul(out[:, columns].reshape(shape), acc.reshape(shape)).reshape(acc.shape)
        out[:, product.out] = acc
