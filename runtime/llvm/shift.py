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
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from qdl.compiler.autodiff import GradientProgram
from qdl.compiler.backends.llvm.codegen import REDUCE, START
from qdl.compiler.backends.llvm.results_layout import SAMPLE, STATE
from qdl.compiler.backends.llvm.slot_rows import first_rows
from qdl.compiler.ir import Circuit
from qdl.runtime.llvm.kernel import PRECISIONS, CompiledCircuit, compile_circuit

MAX_CALL_BYTES = 256 << 20  # states of one kernel call: the rest of the batch waits its turn
CALL_COST = 1 << 15  # the host's cost of one kernel call, in amplitudes times rows applied (~30 µs)


def shift_derivatives(program: GradientProgram, linear: Circuit, args: Mapping[str, np.ndarray], batch: int,
                      threads: int = 1, precision: str = "double",
                      ) -> tuple[tuple[np.ndarray, ...], list[dict[tuple[int, int], np.ndarray]], int]:
    """(values, [per linear result: {(op, param): ∂/∂angle}], evaluations), like the reference path."""
    compiled = compile_circuit(linear, distinct_slots=True, precision=precision)
    column = {occurrence: k for k, occurrence in enumerate(compiled.plan.occurrences)}
    terms = [(slot, term) for slot in program.slots for term in slot.rule.terms]
    base = compiled.slots.read(args, batch)  # (B, S)
    rows = np.repeat(base[None], 1 + len(terms), axis=0)  # (1 + T, B, S): unshifted first
    for k, (slot, term) in enumerate(terms, start=1):
        rows[k, :, column[(slot.op, slot.param)]] += term.shift
    if compiled.plan.results.host or any(slot.kind in (STATE, SAMPLE) for slot in compiled.plan.results.slots):
        results = _evaluate(compiled, rows.reshape((1 + len(terms)) * batch, base.shape[1]), threads)
    else:  # every result reduced in the kernel: the states may be dropped as soon as they are reduced
        first = first_rows(compiled.plan)
        starts = np.array([0] + [first[column[(slot.op, slot.param)]] for slot, _ in terms])
        starts -= starts % _checkpoint_spacing(compiled, batch)
        results = _evaluate_from_prefixes(compiled, rows, starts, threads)
    shaped = [r.reshape((1 + len(terms), batch) + r.shape[1:]) for r in results]
    values = tuple(r[0] for r in shaped)
    derivs: list[dict[tuple[int, int], np.ndarray]] = [{} for _ in values]
    for k, (slot, term) in enumerate(terms, start=1):
        for result, acc in zip(shaped, derivs):
            key = (slot.op, slot.param)
            acc[key] = acc.get(key, 0.0) + term.coeff * result[k]
    return values, derivs, 1 + len(terms)


def _evaluate(compiled: CompiledCircuit, slots: np.ndarray, threads: int) -> list[np.ndarray]:
    """The circuit's results for every slot vector, in calls of bounded state memory."""
    per_call = max(1, MAX_CALL_BYTES // (PRECISIONS[compiled.plan.precision].itemsize << compiled.plan.num_qubits))
    parts = []
    for start in range(0, slots.shape[0], per_call):
        states, out = compiled.execute_slots(slots[start:start + per_call], threads)
        parts.append(compiled.results_of(states, out))
    return [np.concatenate(column) for column in zip(*parts)]


def _checkpoint_spacing(compiled: CompiledCircuit, batch: int) -> int:
    """Rows between the states evaluations may start from: a call must save more work than it costs.

    Starting a slot's evaluations up to this many rows early costs at most
    about one call; for small states every evaluation starts at row 0, in one call.
    """
    return max(1, CALL_COST // (max(batch, 1) << compiled.plan.num_qubits))


def _evaluate_from_prefixes(compiled: CompiledCircuit, rows: np.ndarray, starts: np.ndarray,
                            threads: int) -> list[np.ndarray]:
    """The results of every slot vector rows[k, b], each evaluation k > 0 continuing the unshifted
    evaluation rows[0, b] from row `starts[k]` (rows[k] equals rows[0] on every slot read before it)."""
    count, batch, _ = rows.shape
    per_call = max(1, MAX_CALL_BYTES // (PRECISIONS[compiled.plan.precision].itemsize << compiled.plan.num_qubits))
    out = np.empty((count, batch, max(compiled.plan.results.width, 1)))
    for lo in range(0, batch, max(1, per_call // 2)):  # base states stay alive while their shifts run
        part = slice(lo, min(batch, lo + max(1, per_call // 2)))
        out[:, part] = _prefix_shared(compiled, rows[:, part], starts, per_call, threads)
    flat = out.reshape(count * batch, out.shape[2])
    return list(compiled.results_of(np.empty((count * batch, 0), dtype=np.complex128), flat))


def _prefix_shared(compiled: CompiledCircuit, rows: np.ndarray, starts: np.ndarray, per_call: int,
                   threads: int) -> np.ndarray:
    """(count, batch, width) reduced results: the unshifted states advance from start to start, and the
    evaluations starting at each one run the rest of the circuit from copies of them."""
    count, batch, _ = rows.shape
    end = len(compiled.plan.rows)
    out = np.empty((count, batch, max(compiled.plan.results.width, 1)))
    states = np.empty((batch, 2**compiled.plan.num_qubits), dtype=PRECISIONS[compiled.plan.precision])
    position, flags = 0, START
    for row in np.unique(starts[1:]):
        compiled.resume(rows[0], states, position, int(row), flags, threads)
        position, flags = int(row), 0
        group = np.flatnonzero(starts == row)
        group = group[group > 0]
        for chunk in np.array_split(group, -(-len(group) * batch // per_call)):
            copies = np.tile(states, (len(chunk), 1))
            slots = rows[chunk].reshape(len(chunk) * batch, -1)
            got = compiled.resume(slots, copies, position, end, REDUCE, threads)
            out[chunk] = got.reshape(len(chunk), batch, -1)
    out[0] = compiled.resume(rows[0], states, position, end, flags | REDUCE, threads)
    return out
