"""IR rewrites the gradient runners need: linear results and shifted angles.

`linear_circuit` rewrites a circuit's results as expectations of fixed
operators, which shift rules differentiate term by term: `expval` and
`probs` are linear already; `var(H)` becomes `expval(H)` and `expval(H²)`
(H² by Pauli algebra), to be recombined as <H²> - <H>².  `state` and
`sample` have no derivative.  `shifted_circuit` replaces one angle by
`angle + shift`: the circuits a gradient program evaluates.  Both return new
circuits and leave op indices unchanged, so slots keep pointing at their ops.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable

from qdl.compiler.autodiff.errors import AutodiffError
from qdl.compiler.autodiff.program import GradientProgram
from qdl.compiler.expr import Binary, Const
from qdl.compiler.frontend.values import PauliSum
from qdl.compiler.ir import Circuit, ExpVal, GateOp, Observable, PauliTerm, Result, Sample, State, Var


def linear_circuit(circuit: Circuit) -> Circuit:
    """The circuit returning the linear results its results are computed from (a tuple)."""
    linear: list[Result] = []
    for result in circuit.results:
        if isinstance(result, (State, Sample)):
            kind = "state" if isinstance(result, State) else "sample"
            raise AutodiffError(f"circuit `{circuit.name}` returns `{kind}`, which is not differentiable; "
                                "differentiate `expval`, `var` or `probs` results instead")
        if isinstance(result, Var):
            linear += [ExpVal(result.observable), ExpVal(square(result.observable))]
        else:
            linear.append(result)
    return replace(circuit, results=tuple(linear), returns_tuple=True)


def square(observable: Observable) -> Observable:
    """H² as a Pauli sum (Hermitian: the imaginary parts of products cancel)."""
    pauli = PauliSum(tuple((t.paulis, complex(t.coeff)) for t in observable.terms))
    terms = [PauliTerm(c.real, key) for key, c in (pauli * pauli).as_dict().items() if abs(c) > 1e-15]
    return Observable(tuple(sorted(terms, key=lambda t: t.paulis)))


def shifted_circuit(circuit: Circuit, op_index: int, param: int, shift: float) -> Circuit:
    """`circuit` with angle `param` of op `op_index` replaced by `angle + shift`."""
    op = circuit.ops[op_index]
    assert isinstance(op, GateOp)
    params = tuple(Binary("+", p, Const(shift)) if j == param else p for j, p in enumerate(op.params))
    ops = circuit.ops[:op_index] + (replace(op, params=params),) + circuit.ops[op_index + 1:]
    return replace(circuit, ops=ops)


def shifted_many(circuit: Circuit, program: GradientProgram, shifts: Iterable[tuple[int, float]]) -> Circuit:
    """`circuit` with several of `program`'s slots shifted: (slot number, shift) pairs."""
    for number, shift in shifts:
        slot = program.slots[number]
        circuit = shifted_circuit(circuit, slot.op, slot.param, shift)
    return circuit
