"""Statements of circuit and gate bodies -> flat IR ops.

Loops unroll, compile-time `if`s pick a branch, user gates inline (see
`gate_calls.py`), and `if` on measured bits attaches a `Condition` to the
gates of its block.  Each statement is elaborated on its own: a mistake is
reported and the next statement still runs, so one run shows every error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qdl.compiler.diagnostics import DiagnosticSink, Span
from qdl.compiler.frontend import ast
from qdl.compiler.frontend.conditions import BitCondition, RuntimeIf
from qdl.compiler.frontend.context import (BITS, CONST, LOCAL, POISON, QUBITS, AbortCircuit, ElabError, check_name,
                                           Poisoned, Scope, Symbol)
from qdl.compiler.frontend.expressions import Evaluator, fail, plural
from qdl.compiler.frontend.gate_calls import GateCalls
from qdl.compiler.frontend.values import Bits, Qubits, describe, is_constant
from qdl.compiler.ir import BarrierOp, Condition, MeasureOp, Op, Register, ResetOp

STATE_BYTES_PER_AMPLITUDE = 16  # complex128 (the default); complex64 states take 8
# Declarations an imported OpenQASM block may contain but a body may not.
_NOT_HERE = {"ArgDecl": "an `input` declaration", "GateDef": "a gate definition",
             "Import": "an `include`", "CircuitDef": "a circuit definition"}


@dataclass(frozen=True)
class CompileOptions:
    """Limits and switches of one compilation.

    `max_ops` bounds the unrolled size of one circuit; `max_state_bytes` bounds
    the state vector a circuit may need (default: three quarters of the machine's memory: the
    LLVM kernel keeps one state, and a 30-qubit state must fit on a 24 GiB machine);
    `bytes_per_amplitude` is 16 (complex128) or 8 (single precision, complex64).
    """

    max_ops: int = 5_000_000
    max_state_bytes: int | None = None
    bytes_per_amplitude: int = STATE_BYTES_PER_AMPLITUDE

    def state_limit(self) -> int:
        if self.max_state_bytes is not None:
            return self.max_state_bytes
        try:
            import os
            return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * 3 // 4
        except (ValueError, OSError, AttributeError):
            return 8 << 30


@dataclass
class CircuitState:
    """What a circuit has allocated and emitted so far."""

    num_qubits: int = 0
    num_bits: int = 0
    qubit_registers: list[Register] = field(default_factory=list)
    bit_registers: list[Register] = field(default_factory=list)
    ops: list[Op] = field(default_factory=list)
    op_count: int = 0
    poisoned: bool = False


class BodyElaborator(GateCalls, RuntimeIf):
    """Elaborates statements into `self.out`, the op list currently being filled."""

    def __init__(self, sink: DiagnosticSink, options: CompileOptions, state: CircuitState,
                 scope: Scope, circuit_span: Span | None) -> None:
        self.sink = sink
        self.options = options
        self.state = state
        self.scope = scope
        self.evaluator = Evaluator(scope)
        self.out: list[Op] = state.ops
        self.call_stack: list[str] = []
        self.condition: Condition | None = None
        self.in_gate = False
        self.circuit_span = circuit_span

    # ------------------------------------------------------------ driving

    def run_block(self, stmts: tuple, scope: Scope) -> None:
        saved = self.scope
        self.scope = self.evaluator.scope = scope
        try:
            for stmt in stmts:
                self.statement(stmt)
        finally:
            self.scope = self.evaluator.scope = saved

    def statement(self, stmt) -> None:
        try:
            handler = _HANDLERS.get(type(stmt))
            if handler is None:
                what = _NOT_HERE.get(type(stmt).__name__, "this declaration")
                raise fail("E0222", f"{what} must be at the top level of the file", stmt.span,
                           "not allowed inside a block")
            handler(self, stmt)
        except ElabError as exc:
            self.sink.emit(exc.diagnostic)
        except Poisoned:
            self.state.poisoned = True  # an earlier error made this statement meaningless

    def emit(self, op: Op) -> None:
        if self.condition is not None:
            op = self._conditioned(op)
        self.out.append(op)
        self.state.op_count += 1
        if self.state.op_count > self.options.max_ops:
            self._over_budget(self.circuit_span, "in this circuit")

    def _over_budget(self, span: Span | None, label: str) -> None:
        self.sink.emit(fail("E0306", f"the circuit unrolls to more than {self.options.max_ops} "
                            "operations", span, label,
                            help="reduce loop counts, or raise the limit with `--max-ops`").diagnostic)
        raise AbortCircuit()

    def run_gate_body(self, gate: ast.GateDef, scope: Scope) -> list[Op]:
        """Inline a user gate's body into a fresh op list and return it."""
        saved = (self.out, self.condition, self.in_gate)
        self.out, self.condition, self.in_gate = [], None, True
        self.call_stack.append(gate.name)
        try:
            self.run_block(gate.body, scope)
            return self.out
        finally:
            self.call_stack.pop()
            self.out, self.condition, self.in_gate = saved

    # ------------------------------------------------------------ declarations

    def stmt_QubitDecl(self, node: ast.QubitDecl) -> None:
        self._not_in_gate(node, "qubits are declared in circuits; a gate receives them as operands")
        size = self._poison_on_error(node.name, QUBITS, lambda: self._register_size(node))
        total = self.state.num_qubits + size
        needed = self.options.bytes_per_amplitude * (2 ** min(total, 200))
        if needed > self.options.state_limit():
            self.sink.emit(fail("E0305", f"{total} qubits need {_bytes(needed)} for the state vector",
                                node.span, f"brings the circuit to {total} qubits",
                                notes=(f"the limit is {_bytes(self.options.state_limit())}",),
                                help="use fewer qubits, or raise the limit with `--max-memory`").diagnostic)
            raise AbortCircuit()
        start = self.state.num_qubits
        self.state.num_qubits = total
        self.state.qubit_registers.append(Register(node.name, start, size))
        value = Qubits(tuple(range(start, total)), node.size is None, node.name)
        self._define(node.name, Symbol(QUBITS, value, node.span), node.span)

    def stmt_BitDecl(self, node: ast.BitDecl) -> None:
        self._not_in_gate(node, "bits are declared in circuits")
        size = self._poison_on_error(node.name, BITS, lambda: self._register_size(node))
        start = self.state.num_bits
        self.state.num_bits += size
        self.state.bit_registers.append(Register(node.name, start, size))
        value = Bits(tuple(range(start, start + size)), node.size is None, node.name)
        self._define(node.name, Symbol(BITS, value, node.span, used=True), node.span)

    def _poison_on_error(self, name: str, kind: str, compute):
        """Run `compute`; if it fails, bind `name` to POISON so later uses stay quiet."""
        try:
            return compute()
        except (ElabError, Poisoned):
            self.scope.define(name, Symbol(kind, POISON, None, used=True))
            self.state.poisoned = True  # qubit counts are unknown: skip checks that need them
            raise

    def _register_size(self, node) -> int:
        if node.size is None:
            return 1
        size = self.evaluator.constant_int(node.size, "a register size")
        if size < 1:
            raise fail("E0206", f"a register needs at least one element, found size {size}", node.size.span)
        return size

    def stmt_ConstDecl(self, node: ast.ConstDecl) -> None:
        define_const(self.evaluator, self.scope, node, self.sink)

    def _define(self, name: str, symbol: Symbol, span: Span | None) -> None:
        check_name(name, span)
        previous = self.scope.names.get(name)
        if previous is not None:
            raise fail("E0208", f"`{name}` is defined twice in this scope", span, "redefined here",
                       help="choose another name")
        self.scope.define(name, symbol)

    def _not_in_gate(self, node, why: str) -> None:
        if self.in_gate:
            raise fail("E0222", f"`{type(node).__name__.replace('Decl', '').lower()}` declarations are not "
                       "allowed in a gate", node.span, "inside a gate body", notes=(why,))

    # ------------------------------------------------------------ control flow

    def stmt_For(self, node: ast.For) -> None:
        check_name(node.var, node.span)
        values = self.evaluator.iterate(node.iterable)
        if node.body and self.state.op_count + len(values) > self.options.max_ops:
            self._over_budget(node.span, f"this loop runs {len(values)} times")
        for value in values:
            scope = self.scope.child()
            scope.define(node.var, Symbol(LOCAL, value, node.span, used=True))
            self.run_block(node.body, scope)

    def stmt_If(self, node: ast.If) -> None:
        on_bits = BitCondition(self.evaluator, node.cond)
        if on_bits.reads_bits:
            self._runtime_if(node, on_bits)
            return
        value = self.evaluator.eval(node.cond)
        if not isinstance(value, (bool, np.bool_)):
            if not is_constant(value):
                raise self.evaluator.not_constant(node.cond, value, "an `if` condition")
            raise fail("E0205", f"an `if` condition must be a bool, found {describe(value)}", node.cond.span,
                       help="compare it: `if (n > 0) { ... }`")
        self.run_block(node.then if value else node.orelse, self.scope.child())

    # ------------------------------------------------------------ measurement

    def qubit_operand(self, node: ast.ExprNode) -> Qubits:
        value = self.evaluator.eval(node)
        if not isinstance(value, Qubits):
            raise fail("E0205", f"expected a qubit, found {describe(value)}", node.span,
                       "not a qubit", help=_declare_help(node))
        return value

    def bit_operand(self, node: ast.ExprNode) -> Bits:
        value = self.evaluator.eval(node)
        if not isinstance(value, Bits):
            raise fail("E0205", f"expected a bit, found {describe(value)}", node.span, "not a bit",
                       help="declare classical bits with `bit c[2];`")
        return value

    def stmt_Measure(self, node: ast.Measure) -> None:
        qubits = self.qubit_operand(node.qubit)
        bits = self.bit_operand(node.target) if node.target is not None else self._anonymous_bits(qubits)
        if len(qubits.indices) != len(bits.indices):
            raise fail("E0302", f"measuring {plural(len(qubits.indices), 'qubit')} into "
                       f"{plural(len(bits.indices), 'bit')}",
                       node.span, "sizes differ", help="measure a register into a bit register of the same size")
        for q, b in zip(qubits.indices, bits.indices):
            self.emit(MeasureOp(q, b, node.span))

    def _anonymous_bits(self, qubits: Qubits) -> Bits:
        """Fresh bits, in no register, for a measurement whose result is discarded."""
        start = self.state.num_bits
        self.state.num_bits += len(qubits.indices)
        return Bits(tuple(range(start, self.state.num_bits)), qubits.single, "_")

    def stmt_Reset(self, node: ast.Reset) -> None:
        for operand in node.qubits:
            for q in self.qubit_operand(operand).indices:
                self.emit(ResetOp(q, node.span))

    def stmt_Barrier(self, node: ast.Barrier) -> None:
        if node.qubits:
            qubits = tuple(q for operand in node.qubits for q in self.qubit_operand(operand).indices)
        else:
            qubits = tuple(range(self.state.num_qubits))
        self.emit(BarrierOp(qubits, node.span))

    def stmt_Return(self, node: ast.Return) -> None:
        where = "a gate" if self.in_gate else "a loop or `if`"
        raise fail("E0222", f"`return` is not allowed in {where}", node.span, "misplaced `return`",
                   help="a circuit returns once, as its last statement")

    def qubit_name(self, index: int) -> str:
        for reg in self.state.qubit_registers:
            if reg.start <= index < reg.start + reg.size:
                return f"`{reg.name}[{index - reg.start}]`" if reg.size > 1 else f"`{reg.name}`"
        return f"#{index}"


# node type -> unbound `stmt_<Type>` method: one dict lookup per statement on the hot path
_HANDLERS = {getattr(ast, name[len("stmt_"):]): getattr(BodyElaborator, name) for name in dir(BodyElaborator)
             if name.startswith("stmt_")}


def define_const(evaluator: Evaluator, scope: Scope, node: ast.ConstDecl, sink: DiagnosticSink) -> None:
    """Evaluate a `const` (in a file or a body) and bind it, poisoning it on error."""
    if node.name in scope.names:
        sink.emit(fail("E0208", f"`{node.name}` is defined twice", node.span, "redefined here",
                       help="choose another name").diagnostic)
        return
    try:
        check_name(node.name, node.span)
        value = evaluator.eval(node.value)
        if not (is_constant(value) or _is_observable(value)):
            raise evaluator.not_constant(node.value, value, "a `const` value")
        if node.type is not None:
            value = _check_const_type(evaluator, node, value)
    except ElabError as exc:
        sink.emit(exc.diagnostic)
        value = POISON
    except Poisoned:
        value = POISON
    scope.define(node.name, Symbol(CONST, value, node.span))


def _is_observable(value: object) -> bool:
    from qdl.compiler.frontend.values import PauliSum
    return isinstance(value, PauliSum)


def _check_const_type(evaluator: Evaluator, node: ast.ConstDecl, value: object) -> object:
    base, dims = node.type.base, node.type.dims
    shape = tuple(evaluator.constant_int(d, "an array dimension") for d in dims)
    if np.shape(value) != shape:
        raise fail("E0206", f"`{node.name}` is declared with shape {list(shape)} but its value has shape "
                   f"{list(np.shape(value))}", node.value.span)
    if base == "int":
        if not np.all(np.equal(np.mod(value, 1), 0)) or np.asarray(value).dtype.kind == "b":
            raise fail("E0205", f"`{node.name}` is declared `int` but its value is not an integer",
                       node.value.span)
        return np.asarray(value, dtype=np.int64) if shape else int(value)
    if base == "float":
        return np.asarray(value, dtype=np.float64) if shape else float(value)
    if base == "bool" and np.asarray(value).dtype.kind != "b":
        raise fail("E0205", f"`{node.name}` is declared `bool` but its value is {describe(value)}",
                   node.value.span)
    return value


def _declare_help(node: ast.ExprNode) -> str | None:
    if isinstance(node, ast.Name):
        return f"declare it with `qubit {node.id};` or `qubit {node.id}[n];`"
    return None


def _bytes(n: int) -> str:
    if n >= 1 << 50:
        return f"2**{n.bit_length() - 1} bytes"  # beyond any machine: the exponent says it best
    for unit, size in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} bytes"
