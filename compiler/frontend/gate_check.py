"""Check the gates no circuit calls, so a library's mistakes show before first use.

A gate is only fully elaborated where it is called, with real arguments.  An
uncalled gate is inlined once on fresh qubits with symbolic parameters, and
only the mistakes that cannot depend on the argument values are reported:
unknown names, gates and functions, and wrong arities.  (A loop bound or an
index taken from a parameter is a compile-time value at every real call, so
the symbolic one may fail harmlessly here.)  Gates whose register sizes are
shape variables are left alone: no single size speaks for every call.
"""

from __future__ import annotations


from qdl.compiler.diagnostics import DiagnosticSink
from qdl.compiler.expr import Arg
from qdl.compiler.frontend import ast
from qdl.compiler.frontend.context import GATE, AbortCircuit, ElabError, Poisoned, Scope
from qdl.compiler.frontend.expressions import Evaluator
from qdl.compiler.frontend.statements import BodyElaborator, CircuitState, CompileOptions
from qdl.compiler.frontend.values import Qubits, argument_symbols

VALUE_INDEPENDENT = {"E0201", "E0202", "E0203", "E0204", "E0218", "E0219"}


def check_uncalled_gates(program: ast.Program, scope: Scope, sink: DiagnosticSink,
                         options: CompileOptions) -> None:
    for item in program.items:
        if not isinstance(item, ast.GateDef):
            continue
        symbol = scope.names.get(item.name)
        if symbol is None or symbol.kind != GATE or symbol.used or symbol.value is not item:
            continue
        operands = _operands(item, scope)
        if operands is not None:
            _check(item, symbol, operands, sink, options)


def _operands(gate: ast.GateDef, scope: Scope) -> list[Qubits] | None:
    """Fresh qubits for each operand, or None when a register size is not a constant."""
    evaluator, out, next_qubit = Evaluator(scope), [], 0
    for qarg in gate.qargs:
        size = 1
        if qarg.size is not None:
            try:
                size = evaluator.constant_int(qarg.size, "a register size")
            except (ElabError, Poisoned):
                return None
        out.append(Qubits(tuple(range(next_qubit, next_qubit + size)), qarg.size is None, qarg.name))
        next_qubit += size
    return out


def _check(gate: ast.GateDef, symbol, operands: list[Qubits], sink: DiagnosticSink,
           options: CompileOptions) -> None:
    local = DiagnosticSink(sink.sources)
    state = CircuitState(num_qubits=sum(len(o.indices) for o in operands))
    body = BodyElaborator(local, options, state, symbol.scope, gate.name_span)
    args = [_symbolic(p, symbol.scope) for p in gate.params]
    if any(a is None for a in args):
        return
    call = ast.GateCall((), gate.name, (), (), gate.name_span, gate.span)
    try:
        body.call_stack.append("<check>")
        body._inline(call, symbol, args, operands)
    except (ElabError, Poisoned, AbortCircuit):
        pass
    for diagnostic in local.diagnostics:
        if diagnostic.code in VALUE_INDEPENDENT:
            sink.emit(diagnostic)


def _symbolic(param: ast.ParamDecl, scope: Scope):
    """A symbol standing for the parameter: a scalar, or an array of constant shape."""
    if param.type is None or not param.type.dims:
        return Arg(param.name)
    try:
        shape = tuple(Evaluator(scope).constant_int(d, "a dimension") for d in param.type.dims)
    except (ElabError, Poisoned):
        return None
    return argument_symbols(param.name, shape)
