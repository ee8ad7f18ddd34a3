"""OpenQASM 3 (the gate-level subset) -> qdl AST.

Like `qasm2`, the file becomes qdl gates plus the body of `circuit main`,
whose arguments are the file's `input` declarations (floats and angles are
trainable).  Differences from qdl that the translation settles:
- ranges `[a:b]` and slices `q[a:b]` include `b`;
- `pi`/`π`, `tau`/`τ`, `euler`/`ℇ` are constants; `ceiling`, `mod`, `pow` are
  spelled `ceil`, `%`, `**` in qdl; casts to float/angle are the identity;
- classical variables with an initial value are constants (assigning to one
  is reported as unsupported, never silently ignored);
- `measure q;` without a target measures into anonymous bits.
Standard-gate names resolve to qdl's gate table, whose matrices follow the
OpenQASM 3 specification's `U` and the usual (Qiskit, PennyLane) definitions.
"""

from __future__ import annotations

from lark import v_args

from qdl.compiler.diagnostics import DiagnosticSink, Span, error
from qdl.compiler.frontend import ast
from qdl.compiler.frontend.parser import build
from qdl.compiler.frontend.tree_rules import SourceTransformer, items_of, with_raw
from qdl.compiler.qasm.qasm2 import QasmProgram
from qdl.compiler.qasm.unsupported import blank_unsupported

CONSTANT_NAMES = {"pi": "pi", "π": "pi", "tau": "tau", "τ": "tau", "euler": "e", "ℇ": "e"}
FUNCTION_NAMES = {"ceiling": "ceil"}
TYPES = {"float": "float", "angle": "float", "int": "int", "uint": "int", "bool": "bool"}


def parse_qasm3(text: str, file: str, sink: DiagnosticSink) -> QasmProgram | None:
    """Parse an OpenQASM 3 file; None when it has errors or unsupported constructs."""
    scan = blank_unsupported(text, file)
    sink.sources.add(file, text)
    for diagnostic in scan.diagnostics:
        sink.emit(diagnostic)
    statements, builder = build("qasm3.lark", Qasm3Builder, scan.text, file, sink)
    sink.sources.add(file, text)  # show the original lines, not the blanked ones
    if statements is None or scan.unsupported:
        return None
    for diagnostic in builder.diagnostics:
        sink.emit(diagnostic)
    if builder.diagnostics:
        return None
    program = QasmProgram(file)
    for stmt in _flatten(statements):
        if isinstance(stmt, ast.Import):
            program.includes.append(stmt)
        elif isinstance(stmt, ast.GateDef):
            program.gates.append(stmt)
        elif isinstance(stmt, ast.ArgDecl):
            program.inputs.append(stmt)
        else:
            program.body.append(stmt)
    return program


def _flatten(items) -> list:
    out = []
    for item in items:
        if isinstance(item, list):
            out.extend(_flatten(item))
        elif item is not None:
            out.append(item)
    return out


@v_args(wrapper=with_raw)
class Qasm3Builder(SourceTransformer):
    """Tree -> qdl AST statements; unsupported pieces become diagnostics."""

    def __init__(self, file: str) -> None:
        super().__init__(file)
        self.diagnostics = []

    def _unsupported(self, what: str, span: Span | None, help: str | None = None):
        self.diagnostics.append(error("E0110", f"{what} not supported", span,
                                      "not supported by qdl's OpenQASM importer", help=help))
        return ast.Number(0, span)

    # ------------------------------------------------------------ declarations

    def start(self, meta, _version, statements):
        return list(statements or ())

    def statements(self, meta, *parts):
        return self._listed(parts)

    modifiers = operand_list = statements

    def version(self, meta, number):
        return None

    def include(self, meta, path):
        name = str(path)[1:-1]
        return None if name in ("stdgates.inc", "qelib1.inc") else ast.Import(name, self._span(meta))

    def designator(self, meta, expr):
        return self._handed_up(meta, expr)

    def qubit_decl(self, meta, size, name):
        return ast.QubitDecl(str(name), size, self._span(meta))

    def qreg(self, meta, name, size):
        return ast.QubitDecl(str(name), size, self._span(meta))

    def bit_decl(self, meta, size, name, measured):
        decl = ast.BitDecl(str(name), size, self._span(meta))
        if measured is None:
            return decl
        return [decl, ast.Measure(measured, ast.Name(str(name), self._tok(name)), self._span(meta))]

    def creg(self, meta, name, size):
        return ast.BitDecl(str(name), size, self._span(meta))

    def scalar_type(self, meta, name, size):
        base = TYPES.get(str(name))
        if base is None:
            self._unsupported(f"`{name}` values are", self._tok(name))
            base = "float"
        return ast.TypeExpr(base, (), self._span(meta))

    def const_decl(self, meta, type_, name, value):
        return ast.ConstDecl(str(name), type_, value, self._span(meta))

    def classical_decl(self, meta, type_, name, value):
        if value is None:
            return self._unsupported("classical variables without a value are", self._span(meta),
                                     help="declare a `const` with a value, or an `input`") and None
        return ast.ConstDecl(str(name), type_, value, self._span(meta))

    def input_decl(self, meta, type_, name):
        return ast.ArgDecl(str(name), type_, type_.base == "float", self._span(meta))

    def gate_def(self, meta, name, params, qargs, body):
        params = tuple(ast.ParamDecl(str(p), None, self._tok(p)) for p in params or ())
        qargs = tuple(ast.QArgDecl(str(q), None, self._tok(q)) for q in qargs)
        return ast.GateDef(str(name), params, qargs, tuple(_flatten(body)), self._tok(name), self._span(meta))

    def gate_params(self, meta, ids=None):
        return ids or ()

    def id_list(self, meta, *ids):
        return tuple(ids)

    def block(self, meta, stmts):
        return _flatten(stmts or ())

    # ------------------------------------------------------------ statements

    def gate_call(self, meta, modifiers, name, args, operands):
        return ast.GateCall(tuple(modifiers or ()), str(name), tuple(args or ()), items_of(operands),
                            self._tok(name), self._span(meta))

    def operand(self, meta, name, index):
        node = ast.Name(str(name), self._tok(name))
        return node if index is None else ast.Index(node, (index,), self._span(meta))

    def physical(self, meta, tok):
        return self._unsupported("physical qubits (`$n`) are", self._tok(tok),
                                 help="declare a register: `qubit[n] q;`")

    def range_index(self, meta, lo, hi, step):
        if step is not None:
            self._unsupported("slices with a step are", self._span(meta))
        upper = None if hi is None else ast.BinOp("+", hi, ast.Number(1, hi.span), hi.span)
        return ast.Slice(lo, upper, self._span(meta))  # OpenQASM slices include their end

    def index_set(self, meta, *items):
        return ast.ArrayLit(tuple(items), self._span(meta))

    def measure_assign(self, meta, target, qubit):
        return ast.Measure(qubit, target, self._span(meta))

    def measure_arrow(self, meta, qubit, _arrow, target):
        return ast.Measure(qubit, target, self._span(meta))

    def assignment(self, meta, target, *rest):
        return self._unsupported("assignments to classical variables are", self._span(meta),
                                 help="qdl imports constants (`const`) and inputs (`input`)") and None

    def reset(self, meta, operand):
        return ast.Reset((operand,), self._span(meta))

    def barrier(self, meta, operands):
        return ast.Barrier(items_of(operands), self._span(meta))

    def for_stmt(self, meta, _type, var, iterable, body):
        return ast.For(str(var), iterable, tuple(_flatten([body])), self._span(meta))

    def bracket_range(self, meta, start, stop, step):
        if step is not None:  # [start:step:stop]
            start, step, stop = start, stop, step
        return ast.Range(start, stop, self._span(meta), step=step, inclusive=True)

    def set_range(self, meta, *items):
        return ast.ArrayLit(tuple(items), self._span(meta))

    def name_range(self, meta, tok):
        return ast.Name(str(tok), self._tok(tok))

    def if_stmt(self, meta, cond, then, orelse=None):
        return ast.If(cond, tuple(_flatten([then])), tuple(_flatten([orelse])), self._span(meta))

    # ------------------------------------------------------------ expressions

    def bitwise(self, meta, lhs, *rest):
        return self._unsupported("bitwise operators are", self._span(meta))

    def bitwise_not(self, meta, operand):
        return self._unsupported("bitwise operators are", self._span(meta))

    def index(self, meta, base, item):
        return ast.Index(base, (item,), self._span(meta))

    def int_lit(self, meta, tok):
        digits = str(tok).replace("_", "")
        base = 0 if digits[:2].lower() in ("0x", "0b", "0o") else 10  # `015` is decimal
        return ast.Number(int(digits, base), self._tok(tok))

    def float_lit(self, meta, tok):
        return ast.Number(float(str(tok).replace("_", "")), self._tok(tok))

    def imaginary(self, meta, tok):
        return self._unsupported("complex numbers are", self._tok(tok))

    def duration(self, meta, tok):
        return self._unsupported("durations are", self._tok(tok))

    def true_lit(self, meta):
        return ast.BoolLit(True, self._span(meta))

    def false_lit(self, meta):
        return ast.BoolLit(False, self._span(meta))

    def name(self, meta, tok):
        return ast.Name(CONSTANT_NAMES.get(str(tok), str(tok)), self._tok(tok))

    def call(self, meta, fn, *args):
        args = tuple(a for a in args if a is not None)
        name, span = str(fn), self._span(meta)
        if name in ("mod", "pow") and len(args) == 2:
            return ast.BinOp("%" if name == "mod" else "**", args[0], args[1], span)
        return ast.Call(FUNCTION_NAMES.get(name, name), args, self._tok(fn), span)

    def cast(self, meta, type_, value):
        span = self._span(meta)
        if type_.base == "float":
            return ast.Call("float", (value,), type_.span, span)
        if type_.base == "int":
            return ast.Call("trunc", (value,), type_.span, span)
        return ast.BinOp("!=", value, ast.Number(0, span), span)  # bool(x)
