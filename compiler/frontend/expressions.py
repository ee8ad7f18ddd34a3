"""Evaluate AST expressions to compile-time values (see `values.py`).

Constants fold to numbers; anything touching a circuit argument becomes a
symbolic `Expr`.  Every mistake raises `ElabError` with a located diagnostic.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from qdl.compiler import expr as sym
from qdl.compiler.diagnostics import Span
from qdl.compiler.expr import Expr
from qdl.compiler.frontend import ast
from qdl.compiler.frontend.arithmetic import MAX_INT, article, combine, fail, plural
from qdl.compiler.frontend.context import LOCAL, POISON, ElabError, Poisoned, Scope, suggest
from qdl.compiler.frontend.indexing import VALUE_KINDS, Indexing, to_python
from qdl.compiler.frontend.values import (BoolArgument, Bits, PauliSum, Qubits, argument_symbols, describe,
                                         is_scalar)

MAX_ITERATIONS = 10_000_000  # a loop longer than this is a mistake, whatever its body
BUILTIN_CONSTANTS = {"pi": math.pi, "e": math.e, "tau": 2 * math.pi}
MATH_FUNCTIONS = ("sin", "cos", "tan", "exp", "log", "sqrt", "arcsin", "arccos", "arctan")
INTEGER_FUNCTIONS = {"floor": math.floor, "ceil": math.ceil, "round": round, "trunc": math.trunc}
RESULT_FUNCTIONS = ("expval", "var", "probs", "sample", "state")
_COMPARE = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
            ">": operator.gt, ">=": operator.ge}


class Evaluator(Indexing):
    """Evaluates expressions in a scope; `scope` is swapped as blocks nest."""

    def __init__(self, scope: Scope, max_iterations: int = MAX_ITERATIONS) -> None:
        self.scope = scope
        self.max_iterations = max_iterations

    # ------------------------------------------------------------ entry points

    def eval(self, node: ast.ExprNode) -> object:
        method = _EVAL_METHODS.get(type(node))
        if method is None:
            raise fail("E0205", "this expression is not allowed here", node.span)
        return method(self, node)

    def constant_int(self, node: ast.ExprNode, what: str) -> int:
        """A compile-time integer, e.g. a register size or a loop bound."""
        value = self.eval(node)
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            if isinstance(value, Expr) or (isinstance(value, np.ndarray) and value.dtype == object):
                raise self.not_constant(node, value, what)
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise fail("E0205", f"{what} must be an integer, found {describe(value)}", node.span,
                       "expected an integer")
        return int(value)

    def constant_number(self, node: ast.ExprNode, what: str) -> float:
        value = self.eval(node)
        if isinstance(value, Expr):
            raise self.not_constant(node, value, what)
        if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, bool):
            raise fail("E0205", f"{what} must be a number, found {describe(value)}", node.span,
                       "expected a number")
        return float(value)

    def not_constant(self, node: ast.ExprNode, value: object, what: str) -> ElabError:
        names = sorted({a.name for a in _free_args(value)})
        because = f"it depends on the circuit argument `{names[0]}`" if names else \
            "its value is only known when the circuit runs"
        return fail("E0207", f"{what} must be known at compile time", node.span,
                    "not a compile-time constant", notes=(because,),
                    help="use a `const`, a loop variable or a literal here")

    # ------------------------------------------------------------ leaves

    def _eval_Number(self, node: ast.Number) -> object:
        value = node.value
        if isinstance(value, float) and not math.isfinite(value):
            raise fail("E0217", "this number is too large for a 64-bit float", node.span,
                       "overflows to infinity")
        if isinstance(value, int) and abs(value) > MAX_INT:
            raise fail("E0217", "this integer is too large", node.span,
                       f"integers are limited to 64 bits (at most {MAX_INT})")
        return value

    def _eval_BoolLit(self, node: ast.BoolLit) -> object:
        return node.value

    def _eval_Name(self, node: ast.Name) -> object:
        symbol = self.scope.lookup(node.id)
        if symbol is None:
            if node.id in BUILTIN_CONSTANTS:
                return BUILTIN_CONSTANTS[node.id]
            raise self.unknown_name(node.id, node.span)
        symbol.used = True
        if symbol.value is POISON:
            raise Poisoned()
        if symbol.kind not in VALUE_KINDS:
            raise fail("E0205", f"`{node.id}` is a {symbol.kind}, not a value", node.span,
                       f"a {symbol.kind}", help=f"call a {symbol.kind} as a statement" if symbol.kind == "gate" else None)
        return symbol.value

    def unknown_name(self, name: str, span: Span | None) -> ElabError | Poisoned:
        if self.scope.missing_imports():
            return Poisoned()  # probably defined in the import that failed
        candidates = self.scope.visible_names() + list(BUILTIN_CONSTANTS)
        return fail("E0201", f"cannot find `{name}` in this scope", span, "not found",
                    help=suggest(name, candidates))

    # ------------------------------------------------------------ calls

    def _eval_Call(self, node: ast.Call) -> object:
        if node.fn in RESULT_FUNCTIONS:
            raise fail("E0222", f"`{node.fn}` can only be used in a `return` statement", node.span,
                       "measurement result used inside an expression")
        if node.fn == "len":
            return self._len(node)
        if node.fn == "float":
            self._arity(node, 1)
            return self._to_float(self.eval(node.args[0]), node)
        if node.fn in INTEGER_FUNCTIONS:
            self._arity(node, 1)
            value = self.constant_number(node.args[0], f"the argument of `{node.fn}`")
            return int(INTEGER_FUNCTIONS[node.fn](value))
        if node.fn not in MATH_FUNCTIONS:
            candidates = list(MATH_FUNCTIONS) + ["len", "float", *INTEGER_FUNCTIONS] + list(RESULT_FUNCTIONS)
            hint = suggest(node.fn, candidates)
            symbol = self.scope.lookup(node.fn)
            if symbol is not None and symbol.kind == "gate":
                hint = f"`{node.fn}` is a gate: apply it as a statement, `{node.fn}(...) q;`"
            raise fail("E0218", f"unknown function `{node.fn}`", node.fn_span, "not a function",
                       help=hint or "available functions: " + ", ".join(MATH_FUNCTIONS + ("len", "float", *INTEGER_FUNCTIONS)))
        self._arity(node, 1)
        return self._apply_math(node.fn, self.eval(node.args[0]), node)

    def _arity(self, node: ast.Call, n: int) -> None:
        if len(node.args) != n:
            raise fail("E0219", f"`{node.fn}` takes {plural(n, 'argument')}, found {len(node.args)}",
                       node.span, f"{plural(len(node.args), 'argument')} given")

    def _to_float(self, value: object, node: ast.Call) -> object:
        """`float(b)`: a bool (argument) as 0.0 or 1.0; numbers pass through."""
        if isinstance(value, BoolArgument):
            return argument_symbols(value.name, value.shape)
        if isinstance(value, (bool, np.bool_, int, float, np.integer, np.floating)):
            return float(value)
        if isinstance(value, (Expr, np.ndarray)):
            return value
        raise fail("E0205", f"`float` needs a number or a bool, found {article(describe(value))}",
                   node.args[0].span)

    def _len(self, node: ast.Call) -> int:
        self._arity(node, 1)
        value = self.eval(node.args[0])
        if isinstance(value, (Qubits, Bits)):
            return len(value.indices)
        if isinstance(value, np.ndarray) and value.ndim > 0:
            return int(value.shape[0])
        raise fail("E0205", f"`len` needs an array or a register, found {describe(value)}",
                   node.args[0].span)

    def _apply_math(self, fn: str, value: object, node: ast.Call) -> object:
        if isinstance(value, np.ndarray):
            return np.vectorize(lambda v: self._apply_math(fn, v, node), otypes=[value.dtype if value.dtype == object else float])(value)
        if isinstance(value, Expr):
            return sym.apply(fn, value)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise fail("E0205", f"`{fn}` needs a number, found {describe(value)}", node.args[0].span)
        with np.errstate(all="ignore"):
            result = float(sym.UNARY_FUNCTIONS[fn](np.float64(value)))
        if not math.isfinite(result):
            raise fail("E0217", f"`{fn}({value})` is not a finite real number", node.span,
                       "outside the function's domain")
        return result

    def _eval_SumOver(self, node: ast.SumOver) -> object:
        total: object = 0
        for value in self.iterate(node.iterable):
            inner = self.scope.child()
            from qdl.compiler.frontend.context import Symbol  # local: avoids a cycle at import
            inner.define(node.var, Symbol(LOCAL, value, node.span, used=True))
            saved, self.scope = self.scope, inner
            try:
                total = self.combine("+", total, self.eval(node.body), node.span)
            finally:
                self.scope = saved
        return total

    def iterate(self, node) -> list:
        """The values a `for` loop or `sum` runs over: a range or an array's rows."""
        if isinstance(node, ast.Range):
            start = self.constant_int(node.start, "a range bound")
            stop = self.constant_int(node.stop, "a range bound")
            step = 1 if node.step is None else self.constant_int(node.step, "a range step")
            if step == 0:
                raise fail("E0217", "a range step cannot be zero", node.step.span)
            if node.inclusive:
                stop += 1 if step > 0 else -1
            count = max(0, (stop - start + step - (1 if step > 0 else -1)) // step)
            if count > self.max_iterations:
                raise fail("E0306", f"this range has {count} values, more than a program may unroll",
                           node.span, f"at most {self.max_iterations} iterations",
                           help="raise the limit with `--max-ops` if this is intended")
            return list(range(start, stop, step))
        value = self.eval(node)
        if isinstance(value, np.ndarray) and value.ndim > 0:
            return [to_python(v) for v in value]
        if isinstance(value, (Qubits, Bits)) and not value.single:
            return [type(value)((i,), True, f"{value.label}[{k}]") for k, i in enumerate(value.indices)]
        raise fail("E0220", f"cannot loop over {article(describe(value))}", node.span,
                   "not a range, an array or a register", help="loop over a range: `for i in 0..N`")

    # ------------------------------------------------------------ operators

    def _eval_UnaryOp(self, node: ast.UnaryOp) -> object:
        value = self.eval(node.operand)
        if node.op == "!":
            if not isinstance(value, (bool, np.bool_)):
                raise fail("E0205", f"`!` needs a bool, found {describe(value)}", node.operand.span)
            return not value
        if isinstance(value, (bool, np.bool_, Qubits, Bits)) or \
                (isinstance(value, np.ndarray) and value.dtype.kind == "b"):
            raise fail("E0205", f"cannot apply unary `{node.op}` to {article(describe(value))}",
                       node.operand.span)
        if node.op == "+":
            return value
        return value.scale(-1) if isinstance(value, PauliSum) else -value

    def _eval_BinOp(self, node: ast.BinOp) -> object:
        if node.op in ("&&", "||"):
            return self._logic(node)
        lhs, rhs = self.eval(node.lhs), self.eval(node.rhs)
        if node.op in _COMPARE:
            return self._compare(node, lhs, rhs)
        return self.combine(node.op, lhs, rhs, node.span, node)

    def _logic(self, node: ast.BinOp) -> bool:
        values = [self.eval(node.lhs), self.eval(node.rhs)]
        for value, child in zip(values, (node.lhs, node.rhs)):
            if not isinstance(value, (bool, np.bool_)):
                raise fail("E0205", f"`{node.op}` needs bools, found {describe(value)}", child.span)
        return bool(values[0] and values[1]) if node.op == "&&" else bool(values[0] or values[1])

    def _compare(self, node: ast.BinOp, lhs: object, rhs: object) -> bool:
        for value, child in ((lhs, node.lhs), (rhs, node.rhs)):
            if isinstance(value, Expr):
                raise self.not_constant(child, value, "a comparison")
            if not isinstance(value, (int, float, bool, np.integer, np.floating, np.bool_)):
                raise fail("E0205", f"cannot compare {article(describe(value))}", child.span,
                           help="conditions on measured bits are written `if (c[0] == 1) { ... }`"
                           if isinstance(value, Bits) else None)
        return bool(_COMPARE[node.op](lhs, rhs))

    def combine(self, op: str, lhs: object, rhs: object, span: Span | None,
                node: ast.BinOp | None = None) -> object:
        """Arithmetic on any two values: numbers, expressions, arrays or observables."""
        return combine(op, lhs, rhs, span, node, self.not_constant)

    # ------------------------------------------------------------ literals

    def _eval_TupleLit(self, node: ast.TupleLit) -> object:
        raise fail("E0205", "tuples can only be returned from a circuit", node.span,
                   help="use an array `[a, b]` for a list of values")

    def _eval_ArrayLit(self, node: ast.ArrayLit) -> np.ndarray:
        items = [self.eval(item) for item in node.items]
        for item, child in zip(items, node.items):
            if not (is_scalar(item) or isinstance(item, np.ndarray)) or isinstance(item, PauliSum):
                raise fail("E0205", f"arrays hold numbers, found {describe(item)}", child.span)
        shapes = {np.shape(item) for item in items}
        if len(shapes) > 1:
            raise fail("E0206", "array rows have different shapes", node.span,
                       "rows of shapes " + ", ".join(sorted(str(list(s)) for s in shapes)))
        symbolic = any(isinstance(i, Expr) or (isinstance(i, np.ndarray) and i.dtype == object) for i in items)
        if symbolic:
            out = np.empty((len(items),) + next(iter(shapes), ()), dtype=object)
            for k, item in enumerate(items):
                out[k] = item
            return out
        return np.array(items) if items else np.zeros((0,))

    def _eval_Pauli(self, node: ast.Pauli) -> PauliSum:
        operand = self.eval(node.qubit)
        if isinstance(operand, Qubits):  # `Z[q[1]]`: the qubit itself, inside a circuit
            if not operand.single:
                raise fail("E0205", f"a Pauli operator acts on one qubit, found {describe(operand)}",
                           node.qubit.span, help=f"index the register: `{node.letter}[{operand.label}[0]]`")
            return PauliSum.single(node.letter, operand.indices[0])
        qubit = self.constant_int(node.qubit, "a Pauli operator's qubit")
        if qubit < 0:
            raise fail("E0303", f"qubit index {qubit} is negative", node.qubit.span)
        return PauliSum.single(node.letter, qubit)

    def _eval_PauliString(self, node: ast.PauliString) -> PauliSum:
        product = PauliSum.constant(1)
        for factor in node.factors:
            product = product * self._eval_Pauli(factor)
        return product


# node type -> unbound `_eval_<Type>` method: one dict lookup per node on the hot path
_EVAL_METHODS = {getattr(ast, name[len("_eval_"):]): method
                 for cls in Evaluator.__mro__ for name, method in vars(cls).items() if name.startswith("_eval_")}


def _free_args(value: object) -> set:
    if isinstance(value, Expr):
        return set(value.free_args())
    if isinstance(value, np.ndarray) and value.dtype == object:
        out: set = set()
        for item in value.flat:
            out |= _free_args(item)
        return out
    return set()
