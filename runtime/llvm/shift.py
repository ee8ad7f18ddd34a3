"""Parameter shift on the LLVM kernel: shifted evaluations are slot vectors, sharing their prefix.

A shift rule needs f at θ_s + σ_t for every slot s and term t.  Compiling one
circuit per shifted angle would cost an LLVM compile per term; instead the
linear circuit is compiled once with a slot per gate parameter
(`compile_circuit(..., distinct_slots=True)`), and each shifted evaluation is
the unshifted slot vector with one entry moved.

The rows before the first row that reads a slot (`slot_rows.first_rows`) are
the same for all of its shifted evaluations and for the unshifted one, so
the unshifted states advance row range by row range through the circuit
(the kernel's resumable form, `CompiledCircuit.resume`) and each slot's
shifted evaluations start from a copy of the state at that slot's first
row: the prefix shared by a slot's evaluations is simulated once, about
half of all the work for gates spread evenly.  Calls keep their states
under `MAX_CALL_BYTES` (`threads` split each call).

The whole batch of evaluations is plain data, a `ShiftBatch` (the unshifted
slot rows, and per shifted evaluation its slot column, shift and start row),
which an executor (`runtime.executors`) evaluates in this process or splits
into parts (`ShiftBatch.part`) for a cluster's workers: every evaluation's
bits are the same however the batch is split.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from qdl.compiler.autodiff import GradientProgram
from qdl.compiler.backends.llvm.codegen import REDUCE, START
from qdl.compiler.backends.llvm.results_layout import SAMPLE, STATE
from qdl.compiler.backends.llvm.slot_rows import first_rows
from qdl.compiler.ir import Circuit
from qdl.runtime.llvm.kernel import PRECISIONS, CompiledCircuit, compile_circuit

if TYPE_CHECKING:
    from qdl.runtime.executors import Executor

MAX_CALL_BYTES = 256 << 20  # states of one kernel call: the rest of the batch waits its turn
CALL_COST = 1 << 15  # the host's cost of one kernel call, in amplitudes times rows applied (~30 µs)


@dataclass(frozen=True)
class ShiftBatch:
    """Evaluations of a parameter-shift gradient: the unshifted one, then one per (column, shift).

    `base` (B, S) are the unshifted slot rows; evaluation k > 0 moves column
    `columns[k - 1]` by `shifts[k - 1]` and may continue the unshifted
    evaluation from op-table row `starts[k]` (`starts[0]` is 0).
    """

    base: np.ndarray
    columns: np.ndarray
    shifts: np.ndarray
    starts: np.ndarray

    @property
    def count(self) -> int:
        """Evaluations per batch element, the unshifted one included."""
        return 1 + len(self.columns)

    def rows(self) -> np.ndarray:
        """(count, B, S): every evaluation's slot rows, unshifted first."""
        rows = np.repeat(self.base[None], self.count, axis=0)
        for k, (column, shift) in enumerate(zip(self.columns, self.shifts), start=1):
            rows[k, :, column] += shift
        return rows

    def part(self, elements: slice, terms: np.ndarray) -> "ShiftBatch":
        """The batch elements `elements` and the shifted evaluations `terms` (indices k - 1), unshifted first."""
        return ShiftBatch(np.ascontiguousarray(self.base[elements]), self.columns[terms], self.shifts[terms],
                          np.concatenate([[0], self.starts[1:][terms]]))


def shift_derivatives(program: GradientProgram, linear: Circuit, args: Mapping[str, np.ndarray], batch: int,
                      threads: int = 1, precision: str = "double", executor: "Executor | None" = None,
                      ) -> tuple[tuple[np.ndarray, ...], list[dict[tuple[int, int], np.ndarray]], int]:
    """(values, [per linear result: {(op, param): ∂/∂angle}], evaluations), like the reference path.

    `executor` evaluates the shifted batch (default: this process on `threads` threads).
    """
    from qdl.runtime.executors import LocalExecutor
    executor = executor or LocalExecutor(threads)
    compiled = compile_circuit(linear, distinct_slots=True, precision=precision)
    column = {occurrence: k for k, occurrence in enumerate(compiled.plan.occurrences)}
    terms = [(slot, term) for slot in program.slots for term in slot.rule.terms]
    columns = np.array([column[(slot.op, slot.param)] for slot, _ in terms], dtype=np.int64)
    shifts = np.array([term.shift for _, term in terms], dtype=np.float64)
    base = compiled.slots.read(args, batch)  # (B, S)
    count = 1 + len(terms)
    if compiled.plan.results.host or any(slot.kind in (STATE, SAMPLE) for slot in compiled.plan.results.slots):
        rows = ShiftBatch(base, columns, shifts, np.zeros(count, dtype=np.int64)).rows()
        results = _evaluate(compiled, rows.reshape(count * batch, base.shape[1]), executor)
    else:  # every result reduced in the kernel: the states may be dropped as soon as they are reduced
        first = first_rows(compiled.plan)
        starts = np.array([0] + [first[c] for c in columns], dtype=np.int64)
        starts -= starts % _checkpoint_spacing(compiled, batch)
        out = executor.shift_results(compiled, ShiftBatch(base, columns, shifts, starts))
        flat = out.reshape(count * batch, out.shape[2])
        results = list(compiled.results_of(np.empty((count * batch, 0), dtype=np.complex128), flat))
    shaped = [r.reshape((count, batch) + r.shape[1:]) for r in results]
    values = tuple(r[0] for r in shaped)
    derivs: list[dict[tuple[int, int], np.ndarray]] = [{} for _ in values]
    for k, (slot, term) in enumerate(terms, start=1):
        for result, acc in zip(shaped, derivs):
            key = (slot.op, slot.param)
            acc[key] = acc.get(key, 0.0) + term.coeff * result[k]
    return values, derivs, count


def _evaluate(compiled: CompiledCircuit, slots: np.ndarray, executor: Any) -> list[np.ndarray]:
    """The circuit's results for every slot vector, in calls of bounded state memory."""
    per_call = max(1, MAX_CALL_BYTES // (PRECISIONS[compiled.plan.precision].itemsize << compiled.plan.num_qubits))
    parts = []
    for start in range(0, slots.shape[0], per_call):
        states, out = executor.execute_slots(compiled, slots[start:start + per_call])
        parts.append(compiled.results_of(states, out))
    return [np.concatenate(column) for column in zip(*parts)]


def _checkpoint_spacing(compiled: CompiledCircuit, batch: int) -> int:
    """Rows between the states evaluations may start from: a call must save more work than it costs.

    Starting a slot's evaluations up to this many rows early costs at most
    about one call; for small states every evaluation starts at row 0, in one call.
    """
    return max(1, CALL_COST // (max(batch, 1) << compiled.plan.num_qubits))


def evaluate_shift_batch(compiled: CompiledCircuit, batch: ShiftBatch, threads: int = 1,
                         with_base: bool = True) -> np.ndarray:
    """(count, B, width) reduced results of every evaluation of `batch`, each shifted one continuing
    the unshifted one from its start row.  Without `with_base`, the unshifted evaluation only runs
    up to the last start (its row of the answer is left unset)."""
    rows = batch.rows()
    count, size, _ = rows.shape
    per_call = max(1, MAX_CALL_BYTES // (PRECISIONS[compiled.plan.precision].itemsize << compiled.plan.num_qubits))
    out = np.empty((count, size, max(compiled.plan.results.width, 1)))
    for lo in range(0, size, max(1, per_call // 2)):  # base states stay alive while their shifts run
        part = slice(lo, min(size, lo + max(1, per_call // 2)))
        out[:, part] = _prefix_shared(compiled, rows[:, part], batch.starts, per_call, threads, with_base)
    return out


def _prefix_shared(compiled: CompiledCircuit, rows: np.ndarray, starts: np.ndarray, per_call: int,
                   threads: int, with_base: bool = True) -> np.ndarray:
    """(count, batch, width) reduced results: the unshifted states advance from start to start, and the
    evaluations starting at each one run the rest of the circuit from copies of them."""
    count, batch, _ = rows.shape
    end = len(compiled.plan.rows)
    out = np.empty((count, batch, max(compiled.plan.results.width, 1)))
    states = np.empty((batch, 2**compiled.plan.num_qubits), dtype=PRECISIONS[compiled.plan.precision])
    # One buffer for the copies, grown when needed: a fresh one per group costs page faults, many more
    # where malloc hands freed memory back at once (Dask's workers set MALLOC_TRIM_THRESHOLD_).
    spare = states[:0]
    position, flags = 0, START
    for row in np.unique(starts[1:]):
        compiled.resume(rows[0], states, position, int(row), flags, threads)
        position, flags = int(row), 0
        group = np.flatnonzero(starts == row)
        group = group[group > 0]
        for chunk in np.array_split(group, -(-len(group) * batch // per_call)):
            if len(spare) < len(chunk) * batch:
                spare = np.empty((len(chunk) * batch, states.shape[1]), dtype=states.dtype)
            copies = spare[:len(chunk) * batch]
            copies.reshape(len(chunk), batch, -1)[:] = states
            slots = rows[chunk].reshape(len(chunk) * batch, -1)
            got = compiled.resume(slots, copies, position, end, REDUCE, threads)
            out[chunk] = got.reshape(len(chunk), batch, -1)
    if with_base or count == 1:
        out[0] = compiled.resume(rows[0], states, position, end, flags | REDUCE, threads)
    return out
