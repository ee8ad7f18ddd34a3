"""One circuit definition -> one IR `Circuit`: signature, body, results, warnings."""

from __future__ import annotations

import math

import numpy as np

from qdl.compiler.diagnostics import DiagnosticSink, warning
from qdl.compiler.frontend import ast
from qdl.compiler.frontend.context import (ARGUMENT, POISON, AbortCircuit, ElabError, Poisoned, Scope, Symbol,
                                           check_name, suggest)
from qdl.compiler.frontend.expressions import RESULT_FUNCTIONS, Evaluator, fail, plural
from qdl.compiler.frontend.statements import BodyElaborator, CircuitState, CompileOptions
from qdl.compiler.frontend.values import BoolArgument, PauliSum, argument_symbols, describe, to_observable
from qdl.compiler.ir import (BOOL, FLOAT, INT, Argument, Circuit, ExpVal, GateOp,
                             MeasureOp, Probs, ResetOp, Result, Sample, State, Var)

ARG_TYPES = {"float": FLOAT, "int": INT, "bool": BOOL}
MAX_ARGUMENT_ELEMENTS = 1 << 20  # each element is a symbol in the IR


def elaborate_circuit(node: ast.CircuitDef, file_scope: Scope, sink: DiagnosticSink,
                      options: CompileOptions) -> Circuit | None:
    """Elaborate a circuit; None if any error was reported for it."""
    errors_before = len(sink.errors)
    scope = file_scope.child()
    arguments = _arguments(node, scope, sink)
    state = CircuitState()
    body = BodyElaborator(sink, options, state, scope, node.name_span)
    stmts, ret = _split_return(node, sink)
    results: tuple[Result, ...] = ()
    try:
        body.run_block(stmts, scope)
        if ret is not None:
            results = _results(body, ret, node, sink)
    except AbortCircuit:
        return None
    if len(sink.errors) > errors_before or state.poisoned:
        return None  # unused-name warnings would only echo the errors
    _warn_unused(node, scope, arguments, state, results, sink)
    return Circuit(node.name, arguments, state.num_qubits, tuple(state.ops), results,
                   returns_tuple=node.returns_tuple if ret is None else isinstance(ret.value, ast.TupleLit),
                   num_bits=state.num_bits, qubit_registers=tuple(state.qubit_registers),
                   bit_registers=tuple(state.bit_registers), span=node.span)


# ---------------------------------------------------------------- signature


def _arguments(node: ast.CircuitDef, scope: Scope, sink: DiagnosticSink) -> tuple[Argument, ...]:
    evaluator = Evaluator(scope)
    out = []
    for decl in node.args:
        try:
            argument = _argument(decl, evaluator)
        except (ElabError, Poisoned) as exc:
            if isinstance(exc, ElabError):
                sink.emit(exc.diagnostic)
            scope.define(decl.name, Symbol(ARGUMENT, POISON, decl.span, used=True))  # no cascades
            continue
        if decl.name in scope.names:
            sink.emit(fail("E0208", f"argument `{decl.name}` is declared twice", decl.span,
                           "declared again here").diagnostic)
            continue
        scope.define(decl.name, Symbol(ARGUMENT, _argument_value(argument), decl.span))
        out.append(argument)
    return tuple(out)


def _argument(decl: ast.ArgDecl, evaluator: Evaluator) -> Argument:
    check_name(decl.name, decl.span)
    dtype = ARG_TYPES.get(decl.type.base)
    if dtype is None:
        raise fail("E0205", f"a circuit argument cannot have type `{decl.type.base}`", decl.type.span,
                   help="arguments are `float`, `int` or `bool`, or arrays of them")
    if decl.trainable and dtype != FLOAT:
        raise fail("E0221", f"`param` argument `{decl.name}` must be a float", decl.span,
                   "only floats can be trained",
                   help=f"declare it `param {decl.name}: float{_dims_text(decl.type)}`")
    shape = tuple(evaluator.constant_int(d, "an argument dimension") for d in decl.type.dims)
    for dim, size in zip(decl.type.dims, shape):
        if size < 1:
            raise fail("E0206", f"array dimensions must be positive, found {size}", dim.span)
    if math.prod(shape) > MAX_ARGUMENT_ELEMENTS:
        raise fail("E0206", f"argument `{decl.name}` has {math.prod(shape)} elements, more than "
                   f"{MAX_ARGUMENT_ELEMENTS}", decl.type.span, "too large",
                   help="pass large data as a batch along a leading axis instead")
    return Argument(decl.name, dtype, shape, decl.trainable, decl.span)


def _dims_text(type_: ast.TypeExpr) -> str:
    """The source text of a type's dimensions, `[2, N]`, for help messages."""
    from qdl.compiler.frontend.ast import Name, Number
    parts = [str(d.value) if isinstance(d, Number) else d.id if isinstance(d, Name) else "..."
             for d in type_.dims]
    return f"[{', '.join(parts)}]" if parts else ""


def _argument_value(argument: Argument) -> object:
    """A scalar argument is one symbol; an array argument is an array of element symbols."""
    if argument.dtype == BOOL:
        return BoolArgument(argument.name, argument.shape)
    return argument_symbols(argument.name, argument.shape)


# ---------------------------------------------------------------- results


def _split_return(node: ast.CircuitDef, sink: DiagnosticSink):
    """The body without its `return`, and the `return` (None, reported, if missing or misplaced)."""
    stmts = node.body
    if stmts and isinstance(stmts[-1], ast.Return):
        early = [s for s in stmts[:-1] if isinstance(s, ast.Return)]
    else:
        early = [s for s in stmts if isinstance(s, ast.Return)]
    if early:
        sink.emit(fail("E0222", "`return` must be the last statement of a circuit", early[0].span,
                       "statements follow this `return`",
                       help="move the `return` to the end, or delete what follows it").diagnostic)
        return tuple(s for s in stmts if not isinstance(s, ast.Return)), None
    if stmts and isinstance(stmts[-1], ast.Return):
        return stmts[:-1], stmts[-1]
    sink.emit(fail("E0214", f"circuit `{node.name}` does not return a result", node.name_span,
                   "no `return` at the end of this circuit",
                   help="end the circuit with e.g. `return expval(Z[0]);` or `return probs(q);`").diagnostic)
    return stmts, None


def _results(body: BodyElaborator, ret: ast.Return, node: ast.CircuitDef,
             sink: DiagnosticSink) -> tuple[Result, ...]:
    items = ret.value.items if isinstance(ret.value, ast.TupleLit) else (ret.value,)
    results = []
    for item in items:
        try:
            results.append(_result(body, item))
        except ElabError as exc:
            sink.emit(exc.diagnostic)
        except Poisoned:
            pass
    if len(results) == len(items) and node.returns is not None:
        _check_return_type(node, ret, tuple(results), body, sink)
    return tuple(results)


def _result(body: BodyElaborator, item: ast.ExprNode) -> Result:
    if not isinstance(item, ast.Call) or item.fn not in RESULT_FUNCTIONS:
        close = suggest(item.fn, list(RESULT_FUNCTIONS)) if isinstance(item, ast.Call) else None
        raise fail("E0213", "a circuit returns measurement results", item.span,
                   "not a measurement result",
                   help=close or "return `expval(H)`, `var(H)`, `probs(q)`, `sample(q)`, `state()` "
                                 "or a tuple of them")
    if item.fn in ("expval", "var"):
        return _observable_result(body, item)
    if item.fn == "state":
        if item.args:
            raise fail("E0219", "`state()` takes no arguments", item.span)
        return State(item.span)
    qubits = tuple(q for arg in item.args for q in body.qubit_operand(arg).indices) \
        if item.args else tuple(range(body.state.num_qubits))
    if len(set(qubits)) != len(qubits):
        raise fail("E0301", f"a qubit is listed twice in `{item.fn}`", item.span)
    return Probs(qubits, item.span) if item.fn == "probs" else Sample(qubits, item.span)


def _observable_result(body: BodyElaborator, item: ast.Call) -> Result:
    if len(item.args) != 1:
        raise fail("E0219", f"`{item.fn}` takes one observable, found {len(item.args)} arguments", item.span,
                   help=f"write `{item.fn}(Z[0] + 0.5 * X[1])` or name an `observable`")
    value = body.evaluator.eval(item.args[0])
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = PauliSum.constant(value)
    if not isinstance(value, PauliSum):
        raise fail("E0205", f"`{item.fn}` needs an observable, found {describe(value)}", item.args[0].span,
                   help="observables are sums of Pauli products such as `0.5 * Z[0] Z[1] + X[2]`")
    if body.state.poisoned:
        raise Poisoned()  # a register failed to declare: the qubit count is unknown
    if value.max_qubit >= body.state.num_qubits:
        raise fail("E0303", f"the observable acts on qubit {value.max_qubit} but the circuit has "
                   f"{plural(body.state.num_qubits, 'qubit')}", item.args[0].span, "qubit out of range")
    if any(not np.isfinite(c) for _, c in value.terms):
        raise fail("E0217", "an observable coefficient is not a finite number", item.args[0].span,
                   "overflows")
    observable = to_observable(value)
    if observable is None:
        raise fail("E0304", "the observable is not Hermitian (a coefficient is not real)", item.args[0].span,
                   "has an imaginary weight", notes=("a product of non-commuting Paulis, such as `X[0] Y[0]`, has an imaginary weight",))
    result_type = ExpVal if item.fn == "expval" else Var
    return result_type(observable, item.span)


def _result_type(result: Result, num_qubits: int) -> tuple[str, tuple[int, ...]]:
    if isinstance(result, (ExpVal, Var)):
        return "float", ()
    if isinstance(result, Probs):
        return "float", (2 ** len(result.qubits),)
    if isinstance(result, State):
        return "complex", (2 ** num_qubits,)
    return "int", (len(result.qubits),)


def _check_return_type(node: ast.CircuitDef, ret: ast.Return, results: tuple[Result, ...],
                       body: BodyElaborator, sink: DiagnosticSink) -> None:
    declared, evaluator = node.returns, body.evaluator
    actual = [_result_type(r, body.state.num_qubits) for r in results]
    text = lambda t: t[0] + (f"[{', '.join(map(str, t[1]))}]" if t[1] else "")
    try:
        wanted = [(t.base, tuple(evaluator.constant_int(d, "a dimension") for d in t.dims)) for t in declared]
    except ElabError as exc:
        sink.emit(exc.diagnostic)
        return
    except Poisoned:
        return
    same_arity = len(wanted) == len(actual) and node.returns_tuple == isinstance(ret.value, ast.TupleLit)
    if same_arity and all(w == a for w, a in zip(wanted, actual)):
        return
    fmt = lambda types, tup: ("(" + ", ".join(map(text, types)) + ")") if tup else text(types[0])
    sink.emit(fail("E0213", f"circuit `{node.name}` is declared to return "
                   f"`{fmt(wanted, node.returns_tuple)}` but returns "
                   f"`{fmt(actual, isinstance(ret.value, ast.TupleLit))}`", ret.value.span,
                   "returned here", help="fix the declared return type after `->`, or drop it").diagnostic)


# ---------------------------------------------------------------- warnings


def _warn_unused(node: ast.CircuitDef, scope: Scope, arguments, state: CircuitState,
                 results: tuple[Result, ...], sink: DiagnosticSink) -> None:
    for argument in arguments:
        symbol = scope.names.get(argument.name)
        if symbol is not None and not symbol.used:
            sink.emit(warning("W0201", f"argument `{argument.name}` is never used", argument.span,
                              "unused", help="remove it, or use it in a gate angle"))
    used = _touched_qubits(state, results)
    for reg in state.qubit_registers:
        idle = [i for i in range(reg.size) if reg.start + i not in used]
        if not idle:
            continue
        symbol = scope.names.get(reg.name)
        what = f"`{reg.name}`" if len(idle) == reg.size else \
            ", ".join(f"`{reg.name}[{i}]`" for i in idle)
        sink.emit(warning("W0202", f"qubit {what} is never used" if len(idle) == 1 or len(idle) == reg.size
                          else f"qubits {what} are never used", symbol.span if symbol else None,
                          "declared here", help="remove it, or apply a gate to it"))


def _touched_qubits(state: CircuitState, results: tuple[Result, ...]) -> set[int]:
    used: set[int] = set()
    for op in state.ops:
        if isinstance(op, GateOp):
            used.update(op.all_qubits)
        elif isinstance(op, (MeasureOp, ResetOp)):
            used.add(op.qubit)
        if len(used) == state.num_qubits:
            return used  # every qubit is touched: the rest of a long circuit cannot add one
    for result in results:
        if isinstance(result, (ExpVal, Var)):
            used.update(result.observable.qubits)
        elif isinstance(result, (Probs, Sample)):
            used.update(result.qubits)
        elif isinstance(result, State):
            used.update(range(state.num_qubits))
    return used
