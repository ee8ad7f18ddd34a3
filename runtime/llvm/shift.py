"""Parameter shift on the LLVM kernel: every shifted evaluation is a slot vector of one batch.

A shift rule needs f at θ_s + σ_t for every slot s and term t.  Compiling one
circuit per shifted angle would cost an LLVM compile per term; instead the
linear circuit is compiled once with a slot per gate parameter
(`compile_circuit(..., distinct_slots=True)`), and each shifted evaluation is
the unshifted slot vector with one entry moved.  All of them, for every batch
element, run through the same kernel as one batch (split into calls whose
states stay under `MAX_CALL_BYTES`; `threads` split each call).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from qdl.compiler.autodiff import GradientProgram
from qdl.compiler.ir import Circuit
from qdl.runtime.llvm.kernel import PRECISIONS, CompiledCircuit, compile_circuit

MAX_CALL_BYTES = 256 << 20  # states of one kernel call: the rest of the batch waits its turn


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
    results = _evaluate(compiled, rows.reshape((1 + len(terms)) * batch, base.shape[1]), threads)
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
