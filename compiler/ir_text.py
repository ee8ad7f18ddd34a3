"""The IR's text form: a printer and a parser that round-trip exactly.

`parse_module(format_module(m)) == m` for every module (spans aside), and
printing is a fixed point.  One statement per line, qubits written `%i`,
classical bits `$i` (global indices); docs/ir.md has the grammar and examples.

Exactness rules shared by the printer and `grammar/ir.lark`:
- numbers print as `compiler.expr.format_number` does (shortest `repr`, `pi`,
  `nan`, `inf`, `-inf`, `-0.0`);
- a `-` directly before a digit or `inf` belongs to the literal, so `-3` is
  `Const(-3.0)` and the negation of a literal prints as `-(3)`;
- the parser builds raw `Const`/`Arg`/`Unary`/`Binary` nodes, never the
  folding constructors, so it returns exactly the tree that was printed.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from functools import cache
from typing import Any, Iterable, NamedTuple

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from qdl.compiler.diagnostics import Span
from qdl.compiler.expr import UNARY_FUNCTIONS, Arg, Binary, Const, Expr, Unary, format_expr, format_number
from qdl.compiler.ir import (
    Argument, BarrierOp, Circuit, Condition, ExpVal, GateOp, MeasureOp, Module, Observable,
    Op, PauliTerm, Probs, Register, ResetOp, Result, Sample, State, Var,
)

_CONSTANTS = {"pi": math.pi, "inf": math.inf, "nan": math.nan}  # `math.nan`: one object, so equal
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*\Z", re.ASCII)
_STATEMENT_KEYWORDS = frozenset(
    {"ctrl", "if", "measure", "reset", "barrier", "return", "qubits", "bits"})


class IRSyntaxError(ValueError):
    """Malformed IR text; the message starts with `file:line:col` and shows the line."""

    def __init__(self, message: str, filename: str, line: int, column: int,
                 expected: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.filename, self.line, self.column, self.expected = filename, line, column, expected


# --- printing -----------------------------------------------------------------------


def format_module(module: Module) -> str:
    """The whole module: circuits separated by a blank line, ending in a newline."""
    return "\n".join(format_circuit(c) for c in module.circuits)


def format_circuit(circuit: Circuit) -> str:
    """One circuit, one statement per line, ending in a newline."""
    args = ", ".join(_argument(a) for a in circuit.arguments)
    lines = [f"circuit {_name(circuit.name)}({args}) {{",
             f"  qubits {circuit.num_qubits}{_registers(circuit.qubit_registers, '%')}"]
    if circuit.num_bits or circuit.bit_registers:
        lines.append(f"  bits {circuit.num_bits}{_registers(circuit.bit_registers, '$')}")
    lines += [f"  {_op(op)}" for op in circuit.ops]
    lines += [f"  {_return(circuit)}", "}"]
    return "\n".join(lines) + "\n"


def format_ir_expr(expr: Expr) -> str:
    """`format_expr` made exact: the text `parse_expr` reads back as the same tree."""
    return _expr(expr)


def _name(name: str, reserved: Iterable[str] = ()) -> str:
    if not _IDENTIFIER.match(name) or name in reserved:
        raise ValueError(f"{name!r} cannot be written in IR text (not an identifier or reserved)")
    return name


def _argument(arg: Argument) -> str:
    shape = f"[{', '.join(map(str, arg.shape))}]" if arg.shape else ""
    prefix = "param " if arg.trainable else ""
    return f"{prefix}{_name(arg.name, ('param', *_CONSTANTS))}: {_name(arg.dtype)}{shape}"


def _registers(registers: tuple[Register, ...], sigil: str) -> str:
    if not registers:
        return ""
    parts = (f"{_name(r.name)}: {sigil}{r.start}..{sigil}{r.start + r.size}" for r in registers)
    return f" ({', '.join(parts)})"


def _qubits(qubits: tuple[int, ...]) -> str:
    return ", ".join(f"%{q}" for q in qubits)


def _op(op: Op) -> str:
    if isinstance(op, GateOp):
        return _gate(op)
    if isinstance(op, MeasureOp):
        return f"measure %{op.qubit} -> ${op.bit}"
    if isinstance(op, ResetOp):
        return f"reset %{op.qubit}"
    if isinstance(op, BarrierOp):
        return f"barrier {_qubits(op.qubits)}".rstrip()
    raise TypeError(f"not an IR op: {op!r}")


def _gate(op: GateOp) -> str:
    if len(op.controls) != len(op.control_values):
        raise ValueError(f"gate `{op.gate}` has {len(op.controls)} controls "
                         f"but {len(op.control_values)} control values")
    text = _name(op.gate, _STATEMENT_KEYWORDS)
    if op.controls:
        marks = (f"{'' if on else '!'}%{q}" for q, on in zip(op.controls, op.control_values))
        text = f"ctrl({', '.join(marks)}) {text}"
    if op.params:
        text += f"({', '.join(_expr(p) for p in op.params)})"
    text = f"{text} {_qubits(op.qubits)}".rstrip()
    if op.condition is None:
        return text
    bits = ", ".join(f"${b}" for b in op.condition.bits)
    return f"if [{bits}] == {op.condition.value}: {text}"


def _return(circuit: Circuit) -> str:
    results = ", ".join(_result(r) for r in circuit.results)
    if not circuit.returns_tuple:
        return f"return {results}".rstrip()
    return f"return ({results}{',' if len(circuit.results) == 1 else ''})"


def _result(result: Result) -> str:
    if isinstance(result, ExpVal):
        return f"expval({format_observable(result.observable)})"
    if isinstance(result, Var):
        return f"var({format_observable(result.observable)})"
    if isinstance(result, Probs):
        return f"probs({_qubits(result.qubits)})"
    if isinstance(result, Sample):
        return f"sample({_qubits(result.qubits)})"
    if isinstance(result, State):
        return "state"
    raise TypeError(f"not an IR result: {result!r}")


def format_observable(observable: Observable) -> str:
    """Signed sum of terms; the sign is printed apart, so `-0.0` and `-nan` stay exact."""
    text = ""
    for i, term in enumerate(observable.terms):
        negative = math.copysign(1.0, term.coeff) < 0
        body = _term(abs(term.coeff), term.paulis)
        if i == 0:
            text = f"-{body}" if negative else body
        else:
            text += f" - {body}" if negative else f" + {body}"
    return text


def _term(coeff: float, paulis: tuple[tuple[int, str], ...]) -> str:
    for _, letter in paulis:
        if letter not in ("I", "X", "Y", "Z"):
            raise ValueError(f"not a Pauli letter: {letter!r}")
    factors = " ".join(f"{letter}{q}" for q, letter in paulis)
    if not paulis:
        return format_number(coeff)
    return factors if coeff == 1.0 else f"{format_number(coeff)} * {factors}"


def _expr(expr: Expr) -> str:
    """`format_expr`, after checking that every name in it can be read back."""
    _check_readable(expr)
    return format_expr(expr)


def _check_readable(expr: Expr) -> None:
    if isinstance(expr, Arg):
        _name(expr.name, _CONSTANTS)
    elif isinstance(expr, Unary):
        if expr.fn not in UNARY_FUNCTIONS:
            raise ValueError(f"unknown function {expr.fn!r}")
        _check_readable(expr.arg)
    elif isinstance(expr, Binary):
        _check_readable(expr.lhs)
        _check_readable(expr.rhs)


# --- parsing ------------------------------------------------------------------------


def load_parser(**options: Any) -> Lark:
    """A fresh LALR parser for `grammar/ir.lark` (tests pass `strict=True`).

    The builder relies on the contextual lexer (keywords stay names where only a
    name can follow) and on `[...]` placeholders.  No disk cache: building takes
    ~0.1 s and IR text is read by tools and tests, not on the compile path.
    """
    return Lark.open_from_package("qdl.grammar", "ir.lark", ("",), parser="lalr",
                                  lexer="contextual", maybe_placeholders=True,
                                  propagate_positions=True, start=["module", "expr"],
                                  **options)


@cache
def _parser() -> Lark:
    return load_parser()


def parse_module(text: str, filename: str = "<ir>") -> Module:
    """Read IR text; spans of the result point into `text` under `filename`."""
    return _parse(text, filename, "module")


def parse_expr(text: str, filename: str = "<expr>") -> Expr:
    """Read one expression; the exact inverse of `format_ir_expr`."""
    return _parse(text, filename, "expr")


def _parse(text: str, filename: str, start: str) -> Any:
    try:
        tree = _parser().parse(text, start=start)
    except UnexpectedInput as err:
        raise _syntax_error(err, text, filename) from None
    try:
        return _Builder(text, filename).transform(tree)
    except VisitError as err:
        if isinstance(err.orig_exc, IRSyntaxError):
            raise err.orig_exc from None
        raise


_TERMINAL_NAMES = {
    "NAME": "a name", "NUMBER": "a number", "INT": "an integer", "QUBIT": "a qubit `%i`",
    "BIT": "a bit `$i`", "PAULI": "a Pauli factor like `Z0`", "$END": "end of input",
    "OBSERVABLE_RESULT": "`expval` or `var`", "QUBITS_RESULT": "`probs` or `sample`",
}


def _describe(terminal: str) -> str:
    if terminal in _TERMINAL_NAMES:
        return _TERMINAL_NAMES[terminal]
    pattern = next((t.pattern for t in _parser().terminals if t.name == terminal), None)
    return f"`{pattern.value}`" if pattern is not None else terminal


def _syntax_error(err: UnexpectedInput, text: str, filename: str) -> IRSyntaxError:
    offset = err.pos_in_stream or 0
    if isinstance(err, UnexpectedToken):
        expected, end = err.accepts or err.expected, err.token.type == "$END"
        found = "end of input" if end else f"`{err.token}`"
        offset = len(text.rstrip()) if end else err.token.start_pos
    elif isinstance(err, UnexpectedCharacters):
        expected, found = err.allowed, f"`{text[offset]}`"
    else:
        expected, found = getattr(err, "expected", ()), "end of input"
    names = tuple(sorted({_describe(t) for t in expected}))
    alternatives = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else "".join(names)
    message = f"expected {alternatives or 'something else'}, found {found}"
    return _error(text, filename, offset, message, names)


def _error(text: str, filename: str, offset: int, message: str,
           expected: tuple[str, ...] = ()) -> IRSyntaxError:
    line = text.count("\n", 0, offset) + 1
    line_start = text.rfind("\n", 0, offset) + 1
    column = offset - line_start + 1
    source = text[line_start:].split("\n", 1)[0]
    caret = " " * (column - 1) + "^"
    return IRSyntaxError(f"{filename}:{line}:{column}: {message}\n  {source}\n  {caret}",
                         filename, line, column, expected)


def _ints(children: Iterable[Any]) -> tuple[int, ...]:
    """Integers of INT / `%i` / `$i` tokens, skipping absent optional parts."""
    return tuple(int(str(c).lstrip("%$")) for c in children if isinstance(c, Token))


def _binary(op: str) -> Any:
    """A `_Builder` method building `Binary(op, lhs, rhs)`."""
    def build(self: Any, meta: Any, lhs: Expr, rhs: Expr) -> Binary:
        return Binary(op, lhs, rhs)
    return build


class _Decl(NamedTuple):
    """A `qubits` or `bits` declaration."""

    count: int
    registers: tuple[Register, ...]


_RESULTS: dict[str, Any] = {"expval": ExpVal, "var": Var, "probs": Probs, "sample": Sample}


@v_args(inline=True, meta=True)
class _Builder(Transformer):
    """Parse tree -> IR from raw dataclasses (no folding, no reordering); spans into the text."""

    def __init__(self, text: str, filename: str) -> None:
        super().__init__()
        self.text, self.filename = text, filename

    def _span(self, meta: Any) -> Span | None:
        return None if meta.empty else Span(self.filename, meta.start_pos, meta.end_pos)

    def _fail(self, token: Token, message: str) -> IRSyntaxError:
        return _error(self.text, self.filename, token.start_pos or 0, message)

    def module(self, meta: Any, *circuits: Circuit) -> Module:
        return Module(circuits)

    def circuit(self, meta: Any, name: Token, *rest: Any) -> Circuit:
        args = tuple(a for a in rest if isinstance(a, Argument))
        qubits, *bits = [d for d in rest if isinstance(d, _Decl)] + [_Decl(0, ())]
        ops = tuple(op for op in rest if isinstance(op, (GateOp, MeasureOp, ResetOp, BarrierOp)))
        results, returns_tuple = rest[-1]
        return Circuit(str(name), args, qubits.count, ops, results, returns_tuple,
                       bits[0].count, qubits.registers, bits[0].registers, self._span(meta))

    def argument(self, meta: Any, param: Token | None, name: Token, dtype: Token,
                 shape: tuple[int, ...] | None) -> Argument:
        if name in _CONSTANTS:
            raise self._fail(name, f"`{name}` is a constant and cannot name an argument")
        return Argument(str(name), str(dtype), shape or (), param is not None, self._span(meta))

    def shape(self, meta: Any, *dims: Token | None) -> tuple[int, ...]:
        return _ints(dims)

    def qubits(self, meta: Any, count: Token, *registers: Register | None) -> _Decl:
        return _Decl(int(count), tuple(r for r in registers if r is not None))

    def qubit_register(self, meta: Any, name: Token, start: Token, end: Token) -> Register:
        first, last = _ints((start, end))
        if last < first:
            raise self._fail(end, f"register `{name}` ends before it starts")
        return Register(str(name), first, last - first)

    bits, bit_register = qubits, qubit_register

    def gate(self, meta: Any, controls: list[tuple[int, bool]] | None, name: Token,
             params: tuple[Expr, ...] | None, qubits: tuple[int, ...]) -> GateOp:
        controls = controls or []
        return GateOp(str(name), qubits, params or (), tuple(q for q, _ in controls),
                      tuple(on for _, on in controls), None, self._span(meta))

    def conditioned(self, meta: Any, *children: Any) -> GateOp:
        *bits, value, gate = children
        return replace(gate, condition=Condition(_ints(bits), int(value)), span=self._span(meta))

    def controls(self, meta: Any, *controls: tuple[int, bool]) -> list[tuple[int, bool]]:
        return list(controls)

    def control(self, meta: Any, negated: Token | None, qubit: Token) -> tuple[int, bool]:
        return _ints((qubit,))[0], negated is None

    def params(self, meta: Any, *params: Expr | None) -> tuple[Expr, ...]:
        return tuple(p for p in params if p is not None)

    def qubit_list(self, meta: Any, *qubits: Token) -> tuple[int, ...]:
        return _ints(qubits)

    def measure(self, meta: Any, qubit: Token, bit: Token) -> MeasureOp:
        return MeasureOp(*_ints((qubit, bit)), span=self._span(meta))

    def reset(self, meta: Any, qubit: Token) -> ResetOp:
        return ResetOp(_ints((qubit,))[0], self._span(meta))

    def barrier(self, meta: Any, qubits: tuple[int, ...]) -> BarrierOp:
        return BarrierOp(qubits, self._span(meta))

    def return_tuple(self, meta: Any, *results: Any) -> tuple[tuple[Result, ...], bool]:
        return tuple(r for r in results if r is not None), True

    def return_bare(self, meta: Any, *results: Any) -> tuple[tuple[Result, ...], bool]:
        return tuple(r for r in results if r is not None), False

    def result(self, meta: Any, kind: Token, *payload: Any) -> Result:
        return _RESULTS[kind](*payload, self._span(meta)) if payload else State(self._span(meta))

    def observable(self, meta: Any, *terms: PauliTerm) -> Observable:
        return Observable(terms)

    def negated(self, meta: Any, term: PauliTerm) -> PauliTerm:
        return PauliTerm(-term.coeff, term.paulis)

    def obs_term(self, meta: Any, *parts: Any) -> PauliTerm:
        coeff = parts[0] if isinstance(parts[0], float) else 1.0
        return PauliTerm(coeff, tuple((int(p[1:]), p[0]) for p in parts if isinstance(p, Token)))

    def coefficient(self, meta: Any, token: Token) -> float:
        return _CONSTANTS[token] if token in _CONSTANTS else float(token)

    def number(self, meta: Any, token: Token) -> Const:
        return Const(float(token))

    def name(self, meta: Any, token: Token) -> Expr:
        return Const(_CONSTANTS[token]) if token in _CONSTANTS else Arg(str(token))

    def element(self, meta: Any, name: Token, *index: Token) -> Arg:
        if name in _CONSTANTS:
            raise self._fail(name, f"`{name}` is a constant and cannot be indexed")
        return Arg(str(name), _ints(index))

    def call(self, meta: Any, name: Token, arg: Expr) -> Unary:
        if name not in UNARY_FUNCTIONS or name == "neg":
            known = ", ".join(f for f in UNARY_FUNCTIONS if f != "neg")
            raise self._fail(name, f"unknown function `{name}` (known: {known})")
        return Unary(str(name), arg)

    def neg(self, meta: Any, arg: Expr) -> Unary:
        return Unary("neg", arg)

    add, sub, mul, div, pow = (_binary("+"), _binary("-"), _binary("*"), _binary("/"),
                               _binary("**"))
