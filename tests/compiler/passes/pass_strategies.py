"""Hypothesis strategies for the pass tests: random circuits over the whole gate table.

Circuits mix constant angles (including multiples of π/2, 2π and 4π, so that
trivial and mergeable gates appear), symbolic angles over two `param`
arguments, extra controls, and deliberate inverse and same-axis pairs, so
every pass finds something to do.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from hypothesis import strategies as st

from qdl.compiler.expr import Arg, Const, Expr, add, mul, neg
from qdl.compiler.gates import GATES
from qdl.compiler.ir import (
    FLOAT, Argument, BarrierOp, Circuit, Condition, ExpVal, GateOp, MeasureOp, Observable, PauliTerm,
    Probs, ResetOp, State,
)
from qdl.compiler.passes.optimize.merge_rotations import ADDITIVE

A, B = Arg("a"), Arg("b")
ARGUMENTS = (Argument("a", FLOAT, trainable=True), Argument("b", FLOAT, trainable=True))
SPECIAL = [0.0, math.pi / 2, -math.pi / 2, math.pi, 2 * math.pi, -2 * math.pi, 4 * math.pi, 0.3, -1.1]
GATE_NAMES = sorted(g for g in GATES if g != "gphase")


def angles(symbolic: bool = True) -> st.SearchStrategy[Expr]:
    consts = st.one_of(st.sampled_from(SPECIAL), st.floats(-7, 7)).map(Const)
    if not symbolic:
        return consts
    exprs = st.sampled_from([A, B, neg(A), add(mul(2.0, A), 0.5), add(A, B), mul(Const(-0.5), B)])
    return st.one_of(consts, exprs)


@st.composite
def gate_ops(draw: st.DrawFn, n: int, symbolic: bool = True) -> GateOp:
    names = [g for g in GATE_NAMES if GATES[g].num_qubits <= n]
    name = draw(st.sampled_from(names))
    spec = GATES[name]
    free = n - spec.num_qubits
    ncontrols = draw(st.sampled_from([0, 0, 0, 1, 2])) if free else 0
    ncontrols = min(ncontrols, free)
    wires = draw(st.permutations(range(n)))[: spec.num_qubits + ncontrols]
    params = tuple(draw(angles(symbolic)) for _ in range(spec.num_params))
    values = tuple(draw(st.booleans()) for _ in range(ncontrols))
    return GateOp(name, tuple(wires[ncontrols:]), params, tuple(wires[:ncontrols]), values)


def _partner(draw: st.DrawFn, op: GateOp, symbolic: bool) -> GateOp:
    """The op's inverse, or (for additive gates) the same rotation by another angle."""
    if op.gate in ADDITIVE and draw(st.booleans()):
        return replace(op, params=(draw(angles(symbolic)),))
    name, params = GATES[op.gate].inverse(op.params)
    return replace(op, gate=name, params=params)


@st.composite
def unitary_ops(draw: st.DrawFn, n: int, max_ops: int = 16, symbolic: bool = True) -> list[GateOp]:
    ops: list[GateOp] = []
    for _ in range(draw(st.integers(0, max_ops))):
        op = draw(gate_ops(n, symbolic))
        ops.append(op)
        if draw(st.integers(0, 2)) == 0:  # other (maybe commuting) gates may sit between the pair
            for _ in range(draw(st.integers(0, 3))):
                ops.append(draw(gate_ops(n, symbolic)))
            ops.append(_partner(draw, op, symbolic))
    if draw(st.booleans()):
        ops.append(GateOp("gphase", (), (draw(angles(symbolic)),)))
    return ops


def circuit(n: int, ops: list, results: tuple, num_bits: int = 0) -> Circuit:
    return Circuit("c", ARGUMENTS, n, tuple(ops), results, num_bits=num_bits)


@st.composite
def observables(draw: st.DrawFn, n: int) -> Observable:
    terms = []
    for _ in range(draw(st.integers(1, 3))):
        qubits = sorted(draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=min(n, 2))))
        letters = [draw(st.sampled_from("XYZZ")) for _ in qubits]
        terms.append(PauliTerm(draw(st.sampled_from([1.0, -0.5, 0.25])), tuple(zip(qubits, letters))))
    return Observable(tuple(sorted(terms, key=lambda t: t.paulis)))


@st.composite
def readouts(draw: st.DrawFn, n: int) -> tuple:
    """One result: probabilities of some qubits or an expectation value."""
    if draw(st.booleans()):
        return (ExpVal(draw(observables(n))),)
    qubits = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
    return (Probs(tuple(qubits)),)


@st.composite
def dynamic_ops(draw: st.DrawFn, n: int, bits: int) -> list:
    """Unitary ops with measurements, resets, barriers and conditioned gates among them."""
    ops = list(draw(unitary_ops(n, max_ops=10)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["measure", "reset", "barrier", "if"]))
        at = draw(st.integers(0, len(ops)))
        q = draw(st.integers(0, n - 1))
        if kind == "measure":
            op = MeasureOp(q, draw(st.integers(0, bits - 1)))
        elif kind == "reset":
            op = ResetOp(q)
        elif kind == "barrier":
            op = BarrierOp(tuple(sorted(draw(st.sets(st.integers(0, n - 1), min_size=1)))))
        else:
            op = replace(draw(gate_ops(n)), condition=Condition((draw(st.integers(0, bits - 1)),), 1))
        ops.insert(at, op)
    return ops


def arg_values(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"a": np.array(rng.uniform(-3, 3)), "b": np.array(rng.uniform(-3, 3))}


STATE = (State(),)
