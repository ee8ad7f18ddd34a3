"""The IR verifier: structural invariants every pass must preserve.

Checked per circuit: qubit and bit indices in range; a gate's qubits and
controls distinct; gate names canonical entries of `compiler.gates.GATES`;
qubit and parameter counts matching the table; one control value per control;
condition bits in range and the condition value representable; angles are
`Expr`s over existing argument elements; result qubits in range.
A failure after a pass is a compiler bug, hence `VerifyError`.
"""

from __future__ import annotations

from typing import Iterator

from qdl.compiler.expr import Expr
from qdl.compiler.gates import GATES
from qdl.compiler.ir import (
    BarrierOp, Circuit, ExpVal, GateOp, MeasureOp, Module, Op, Probs, ResetOp, Sample, Var,
)


class VerifyError(AssertionError):
    """The IR broke an invariant (an internal compiler error, not a user mistake)."""


def verify(module: Module) -> list[str]:
    """Every broken invariant, as `circuit `name`, op i: problem` messages (empty when valid)."""
    return [message for circuit in module.circuits for message in verify_circuit(circuit)]


def verify_or_raise(module: Module, after: str = "a pass") -> None:
    problems = verify(module)
    if problems:
        raise VerifyError(f"invalid IR after {after}:\n  " + "\n  ".join(problems))


def verify_circuit(circuit: Circuit) -> Iterator[str]:
    where = f"circuit `{circuit.name}`"
    for index, op in enumerate(circuit.ops):
        for problem in _op_problems(circuit, op):
            yield f"{where}, op {index}: {problem}"
    for result in circuit.results:
        for problem in _qubit_problems(circuit, _result_qubits(result)):
            yield f"{where}, result: {problem}"


def _result_qubits(result: object) -> tuple[int, ...]:
    if isinstance(result, (ExpVal, Var)):
        return result.observable.qubits
    if isinstance(result, (Probs, Sample)):
        return result.qubits
    return ()


def _op_problems(circuit: Circuit, op: Op) -> Iterator[str]:
    if isinstance(op, GateOp):
        yield from _gate_problems(circuit, op)
    elif isinstance(op, MeasureOp):
        yield from _qubit_problems(circuit, (op.qubit,))
        yield from _bit_problems(circuit, (op.bit,))
    elif isinstance(op, ResetOp):
        yield from _qubit_problems(circuit, (op.qubit,))
    elif isinstance(op, BarrierOp):
        yield from _qubit_problems(circuit, op.qubits)
    else:
        yield f"not an IR op: {type(op).__name__}"


def _qubit_problems(circuit: Circuit, qubits: tuple[int, ...]) -> Iterator[str]:
    for q in qubits:
        if not isinstance(q, int) or not 0 <= q < circuit.num_qubits:
            yield f"qubit {q!r} out of range 0..{circuit.num_qubits - 1}"


def _bit_problems(circuit: Circuit, bits: tuple[int, ...]) -> Iterator[str]:
    for b in bits:
        if not isinstance(b, int) or not 0 <= b < circuit.num_bits:
            yield f"bit {b!r} out of range 0..{circuit.num_bits - 1}"


def _gate_problems(circuit: Circuit, op: GateOp) -> Iterator[str]:
    spec = GATES.get(op.gate)
    if spec is None:
        yield f"unknown gate `{op.gate}` (IR gate names are canonical table entries)"
        return
    yield from _qubit_problems(circuit, op.all_qubits)
    if len(set(op.all_qubits)) != len(op.all_qubits):
        yield f"gate `{op.gate}` uses a qubit twice: {op.all_qubits}"
    if len(op.qubits) != spec.num_qubits:
        yield f"gate `{op.gate}` takes {spec.num_qubits} qubits, got {len(op.qubits)}"
    if len(op.params) != spec.num_params:
        yield f"gate `{op.gate}` takes {spec.num_params} parameters, got {len(op.params)}"
    if len(op.controls) != len(op.control_values):
        yield f"{len(op.controls)} controls but {len(op.control_values)} control values"
    yield from _param_problems(circuit, op)
    if op.condition is not None:
        yield from _bit_problems(circuit, op.condition.bits)
        if not 0 <= op.condition.value < 2 ** len(op.condition.bits):
            yield f"condition value {op.condition.value} does not fit {len(op.condition.bits)} bits"


def _param_problems(circuit: Circuit, op: GateOp) -> Iterator[str]:
    for param in op.params:
        if not isinstance(param, Expr):
            yield f"parameter {param!r} of `{op.gate}` is not an Expr"
            continue
        for arg in param.free_args():
            argument = circuit.argument(arg.name)
            if argument is None:
                yield f"angle of `{op.gate}` uses unknown argument `{arg.name}`"
            elif len(arg.index) != len(argument.shape) or any(
                    not 0 <= i < n for i, n in zip(arg.index, argument.shape)):
                yield f"angle of `{op.gate}` indexes `{arg.name}` out of its shape {argument.shape}"
