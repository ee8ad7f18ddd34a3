"""One-line text of declarations, statements and headers (everything but blocks and comments)."""

from __future__ import annotations

from lark import Token, Tree

from qdl.fmt.expressions import expr, index_list, items, iterable, joined, listed, wrap

INDENT = "    "


def kids(node: Tree, kind: str) -> list[Tree]:
    """The children of `node` that are trees of rule `kind`."""
    return [c for c in node.children if isinstance(c, Tree) and c.data == kind]


def type_text(node: Tree) -> str:
    """`float`, `float[4]`, `int[n, 2]`."""
    name, *dims = node.children
    dims = items(dims)
    return f"{name}[{joined(dims)}]" if dims else str(name)


def register_ref(node: Tree) -> str:
    """A qubit or bit operand: `q`, `q[0]`, `q[1:]`, `m[i][j]`."""
    if node.data == "register":
        return str(node.children[0])
    base, subscript = node.children  # a `subscripted`: the name or an inner subscripted, one `[...]`
    return (str(base) if isinstance(base, Token) else register_ref(base)) + f"[{index_list(subscript)}]"


def _sized(keyword: str, node: Tree) -> str:
    name, size = node.children
    return f"{keyword} {name}" + ("" if size is None else f"[{expr(size)}]") + ";"


def _modifier(node: Tree) -> str:
    inner = items(node.children)  # the rule names are the keywords: ctrl, negctrl, inv, pow
    return f"{node.data}({expr(inner[0])}) @" if inner else f"{node.data} @"


def gate_call_lines(node: Tree, indent: str, width: int) -> list[str]:
    """`ctrl @ rx(theta) q[0], q[1];`, its angle list wrapped one per line when too long."""
    mods, name, args, qubits = node.children
    modifiers = "".join(_modifier(m) + " " for m in listed(mods, "modifiers"))
    refs = ", ".join(register_ref(r) for r in listed(qubits, "qubit_list"))
    tail = (" " + refs if refs else "") + ";"
    if args is None:
        return [f"{modifiers}{name}{tail}"]
    values = items(args.children)
    if not values:
        return [f"{modifiers}{name}(){tail}"]
    # Laid out as the call expression `name(values)`, so it wraps like one.
    return wrap(Tree("call", [name, *values]), modifiers, tail, indent, width)


def simple_lines(node: Tree, indent: str, width: int) -> list[str]:
    """A statement or top-level declaration without a block, as lines (first one unindented)."""
    kind, c = node.data, node.children
    if kind == "gate_call":
        return gate_call_lines(node, indent, width)
    if kind in ("qubit_decl", "bit_decl"):
        return [_sized(kind.split("_")[0], node)]
    if kind == "const_decl":
        typed = "" if c[1] is None else f": {type_text(c[1])}"
        return wrap(c[2], f"const {c[0]}{typed} = ", ";", indent, width)
    if kind == "observable_decl":
        return wrap(c[1], f"observable {c[0]} = ", ";", indent, width)
    if kind == "import_decl":
        return [f"import {c[0]};"]
    if kind == "return_stmt":
        return wrap(c[0], "return ", ";", indent, width)
    if kind == "measure_assign":
        return [f"{register_ref(c[0])} = measure {register_ref(c[1])};"]
    if kind == "measure_arrow":
        return [f"measure {register_ref(c[0])} -> {register_ref(c[1])};"]
    if kind in ("reset_stmt", "barrier_stmt"):
        refs = ", ".join(register_ref(r) for r in listed(c[0], "qubit_list"))
        return [kind.split("_")[0] + (" " + refs if refs else "") + ";"]
    raise AssertionError(f"not a simple statement: {kind}")


def _comma_list(head: str, parts: list[str], tail: str, indent: str, width: int) -> list[str]:
    """`head a, b tail` on one line, or one part per line when that is too long."""
    one = head + ", ".join(parts) + tail
    if len(indent) + len(one) <= width or len(parts) < 2:
        return [one]
    inner = indent + INDENT
    body = [inner + p + ("," if i < len(parts) - 1 else "") for i, p in enumerate(parts)]
    return [head] + body + [indent + tail.lstrip()]


def _param(node: Tree) -> str:
    name, typ = node.children
    return str(name) if typ is None else f"{name}: {type_text(typ)}"


def _qarg(node: Tree) -> str:
    name, size = node.children
    return str(name) if size is None else f"{name}[{expr(size)}]"


def gate_header(node: Tree, indent: str, width: int) -> list[str]:
    """`gate name(a, b: float) q, r[2] {` (the parameter list wrapped when too long)."""
    name, params, qargs = node.children[0], kids(node, "gate_params"), kids(node, "gate_qargs")[0]
    tail = " " + ", ".join(_qarg(q) for q in qargs.children) + " {"
    if not params:
        return [f"gate {name}{tail}"]
    parts = [_param(p) for p in items(params[0].children)]
    return _comma_list(f"gate {name}(", parts, ")" + tail, indent, width)


def _return_type(node: Tree) -> str:
    types = [type_text(t) for t in node.children]
    if node.data == "return_tuple":
        return f"({types[0]},)" if len(types) == 1 else f"({', '.join(types)})"
    return types[0]


def circuit_header(node: Tree, indent: str, width: int) -> list[str]:
    """`circuit name(param t: float[2], x: int) -> float {` (arguments wrapped when too long)."""
    parts = []
    for arg in kids(node, "arg_decl"):
        param, name, typ = arg.children
        parts.append(("param " if param is not None else "") + f"{name}: {type_text(typ)}")
    returns = [c for c in node.children if isinstance(c, Tree) and c.data in ("return_type", "return_tuple")]
    arrow = f" -> {_return_type(returns[0])}" if returns else ""
    return _comma_list(f"circuit {node.children[0]}(", parts, f"){arrow} {{", indent, width)


def for_header(node: Tree) -> str:
    """`for i in 0..n {`."""
    name, over = node.children[0], node.children[1]
    return f"for {name} in {iterable(over)} {{"


def if_header(node: Tree) -> str:
    """`if (cond) {`."""
    return f"if ({expr(node.children[0])}) {{"
