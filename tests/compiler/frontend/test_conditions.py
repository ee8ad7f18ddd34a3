"""Conditions on measured bits: any boolean formula, checked against exact outcome distributions."""

from __future__ import annotations

import pytest

import qdl

# q0 and q1 in |+>; their measured bits decide what happens to q2.
PROGRAM = """
circuit f() -> float[2] {{
    qubit q[3];
    bit c[2];
    h q[0];
    h q[1];
    c = measure q[0:2];
    if ({cond}) {{ x q[2]; }}{orelse}
    return probs(q[2]);
}}
"""


def p_one(cond: str, orelse: str = "") -> float:
    """P(q2 = 1) after the conditioned flip."""
    return float(qdl.compile(PROGRAM.format(cond=cond, orelse=orelse), "c.qdl").f()[1])


@pytest.mark.parametrize("cond, expected", [
    ("c[0] == 1 || c[1] == 1", 0.75),
    ("c[0] == 1 && c[1] == 1", 0.25),
    ("c != 3", 0.75),
    ("c == 2", 0.25),
    ("!(c[0] == c[1])", 0.5),
    ("c >= 1", 0.75),
    ("c[0] || !c[1]", 0.75),
])
def test_formulas_over_bits(cond: str, expected: float) -> None:
    assert p_one(cond) == pytest.approx(expected, abs=1e-12)


def test_else_takes_every_other_outcome() -> None:
    # flip when c == 2, otherwise rotate by pi/2: P(1) = 1/4 + 3/4 * 1/2
    assert p_one("c == 2", " else { rx(pi / 2) q[2]; }") == pytest.approx(0.25 + 0.375, abs=1e-12)


def test_nested_conditions_combine_and_contradictions_never_run() -> None:
    text = PROGRAM.format(cond="c[0] == 1", orelse="").replace(
        "{ x q[2]; }", "{ if (c[1] == 1) { x q[2]; } if (c[0] == 0) { h q[2]; } }")
    assert float(qdl.compile(text, "n.qdl").f()[1]) == pytest.approx(0.25, abs=1e-12)


def test_a_condition_that_is_never_true_is_an_error() -> None:
    with pytest.raises(qdl.CompileError, match="E0212"):
        p_one("c[0] == 2")


def test_each_case_is_a_disjoint_condition_in_the_ir() -> None:
    circuit = qdl.compile(PROGRAM.format(cond="c[0] == 1 || c[1] == 1", orelse=""), "c.qdl").f.circuit
    conditions = [op.condition for op in circuit.ops if getattr(op, "condition", None)]
    assert sorted(c.value for c in conditions) == [1, 2, 3]
    assert {c.bits for c in conditions} == {(0, 1)}
