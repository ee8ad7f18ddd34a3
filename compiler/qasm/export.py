"""Export circuits as OpenQASM 3 or OpenQASM 2 text (docs/openqasm.md, "Export").

OpenQASM 3 output is exact, global phase included: circuit arguments become
`input` declarations (array arguments flattened element-wise), registers
keep their names, gates are stdgates.inc gates with the same matrix or
`qdl_<gate>` definitions built from the gate table's exact decompositions,
extra controls are `ctrl @` / `negctrl @` modifiers and conditions are `if`
statements.  OpenQASM 2 output is exact up to a global phase and needs
numbers for every argument (`bind`); what it cannot say raises
`QasmExportError` naming the operation.

Results are not part of OpenQASM; they are written as `// qdl result:`
comments in the IR's syntax, where `Z0` and `%0` count qubits in
declaration order.  The output is a function of the circuit alone, so equal
circuits export to equal text.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Mapping

import numpy as np
from numpy.typing import ArrayLike

from qdl.compiler.expr import UNARY_FUNCTIONS, Arg, Binary, Const, Expr, Unary, add, apply, div, mul, power, sub
from qdl.compiler.gates import GATES
from qdl.compiler.ir import (
    FLOAT, BarrierOp, Circuit, Condition, GateOp, MeasureOp, Module, Op, ResetOp,
)
from qdl.compiler.ir_text import _op as _ir_op, _result as _ir_result
from qdl.compiler.qasm.export_gates import Call, definitions, qasm2_calls, qasm3_name, render
from qdl.compiler.qasm.export_names import Layout, Names, QasmExportError, allocate, describe_argument

__all__ = ["QasmExportError", "to_qasm3", "to_qasm2", "export", "bind"]

_INPUT_TYPES = {"float": "float[64]", "int": "int[64]", "bool": "bool"}


def to_qasm3(circuit: Circuit) -> str:
    """`circuit` as an OpenQASM 3 program, exact including global phase."""
    names = allocate(circuit, 3)
    arg = _input_namer(names)
    body = [line for op in circuit.ops for line in _checked(op, 3, lambda o: _statement3(o, names, arg))]
    used = [qasm3_name(op.gate) for op in circuit.ops if isinstance(op, GateOp)]
    lines = ["OPENQASM 3.0;", 'include "stdgates.inc";', _signature(circuit)]
    lines += definitions(used, 3, names.taken)
    lines += [f"input {_INPUT_TYPES[dtype]} {name};" for _, name, dtype in names.inputs]
    lines += [f"qubit[{r.size}] {r.name};" for r in names.qubits.registers]
    lines += [f"bit[{r.size}] {r.name};" for r in names.bits.registers]
    return "\n".join(lines + body + _results(circuit)) + "\n"


def to_qasm2(circuit: Circuit) -> str:
    """`circuit` as an OpenQASM 2 program over qelib1.inc, exact up to a global phase."""
    if circuit.arguments:
        listed = ", ".join(f"`{a.name}`" for a in circuit.arguments)
        raise QasmExportError(f"OpenQASM 2 has no inputs, but circuit `{circuit.name}` takes {listed}; "
                              "substitute values first: `to_qasm2(bind(circuit, values))`")
    names = allocate(circuit, 2)
    statements = [s for op in circuit.ops for s in _checked(op, 2, lambda o: _statements2(o, names))]
    used = [call.name for call, _ in statements if call is not None]
    lines = ["OPENQASM 2.0;", 'include "qelib1.inc";', _signature(circuit)]
    lines += definitions(used, 2, names.taken)
    lines += [f"qreg {r.name}[{r.size}];" for r in names.qubits.registers]
    lines += [f"creg {r.name}[{r.size}];" for r in names.bits.registers]
    return "\n".join(lines + [text for _, text in statements] + _results(circuit)) + "\n"


def export(target: Module | Circuit, version: int | str = 3, *, circuit: str | None = None) -> str:
    """OpenQASM `version` (2 or 3) text of a circuit, or of the circuit `circuit` of a module.

    A module with a single circuit needs no `circuit` name.
    """
    major = {"2": 2, "2.0": 2, "3": 3, "3.0": 3}.get(str(version))
    if major is None:
        raise ValueError(f"unknown OpenQASM version {version!r}; use 2 or 3")
    chosen = _choose(target, circuit)
    return to_qasm3(chosen) if major == 3 else to_qasm2(chosen)


def bind(circuit: Circuit, values: Mapping[str, ArrayLike]) -> Circuit:
    """`circuit` with numbers substituted for the arguments in `values`, constants folded.

    The bound arguments leave the signature; `values[name]` must have the
    argument's shape (booleans and integers become floats, as in simulation).
    """
    arrays: dict[str, np.ndarray] = {}
    for name, value in values.items():
        argument = circuit.argument(name)
        if argument is None:
            raise ValueError(f"circuit `{circuit.name}` has no argument `{name}`")
        array = np.asarray(value, dtype=np.float64)
        if array.shape != argument.shape:
            raise ValueError(f"argument `{name}` has shape {argument.shape}, the value has {array.shape}")
        arrays[name] = array
    ops = tuple(_bind_op(op, arrays) for op in circuit.ops)
    return replace(circuit, arguments=tuple(a for a in circuit.arguments if a.name not in arrays), ops=ops)


# --- OpenQASM 3 statements ---------------------------------------------------------------


def _statement3(op: Op, names: Names, arg: Callable[[Arg], str]) -> list[str]:
    qubit = names.qubits.ref
    if isinstance(op, MeasureOp):
        return [f"{names.bits.ref(op.bit)} = measure {qubit(op.qubit)};"]
    if isinstance(op, ResetOp):
        return [f"reset {qubit(op.qubit)};"]
    if isinstance(op, BarrierOp):
        return [f"barrier {', '.join(qubit(q) for q in op.qubits)};"] if op.qubits else []
    call = Call(qasm3_name(op.gate), op.all_qubits, op.params)
    text = render(call, qubit, arg, 3, _modifiers(op.control_values))
    if op.condition is None:
        return [text]
    return [f"if ({_condition3(op.condition, names.bits)}) {{ {text} }}"]


def _modifiers(values: tuple[bool, ...]) -> str:
    """`ctrl(2) @ negctrl @ ` for (True, True, False): runs of equal values grouped."""
    text, i = "", 0
    while i < len(values):
        run = next((j for j in range(i, len(values)) if values[j] != values[i]), len(values)) - i
        word = "ctrl" if values[i] else "negctrl"
        text += f"{word}({run}) @ " if run > 1 else f"{word} @ "
        i += run
    return text


def _condition3(condition: Condition, bits: Layout) -> str:
    whole = bits.whole_register(condition.bits)
    if whole is not None:
        return f"{whole} == {condition.value}"
    if not condition.bits:
        return "true" if condition.value == 0 else "false"
    if not 0 <= condition.value < 2 ** len(condition.bits):
        raise QasmExportError(f"the value {condition.value} does not fit in {len(condition.bits)} bits")
    return " && ".join(f"{bits.ref(b)} == {'true' if condition.value >> i & 1 else 'false'}"
                       for i, b in enumerate(condition.bits))


def _input_namer(names: Names) -> Callable[[Arg], str]:
    """Argument element -> input name; integers and booleans cast to float, as qdl computes."""
    elements = {element: (name, dtype) for element, name, dtype in names.inputs}

    def name_of(element: Arg) -> str:
        if element not in elements:
            raise QasmExportError(f"`{element}` is not an element of an argument of the circuit")
        name, dtype = elements[element]
        return name if dtype == FLOAT else f"float[64]({name})"

    return name_of


# --- OpenQASM 2 statements ---------------------------------------------------------------


def _statements2(op: Op, names: Names) -> list[tuple[Call | None, str]]:
    qubit = names.qubits.ref
    if isinstance(op, MeasureOp):
        return [(None, f"measure {qubit(op.qubit)} -> {names.bits.ref(op.bit)};")]
    if isinstance(op, ResetOp):
        return [(None, f"reset {qubit(op.qubit)};")]
    if isinstance(op, BarrierOp):
        return [(None, f"barrier {','.join(qubit(q) for q in op.qubits)};")] if op.qubits else []
    flips = [Call("x", (c,), ()) for c, on in zip(op.controls, op.control_values) if not on]
    calls = flips + qasm2_calls(op.gate, op.qubits, op.params, op.controls) + flips
    prefix = "" if op.condition is None else _condition2(op.condition, names.bits)
    return [(call, prefix + render(call, qubit, _no_inputs, 2)) for call in calls]


def _condition2(condition: Condition, bits: Layout) -> str:
    whole = bits.whole_register(condition.bits)
    if whole is None:
        listed = ", ".join(bits.ref(b) for b in condition.bits) or "no bits"
        raise QasmExportError(f"OpenQASM 2 only compares a whole classical register with an integer; "
                              f"this condition reads {listed}")
    return f"if({whole}=={condition.value}) "


def _no_inputs(element: Arg) -> str:
    raise QasmExportError(f"OpenQASM 2 has no inputs; bind `{element.name}` first")


# --- shared ------------------------------------------------------------------------------


def _checked(op: Op, version: int, statements: Callable[[Op], list[Any]]) -> list[Any]:
    """The op's statements; an export error is re-raised naming the op."""
    try:
        if isinstance(op, GateOp) and op.gate not in GATES:
            raise QasmExportError(f"`{op.gate}` is not a gate of the gate table")
        return statements(op)
    except QasmExportError as err:
        raise QasmExportError(f"cannot write `{_ir_op(op)}` in OpenQASM {version}: {err}") from None


def _signature(circuit: Circuit) -> str:
    args = ", ".join(describe_argument(a.dtype, a.shape, a.trainable, a.name) for a in circuit.arguments)
    return f"// qdl circuit: {circuit.name}({args})"


def _results(circuit: Circuit) -> list[str]:
    return [f"// qdl result: {_ir_result(result)}" for result in circuit.results]


def _choose(target: Module | Circuit, name: str | None) -> Circuit:
    if isinstance(target, Circuit):
        return target
    if name is not None:
        return target[name]
    if len(target.circuits) != 1:
        listed = ", ".join(f"`{n}`" for n in target.names) or "none"
        raise ValueError(f"the module has circuits {listed}; choose one with `circuit=`")
    return target.circuits[0]


_FOLD: dict[str, Callable[[Expr, Expr], Expr]] = {"+": add, "-": sub, "*": mul, "/": div, "**": power}


def _bind_op(op: Op, values: Mapping[str, np.ndarray]) -> Op:
    if not isinstance(op, GateOp) or not op.params:
        return op
    return replace(op, params=tuple(_substitute(p, values) for p in op.params))


def _substitute(expr: Expr, values: Mapping[str, np.ndarray]) -> Expr:
    if isinstance(expr, Arg) and expr.name in values:
        return Const(float(values[expr.name][expr.index]))
    if isinstance(expr, Unary) and expr.fn in UNARY_FUNCTIONS:
        return apply(expr.fn, _substitute(expr.arg, values))
    if isinstance(expr, Binary):
        return _FOLD[expr.op](_substitute(expr.lhs, values), _substitute(expr.rhs, values))
    return expr
