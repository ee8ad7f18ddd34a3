"""Gate application: built-in gates, inlined user gates, broadcasting and modifiers.

A call `mods @ g(args) a, b, ...` elaborates in four steps:
1. split the qubit operands into control operands (one per `ctrl`/`negctrl`
   qubit) and gate operands;
2. broadcast: a register given where the gate takes one qubit applies the gate
   to each element in turn (all such registers must have the same size);
3. per instance, produce the ops of `g` alone: one `GateOp` for a built-in
   gate, the inlined body for a user gate;
4. apply the modifiers innermost first (`modifiers.py`): `inv` reverses and inverts, `pow(k)`
   repeats (or scales a rotation angle), `ctrl`/`negctrl` add controls.
"""

from __future__ import annotations

import numpy as np

from qdl.compiler import gates as gate_table
from qdl.compiler.diagnostics import Label
from qdl.compiler.expr import Expr, as_expr
from qdl.compiler.frontend import ast
from qdl.compiler.frontend.context import GATE, LOCAL, QUBITS, ElabError, Poisoned, Symbol, suggest
from qdl.compiler.frontend.expressions import BUILTIN_CONSTANTS, Evaluator, article, fail, plural
from qdl.compiler.frontend.modifiers import Modifiers
from qdl.compiler.frontend.values import Qubits, describe
from qdl.compiler.ir import GateOp, Op


class GateCalls(Modifiers):
    """Mixin of the body elaborator: everything about applying gates."""

    # ------------------------------------------------------------ the call

    def stmt_GateCall(self, node: ast.GateCall) -> None:
        target = self._resolve_gate(node)
        args = [self.evaluator.eval(a) for a in node.args]
        if not node.modifiers and isinstance(target, gate_table.GateSpec):
            qubits = self._literal_qubits(node, target)
            if qubits is not None:  # `cx q[0], q[1];`: checked already, nothing else can fail but the op
                self.emit(self._builtin_op(node, target, args, qubits))
                return
        operands = [self.qubit_operand(q) for q in node.qubits]
        if _is_plain(node, target, operands):
            self._apply_plain(node, target, args, operands)
            return
        n_controls = sum(self._control_count(m) for m in node.modifiers)
        if len(operands) < n_controls + 1 and not self._takes_no_qubits(target):
            raise fail("E0204", f"`{node.name}` with {n_controls} control(s) needs at least "
                       f"{n_controls + 1} qubit operands, found {len(operands)}", node.span)
        controls, targets = operands[:n_controls], operands[n_controls:]
        for instance in self._broadcast(node, target, controls, targets):
            ctrl_qubits, target_qubits = instance
            self._check_distinct(node, ctrl_qubits + target_qubits)
            ops = self._gate_ops(node, target, args, target_qubits)
            ops = self._apply_modifiers(node, ops, [q.indices[0] for q in ctrl_qubits])
            for op in ops:
                self.emit(op)

    def _literal_qubits(self, node: ast.GateCall, spec: gate_table.GateSpec) -> tuple[int, ...] | None:
        """The distinct qubits of `g q[i], r[j];` when every operand is a literal index in range.

        None otherwise (a wrong count, a repeat, any other operand): the general
        path then evaluates the operands and reports what is wrong.
        """
        if len(node.qubits) != spec.num_qubits:
            return None
        qubits = []
        for operand in node.qubits:
            qubit = self.evaluator.literal_qubit(operand)
            if qubit is None or qubit in qubits:
                return None
            qubits.append(qubit)
        return tuple(qubits)

    def _apply_plain(self, node: ast.GateCall, spec: gate_table.GateSpec, args: list,
                     operands: list[Qubits]) -> None:
        """`rx(a) q[3];`, `cx q[0], q[1];`: the general path's checks, without its machinery.

        With no modifier and the gate's own number of operands, each a single
        qubit (`h s;`, `cx q[i], q[i + 1];` in a loop), the general path has no
        controls, no broadcasting and one instance: what remains is the
        distinct-qubit check and the op.
        """
        if len(operands) > 1 and len({op.indices[0] for op in operands}) != len(operands):
            self._check_distinct(node, operands)  # raises, naming the repeated qubit
        self.emit(self._builtin_op(node, spec, args, tuple([op.indices[0] for op in operands])))

    def _resolve_gate(self, node: ast.GateCall):
        symbol = self.scope.lookup(node.name)
        if symbol is not None and symbol.kind == GATE:
            symbol.used = True
            return symbol
        spec = gate_table.lookup(node.name)
        if spec is not None:
            return spec
        if symbol is not None:
            raise fail("E0202", f"`{node.name}` is a {symbol.kind}, not a gate", node.name_span,
                       "not a gate")
        if self.scope.missing_imports():
            raise Poisoned()  # probably defined in the import that failed
        candidates = list(gate_table.GATES) + list(gate_table.ALIASES) + \
            self.scope.visible_names((GATE,))
        raise fail("E0202", f"unknown gate `{node.name}`", node.name_span, "no such gate",
                   help=suggest(node.name, candidates))

    @staticmethod
    def _takes_no_qubits(target) -> bool:
        return isinstance(target, gate_table.GateSpec) and target.num_qubits == 0

    def _control_count(self, modifier: ast.Modifier) -> int:
        if modifier.kind not in ("ctrl", "negctrl"):
            return 0
        if modifier.arg is None:
            return 1
        count = self.evaluator.constant_int(modifier.arg, f"the number of `{modifier.kind}` qubits")
        if count < 1:
            raise fail("E0216", f"`{modifier.kind}({count})` needs a positive count", modifier.arg.span,
                       "not a positive number of controls", help=f"write `{modifier.kind} @` for one control")
        return count

    # ------------------------------------------------------------ broadcasting

    def _operand_is_register(self, target, position: int) -> bool:
        """Does the gate take a whole register at this operand position?"""
        if isinstance(target, gate_table.GateSpec):
            return False
        qargs = target.value.qargs
        return position < len(qargs) and qargs[position].size is not None

    def _broadcast(self, node: ast.GateCall, target, controls: list[Qubits], targets: list[Qubits]):
        """Yield (control qubits, gate operands) for each broadcast instance."""
        arity = self._gate_arity(target)
        if arity is not None and len(targets) != arity:
            controls_note = f" after {plural(len(controls), 'control')}" if controls else ""
            raise fail("E0204", f"`{node.name}` acts on {plural(arity, 'qubit')}, found "
                       f"{plural(len(targets), 'operand')}{controls_note}", node.span,
                       f"{plural(len(node.qubits), 'qubit operand')}",
                       help=self._arity_help(node, target))
        sizes = {len(op.indices) for op in controls if not op.single}
        sizes |= {len(op.indices) for k, op in enumerate(targets)
                  if not op.single and not self._operand_is_register(target, k)}
        if len(sizes) > 1:
            raise fail("E0302", "registers of different sizes in one gate call", node.span,
                       "sizes " + ", ".join(map(str, sorted(sizes))),
                       help="apply the gate to registers of equal size, or index them")
        count = sizes.pop() if sizes else 1
        for k in range(count):
            pick = lambda op: op if op.single else Qubits((op.indices[k],), True, f"{op.label}[{k}]")
            ctrl = [pick(op) for op in controls]
            tgt = [op if self._operand_is_register(target, j) else pick(op) for j, op in enumerate(targets)]
            yield ctrl, tgt

    @staticmethod
    def _gate_arity(target) -> int | None:
        if isinstance(target, gate_table.GateSpec):
            return target.num_qubits
        return len(target.value.qargs)

    @staticmethod
    def _arity_help(node: ast.GateCall, target) -> str | None:
        if isinstance(target, gate_table.GateSpec) and target.num_qubits == 2:
            return f"write `{node.name} a, b;` with two qubits"
        return None

    def _check_distinct(self, node: ast.GateCall, operands: list[Qubits]) -> None:
        """No qubit may be two operands of one gate; point at the repeat and the first use."""
        first_use: dict[int, ast.ExprNode] = {}
        for operand, source in zip(operands, node.qubits):
            for q in operand.indices:
                if q in first_use:
                    raise fail("E0301", f"qubit {self.qubit_name(q)} is used twice in one gate",
                               source.span, "used again here",
                               secondary=(Label(first_use[q].span, "first used here", primary=False),),
                               notes=("a gate acts on distinct qubits (no-cloning)",))
                first_use[q] = source

    # ------------------------------------------------------------ one instance

    def _gate_ops(self, node: ast.GateCall, target, args: list, operands: list[Qubits]) -> list[Op]:
        if isinstance(target, gate_table.GateSpec):
            return [self._builtin_op(node, target, args, tuple([op.indices[0] for op in operands]))]
        return self._inline(node, target, args, operands)

    def _builtin_op(self, node: ast.GateCall, spec, args: list, qubits: tuple[int, ...]) -> GateOp:
        if len(args) != spec.num_params:
            raise fail("E0203", f"`{node.name}` takes {plural(spec.num_params, 'angle')}, found "
                       f"{len(args)}", node.span, f"{plural(len(args), 'angle')} given",
                       help=f"`{spec.name}` is {spec.doc}" if spec.doc else None)
        params = tuple(map(self._angle, args, node.args))
        return GateOp(spec.name, qubits, params, span=node.span)

    def _angle(self, value: object, node: ast.ExprNode) -> Expr:
        if isinstance(value, Expr):
            return value
        if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
            return as_expr(float(value))
        raise fail("E0205", f"a gate angle must be a number, found {describe(value)}", node.span,
                   f"this is {article(describe(value))}")

    # ------------------------------------------------------------ user gates

    def _inline(self, node: ast.GateCall, symbol: Symbol, args: list, operands: list[Qubits]) -> list[Op]:
        gate: ast.GateDef = symbol.value
        if gate.name in self.call_stack:
            cycle = self.call_stack[self.call_stack.index(gate.name):] + [gate.name]
            through = "" if len(cycle) == 2 else " through " + ", ".join(f"`{g}`" for g in cycle[1:-1])
            raise fail("E0209", f"gate `{gate.name}` calls itself{through}", node.span, "recursive call",
                       notes=("gates are inlined, so recursion would never end",
                              "the cycle: " + " -> ".join(cycle)),
                       help="unroll the recursion with a `for` loop")
        if len(args) != len(gate.params):
            raise fail("E0203", f"gate `{gate.name}` takes {plural(len(gate.params), 'parameter')}, found "
                       f"{len(args)}", node.span, f"{plural(len(args), 'argument')} given")
        scope = symbol.scope.child()
        for name, size in self._shape_variables(gate, symbol.scope, args, operands, node).items():
            scope.define(name, Symbol(LOCAL, size, gate.name_span, used=True))
        for param, value in zip(gate.params, args):
            scope.define(param.name, Symbol(LOCAL, value, param.span, used=True))
        for qarg, operand in zip(gate.qargs, operands):
            scope.define(qarg.name, Symbol(QUBITS, operand, qarg.span, used=True))
        return self.run_gate_body(gate, scope)

    def _shape_variables(self, gate: ast.GateDef, gate_scope, args: list, operands: list[Qubits],
                         node: ast.GateCall) -> dict[str, int]:
        """Check the call against the declared shapes; return the sizes bound to shape names.

        A dimension that is a name not visible to the gate (`n` in `float[n, 3]`)
        binds to the size it meets first; every other dimension is an expression,
        checked once all names are bound, so `float[n - 1]` with `q[n]` works.
        """
        dims = self._declared_dims(gate, args, operands, node)
        bound: dict[str, int] = {}
        outer = Evaluator(gate_scope)
        for owner, dim, size, source in dims:
            if isinstance(dim, ast.Name) and _is_free(dim.id, bound, outer):
                expected = bound.setdefault(dim.id, size)
                if expected != size:
                    raise _size_mismatch(owner, expected, size, source)
        inner = gate_scope.child()
        for name, size in bound.items():
            inner.define(name, Symbol(LOCAL, size, None, used=True))
        sizes = Evaluator(inner)
        for owner, dim, size, source in dims:
            if not (isinstance(dim, ast.Name) and dim.id in bound):
                expected = sizes.constant_int(dim, "an array dimension")
                if expected != size:
                    raise _size_mismatch(owner, expected, size, source)
        return bound

    def _declared_dims(self, gate: ast.GateDef, args: list, operands: list[Qubits], node: ast.GateCall):
        """(name, declared dimension, actual size, call operand) for every sized parameter."""
        dims = []
        for param, value, source in zip(gate.params, args, node.args):
            shape = self._param_shape(param, value, source)
            dims += [(param.name, dim, size, source) for dim, size in zip(param.type.dims, shape)] \
                if param.type is not None else []
        for qarg, operand, source in zip(gate.qargs, operands, node.qubits):
            if qarg.size is None:
                continue
            if operand.single:
                raise fail("E0206", f"`{qarg.name}` expects a qubit register, found one qubit",
                           source.span, "a single qubit")
            dims.append((qarg.name, qarg.size, len(operand.indices), source))
        return dims

    def _param_shape(self, param: ast.ParamDecl, value, source) -> tuple[int, ...]:
        if param.type is None:
            if isinstance(value, (int, float, Expr)) and not isinstance(value, bool):
                return ()
            if isinstance(value, Qubits):
                help = "qubits go after the parentheses: `g(angle) q[0];`"
            else:
                help = f"declare it with a shape, e.g. `{param.name}: float[n]`, to pass an array"
            raise fail("E0205", f"gate parameter `{param.name}` expects a number, found {describe(value)}",
                       source.span, f"this is {article(describe(value))}", help=help)
        shape = np.shape(value) if isinstance(value, np.ndarray) else ()
        if len(shape) != len(param.type.dims) or isinstance(value, Qubits):
            dims = param.type.dims
            want = (f"a {len(dims)}-dimensional {param.type.base} array" if dims else param.type.base)
            raise fail("E0206", f"gate parameter `{param.name}` expects {want}, found {describe(value)}",
                       source.span, f"this is {article(describe(value))}")
        return shape


def _is_plain(node: ast.GateCall, target, operands: list[Qubits]) -> bool:
    """A built-in gate without modifiers, on exactly its number of single qubits (most calls)."""
    return (not node.modifiers and isinstance(target, gate_table.GateSpec)
            and len(operands) == target.num_qubits and all(op.single for op in operands))


def _size_mismatch(name: str, expected: int, size: int, source) -> ElabError:
    return fail("E0206", f"`{name}` expects size {expected} here, found {size}", source.span,
                f"size {size}")


def _is_free(name: str, shape_vars: dict[str, int], dims: Evaluator) -> bool:
    """A dimension name that binds a size: not a constant visible to the gate."""
    if name in shape_vars:
        return True
    return dims.scope.lookup(name) is None and name not in BUILTIN_CONSTANTS
