"""Encoding of a plan's stages: each step as op-table rows in its stage's local qubit numbering (`plan`).

The kernel reads the rows (`Row.fields`, `OP_FIELDS` integers each) and the
aux table their subspaces point into; `StageRow`s say which rows a stage
applies to each chunk and how the chunk is laid out in the state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum

from qdl.compiler.backends.llvm.blocking import Stage, Step

OP_FIELDS = 12  # see `Row`
STAGE_FIELDS = 6  # see `StageRow`


class OpKind(IntEnum):
    """Application paths of the kernel, one generic function each."""

    DENSE1 = 0  # uncontrolled dense 2x2 on q0
    DIAG1 = 1  # uncontrolled diagonal 2x2 on q0
    DENSE2 = 2  # uncontrolled dense 4x4 on (q0, q1), q0 most significant
    FLIP = 3  # X on q0 in the controlled subspace: swaps, no multiplications
    GEN_DENSE = 4  # dense 2^k x 2^k on the controlled subspace (k <= 4)
    GEN_DIAG = 5  # diagonal 2^k on the controlled subspace
    CTRL1 = 6  # dense 2x2 on q0 in the controlled subspace
    CTRL1_DIAG = 7  # diagonal 2x2 on q0 in the controlled subspace
    SCALE = 8  # one complex factor on the controlled subspace: phase gates (target as a control), gphase


@dataclass(frozen=True, slots=True)
class Row:
    """One op-table row, in a stage's local qubit numbering.

    `m` sorted positions (local controls and targets, ascending) and then `k2`
    amplitude offsets start at `aux` in the aux table; `cval` is the bit mask
    the local controls must have; `mat` is the complex offset of the matrix.
    The row applies to a chunk only if `chunk_base & nl_mask == nl_val`
    (controls outside the chunk); when `sel` (a global bit mask) is set in
    the chunk base, the matrix starts `sel_step` complex entries later (a
    diagonal target or a multiplexer's selector outside the chunk picks its
    entry or matrix).
    """

    kind: OpKind
    q0: int = 0
    q1: int = 0
    m: int = 0
    aux: int = 0
    k2: int = 1
    cval: int = 0
    mat: int = 0
    nl_mask: int = 0
    nl_val: int = 0
    sel: int = 0
    sel_step: int = 0

    def fields(self) -> tuple[int, ...]:
        return (int(self.kind), self.q0, self.q1, self.m, self.aux, self.k2, self.cval, self.mat,
                self.nl_mask, self.nl_val, self.sel, self.sel_step)


@dataclass(frozen=True, slots=True)
class StageRow:
    """Rows [first, end) applied chunk by chunk.

    `inplace`: the chunk is the contiguous block at the chunk base (its
    qubits are 0..block-1), so no copy.  Otherwise the chunk is gathered
    into scratch: chunk bases enumerate the subsets of `outer_mask`; within
    a chunk, runs of `run` contiguous amplitudes sit at the subsets of
    `high_mask` (the chunk's qubits above the contiguous low ones).
    """

    first: int
    end: int
    inplace: int
    outer_mask: int
    high_mask: int
    run: int

    def fields(self) -> tuple[int, ...]:
        return (self.first, self.end, self.inplace, self.outer_mask, self.high_mask, self.run)


def subspace_entries(qubits: tuple[int, ...], targets: tuple[int, ...]) -> list[int]:
    """Aux-table entries of a controlled subspace: sorted positions, then the 2^k target offsets (first = MSB)."""
    k = len(targets)
    offsets = [sum(1 << q for p, q in enumerate(targets) if (j >> (k - 1 - p)) & 1) for j in range(2**k)]
    return sorted(qubits) + offsets


RELATIVE = 1 << 40  # marks a template row's offsets that relocate (`_template`): beyond any real offset


class Encoder:
    """Encodes stages' steps as rows in each stage's local qubit numbering, sharing one aux table.

    Steps of one shape (all but the matrix offset) on one chunk layout give
    the same rows up to their matrix and aux offsets, and long circuits
    repeat shapes: each is encoded once as a template and then relocated.
    """

    def __init__(self, aux_base: int = 0) -> None:
        self.rows: list[Row] = []
        self.aux: list[int] = []
        self.aux_base = aux_base  # added to the aux offsets rows get (`RELATIVE` in a template)
        self.templates: dict[tuple[int, ...], dict[tuple, Template]] = {}  # chunk qubits -> step shape -> rows

    def stage(self, stage: Stage, steps: list[Step], n: int, chunk: int) -> StageRow:
        local = {q: p for p, q in enumerate(stage.local)}
        templates = self.templates.setdefault(stage.local, {})
        first = len(self.rows)
        for i in stage.steps:
            step = steps[i]
            shape = step.shape()
            template = templates.get(shape)
            if template is None:
                template = templates[shape] = _template(step, local)
            self._emit(template, step.mat)
        inplace = stage.local == tuple(range(chunk))
        outer = sum(1 << q for q in range(n) if q not in local)
        low = next((p for p, q in enumerate(stage.local) if p != q), len(stage.local))
        high = sum(1 << q for q in stage.local[low:])
        return StageRow(first, len(self.rows), int(inplace), outer, high, 1 << low)

    def _emit(self, template: Template, mat: int) -> None:
        """The template's rows, relocated to the step's matrix and to fresh aux entries."""
        rows, aux = template
        aux_shift, mat_shift = len(self.aux) - RELATIVE, mat - RELATIVE
        self.aux.extend(aux)
        for kind, q0, q1, m, at, k2, cval, offset, nl_mask, nl_val, sel, sel_step in rows:
            self.rows.append(Row(kind, q0, q1, m, at + aux_shift if at >= RELATIVE else at, k2, cval,
                                 offset + mat_shift if offset >= RELATIVE else offset, nl_mask, nl_val, sel, sel_step))

    def _rows(self, step: Step, local: dict[int, int]) -> list[Row]:
        if step.select < 0:
            return [self._row(step, local)]
        t = local[step.targets[0]]
        if step.select not in local:  # one matrix per chunk
            return [Row(OpKind.DENSE1, t, 0, 0, 0, 2, 0, step.mat, sel=1 << step.select, sel_step=4)]
        s = local[step.select]  # each half of the chunk with its own matrix
        m, aux = self._subspace((s, t), ())
        return [Row(OpKind.CTRL1, t, 0, m, aux, 2, 0, step.mat), Row(OpKind.CTRL1, t, 0, m, aux, 2, 1 << s, step.mat + 4)]

    def _row(self, step: Step, local: dict[int, int]) -> Row:
        inside = [(local[c], v) for c, v in zip(step.controls, step.values) if c in local]
        outside = [(c, v) for c, v in zip(step.controls, step.values) if c not in local]
        nl_mask, nl_val = sum(1 << c for c, _ in outside), sum(1 << c for c, v in outside if v)
        cval = sum(1 << p for p, v in inside if v)
        controls = tuple(p for p, _ in inside)
        tail = (nl_mask, nl_val)
        if step.flip:
            t = local[step.targets[0]]
            return Row(OpKind.FLIP, t, 0, *self._subspace(controls + (t,), ()), 2, cval, 0, *tail)
        if step.phase:  # diag(1, d): d on the subspace where the target is 1 as well
            return self._row(replace(step, phase=False, diagonal=False, targets=(), mat=step.mat + 1,
                                     controls=step.controls + step.targets, values=step.values + (True,)), local)
        if step.diagonal and len(step.targets) == 1 and step.targets[0] not in local:
            # the target's bit is fixed within the chunk: a scalar on the controlled subspace
            return Row(OpKind.SCALE, 0, 0, *self._subspace(controls, ()), 1, cval, step.mat, *tail,
                       1 << step.targets[0], 1)
        if not step.targets:  # gphase (or a phase gate's |1> part): a scalar on the controlled subspace
            return Row(OpKind.SCALE, 0, 0, *self._subspace(controls, ()), 1, cval, step.mat, *tail)
        targets = tuple(local[t] for t in step.targets)
        if not controls and len(targets) == 1:
            return Row(OpKind.DIAG1 if step.diagonal else OpKind.DENSE1, targets[0], 0, 0, 0, 2, 0, step.mat, *tail)
        if not controls and len(targets) == 2 and not step.diagonal:
            return Row(OpKind.DENSE2, targets[0], targets[1], 0, 0, 4, 0, step.mat, *tail)
        m, aux = self._subspace(controls + targets, targets)
        if len(targets) == 1:
            kind = OpKind.CTRL1_DIAG if step.diagonal else OpKind.CTRL1
            return Row(kind, targets[0], 0, m, aux, 2, cval, step.mat, *tail)
        kind = OpKind.GEN_DIAG if step.diagonal else OpKind.GEN_DENSE
        return Row(kind, 0, 0, m, aux, 2 ** len(targets), cval, step.mat, *tail)

    def _subspace(self, qubits: tuple[int, ...], targets: tuple[int, ...]) -> tuple[int, int]:
        """Store the subspace's aux entries (`subspace_entries`); -> (m, aux offset)."""
        start = self.aux_base + len(self.aux)
        self.aux.extend(subspace_entries(qubits, targets))
        return len(qubits), start


Template = tuple[list[tuple], list[int]]  # rows as field tuples, offsets at or beyond RELATIVE relative; aux entries


def _template(step: Step, local: dict[int, int]) -> Template:
    """The rows of a step of this shape, encoded with its matrix and its aux entries at `RELATIVE`."""
    scratch = Encoder(aux_base=RELATIVE)
    rows = scratch._rows(replace(step, mat=RELATIVE), local)
    return [(r.kind, r.q0, r.q1, r.m, r.aux, r.k2, r.cval, r.mat, r.nl_mask, r.nl_val, r.sel, r.sel_step)
            for r in rows], scratch.aux
