"""The angle-expression algebra: evaluation, derivatives, folding and printing."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qdl.compiler.expr import (
    ONE, UNARY_FUNCTIONS, ZERO, Arg, Binary, Const, Expr, Unary, add, apply, as_expr, div,
    format_expr, format_number, mul, neg, power, sub,
)

A, B0, B1 = Arg("a"), Arg("b", (0,)), Arg("b", (1,))
WRT = (A, B0, B1)
STEP = 1e-6


def _env(points: np.ndarray) -> dict[str, np.ndarray]:
    """Columns (a, b[0], b[1]) of `points` as a batched environment."""
    return {"a": points[:, 0], "b": points[:, 1:3]}


def _finite_difference(expr: Expr, points: np.ndarray, column: int) -> np.ndarray:
    up, down = points.copy(), points.copy()
    up[:, column] += STEP
    down[:, column] -= STEP
    with np.errstate(all="ignore"):
        return (_value(expr, up) - _value(expr, down)) / (2 * STEP)


def _value(expr: Expr, points: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.broadcast_to(expr.evaluate(_env(points)), (len(points),)).astype(float)


def _assert_gradient(expr: Expr, points: np.ndarray) -> None:
    """Every partial derivative matches central differences where both are tame."""
    for column, wrt in enumerate(WRT):
        exact = _value(expr.diff(wrt), points)
        approx = _finite_difference(expr, points, column)
        tame = np.isfinite(exact) & np.isfinite(approx) & (np.abs(exact) < 1e3)
        tame &= np.abs(_value(expr, points)) < 1e3
        np.testing.assert_allclose(exact[tame], approx[tame], rtol=1e-5, atol=1e-5,
                                   err_msg=f"d/d{wrt} of {expr}")


# --- evaluation ---------------------------------------------------------------------


def test_evaluate_batched_environment() -> None:
    env = {"a": np.array([0.5, 1.0]), "b": np.array([[1.0, 2.0], [3.0, 4.0]])}
    expr = Binary("*", A, Unary("sin", B1))
    np.testing.assert_allclose(expr.evaluate(env), [0.5 * np.sin(2.0), 1.0 * np.sin(4.0)])
    assert Const(2.5).evaluate(env) == 2.5


def test_evaluate_indexes_trailing_axes() -> None:
    w = np.arange(2 * 3 * 4 * 2, dtype=float).reshape(2, 3, 4, 2)  # batch (2,), shape (3, 4, 2)
    np.testing.assert_array_equal(Arg("w", (1, 2, 0)).evaluate({"w": w}), w[:, 1, 2, 0])
    assert np.shape(Arg("w").evaluate({"w": w})) == (2, 3, 4, 2)


def test_free_args() -> None:
    expr = add(mul(2, A), apply("cos", B1))
    assert expr.free_args() == {A, B1}
    assert Const(1.0).free_args() == frozenset()


# --- derivatives: one rule at a time --------------------------------------------------

DOMAINS = {"log": (0.2, 3.0), "sqrt": (0.2, 3.0), "arcsin": (-0.9, 0.9),
           "arccos": (-0.9, 0.9), "tan": (-1.2, 1.2)}


@pytest.mark.parametrize("fn", sorted(UNARY_FUNCTIONS))
def test_unary_rule(fn: str) -> None:
    low, high = DOMAINS.get(fn, (-2.0, 2.0))
    points = np.random.default_rng(1).uniform(low, high, size=(16, 3))
    _assert_gradient(Unary(fn, Binary("*", A, B0)) if fn not in DOMAINS else Unary(fn, A),
                     points)


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
def test_binary_rule(op: str) -> None:
    points = np.random.default_rng(2).uniform(0.3, 2.0, size=(16, 3))
    _assert_gradient(Binary(op, A, B0), points)
    _assert_gradient(Binary(op, B1, Const(2.5)), points)
    _assert_gradient(Binary(op, Const(1.5), A), points)


def test_derivative_of_unrelated_argument_is_zero() -> None:
    assert apply("sin", A).diff(B0) == ZERO
    assert A.diff(A) == ONE


# --- derivatives: random trees ----------------------------------------------------------


def _positive(e: Expr) -> Expr:
    return add(Const(1.5), power(e, 2))


def _grow(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    """Smart-constructor trees whose every node is defined on the sample domain."""
    pair = st.tuples(children, children)
    return st.one_of(
        st.builds(add, children, children), st.builds(sub, children, children),
        st.builds(mul, children, children), st.builds(neg, children),
        pair.map(lambda p: div(p[0], _positive(p[1]))),
        pair.map(lambda p: power(_positive(p[0]), p[1])),
        st.tuples(children, st.sampled_from([2, 3])).map(lambda p: power(*p)),
        st.tuples(st.sampled_from(["sin", "cos", "tan", "exp", "arctan"]), children)
        .map(lambda p: apply(p[0], p[1])),
        st.tuples(st.sampled_from(["log", "sqrt"]), children)
        .map(lambda p: apply(p[0], _positive(p[1]))),
        st.tuples(st.sampled_from(["arcsin", "arccos"]), children)
        .map(lambda p: apply(p[0], mul(0.9, apply("sin", p[1])))),
    )


LEAVES = st.one_of(st.sampled_from(WRT), st.builds(Const, st.floats(-2.0, 2.0)))


@settings(max_examples=150, deadline=None)
@given(st.recursive(LEAVES, _grow, max_leaves=6), st.integers(0, 2**32 - 1))
def test_random_tree_gradient_matches_finite_differences(expr: Expr, seed: int) -> None:
    points = np.random.default_rng(seed).uniform(-1.0, 1.0, size=(8, 3))
    _assert_gradient(expr, points)


# --- folding and neutral elements -------------------------------------------------------


@pytest.mark.parametrize("built, expected", [
    (add(0, A), A), (add(A, 0), A), (sub(A, 0), A), (sub(0, A), Unary("neg", A)),
    (sub(A, A), ZERO), (mul(1, A), A), (mul(A, 1), A), (mul(0, A), ZERO), (mul(A, 0), ZERO),
    (mul(-1, A), Unary("neg", A)), (mul(A, -1), Unary("neg", A)), (div(A, 1), A),
    (div(0, A), ZERO), (power(A, 1), A), (power(A, 0), ONE), (neg(neg(A)), A),
    (neg(Const(3.0)), Const(-3.0)), (add(A, neg(B0)), Binary("-", A, B0)),
    (add(2, 3), Const(5.0)), (mul(2, Const(4.0)), Const(8.0)), (power(2, 10), Const(1024.0)),
    (apply("cos", 0), ONE), (apply("neg", A), Unary("neg", A)), (as_expr(True), ONE),
])
def test_smart_constructors_fold(built: Expr, expected: Expr) -> None:
    assert built == expected


@pytest.mark.parametrize("built, expected", [
    (add(add(1.5, A), -1.5), A), (add(add(A, 2), 3), Binary("+", A, Const(5.0))),
    (sub(add(A, 2), 2), A), (add(sub(A, 2), 0.5), Binary("-", A, Const(1.5))),
    (add(add(A, B0), 1), Binary("+", Binary("+", A, B0), ONE)),  # no constant side: left as written
])
def test_constants_of_a_sum_are_merged(built: Expr, expected: Expr) -> None:
    assert built == expected


@settings(max_examples=150, deadline=None)
@given(st.recursive(LEAVES, _grow, max_leaves=5), st.floats(-3.0, 3.0), st.integers(0, 2**32 - 1))
def test_adding_a_constant_keeps_the_value(expr: Expr, c: float, seed: int) -> None:
    a, b0, b1 = np.random.default_rng(seed).uniform(-1.0, 1.0, size=3)
    env = {"a": np.float64(a), "b": np.array([b0, b1])}
    value = expr.evaluate(env)
    np.testing.assert_allclose(add(expr, c).evaluate(env), value + c, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(sub(expr, c).evaluate(env), value - c, rtol=1e-12, atol=1e-12)


def test_division_by_constant_zero_folds_to_nonfinite() -> None:
    assert math.isnan(div(0, 0).value)  # type: ignore[attr-defined]
    assert div(1, 0) == Const(math.inf)


def test_operators_use_smart_constructors() -> None:
    assert 2 * A + 0 == Binary("*", Const(2.0), A)
    assert A - A == ZERO and -(-A) == A and 1 / A == Binary("/", ONE, A)


def test_as_expr_rejects_non_numbers() -> None:
    with pytest.raises(TypeError):
        as_expr("theta")  # type: ignore[arg-type]


# --- printing ----------------------------------------------------------------------------


@pytest.mark.parametrize("expr, text", [
    (Binary("*", Binary("+", A, B0), B1), "(a + b[0]) * b[1]"),
    (Binary("+", A, Binary("*", B0, B1)), "a + b[0] * b[1]"),
    (Binary("-", A, Binary("-", B0, B1)), "a - (b[0] - b[1])"),
    (Binary("-", Binary("-", A, B0), B1), "a - b[0] - b[1]"),
    (Binary("/", A, Binary("*", B0, B1)), "a / (b[0] * b[1])"),
    (Binary("**", A, Binary("**", B0, B1)), "a ** b[0] ** b[1]"),
    (Binary("**", Binary("**", A, B0), B1), "(a ** b[0]) ** b[1]"),
    (Unary("neg", Binary("**", A, Const(2.0))), "-a ** 2"),
    (Binary("**", Unary("neg", A), Const(2.0)), "(-a) ** 2"),
    (Binary("*", A, Unary("neg", B0)), "a * (-b[0])"),
    (Binary("+", A, Unary("neg", B0)), "a + -b[0]"),
    (Binary("*", Const(-2.0), A), "(-2) * a"),
    (Const(-2.0), "-2"),
    (Binary("*", Const(math.pi), Unary("sin", Binary("+", A, ONE))), "pi * sin(a + 1)"),
    (Arg("w", (1, 0, 2)), "w[1, 0, 2]"),
])
def test_format_expr_minimal_parentheses(expr: Expr, text: str) -> None:
    assert format_expr(expr) == text
    assert str(expr) == text


@pytest.mark.parametrize("value, text", [
    (0.0, "0"), (3.0, "3"), (-3.0, "-3"), (0.1, "0.1"), (math.pi, "pi"),
    (1e15, "1000000000000000.0"), (1e20, "1e+20"), (2.5e-7, "2.5e-07"), (5e-324, "5e-324"),
])
def test_format_number_is_shortest_exact(value: float, text: str) -> None:
    assert format_number(value) == text
    assert text == "pi" or float(text) == value
