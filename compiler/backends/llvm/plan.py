"""Lower a circuit to a kernel plan: stages of integer op rows and a gate-matrix layout.

The kernel never sees a gate name.  Each gate op becomes one `Step` (global
qubits) and, unless it is a fixed permutation, a slice of the per-batch-element
complex matrix buffer that the host fills from the one gate table
(`spec.matrix(*params)`, batched) before every call.  Named controlled gates
(`cx`, `crz`, `cswap`, ...) are first rewritten to their base gate plus
controls, so a control costs only the controlled subspace.

Single-qubit fusion: an uncontrolled 1-qubit gate joins the block of the
last step on its qubit when that step is itself such a block (steps on other
qubits commute with it), so RY·RZ on a qubit costs one pass over the state;
the host multiplies each block's matrices (`Product`) before the call.

Cache blocking (`blocking.stages`): steps are grouped into stages whose
non-diagonal targets fit in a chunk of `2**block` amplitudes (L2-sized); the
kernel sweeps the state once per stage, chunk by chunk, applying every step
of the stage while the chunk is resident.  Controls and 1-qubit diagonal
targets outside the chunk are constant within it, so they become a per-chunk
test (`nl_mask`/`nl_val`) and a per-chunk choice of diagonal entry (`sel`).
Each stage's steps are encoded as `Row`s in the chunk's local qubit numbering (`encode`).

Invariants: qubit indices are little-endian; a row's matrix is stored
row-major with the op's FIRST target as the MOST significant bit (the
gate-table order); diagonal gates store only their diagonal.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import replace

import numpy as np

from qdl.compiler.backends.llvm.blocking import RUN_QUBITS, Step, stages
from qdl.compiler.backends.llvm.encode import (  # noqa: F401 - the row types, also imported from here
    OP_FIELDS, STAGE_FIELDS, Encoder, OpKind, Row, StageRow, subspace_entries,
)
from qdl.compiler.backends.llvm.fuse2 import FusedMatrices, fuse_pairs, fusion_enabled
from qdl.compiler.backends.llvm.irbuild import REALS
from qdl.compiler.backends.llvm.kernel_plan import (  # noqa: F401 - the plan's types, also imported from here
    Gather, KernelPlan, MatrixGroup, Product, Unsupported, entries, fill_matrices,
)
from qdl.compiler.backends.llvm.results_layout import ReductionLayout
from qdl.compiler.backends.llvm.routes import (  # noqa: F401 - base_form is also imported from here
    Route, base_form, route_of, unit_first_entry,
)
from qdl.compiler.expr import Expr
from qdl.compiler.deep_stack import paused_gc
from qdl.compiler.gates import GATES, GateSpec, lookup
from qdl.compiler.ir import (
    BarrierOp, Circuit, ExpVal, GateOp, Observable, Op, PauliTerm, Probs, Result, Sample, Var,
)

Gate = tuple[GateSpec, tuple[Expr, ...], int]  # a gate not yet given its matrix: spec, parameters, op index
DEFAULT_BLOCK_QUBITS = 15  # 2**15 amplitudes = 512 KiB: half an L2


def _block_qubits() -> int:
    """The chunk size from QDL_BLOCK_QUBITS (a tuning knob): a bad value is named and the default used."""
    text = os.environ.get("QDL_BLOCK_QUBITS", "")
    if not text:
        return DEFAULT_BLOCK_QUBITS
    if text.strip().isdigit() and 7 <= int(text) <= 30:
        return int(text)
    warnings.warn(f"QDL_BLOCK_QUBITS={text!r} is not a whole number from 7 to 30; "
                  f"using {DEFAULT_BLOCK_QUBITS}", stacklevel=2)
    return DEFAULT_BLOCK_QUBITS


BLOCK_QUBITS = _block_qubits()


def lower(circuit: Circuit, ops: tuple[Op, ...] | None = None, block: int | None = None,
          distinct_slots: bool = False, relabel_swaps: bool = False, precision: str = "double") -> KernelPlan:
    """The plan of `ops` (default: the circuit's); raises `Unsupported` for dynamic ops.

    `block` is the chunk size in qubits (default `default_block(precision)`);
    states of at most that many qubits are not blocked.  With `distinct_slots` every
    gate parameter gets a slot of its own, even where expressions repeat, and
    `plan.occurrences[slot]` says which (op index in `circuit.ops`, parameter)
    it is: a parameter-shift batch shifts one occurrence per slot vector.
    With `relabel_swaps` an uncontrolled SWAP moves no amplitudes: it
    exchanges two qubits' places in the state, later ops and the reduced
    results follow the relabelling, and the final state is left permuted
    (`plan.final_places`), so callers that need the state itself must not ask for it.
    """
    with paused_gc():  # planning makes no cycles; the collector's passes over the heap cost a third of its time
        return _lower(circuit, ops, block, distinct_slots, relabel_swaps, precision)


def _lower(circuit: Circuit, ops: tuple[Op, ...] | None, block: int | None, distinct_slots: bool,
           relabel_swaps: bool, precision: str) -> KernelPlan:
    builder = _Builder(circuit.num_qubits, distinct_slots, relabel_swaps)
    # An op's index names its slots only when they are distinct (a repeated op object: its last index).
    position = {id(op): k for k, op in enumerate(circuit.ops)} if distinct_slots else {}
    for op in circuit.ops if ops is None else ops:
        if isinstance(op, BarrierOp):
            continue
        if not isinstance(op, GateOp) or op.condition is not None:
            raise Unsupported(f"the llvm back end does not simulate {type(op).__name__} "
                              "(or conditions) yet; use the reference simulator")
        builder.add(op, position.get(id(op), -1))
    plan = builder.finish(default_block(precision) if block is None else block, REALS[precision].lanes)
    places = tuple(builder.place)
    results = circuit.results if places == tuple(range(circuit.num_qubits)) else \
        tuple(_relabelled(r, places) for r in circuit.results)
    return replace(plan, results=ReductionLayout.of_results(results), final_places=places, precision=precision)


def default_block(precision: str) -> int:
    """`BLOCK_QUBITS`, or one qubit more for complex64 amplitudes: the chunk keeps its size in bytes."""
    return BLOCK_QUBITS if precision == "double" else min(BLOCK_QUBITS + 1, 30)


def _relabelled(result: Result, places: tuple[int, ...]) -> Result:
    """`result` on the qubits' final places in the state."""
    if isinstance(result, (ExpVal, Var)):
        terms = tuple(PauliTerm(t.coeff, tuple((places[q], p) for q, p in t.paulis)) for t in result.observable.terms)
        return replace(result, observable=Observable(terms))
    if isinstance(result, (Probs, Sample)):
        return replace(result, qubits=tuple(places[q] for q in result.qubits))
    raise Unsupported(f"{type(result).__name__} results need the state in its own qubit order")


class _Group:
    """The ops of one `MatrixGroup` as they are added: their slots (flat, in order) and matrix offsets."""

    __slots__ = ("width", "slots", "offsets")

    def __init__(self, width: int) -> None:
        self.width = width  # complex entries a matrix takes
        self.slots: list[int] = []
        self.offsets: list[int] = []


class _Builder:
    """Accumulates steps, matrix slots and fusion blocks, op by op.

    A gate is kept as (spec, parameter expressions, op index) until its
    matrix is reserved; the index names its slots when slots are distinct.
    """

    def __init__(self, num_qubits: int, distinct_slots: bool = False, relabel_swaps: bool = False) -> None:
        self.n = num_qubits
        self.distinct = distinct_slots
        self.relabel = relabel_swaps
        self.place = list(range(num_qubits))  # qubit -> its bit position in the state (moved by relabelled swaps)
        self.moved = False  # is `place` not the identity?
        self.steps: list[Step | None] = []
        self.entries = 0
        self.slots: dict[object, int] = {}  # slot key (the expression, or (op, param) when distinct) -> slot
        self.slot_exprs: list[Expr] = []
        self.groups: dict[tuple[str, bool], _Group] = {}  # (gate, stored diagonal only) -> its ops' matrices
        self.last: dict[int, int] = {}  # qubit -> index of the last step touching it
        self.blocks: dict[int, tuple[int, list[Gate]]] = {}  # step -> (qubit, gates)
        self.products: dict[tuple[bool, int], list[tuple[int, list[int]]]] = {}
        self.muxes: dict[int, tuple[int, int, bool, list[Gate]]] = {}
        self.unit: tuple[int, int] | None = None  # offsets of a stored 1 and 0 (an identity's entries)

    def add(self, op: GateOp, index: int = -1) -> None:
        if self.relabel and self._relabelled_swap(op):
            return
        controls, targets = op.controls, op.qubits
        if self.moved:
            controls, targets = tuple(self.place[q] for q in controls), tuple(self.place[q] for q in targets)
        route = route_of(op.gate, len(op.params), controls, op.control_values, targets)
        if route is None:
            raise ValueError(f"malformed gate op {op!r}")
        kind = route.kind
        if kind == "fuse":
            self._fuse(route.targets[0], (route.spec, op.params, index))
        elif kind == "swap" or kind == "x" and not self._absorbed(route):
            for step in route.steps:
                self._append(step)
        elif kind == "gate":
            mat = self._matrix(route.spec, op.params, index)
            self._append(Step(route.spec.diagonal, False, route.targets, route.controls, route.values, mat,
                              phase=route.phase))

    def _relabelled_swap(self, op: GateOp) -> bool:
        """An uncontrolled SWAP exchanges its qubits' places instead of amplitudes (`lower`)."""
        spec = lookup(op.gate)
        if spec is None or spec.name != "swap" or op.controls or len(op.qubits) != 2 or op.params:
            return False
        a, b = op.qubits
        if a == b:
            return False
        self.place[a], self.place[b] = self.place[b], self.place[a]
        self.moved = self.place != list(range(self.n))
        return True

    def _absorbed(self, route: Route) -> bool:
        return len(route.controls) == 1 and self._absorb(route.targets[0], route.controls[0], route.values[0])

    def _append(self, step: Step) -> None:
        for q in step.qubits:
            self.last[q] = len(self.steps)
        self.steps.append(step)

    def _fuse(self, qubit: int, gate: Gate) -> None:
        """Join the block of the last step on `qubit`, or open a block (its step is built in `finish`)."""
        last = self.last.get(qubit)
        if last is not None and last in self.blocks:
            self.blocks[last][1].append(gate)
            return
        self.last[qubit] = len(self.steps)
        self.blocks[len(self.steps)] = (qubit, [gate])
        self.steps.append(None)  # placeholder

    def _absorb(self, target: int, selector: int, value: bool) -> bool:
        """CNOT onto a qubit whose last step is an open 1-qubit block: one multiplexed step instead of two.

        The block moves forward to the CNOT; nothing between touched its qubit.
        """
        last = self.last.get(target)
        if last is None or last not in self.blocks:
            return False
        _, gates = self.blocks.pop(last)
        self.steps[last] = None
        index = len(self.steps)
        self.muxes[index] = (target, selector, value, gates)
        self.steps.append(None)  # built in `finish`
        self.last[target] = self.last[selector] = index
        return True

    def _mux_step(self, target: int, selector: int, value: bool, gates: list[Gate]) -> Step:
        """Matrices U (selector off) and X·U (selector on), adjacent; swapped under a negated control."""
        members = [self._matrix(spec, params, index, False) for spec, params, index in gates]
        flip = self._matrix(GATES["x"], (), -1)
        out = self.entries
        self.entries += 8
        plain, flipped = (out, out + 4) if value else (out + 4, out)
        self.products.setdefault((False, len(members)), []).append((plain, members))
        self.products.setdefault((False, len(members) + 1), []).append((flipped, members + [flip]))
        return Step(False, False, (target,), (), (), out, selector)

    def _block_step(self, qubit: int, gates: list[Gate]) -> Step:
        diagonal = all(spec.diagonal for spec, _, _ in gates)
        members = [self._matrix(spec, params, index, diagonal) for spec, params, index in gates]
        if len(members) == 1:
            out = members[0]
        else:
            out = self.entries
            self.entries += 2 if diagonal else 4
            self.products.setdefault((diagonal, len(members)), []).append((out, members))
        phase = diagonal and all(unit_first_entry(spec.name) for spec, _, _ in gates)
        return Step(diagonal, False, (qubit,), (), (), out, phase=phase)

    def _matrix(self, spec: GateSpec, params: tuple[Expr, ...], index: int, diagonal: bool | None = None) -> int:
        """Reserve the gate's entries (only the diagonal when `diagonal`, default: the gate's flag)."""
        group = self.groups.get((spec.name, spec.diagonal if diagonal is None else diagonal))
        if group is None:
            group = self._group(spec, spec.diagonal if diagonal is None else diagonal)
        offset = self.entries
        self.entries += group.width
        group.offsets.append(offset)
        if params:
            group.slots.extend(self._slots(params, index))
        return offset

    def _group(self, spec: GateSpec, diagonal: bool) -> _Group:
        group = self.groups[spec.name, diagonal] = _Group(spec.dim if diagonal else spec.dim**2)
        return group

    def _slots(self, params: tuple[Expr, ...], index: int) -> list[int]:
        """The parameters' slots, new ones appended; keyed by the expression, or by (op, parameter) if distinct."""
        keys = [(index, j) for j in range(len(params))] if self.distinct else params
        out = []
        for key, expr in zip(keys, params):
            slot = self.slots.get(key)
            if slot is None:
                slot = self.slots[key] = len(self.slot_exprs)
                self.slot_exprs.append(expr)
            out.append(slot)
        return out

    def constants(self) -> tuple[int, int]:
        """Offsets of a stored complex 0 and 1, for the fused blocks' gathers."""
        if self.unit is None:
            offset = self._matrix(GATES["id"], (), -1, False)  # stored dense: 1, 0, 0, 1
            self.unit = (offset + 1, offset)
        return self.unit

    def reserve(self, count: int) -> int:
        offset = self.entries
        self.entries += count
        return offset

    def finish(self, block: int, lanes: int = 4) -> KernelPlan:
        for index, (qubit, gates) in self.blocks.items():
            self.steps[index] = self._block_step(qubit, gates)
        for index, (target, selector, value, gates) in self.muxes.items():
            self.steps[index] = self._mux_step(target, selector, value, gates)
        steps = [s for s in self.steps if s is not None]
        chunk = min(self.n, block)
        fused = FusedMatrices()
        if fusion_enabled():
            local = frozenset(range(self.n if self.n <= chunk else RUN_QUBITS))
            steps, fused = fuse_pairs(steps, self, lanes.bit_length() - 1, local)
            if fused.gathers:
                self.constants()  # stored before the groups are laid out
        encoder = Encoder()
        stage_rows = [encoder.stage(stage, steps, self.n, chunk) for stage in stages(steps, self.n, chunk)]
        occurrences = tuple(self.slots) if self.distinct else ()
        return KernelPlan(self.n, tuple(encoder.rows), tuple(encoder.aux), self.entries, tuple(self.slot_exprs),
                          self._groups(), self._products(), tuple(stage_rows), chunk, occurrences=occurrences,
                          gathers=self._gathers(fused), blocks2=_blocks2(fused))

    def _gathers(self, fused: FusedMatrices) -> tuple[Gather, ...]:
        if not fused.gathers:
            return ()
        out, base, pattern = (np.array(column, dtype=np.intp) for column in zip(*fused.gathers))
        patterns = np.array(list(fused.patterns), dtype=np.intp)
        return (Gather(out, base, pattern, patterns, *self.constants()),)

    def _groups(self) -> tuple[MatrixGroup, ...]:
        groups = []
        for (name, diagonal), group in self.groups.items():
            spec = GATES[name]
            columns = np.array(group.offsets, dtype=np.intp)[:, None] + np.arange(group.width, dtype=np.intp)
            params = np.array(group.slots, dtype=np.intp).reshape(len(group.offsets), spec.num_params)
            fixed = None if spec.num_params else entries(spec.matrix(), diagonal).reshape(1, 1, -1)
            groups.append(MatrixGroup(spec, diagonal, params, columns, fixed))
        return tuple(groups)

    def _products(self) -> tuple[Product, ...]:
        out = []
        for (diagonal, length), blocks in self.products.items():
            width = np.arange(2 if diagonal else 4)
            columns = np.array([o for o, _ in blocks], dtype=np.intp)[:, None] + width
            members = np.array([m for _, m in blocks], dtype=np.intp)  # (blocks, length)
            out.append(Product(diagonal, columns, tuple(members[:, j, None] + width for j in range(length))))
        return tuple(out)


def _blocks2(fused: FusedMatrices) -> tuple[Product, ...]:
    """The fused 4x4 products, one `Product` per member count."""
    by_length: dict[int, list[tuple[int, list[int]]]] = {}
    for out, members in fused.products:
        by_length.setdefault(len(members), []).append((out, members))
    width = np.arange(16)
    products = []
    for length, blocks in by_length.items():
        members = np.array([m for _, m in blocks], dtype=np.intp)
        products.append(Product(False, np.array([o for o, _ in blocks], dtype=np.intp)[:, None] + width,
                                tuple(members[:, j, None] + width for j in range(length)), dim=4))
    return tuple(products)
