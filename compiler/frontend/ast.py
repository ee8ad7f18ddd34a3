"""The qdl abstract syntax tree: frozen dataclasses with source spans.

Built from the Lark parse tree by `build_ast`; read by `elaborate`.  Nodes
hold exactly what the source said (no resolution, no folding), so `--emit ast`
shows the program as written.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from typing import Union

from qdl.compiler.diagnostics import Span


def _span() -> Span | None:
    return field(default=None, compare=False, repr=False)


# ---------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class Number:
    value: int | float
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class BoolLit:
    value: bool
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Name:
    id: str
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Slice:
    lo: "ExprNode | None"
    hi: "ExprNode | None"
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Index:
    base: "ExprNode"
    items: tuple["ExprNode | Slice", ...]
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Call:
    fn: str
    args: tuple["ExprNode", ...]
    fn_span: Span | None = _span()
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class BinOp:
    """Arithmetic (`+ - * / **`), comparison (`== != < <= > >=`) or logic (`&& ||`)."""

    op: str
    lhs: "ExprNode"
    rhs: "ExprNode"
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class UnaryOp:
    """`-x`, `+x` or `!x`."""

    op: str
    operand: "ExprNode"
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class TupleLit:
    items: tuple["ExprNode", ...]
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class ArrayLit:
    items: tuple["ExprNode", ...]
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Pauli:
    """One Pauli factor `Z[i]` of an observable."""

    letter: str
    qubit: "ExprNode"
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class PauliString:
    """Juxtaposed factors `Z[0] X[1]`."""

    factors: tuple[Pauli, ...]
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Range:
    """`start..stop`: start inclusive, stop exclusive (inclusive for OpenQASM's `[a:b]`)."""

    start: "ExprNode"
    stop: "ExprNode"
    span: Span | None = _span()
    step: "ExprNode | None" = None
    inclusive: bool = False


@dataclass(frozen=True, slots=True)
class SumOver:
    """`sum(v in iterable: body)`."""

    var: str
    iterable: "ExprNode | Range"
    body: "ExprNode"
    span: Span | None = _span()


ExprNode = Union[Number, BoolLit, Name, Index, Call, BinOp, UnaryOp, TupleLit,
                 ArrayLit, Pauli, PauliString, SumOver]


# ---------------------------------------------------------------- declarations


@dataclass(frozen=True, slots=True)
class TypeExpr:
    """`float`, `int[3]`, `float[L, N, 3]`; dims are expressions (or names that bind)."""

    base: str
    dims: tuple[ExprNode, ...] = ()
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class QubitDecl:
    name: str
    size: ExprNode | None
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class BitDecl:
    name: str
    size: ExprNode | None
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class ConstDecl:
    name: str
    type: TypeExpr | None
    value: ExprNode
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Modifier:
    """`ctrl(n) @`, `negctrl(n) @`, `inv @` or `pow(k) @`."""

    kind: str
    arg: ExprNode | None
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class GateCall:
    modifiers: tuple[Modifier, ...]
    name: str
    args: tuple[ExprNode, ...]
    qubits: tuple[ExprNode, ...]
    name_span: Span | None = _span()
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class For:
    var: str
    iterable: ExprNode | Range
    body: tuple["Stmt", ...]
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class If:
    cond: ExprNode
    then: tuple["Stmt", ...]
    orelse: tuple["Stmt", ...]
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Measure:
    qubit: ExprNode
    target: ExprNode
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Reset:
    qubits: tuple[ExprNode, ...]
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Barrier:
    qubits: tuple[ExprNode, ...]
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Return:
    value: ExprNode
    span: Span | None = _span()


Stmt = Union[QubitDecl, BitDecl, ConstDecl, GateCall, For, If, Measure, Reset, Barrier, Return]


@dataclass(frozen=True, slots=True)
class ParamDecl:
    name: str
    type: TypeExpr | None
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class QArgDecl:
    name: str
    size: ExprNode | None
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class GateDef:
    name: str
    params: tuple[ParamDecl, ...]
    qargs: tuple[QArgDecl, ...]
    body: tuple[Stmt, ...]
    name_span: Span | None = _span()
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class ArgDecl:
    name: str
    type: TypeExpr
    trainable: bool
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class CircuitDef:
    name: str
    args: tuple[ArgDecl, ...]
    returns: tuple[TypeExpr, ...] | None
    returns_tuple: bool
    body: tuple[Stmt, ...]
    name_span: Span | None = _span()
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class ObservableDecl:
    name: str
    value: ExprNode
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Import:
    path: str
    span: Span | None = _span()


Item = Union[Import, ConstDecl, ObservableDecl, GateDef, CircuitDef]


@dataclass(frozen=True, slots=True)
class Program:
    file: str
    items: tuple[Item, ...]


def dump(node: object, indent: int = 0) -> str:
    """An indented, readable dump of an AST (for `qdlc compile --emit ast`)."""
    pad = "  " * indent
    if isinstance(node, tuple):
        if not node:
            return pad + "()"
        return "\n".join(dump(item, indent) for item in node)
    if not is_dataclass(node):
        return pad + repr(node)
    simple, nested = [], []
    for f in fields(node):
        if f.name.endswith("span"):
            continue
        value = getattr(node, f.name)
        if is_dataclass(value) or (isinstance(value, tuple) and value and is_dataclass(value[0])):
            nested.append((f.name, value))
        else:
            simple.append(f"{f.name}={value!r}")
    lines = [f"{pad}{type(node).__name__}({', '.join(simple)})"]
    for name, value in nested:
        lines.append(f"{pad}  {name}:")
        lines.append(dump(value, indent + 2))
    return "\n".join(lines)
