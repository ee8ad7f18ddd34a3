"""OpenQASM 2.0 -> qdl AST.

The tree of `grammar/qasm2.lark` becomes the same AST a `.qdl` file gives:
registers become qubit/bit declarations, `gate` definitions become qdl gates,
and the top-level operations become the body of one circuit, `main`.  From
there the ordinary elaborator produces the Circuit IR, so imported circuits
get every check, pass and back end that qdl programs get.

OpenQASM 2 has no controlled modifiers, so a global phase is never
observable: `U` is qdl's `u3`, and qelib1.inc's gates map to the gate table
or to `stdlib/qasm/prelude.qdl` (the ones the table lacks).
"""

from __future__ import annotations

from lark import v_args

from qdl.compiler.diagnostics import DiagnosticSink, Span, error
from qdl.compiler.frontend import ast
from qdl.compiler.frontend.parser import build
from qdl.compiler.frontend.tree_rules import SourceTransformer, items_of, with_raw


def parse_qasm2(text: str, file: str, sink: DiagnosticSink) -> "QasmProgram | None":
    """Parse an OpenQASM 2 file into declarations (gates) and the statements of `main`."""
    statements, builder = build("qasm2.lark", Qasm2Builder, text, file, sink)
    if statements is None:
        return None
    return builder.program(statements, sink)


class QasmProgram:
    """What an OpenQASM file declares: includes, gates, inputs and the body of `main`."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.includes: list[ast.Import] = []
        self.gates: list[ast.GateDef] = []
        self.inputs: list[ast.ArgDecl] = []
        self.body: list = []

    def to_ast(self, results: ast.ExprNode, prelude: str) -> ast.Program:
        """A qdl program: the prelude, the includes, the gates, and `circuit main`."""
        main = ast.CircuitDef("main", tuple(self.inputs), None, False,
                              tuple(self.body) + (ast.Return(results, results.span),), None, None)
        items = (ast.Import(prelude),) + tuple(self.includes) + tuple(self.gates) + (main,)
        return ast.Program(self.file, items)


@v_args(wrapper=with_raw)
class Qasm2Builder(SourceTransformer):
    """Tree -> a flat list of statements and definitions, in source order."""

    def __init__(self, file: str) -> None:
        super().__init__(file)
        self.opaque_gates: dict[str, Span] = {}

    def program(self, statements: list, sink: DiagnosticSink) -> QasmProgram:
        out = QasmProgram(self.file)
        for stmt in statements:
            if isinstance(stmt, ast.Import):
                out.includes.append(stmt)
            elif isinstance(stmt, ast.GateDef):
                out.gates.append(stmt)
            elif stmt is not None:
                out.body.append(stmt)
        self._check_opaque_calls(out, sink)
        return out

    def _check_opaque_calls(self, program: QasmProgram, sink: DiagnosticSink) -> None:
        defined = {g.name for g in program.gates}
        calls = [s for s in program.body if isinstance(s, ast.GateCall)]
        calls += [s.then[0] for s in program.body if isinstance(s, ast.If)]
        calls += [c for g in program.gates for c in g.body if isinstance(c, ast.GateCall)]
        for call in calls:
            if isinstance(call, ast.GateCall) and call.name in self.opaque_gates and call.name not in defined:
                sink.emit(error("E0111", f"gate `{call.name}` is declared `opaque` and has no definition",
                                call.name_span, "cannot be simulated",
                                help="define it with `gate ... { ... }` instead of `opaque`"))

    # ------------------------------------------------------------ statements

    def start(self, meta, _header, statements):
        return [i for i in statements or () if i is not None]

    def statements(self, meta, *parts):
        return self._listed(parts)

    gate_body = argument_list = statements

    def header(self, meta, version):
        return None

    def include(self, meta, path):
        name = str(path)[1:-1]
        span = self._span(meta)
        # qelib1.inc is built in (the prelude); other files are OpenQASM includes
        return None if name == "qelib1.inc" else ast.Import(name, span)

    def qreg(self, meta, name, size):
        return ast.QubitDecl(str(name), ast.Number(int(size), self._tok(size)), self._span(meta))

    def creg(self, meta, name, size):
        return ast.BitDecl(str(name), ast.Number(int(size), self._tok(size)), self._span(meta))

    def gate_def(self, meta, name, params, qargs, body):
        params = tuple(ast.ParamDecl(str(p), None, self._tok(p)) for p in params or ())
        qargs = tuple(ast.QArgDecl(str(q), None, self._tok(q)) for q in qargs)
        return ast.GateDef(str(name), params, qargs, items_of(body), self._tok(name), self._span(meta))

    def opaque(self, meta, name, params, qargs):
        self.opaque_gates[str(name)] = self._tok(name)
        return None

    def gate_params(self, meta, ids=None):
        return ids or ()

    def id_list(self, meta, *ids):
        return tuple(ids)

    def gate_call(self, meta, name, args, qubits):
        return ast.GateCall((), str(name), tuple(args or ()), items_of(qubits), self._tok(name), self._span(meta))

    def measure(self, meta, qubit, _arrow, target):
        return ast.Measure(qubit, target, self._span(meta))

    def reset(self, meta, qubit):
        return ast.Reset((qubit,), self._span(meta))

    def barrier(self, meta, qubits):
        return ast.Barrier(items_of(qubits), self._span(meta))

    def if_stmt(self, meta, creg, value, op):
        cond = ast.BinOp("==", ast.Name(str(creg), self._tok(creg)), ast.Number(int(value), self._tok(value)),
                         Span(self.file, creg.start_pos, value.end_pos))
        return ast.If(cond, (op,), (), self._span(meta))

    def argument(self, meta, name, index):
        node = ast.Name(str(name), self._tok(name))
        if index is None:
            return node
        return ast.Index(node, (ast.Number(int(index), self._tok(index)),), self._span(meta))

    def exp_list(self, meta, *exps):
        return tuple(exps)

    # ------------------------------------------------------------ expressions

    def pos(self, meta, operand):
        return self._handed_up(meta, operand)

    def real(self, meta, tok):
        return ast.Number(float(tok), self._tok(tok))

    def integer(self, meta, tok):
        return ast.Number(int(tok), self._tok(tok))

    def pi(self, meta):
        return ast.Name("pi", self._span(meta))

    def name(self, meta, tok):
        return ast.Name(str(tok), self._tok(tok))

    def call(self, meta, fn, arg):
        name = "log" if str(fn) == "ln" else str(fn)
        return ast.Call(name, (arg,), self._tok(fn), self._span(meta))
