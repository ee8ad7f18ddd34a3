"""The IR text form: goldens, exact round trips (property tests), syntax errors, docs."""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
import struct
from pathlib import Path
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qdl.compiler.expr import UNARY_FUNCTIONS, Arg, Binary, Const, Expr, Unary, format_expr
from qdl.compiler.gates import GATES
from qdl.compiler.ir import (
    BOOL, FLOAT, INT, Argument, BarrierOp, Circuit, Condition, ExpVal, GateOp, MeasureOp,
    Module, Observable, PauliTerm, Probs, Register, ResetOp, Sample, State, Var,
)
from qdl.compiler.ir_text import (
    IRSyntaxError, format_circuit, format_ir_expr, format_module, load_parser, parse_expr,
    parse_module,
)

ROOT = Path(__file__).resolve().parents[2]
GOLDEN_DIR = ROOT / "tests" / "golden" / "ir"
THETA, PHI = Arg("theta"), Arg("phi")


def _x(*index: int) -> Arg:
    return Arg("x", index)


def _floats(obj: Any) -> list[bytes]:
    """The bit patterns of every float in an IR value (compared fields only)."""
    if isinstance(obj, float):
        return [struct.pack("<d", obj)]
    if isinstance(obj, tuple):
        return [b for item in obj for b in _floats(item)]
    if dataclasses.is_dataclass(obj):
        return [b for f in dataclasses.fields(obj) if f.compare
                for b in _floats(getattr(obj, f.name))]
    return []


def _assert_round_trip(module: Module) -> str:
    text = format_module(module)
    back = parse_module(text)
    assert back == module
    assert _floats(back) == _floats(module)
    assert format_module(back) == text
    return text


# --- hand-written modules (each is also a golden) -----------------------------------------


def _vqe() -> Module:
    h2 = Observable((
        PauliTerm(-0.042), PauliTerm(0.1777, ((0, "Z"),)), PauliTerm(0.1777, ((1, "Z"),)),
        PauliTerm(-0.2427, ((2, "Z"),)), PauliTerm(0.1706, ((0, "Z"), (1, "Z"))),
        PauliTerm(0.0448, ((0, "Y"), (1, "X"), (2, "X"), (3, "Y"))),
    ))
    energy = Circuit(
        "energy", (Argument("theta", FLOAT, (), True),), 4,
        (GateOp("x", (0,)), GateOp("x", (1,)), GateOp("double_excitation", (0, 1, 2, 3), (THETA,))),
        (ExpVal(h2),), qubit_registers=(Register("q", 0, 4),))
    w = lambda *i: Arg("w", i)  # noqa: E731
    layer = tuple(GateOp("rot", (q,), (w(0, q, 0), w(0, q, 1), w(0, q, 2))) for q in range(2))
    classify = Circuit(
        "classify", (Argument("x", FLOAT, (2,)), Argument("w", FLOAT, (1, 2, 3), True)), 2,
        (GateOp("ry", (0,), (_x(0),)), GateOp("ry", (1,), (_x(1),)), *layer, GateOp("cx", (0, 1))),
        (ExpVal(Observable((PauliTerm(1.0, ((0, "Z"),)),))), Probs((0, 1))), returns_tuple=True,
        qubit_registers=(Register("q", 0, 2),))
    return Module((energy, classify))


def _all_nodes() -> Module:
    args = (Argument("theta", FLOAT, (), True), Argument("x", FLOAT, (4,)),
            Argument("m", FLOAT, (2, 3), True), Argument("n", INT), Argument("flag", BOOL))
    ops = (
        GateOp("h", (0,)), GateOp("cx", (0, 1)), GateOp("rx", (1,), (2 * THETA + _x(0),)),
        GateOp("u3", (2,), (THETA, Arg("m", (1, 2)), Const(-0.5))),
        GateOp("rz", (1,), (THETA / 2,), (0, 2), (True, False)),
        GateOp("gphase", (), (THETA,)),
        MeasureOp(0, 0), MeasureOp(1, 2),
        GateOp("x", (3,), condition=Condition((0, 2), 1)),
        GateOp("ry", (3,), (THETA,), (4,), (False,), Condition((), 0)),
        ResetOp(0), BarrierOp((0, 1, 2)), BarrierOp(()),
    )
    main = Circuit(
        "main", args, 5, ops,
        (ExpVal(Observable((PauliTerm(0.5, ((0, "Z"), (1, "Z"))), PauliTerm(-0.04)))),
         Var(Observable((PauliTerm(1.0, ((2, "X"),)),))), Probs((0, 2)), Sample((3, 4)), State()),
        True, 3, (Register("q", 0, 3), Register("anc", 3, 2)), (Register("c", 0, 3),))
    shapes = [
        Circuit("bare", (), 1, (), (Probs((0,)),)),
        Circuit("one_tuple", (), 1, (), (Probs((0,)),), returns_tuple=True),
        Circuit("empty_tuple", (), 0, (), (), returns_tuple=True),
        Circuit("nothing", (), 0, (), ()),
        Circuit("bits_only", (), 1, (MeasureOp(0, 1),), (State(),), num_bits=2),
    ]
    return Module((main, *shapes))


def _numbers() -> Module:
    exprs = (
        Unary("neg", Const(3.0)), Const(-3.0), Unary("neg", Const(-3.0)),
        Binary("**", Const(-3.0), Const(2.0)), Unary("neg", Binary("**", Const(3.0), THETA)),
        Const(-0.0), Const(math.nan), Const(math.inf), Const(-math.inf),
        Unary("neg", Const(math.inf)), Const(math.pi), Const(-math.pi), Const(0.1),
        Const(1e20), Const(5e-324), Const(1e15), Binary("-", THETA, Const(-1.0)),
        Binary("+", THETA, Unary("neg", PHI)), Unary("neg", Arg("info")), Arg("sin", (0,)),
        Binary("*", Const(math.pi), Unary("arctan", Binary("/", THETA, PHI))),
        Binary("**", THETA, Binary("**", PHI, Const(0.5))),
        Unary("neg", Unary("neg", THETA)),
    )
    args = (Argument("theta", FLOAT, (), True), Argument("phi", FLOAT),
            Argument("info", FLOAT), Argument("sin", FLOAT, (1,)))
    coeffs = (PauliTerm(-0.0), PauliTerm(math.inf, ((0, "X"),)), PauliTerm(-1.0, ((0, "Y"),)),
              PauliTerm(math.pi), PauliTerm(-1e-300, ((0, "Z"),)))
    circuit = Circuit("numbers", args, 1, tuple(GateOp("rx", (0,), (e,)) for e in exprs),
                      (ExpVal(Observable(coeffs)),))
    return Module((circuit,))


GOLDENS: dict[str, Callable[[], Module]] = {"vqe": _vqe, "all_nodes": _all_nodes,
                                            "numbers": _numbers}


@pytest.mark.parametrize("name", sorted(GOLDENS))
def test_golden(name: str, golden) -> None:
    module = GOLDENS[name]()
    golden(GOLDEN_DIR / f"{name}.ir", _assert_round_trip(module))


def test_format_circuit_matches_module() -> None:
    module = _vqe()
    assert format_module(module) == "\n".join(format_circuit(c) for c in module.circuits)
    assert format_module(Module(())) == "" and parse_module("") == Module(())


def test_tuple_of_one_differs_from_bare_result() -> None:
    module = _all_nodes()
    assert "return probs(%0)\n" in format_circuit(module["bare"])
    assert "return (probs(%0),)\n" in format_circuit(module["one_tuple"])
    assert parse_module(format_circuit(module["one_tuple"])).circuits[0].returns_tuple


def test_exact_literals() -> None:
    assert parse_expr("-3") == Const(-3.0)
    assert parse_expr("- 3") == parse_expr("-(3)") == Unary("neg", Const(3.0))
    assert parse_expr("-3 ** 2") == Binary("**", Const(-3.0), Const(2.0))
    assert format_ir_expr(Unary("neg", Const(3.0))) == "-(3)"
    assert format_ir_expr(Unary("neg", Binary("**", Const(3.0), THETA))) == "-(3 ** theta)"
    assert parse_expr("-info") == Unary("neg", Arg("info"))
    assert parse_expr("-inf") == Const(-math.inf)
    assert math.copysign(1.0, parse_expr(format_ir_expr(Const(-0.0))).value) < 0  # type: ignore
    coeff = parse_module(format_module(_numbers())).circuits[0].results[0].observable.terms[0].coeff
    assert math.copysign(1.0, coeff) < 0  # -0.0 coefficient


def test_negative_nan_coefficient_keeps_its_sign() -> None:
    term = PauliTerm(-math.nan, ((0, "Z"),))
    text = format_circuit(Circuit("c", (), 1, (), (ExpVal(Observable((term,))),)))
    back = parse_module(text).circuits[0].results[0]
    assert _floats(back) == _floats(ExpVal(Observable((term,))))  # type: ignore[arg-type]


def test_spans_point_into_the_text() -> None:
    text = format_module(_all_nodes())
    module = parse_module(text, "all.ir")
    op = module["main"].ops[4]
    assert op.span is not None and op.span.file == "all.ir"
    assert text[op.span.start:op.span.end] == "ctrl(%0, !%2) rz(theta / 2) %1"
    result = module["main"].results[0]
    assert text[result.span.start:result.span.end].startswith("expval(")  # type: ignore


@pytest.mark.parametrize("circuit", [
    Circuit("c", (Argument("pi", FLOAT),), 0, (), ()),
    Circuit("c", (Argument("a b", FLOAT),), 0, (), ()),
    Circuit("c", (), 1, (GateOp("measure", (0,)),), ()),
    Circuit("c", (), 1, (GateOp("x", (0,), (), (1,), ()),), ()),
    Circuit("c", (), 1, (GateOp("rx", (0,), (Unary("foo", THETA),)),), ()),
    Circuit("c", (), 1, (), (ExpVal(Observable((PauliTerm(1.0, ((0, "Q"),)),))),)),
])
def test_unprintable_ir_is_rejected(circuit: Circuit) -> None:
    with pytest.raises(ValueError):
        format_circuit(circuit)


def test_keywords_are_names_where_unambiguous() -> None:
    circuit = Circuit("measure", (Argument("state", FLOAT), Argument("measure", FLOAT)), 1,
                      (GateOp("rx", (0,), (Binary("+", Arg("state"), Arg("measure")),)),),
                      (State(),), qubit_registers=(Register("qubits", 0, 1),))
    _assert_round_trip(Module((circuit,)))


def test_grammar_is_conflict_free() -> None:
    load_parser(strict=True)


# --- syntax errors ------------------------------------------------------------------------

HEAD = "circuit f(theta: float) {\n  qubits 2\n"


@pytest.mark.parametrize("text, line, column, fragment", [
    (HEAD + "  cx %0 %1\n  return\n}\n", 3, 9, "expected `,`"),
    (HEAD + "  rx(theta +) %0\n  return\n}\n", 3, 13, "found `)`"),
    (HEAD + "  h #0\n  return\n}\n", 3, 5, "found `#`"),
    (HEAD + "  h %0\n", 3, 7, "found end of input"),
    (HEAD + "  rx(foo(theta)) %0\n  return\n}\n", 3, 6, "unknown function `foo`"),
    (HEAD + "  rx(pi[0]) %0\n  return\n}\n", 3, 6, "`pi` is a constant"),
    ("circuit f() {\n  h %0\n  return\n}\n", 2, 3, "expected `qubits`"),
    ("circuit f(pi: float) {\n  qubits 1\n  return\n}\n", 1, 11, "cannot name an argument"),
    ("circuit f() {\n  qubits 2 (q: %3..%1)\n  return\n}\n", 2, 20, "ends before it starts"),
    (HEAD + "  return expval(0.5 * Z0 +)\n}\n", 3, 27, "a Pauli factor"),
    (HEAD + "  return frob\n}\n", 3, 10, "found `frob`"),
])
def test_syntax_error_names_line_and_column(text: str, line: int, column: int,
                                            fragment: str) -> None:
    with pytest.raises(IRSyntaxError) as info:
        parse_module(text, "bad.ir")
    err = info.value
    assert (err.line, err.column) == (line, column), str(err)
    assert str(err).startswith(f"bad.ir:{line}:{column}: ")
    assert fragment in str(err)
    assert isinstance(err, ValueError)


def test_expression_syntax_error() -> None:
    with pytest.raises(IRSyntaxError, match=r"<expr>:1:11: expected .*`\)`"):
        parse_expr("2 * (a + b")


# --- property tests -----------------------------------------------------------------------

FLOATS = st.one_of(
    st.floats().map(lambda v: math.nan if math.isnan(v) else v),  # `math.nan` compares equal
    st.sampled_from([0.0, -0.0, 1.0, -1.0, math.pi, -math.pi, math.inf, -math.inf, 1e15, 5e-324]),
)
ARG_NAMES = ["theta", "phi", "x", "w", "info", "sin", "state", "measure", "_t0"]
NAMES = st.sampled_from(["f", "circuit", "state", "qubits", "q", "anc", "c", "expval", "u3"])


def _elements(arg: Argument) -> list[Arg]:
    return [Arg(arg.name, index) for index in itertools.product(*map(range, arg.shape))]


def _exprs(args: tuple[Argument, ...]) -> st.SearchStrategy[Expr]:
    elements = [e for a in args for e in _elements(a)]
    leaves = st.builds(Const, FLOATS)
    if elements:
        leaves = st.one_of(leaves, st.sampled_from(elements))
    return st.recursive(leaves, lambda inner: st.one_of(
        st.builds(Unary, st.sampled_from(sorted(UNARY_FUNCTIONS)), inner),
        st.builds(Binary, st.sampled_from(["+", "-", "*", "/", "**"]), inner, inner),
    ), max_leaves=6)


@st.composite
def _gate(draw: st.DrawFn, num_qubits: int, num_bits: int,
          exprs: st.SearchStrategy[Expr]) -> GateOp:
    spec = draw(st.sampled_from([g for g in GATES.values() if g.num_qubits <= num_qubits]))
    order = draw(st.permutations(range(num_qubits)))
    num_controls = draw(st.integers(0, min(2, num_qubits - spec.num_qubits)))
    controls = tuple(order[spec.num_qubits:spec.num_qubits + num_controls])
    condition = draw(st.none() | st.builds(
        Condition, st.lists(st.integers(0, max(num_bits - 1, 0)), max_size=num_bits).map(tuple),
        st.integers(0, 7)))
    return GateOp(spec.name, tuple(order[:spec.num_qubits]),
                  tuple(draw(exprs) for _ in range(spec.num_params)), controls,
                  tuple(draw(st.booleans()) for _ in controls), condition)


def _qubit_tuples(num_qubits: int) -> st.SearchStrategy[tuple[int, ...]]:
    return st.lists(st.integers(0, max(num_qubits - 1, 0)), max_size=num_qubits).map(tuple)


def _observables(num_qubits: int) -> st.SearchStrategy[Observable]:
    paulis = st.lists(st.tuples(st.integers(0, max(num_qubits - 1, 0)), st.sampled_from("XYZ")),
                      max_size=num_qubits).map(tuple)
    return st.lists(st.builds(PauliTerm, FLOATS, paulis), max_size=3).map(
        lambda terms: Observable(tuple(terms)))


@st.composite
def _circuits(draw: st.DrawFn) -> Circuit:
    names = draw(st.lists(st.sampled_from(ARG_NAMES), unique=True, max_size=3))
    shapes = st.lists(st.integers(1, 3), max_size=2).map(tuple)
    args = tuple(Argument(n, draw(st.sampled_from([FLOAT, INT, BOOL])), draw(shapes),
                          draw(st.booleans())) for n in names)
    num_qubits, num_bits = draw(st.integers(0, 5)), draw(st.integers(0, 3))
    qubit, bit = st.integers(0, max(num_qubits - 1, 0)), st.integers(0, max(num_bits - 1, 0))
    ops = [st.builds(BarrierOp, _qubit_tuples(num_qubits))]
    if num_qubits:
        ops += [_gate(num_qubits, num_bits, _exprs(args)), st.builds(ResetOp, qubit),
                st.builds(MeasureOp, qubit, bit)]
    results = st.one_of(st.builds(ExpVal, _observables(num_qubits)),
                        st.builds(Var, _observables(num_qubits)),
                        st.builds(Probs, _qubit_tuples(num_qubits)),
                        st.builds(Sample, _qubit_tuples(num_qubits)), st.builds(State))
    registers = st.lists(st.builds(Register, NAMES, st.integers(0, 6), st.integers(0, 6)),
                         max_size=2).map(tuple)
    return Circuit(draw(NAMES), args, num_qubits, tuple(draw(st.lists(st.one_of(ops), max_size=6))),
                   tuple(draw(st.lists(results, max_size=3))), draw(st.booleans()), num_bits,
                   draw(registers), draw(registers))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_circuits(), max_size=3))
def test_random_modules_round_trip(circuits: list[Circuit]) -> None:
    _assert_round_trip(Module(tuple(circuits)))


@settings(max_examples=300, deadline=None)
@given(_exprs((Argument("a", FLOAT), Argument("b", FLOAT, (2,)))))
def test_random_expressions_round_trip(expr: Expr) -> None:
    text = format_ir_expr(expr)
    back = parse_expr(text)
    assert back == expr and _floats(back) == _floats(expr)


FINITE = st.floats(allow_nan=False, allow_infinity=False).map(lambda v: v + 0.0)  # no -0.0
PLAIN_EXPRS = st.recursive(
    st.one_of(st.builds(Const, FINITE), st.sampled_from([THETA, Arg("x", (1,))])),
    lambda inner: st.one_of(
        st.builds(Unary, st.sampled_from(sorted(UNARY_FUNCTIONS)), inner),
        st.builds(Binary, st.sampled_from(["+", "-", "*", "/", "**"]), inner, inner)),
    max_leaves=6)


@settings(max_examples=300, deadline=None)
@given(PLAIN_EXPRS)
def test_printer_agrees_with_format_expr_where_that_is_exact(expr: Expr) -> None:
    """`format_ir_expr` departs from `format_expr` only where the latter reads back wrong."""
    if format_ir_expr(expr) != format_expr(expr):
        assert parse_expr(format_expr(expr)) != expr


# --- docs/ir.md -----------------------------------------------------------------------------


def test_docs_ir_blocks_are_printer_output() -> None:
    text = (ROOT / "docs" / "ir.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```ir\n(.*?)```", text, re.DOTALL)
    assert blocks
    for block in blocks:
        assert format_module(parse_module(block, "docs/ir.md")) == block
