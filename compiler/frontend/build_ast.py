"""qdl source -> AST (`ast.py`) during the parse, one method per grammar rule.

Every node gets a `Span` (character offsets) from `meta`, the rule's raw children (`tree_rules`).
"""

from __future__ import annotations

from lark import Token, v_args

from qdl.compiler.frontend import ast
from qdl.compiler.frontend.operators import Folder
from qdl.compiler.frontend.tree_rules import SourceTransformer, items_of, with_raw


@v_args(wrapper=with_raw)
class AstBuilder(SourceTransformer):
    """Builds AST nodes bottom-up; `file` names the source in every span."""

    # ------------------------------------------------------------ top level

    def start(self, meta, *items):
        return ast.Program(self.file, tuple(items))

    def import_decl(self, meta, path):
        return ast.Import(str(path)[1:-1], self._span(meta))

    def const_decl(self, meta, name, type_, value):
        return ast.ConstDecl(str(name), type_, value, self._span(meta))

    def observable_decl(self, meta, name, value):
        return ast.ObservableDecl(str(name), value, self._span(meta))

    def gate_def(self, meta, name, params, qargs, body):
        return ast.GateDef(str(name), params or (), qargs, body, self._tok(name), self._span(meta))

    def gate_params(self, meta, *params):
        return tuple(p for p in params if p is not None)

    def param_decl(self, meta, name, type_):
        return ast.ParamDecl(str(name), type_, self._span(meta))

    def gate_qargs(self, meta, *qargs):
        return tuple(qargs)

    def qarg_decl(self, meta, name, size):
        return ast.QArgDecl(str(name), size, self._span(meta))

    def circuit_def(self, meta, name, *rest):
        *args, _arrow, returns, body = rest
        args = tuple(a for a in args if a is not None)
        types, is_tuple = returns if returns is not None else (None, False)
        return ast.CircuitDef(str(name), args, types, is_tuple, body, self._tok(name), self._span(meta))

    def arg_decl(self, meta, param, name, type_):
        return ast.ArgDecl(str(name), type_, param is not None, self._span(meta))

    def return_type(self, meta, type_):
        return ((type_,), False)

    def return_tuple(self, meta, *types):
        return (tuple(t for t in types if t is not None), True)

    def type(self, meta, base, *dims):
        dims = tuple(d for d in dims if d is not None)
        return ast.TypeExpr(str(base), dims, self._span(meta))

    # ------------------------------------------------------------ statements

    def block(self, meta, stmts):
        return () if stmts is None else tuple(stmts)

    def statements(self, meta, *parts):
        return self._listed(parts)

    modifiers = qubit_list = statements

    def qubit_decl(self, meta, name, size):
        return ast.QubitDecl(str(name), size, self._span(meta))

    def bit_decl(self, meta, name, size):
        return ast.BitDecl(str(name), size, self._span(meta))

    def gate_call(self, meta, modifiers, name, args, qubits):
        return ast.GateCall(tuple(modifiers or ()), str(name), args or (), items_of(qubits),
                            self._tok(name), self._span(meta))

    def for_stmt(self, meta, var, iterable, body):
        return ast.For(str(var), iterable, body, self._span(meta))

    def range(self, meta, start, _op, stop):
        return ast.Range(start, stop, self._span(meta))

    def over(self, meta, value):
        return value

    def if_stmt(self, meta, cond, then, orelse):
        if isinstance(orelse, ast.If):
            orelse = (orelse,)
        return ast.If(cond, then, orelse or (), self._span(meta))

    def measure_assign(self, meta, target, qubit):
        return ast.Measure(qubit, target, self._span(meta))

    def measure_arrow(self, meta, qubit, target):
        return ast.Measure(qubit, target, self._span(meta))

    def reset_stmt(self, meta, qubits):
        return ast.Reset(items_of(qubits), self._span(meta))

    def barrier_stmt(self, meta, qubits):
        return ast.Barrier(items_of(qubits), self._span(meta))

    def return_stmt(self, meta, value):
        return ast.Return(value, self._span(meta))

    def register(self, meta, name):
        return ast.Name(str(name), self._tok(name))

    def subscripted(self, meta, base, items):
        if type(base) is Token:
            base = ast.Name(str(base), self._tok(base))
        return ast.Index(base, _subscript(items), self._span(meta))

    # ------------------------------------------------------------ expressions

    def expr(self, meta, *items):
        """Operands and operators in a row (the grammar is flat): nested by precedence."""
        return Folder(list(items), self.file, self._position, self.diagnostics).fold()

    def index(self, meta, base, items):
        return ast.Index(base, _subscript(items), self._span(meta))

    def index_list(self, meta, first, item):
        """Two items or more (an expression or a slice is never a tuple)."""
        return first + (item,) if type(first) is tuple else (first, item)

    def slice(self, meta, lo, hi):
        return ast.Slice(lo, hi, self._span(meta))

    def int_lit(self, meta, tok):
        return ast.Number(int(tok), self._tok(tok))

    def float_lit(self, meta, tok):
        return ast.Number(float(tok), self._tok(tok))

    def true_lit(self, meta):
        return ast.BoolLit(True, self._span(meta))

    def false_lit(self, meta):
        return ast.BoolLit(False, self._span(meta))

    def name(self, meta, tok):
        return ast.Name(str(tok), self._tok(tok))

    def call(self, meta, fn, *args):
        args = tuple(a for a in args if a is not None)
        return ast.Call(str(fn), args, self._tok(fn), self._span(meta))

    def sum_over(self, meta, var, iterable, body):
        return ast.SumOver(str(var), iterable, body, self._span(meta))

    def tuple(self, meta, *items):
        return ast.TupleLit(tuple(i for i in items if i is not None), self._span(meta))

    def array(self, meta, *items):
        return ast.ArrayLit(tuple(i for i in items if i is not None), self._span(meta))

    def pauli_string(self, meta, *factors):
        if len(factors) == 1:
            return factors[0]
        return ast.PauliString(tuple(factors), self._span(meta))

    def pauli(self, meta, letter, qubit):
        return ast.Pauli(str(letter), qubit, self._span(meta))


def _subscript(items) -> tuple:
    """The items of one `[...]`: an `index_list`'s tuple, or the single item (never a tuple) alone."""
    return items if type(items) is tuple else (items,)
