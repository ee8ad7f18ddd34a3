"""The grammar and the parser: no LALR conflicts, what parses, precedence, spans, syntax errors."""

from __future__ import annotations

import pytest

from qdl.compiler.driver import parse_only
from qdl.compiler.frontend import ast
from qdl.compiler.frontend.parser import make_parser

from frontend_invariants import EXAMPLE

A, B, C, X = ast.Name("a"), ast.Name("b"), ast.Name("c"), ast.Name("x")


def num(value: int | float) -> ast.Number:
    return ast.Number(value)


def parse_ok(text: str) -> ast.Program:
    result = parse_only(text, "t.qdl")
    assert result.program is not None and not result.sink.diagnostics, result.render()
    return result.program


def expr(text: str) -> ast.ExprNode:
    """The AST of one expression (parsed as the value of a constant)."""
    return parse_ok(f"const A = {text};").items[0].value


def body(text: str) -> tuple:
    """The statements of a circuit body."""
    return parse_ok(f"circuit f() {{ {text} }}").items[0].body


def test_grammar_builds_without_conflicts() -> None:
    """`strict=True` turns any shift/reduce or reduce/reduce conflict into an error."""
    parser = make_parser(strict=True, cache=False)
    assert parser.options.parser == "lalr"


# ---------------------------------------------------------------- what parses

VALID = {
    "empty file": "",
    "comments only": "// a comment\n/* a block\n comment */\n",
    "import": 'import "std/templates.qdl";',
    "typed const": "const W: float[2, 3] = [[1, 2, 3], [4, 5, 6]];",
    "observable": "observable H = 0.5 * Z[0] Z[1] - 0.2 * X[2] + 0.1;",
    "gate without params": "gate bell a, b { h a; cx a, b; }",
    "gate with empty params": "gate g() a { x a; }",
    "gate with typed params": "gate layer(w: float[n, 3], k: int) q[n] { rot(w[0, 0], w[0, 1], w[0, 2]) q[0]; }",
    "circuit without return type": "circuit f() { qubit q; return expval(Z[0]); }",
    "circuit returning a tuple": "circuit f(param t: float) -> (float, float[2]) { qubit q; return (expval(Z[0]), probs(q)); }",
    "trainable array argument": "circuit f(x: float[4], param w: float[2, 4, 3], n: int, b: bool) { }",
    "modifiers": "circuit f() { qubit q[4]; ctrl @ x q[0], q[1]; negctrl(2) @ inv @ pow(0.5) @ rz(1) q[0], q[1], q[2]; }",
    "gate without qubits": "circuit f(t: float) { gphase(t); }",
    "for over a range": "circuit f() { qubit q[3]; for i in 0..3 { h q[i]; } }",
    "for over an array": "const A = [1, 2]; circuit f() { qubit q; for a in A { rx(a) q; } }",
    "if / else if / else": "circuit f() { if (1 < 2) { } else if (true) { } else { } }",
    "measure both ways": "circuit f() { qubit q[2]; bit c[2]; c[0] = measure q[0]; measure q[1] -> c[1]; }",
    "reset and barriers": "circuit f() { qubit q[2]; reset q[0], q[1]; barrier q; barrier; }",
    "slices": "circuit f() { qubit q[4]; cx q[0:2], q[2:]; h q[:1]; }",
    "sum over": "observable H = sum(i in 0..4: Z[i] Z[i + 1]);",
    "logic and comparisons": "const B = !(1 < 2) && 3 >= 2 || 1 != 1;",
    "numbers": "const A = [1, 2.5, .5, 1e-3, 2E+4, 007];",
    "unicode in comments": "// café ∑ θ\nconst A = 1;",
    "crlf line endings": "const A = 1;\r\ncircuit f() {\r\n qubit q;\r\n}\r\n",
    "pauli juxtaposition": "const P = X[0] Y[1] Z[2] I[3];",
    "names that start like paulis": "const Xq = 1; const Zeta = Xq + 1;",
    "keywords as name prefixes": "const iff = 1; const format = 2; const ctrlx = 3;",
}


@pytest.mark.parametrize("text", VALID.values(), ids=VALID.keys())
def test_valid_snippets_parse(text: str) -> None:
    parse_ok(text)


def test_the_readme_example_parses() -> None:
    program = parse_ok(EXAMPLE)
    kinds = [type(item).__name__ for item in program.items]
    assert kinds == ["ConstDecl", "ObservableDecl", "GateDef", "CircuitDef"]
    circuit = program.items[-1]
    assert [a.trainable for a in circuit.args] == [False, True]
    assert [type(s).__name__ for s in circuit.body] == ["QubitDecl", "BitDecl", "For", "Measure", "If", "Return"]


# ---------------------------------------------------------------- precedence


def bin(op: str, lhs, rhs) -> ast.BinOp:
    return ast.BinOp(op, lhs, rhs)


PRECEDENCE = {
    "-a ** b": ast.UnaryOp("-", bin("**", A, B)),
    "a ** b ** c": bin("**", A, bin("**", B, C)),
    "a ** -b": bin("**", A, ast.UnaryOp("-", B)),
    "a - b - c": bin("-", bin("-", A, B), C),
    "a / b / c": bin("/", bin("/", A, B), C),
    "a % b * c": bin("*", bin("%", A, B), C),
    "2 * x + 1": bin("+", bin("*", num(2), X), num(1)),
    "1 + 2 * x": bin("+", num(1), bin("*", num(2), X)),
    "(a + b) * c": bin("*", bin("+", A, B), C),
    "-a * b": bin("*", ast.UnaryOp("-", A), B),
    "- -a": ast.UnaryOp("-", ast.UnaryOp("-", A)),
    "-x[0]": ast.UnaryOp("-", ast.Index(X, (num(0),))),
    "a < b + 1": bin("<", A, bin("+", B, num(1))),
    "a == b && b != c": bin("&&", bin("==", A, B), bin("!=", B, C)),
    "a || b && c": bin("||", A, bin("&&", B, C)),
    "!a && b": bin("&&", ast.UnaryOp("!", A), B),
    "!a == b": ast.UnaryOp("!", bin("==", A, B)),
    "!a + b < c || d": bin("||", ast.UnaryOp("!", bin("<", bin("+", A, B), C)), ast.Name("d")),
    "!!a": ast.UnaryOp("!", ast.UnaryOp("!", A)),
    "a && !b || c": bin("||", bin("&&", A, ast.UnaryOp("!", B)), C),
    "a ** -b * c": bin("*", bin("**", A, ast.UnaryOp("-", B)), C),
    "+a - -b": bin("-", ast.UnaryOp("+", A), ast.UnaryOp("-", B)),
    "a - b * c ** 2 / x % 3": bin("-", A, bin("%", bin("/", bin("*", B, bin("**", C, num(2))), X), num(3))),
    "a == (b < c)": bin("==", A, bin("<", B, C)),
    "a == (!b)": bin("==", A, ast.UnaryOp("!", B)),
    "0.5 * Z[0] Z[1]": bin("*", num(0.5), ast.PauliString((ast.Pauli("Z", num(0)), ast.Pauli("Z", num(1))))),
    "x[0][1]": ast.Index(ast.Index(X, (num(0),)), (num(1),)),
    "x[1, 0:2]": ast.Index(X, (num(1), ast.Slice(num(0), num(2)))),
}


@pytest.mark.parametrize("text, tree", PRECEDENCE.items(), ids=PRECEDENCE.keys())
def test_precedence_and_associativity(text: str, tree) -> None:
    assert expr(text) == tree


def test_lexing_of_numbers_ranges_and_paulis() -> None:
    loop = body("for i in 1..3 { }")[0]
    assert loop.iterable == ast.Range(num(1), num(3))
    assert expr("1.5e2") == num(150.0) and expr(".5") == num(0.5) and expr("10") == num(10)
    assert isinstance(expr("X[0]"), ast.Pauli) and expr("Xq") == ast.Name("Xq")


# ---------------------------------------------------------------- statements and spans


def test_gate_call_parts() -> None:
    call = body("ctrl(2) @ inv @ rx(0.5) a, b[1], c;")[0]
    assert [m.kind for m in call.modifiers] == ["ctrl", "inv"]
    assert call.modifiers[0].arg == num(2)
    assert call.name == "rx" and call.args == (num(0.5),)
    assert call.qubits == (A, ast.Index(B, (num(1),)), C)


def test_measure_forms_build_the_same_node() -> None:
    assign, arrow = body("c[0] = measure q[1]; measure q[1] -> c[0];")
    assert assign == arrow


def test_else_if_nests() -> None:
    node = body("if (a) { } else if (b) { } else { x q; }")[0]
    assert isinstance(node.orelse[0], ast.If) and node.orelse[0].cond == B


def test_spans_cover_the_source_text() -> None:
    text = "const A = 2 * x + 1;\ncircuit f() { rx(0.5) q[0]; }"
    program = parse_ok(text)
    value = program.items[0].value
    assert text[value.span.start:value.span.end] == "2 * x + 1"
    assert text[value.lhs.span.start:value.lhs.span.end] == "2 * x"
    call = program.items[1].body[0]
    assert text[call.span.start:call.span.end] == "rx(0.5) q[0];"
    assert text[call.name_span.start:call.name_span.end] == "rx"
    assert call.span.file == "t.qdl"


def _text(text: str, node) -> str:
    return text[node.span.start:node.span.end]


def test_spans_reach_keywords_brackets_parentheses_and_braces() -> None:
    """Rule spans start and end at tokens the AST drops: `ctrl @`, `]`, `(`, `}`."""
    text = ("const A = (a + b) * -(c);\n"
            "circuit f() { ctrl @ x q[0], q[1 + 1]; for i in 0..2 { h q[i]; } return expval(Z[0]); }")
    program = parse_ok(text)
    product = program.items[0].value
    assert _text(text, product) == "(a + b) * -(c)"
    assert _text(text, product.lhs) == "a + b"  # the node itself; its parentheses count for its parent
    assert _text(text, product.rhs) == "-(c)"
    gate, loop, ret = program.items[1].body
    assert _text(text, gate) == "ctrl @ x q[0], q[1 + 1];"
    assert _text(text, gate.modifiers[0]) == "ctrl @"
    assert _text(text, gate.qubits[1]) == "q[1 + 1]"
    assert _text(text, loop) == "for i in 0..2 { h q[i]; }"
    assert _text(text, ret) == "return expval(Z[0]);"
    assert _text(text, program.items[1]) == text.split("\n")[1]


def test_threads_parse_at_once_with_their_own_spans() -> None:
    from concurrent.futures import ThreadPoolExecutor
    texts = [f"circuit f{k}() {{ {'h q[0]; ' * k}rx({k}) q[{k}]; }}" for k in range(1, 9)]

    def last_call(text: str):
        return _text(text, parse_ok(text).items[0].body[-1]), parse_ok(text).items[0].body[-1].span.start

    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(last_call, texts * 4))
    assert together == [last_call(t) for t in texts] * 4
    assert together[0][0] == "rx(1) q[1];"


# ---------------------------------------------------------------- syntax errors

SYNTAX_ERRORS = {
    # text: [(code, line, column), ...]
    "circuit f() { qubit q\n h q; }": [("E0101", 1, 22)],
    "circuit f() { h q[0] $; }": [("E0102", 1, 22)],
    "circuit f() { h q;": [("E0103", 1, 18)],
    'import "std/templates.qdl;': [("E0104", 1, 8)],
    "const A = 2 ^ 3;": [("E0102", 1, 13)],
    "const A = 1\nconst B = 2\nconst C = 3;": [("E0101", 1, 12), ("E0101", 2, 12)],
    "circuit f() { for (i = 0; i < 3; i++) { } }": [("E0101", 1, 19)],
    "def f() { }": [("E0101", 1, 1)],
    "const A = 1 < 2 < 3;": [("E0101", 1, 17)],
    "const A = 1 == !b;": [("E0101", 1, 16)],
    "const A = -!b + 1 < 2 + !c;": [("E0101", 1, 12), ("E0101", 1, 25)],
}


@pytest.mark.parametrize("text, want", SYNTAX_ERRORS.items(), ids=range(len(SYNTAX_ERRORS)))
def test_syntax_errors_are_located(text: str, want: list) -> None:
    result = parse_only(text, "t.qdl")
    assert result.program is None
    got = []
    for d in result.sink.sorted():
        line, col = result.sink.sources.line_col(d.span.file, d.span.start)
        got.append((d.code, line, col))
    assert got == want, result.render()


def test_many_missing_semicolons_are_all_reported_but_bounded() -> None:
    text = "\n".join(f"const A{i} = {i}" for i in range(100)) + ";"
    result = parse_only(text, "t.qdl")
    assert 2 <= len(result.sink.diagnostics) <= 20
    assert {d.code for d in result.sink.diagnostics} == {"E0101"}


def test_unterminated_block_comment_is_e0104() -> None:
    result = parse_only("circuit f() {\n  /* never closed\n}\n", "t.qdl")
    assert [d.code for d in result.sink.diagnostics] == ["E0104"]


@pytest.mark.parametrize("text", ["circuit f() { rx(1 2) q; }", "const A = (1 2);", "const A = [1 2];",
                                  "circuit f() { if (true false) { } }", "const A = 1 % ;"])
def test_expected_token_lists_use_source_spelling(text: str) -> None:
    """Lark's internal terminal names (`__ANON_0`, `PERCENT`) never reach a message."""
    result = parse_only(text, "t.qdl")
    for d in result.sink.diagnostics:
        assert "__" not in d.message and "percent" not in d.message.lower(), d.message

