"""Property tests of `qdl.fmt` on random valid programs written in random layouts.

The generator builds programs from grammar pieces (constants, observables, gate
definitions with angle parameters, circuits with `param` arguments, loops,
compile-time `if`, modifiers, measurement) as token lists, then joins the
tokens with random separators: spaces, line breaks, blank lines, and line or
block comments.  Every program is checked to compile before formatting.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qdl.compiler.driver import compile_source
from qdl.compiler.ir_text import format_module
from qdl.fmt import format_source

ROTATIONS = ("rx", "ry", "rz", "phase")
FIXED_1Q = ("h", "x", "s", "t", "sdg")
FIXED_2Q = ("cx", "cz", "swap")
NQ = 3  # qubits of every circuit


@st.composite
def angle(draw, names: tuple[str, ...], depth: int = 2) -> list[str]:
    """A float expression over `names` as tokens, with redundant parentheses now and then."""
    leaves = st.one_of(st.integers(0, 9).map(str), st.sampled_from(["0.5", "1.25", "2e-1", ".75", "pi"]),
                       *([st.sampled_from(names)] if names else []))
    if depth == 0 or draw(st.integers(0, 2)) == 0:
        return [draw(leaves)]
    form = draw(st.sampled_from(["+", "-", "*", "neg", "call", "paren", "pow", "div"]))
    a = draw(angle(names, depth - 1))
    if form == "neg":
        return ["-", *a]
    if form == "call":
        return [draw(st.sampled_from(["sin", "cos"])), "(", *a, ")"]
    if form == "paren":
        return ["(", *a, ")"]
    if form == "pow":
        return ["(", *a, ")", "**", "2"]
    if form == "div":
        return [*a, "/", draw(st.sampled_from(["2", "4.0"]))]
    return [*a, form, *draw(angle(names, depth - 1))]


@st.composite
def gate_statement(draw, names: tuple[str, ...], qubits: list[list[str]], depth: int = 1) -> list[str]:
    """One statement of a gate or circuit body acting on the given qubit operands."""
    kind = draw(st.sampled_from(["fixed", "rotation", "two", "modified", "barrier", "loop", "if"] if depth else
                                ["fixed", "rotation", "two", "modified", "barrier"]))
    q = draw(st.sampled_from(qubits))
    if kind == "barrier":
        return ["barrier", *q, ";"]
    if kind == "fixed":
        return [draw(st.sampled_from(FIXED_1Q)), *q, ";"]
    if kind == "rotation":
        return [draw(st.sampled_from(ROTATIONS)), "(", *draw(angle(names)), ")", *q, ";"]
    pair = draw(st.permutations(qubits))[:2]
    if kind == "two":
        return [draw(st.sampled_from(FIXED_2Q)), *pair[0], ",", *pair[1], ";"]
    if kind == "modified":
        modifier = draw(st.sampled_from([["ctrl", "@"], ["negctrl", "@"], ["inv", "@"], ["ctrl", "(", "1", ")", "@"]]))
        operands = q if modifier[0] == "inv" else [*pair[0], ",", *pair[1]]
        return [*modifier, "ry", "(", *draw(angle(names)), ")", *operands, ";"]
    body = draw(st.lists(gate_statement(names, qubits, depth - 1), min_size=0, max_size=3))
    if kind == "loop":
        return ["for", "k", "in", "0", "..", str(draw(st.integers(0, 2))), "{", *sum(body, []), "}"]
    tail = draw(st.sampled_from([[], ["else", "{", "}"], ["else", "if", "(", "N", ">", "2", ")", "{", "h", *q, ";", "}"]]))
    return ["if", "(", "N", draw(st.sampled_from(["==", "<", ">="])), "2", ")", "{", *sum(body, []), "}", *tail]


@st.composite
def program(draw) -> list[str]:
    """A whole program: constants, an observable, gates, and one circuit that uses them."""
    tokens = ["const", "N", "=", str(draw(st.integers(1, 3))), ";"]
    tokens += ["const", "W", ":", "float", "[", "2", "]", "=", "[", *draw(angle(())), ",", "1.5", "]", ";"]
    tokens += ["observable", "O", "=", "0.5", "*", "Z", "[", "0", "]", "Z", "[", "1", "]", "+", "X", "[", "2", "]", "-",
               "0.25", "*", "Y", "[", "1", "]", ";"]
    tokens += ["observable", "S", "=", "sum", "(", "i", "in", "0", "..", str(NQ), ":", "(", "W", "[", "1", "]", "-",
               "1", ")", "*", "Z", "[", "i", "]", ")", ";"]
    gates = []
    for g in range(draw(st.integers(0, 2))):
        params = ("a", "b")[:draw(st.integers(0, 2))]
        head = ["gate", f"g{g}", *(["(", *" , ".join(params).split(), ")"] if params else []), "p", ",", "r"]
        body = draw(st.lists(gate_statement(params, [["p"], ["r"]]), max_size=4))
        tokens += head + ["{", *sum(body, []), "}"]
        gates.append((g, params))
    names = ("t[0]", "t[1]", "x", "W[0]", "W[N % 2]")
    registers = [["q", "[", str(i), "]"] for i in range(NQ)]
    body = ["qubit", "q", "[", str(NQ), "]", ";"] + sum(draw(st.lists(gate_statement(names, registers), max_size=6)), [])
    for g, params in gates:
        angles = ["(", *" , ".join(draw(st.sampled_from(["x", "t[1]", "0.5"])) for _ in params).split(), ")"]
        body += [f"g{g}", *(angles if params else []), *registers[0], ",", *registers[1], ";"]
    result, returns = draw(st.sampled_from([(["expval", "(", "O", ")"], "float"), (["probs", "(", "q", ")"], "float[8]"),
                                            (["(", "expval", "(", "S", ")", ",", "expval", "(", "O", ")", ")"],
                                             "(float, float)")]))
    tokens += ["circuit", "main", "(", "param", "t", ":", "float", "[", "2", "]", ",", "x", ":", "float", ")", "->",
               *returns.replace(",", " , ").replace("(", "( ").replace(")", " )").split(), "{", *body, "return",
               *result, ";", "}"]
    return [t for token in tokens for t in token.split()]


@st.composite
def laid_out(draw) -> str:
    """A random program joined with random spaces, line breaks and comments."""
    tokens = draw(program())
    separators = st.sampled_from([" ", " ", " ", "\n", "\n\n", "  \n\t", " /* note */ ", " // note\n", "\n/* a\n b */\n"])
    out = [tokens[0]]
    for n, token in enumerate(tokens[1:]):
        sep = draw(separators).replace("note", f"c{n}")
        out += [sep, token]
    return "".join(out) + draw(st.sampled_from(["", "\n", " // last\n"]))


def _comments(text: str) -> list[str]:
    return re.findall(r"//[^\n]*|/\*.*?\*/", text, re.S)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(laid_out())
def test_random_programs_format_idempotently_to_the_same_ir(source: str):
    before = compile_source(source, "random.qdl")
    assert before.ok, before.render()
    once = format_source(source, "random.qdl")
    assert format_source(once, "random.qdl") == once
    after = compile_source(once, "random.qdl")
    assert after.ok, after.render()
    assert format_module(after.module) == format_module(before.module)
    assert _comments(once) == _comments(source)
    assert all(line == line.rstrip() for line in once.splitlines())


@settings(max_examples=30, deadline=None)
@given(laid_out(), st.integers(20, 60))
def test_narrow_widths_still_round_trip(source: str, width: int):
    once = format_source(source, "random.qdl", width)
    assert format_source(once, "random.qdl", width) == once


@settings(max_examples=25, deadline=None)
@given(laid_out())
def test_random_programs_highlight_without_errors(source: str):
    """Before and after formatting, Pygments finds no error token and every character gets a token."""
    from pygments.token import Error

    from qdl.highlight import QdlLexer

    for text in (source, format_source(source, "random.qdl")):
        tokens = list(QdlLexer(stripnl=False).get_tokens_unprocessed(text))
        assert [v for _, t, v in tokens if t in Error] == []
        assert "".join(v for _, _, v in tokens) == text
