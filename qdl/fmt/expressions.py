"""Expressions of the parse tree back to canonical text, with the fewest parentheses.

The grammar inlines `( expr )`, so the tree has no parentheses: they are
re-inserted from the precedence table below (the levels of `grammar/qdl.lark`,
loosest first), which is exactly what makes the printed text parse back to the
same tree.  Literals are printed as written (`1e-3` stays `1e-3`) so the IR
cannot change through number formatting.
"""

from __future__ import annotations

from lark import Token, Tree

# Precedence of each expression rule: a child needs parentheses when its level
# is below the minimum its position accepts.
ATOM = 10
LEVEL = {"or_": 1, "and_": 2, "not_": 3, "compare": 4, "add": 5, "sub": 5, "mul": 6, "div": 6,
         "mod": 6, "neg": 7, "pos": 7, "pow_": 8, "index": 9}
BINARY = {"or_": ("||", 1, 2), "and_": ("&&", 2, 3), "add": ("+", 5, 6), "sub": ("-", 5, 6),
          "mul": ("*", 6, 7), "div": ("/", 6, 7), "mod": ("%", 6, 7), "pow_": ("**", 9, 7)}
PREFIX = {"neg": ("-", 7), "pos": ("+", 7), "not_": ("!", 3)}
LITERALS = {"int_lit", "float_lit"}


def level(node: Tree | Token) -> int:
    """How tightly `node` binds (atoms and everything bracketed bind tightest)."""
    return LEVEL.get(node.data, ATOM) if isinstance(node, Tree) else ATOM


def expr(node: Tree | Token, minimum: int = 0) -> str:
    """`node` as one line of text, parenthesised if it binds looser than `minimum`."""
    text = _bare(node)
    return f"({text})" if level(node) < minimum else text


def items(nodes: list) -> list[Tree | Token]:
    """The children of a comma list, without the `None` an empty optional leaves."""
    return [n for n in nodes if n is not None]


def joined(nodes: list) -> str:
    """Expressions separated by `, `."""
    return ", ".join(expr(n) for n in items(nodes))


def _bare(node: Tree | Token) -> str:
    if isinstance(node, Token):
        return str(node)
    kind, kids = node.data, node.children
    if kind in BINARY:
        op, left, right = BINARY[kind]
        return f"{expr(kids[0], left)} {op} {expr(kids[1], right)}"
    if kind in PREFIX:
        op, inner = PREFIX[kind]
        return f"{op}{expr(kids[0], inner)}"
    if kind == "compare":
        return f"{expr(kids[0], 5)} {kids[1]} {expr(kids[2], 5)}"
    return _ATOMS[kind](kids)


def listed(node: Tree | Token | None, kind: str) -> list:
    """The elements of a left-recursive list rule `kind` (`xs: x "," x | xs "," x`), in order.

    A node of another rule is the one element; None (an absent optional), none.
    The nesting is as deep as the list is long: walked, not recursed.
    """
    if node is None:
        return []
    backwards = []
    while isinstance(node, Tree) and node.data == kind:
        backwards.extend(reversed(node.children[1:]))
        node = node.children[0]
    backwards.append(node)
    return backwards[::-1]


def index_list(node: Tree | Token) -> str:
    """The inside of `[...]` (one item, or an `index_list`): items and slices separated by `, `."""
    return ", ".join(_slice(k) if isinstance(k, Tree) and k.data == "slice" else expr(k)
                     for k in listed(node, "index_list"))


def _slice(node: Tree) -> str:
    low, high = node.children
    return f"{'' if low is None else expr(low)}:{'' if high is None else expr(high)}"


def iterable(node: Tree) -> str:
    """A `for` / `sum` iterable: `a..b` or one expression."""
    if node.data == "range":
        return f"{expr(node.children[0])}..{expr(node.children[2])}"
    return expr(node.children[0])


def _tuple(kids: list) -> str:
    elements = items(kids)
    return f"({expr(elements[0])},)" if len(elements) == 1 else f"({joined(elements)})"


_ATOMS = {
    "int_lit": lambda k: str(k[0]),
    "float_lit": lambda k: str(k[0]),
    "true_lit": lambda k: "true",
    "false_lit": lambda k: "false",
    "name": lambda k: str(k[0]),
    "call": lambda k: f"{k[0]}({joined(k[1:])})",
    "sum_over": lambda k: f"sum({k[0]} in {iterable(k[1])}: {expr(k[2])})",
    "tuple": _tuple,
    "array": lambda k: f"[{joined(k)}]",
    "pauli_string": lambda k: " ".join(_bare(p) for p in k),
    "pauli": lambda k: f"{k[0]}[{expr(k[1])}]",
    "index": lambda k: f"{expr(k[0], 9)}[{index_list(k[1])}]",
}


def chain(node: Tree | Token) -> list[tuple[str, Tree | Token]]:
    """A left-nested `+`/`-` chain as [("", first), ("+", second), ("-", third), ...]."""
    if isinstance(node, Tree) and node.data in ("add", "sub"):
        return chain(node.children[0]) + [(BINARY[node.data][0], node.children[1])]
    return [("", node)]


def wrap(node: Tree | Token, head: str, tail: str, indent: str, width: int) -> list[str]:
    """`head + node + tail` as lines no wider than `width` where the shape allows.

    Too long: a `+`/`-` chain breaks before each operator; an array, call or
    tuple puts one element per line (recursively); anything else stays long.
    """
    one = head + expr(node) + tail
    if len(indent) + len(one) <= width or not isinstance(node, Tree):
        return [one]
    inner = indent + "    "
    terms = chain(node)
    if len(terms) > 1:
        rest = [f"{inner}{op} {expr(term, 6)}" for op, term in terms[1:]]
        rest[-1] += tail
        return wrap(terms[0][1], head, "", indent, width) + rest
    opener = {"array": "[", "call": f"{node.children[0]}(", "tuple": "("}.get(node.data)
    elements = items(node.children[1:] if node.data == "call" else node.children)
    if opener is None or len(elements) < 2:
        return [one]
    closer = "]" if node.data == "array" else ")"
    return [head + opener] + element_lines(elements, inner, width) + [indent + closer + tail]


def element_lines(elements: list, indent: str, width: int) -> list[str]:
    """Each element on its own line(s) at `indent`, separated by commas (no trailing comma)."""
    lines: list[str] = []
    for i, element in enumerate(elements):
        comma = "," if i < len(elements) - 1 else ""
        lines += [indent + line if j == 0 else line
                  for j, line in enumerate(wrap(element, "", comma, indent, width))]
    return lines
