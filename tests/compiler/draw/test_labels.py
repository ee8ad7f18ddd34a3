"""Gate roles come from the gate table; angles print compactly."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qdl.compiler.draw.labels import (
    CONTROL, NEG_CONTROL, SWAP, X_TARGET, control_split, expr_text, number_text, roles, symmetric,
)
from qdl.compiler.expr import Arg, Const
from qdl.compiler.gates import GATES, controlled_matrix
from qdl.compiler.ir import GateOp


@pytest.mark.parametrize("name", sorted(GATES))
def test_control_split_matches_the_matrices(name: str):
    """A gate drawn as k controls on `base` is exactly `base` controlled k times."""
    controls, base = control_split(name)
    spec = GATES[name]
    if controls == 0:
        assert base == name
        return
    params = np.linspace(0.2, 0.7, spec.num_params)
    expected = controlled_matrix(GATES[base].matrix(*params), (True,) * controls)
    np.testing.assert_allclose(spec.matrix(*params), expected, atol=1e-12)


def test_named_controlled_gates():
    assert control_split("cx") == (1, "x") and control_split("ccx") == (2, "x")
    assert control_split("cswap") == (1, "swap") and control_split("crz") == (1, "rz")
    assert control_split("phase") == (0, "phase")  # not a "controlled global phase"


def test_symmetry():
    assert symmetric("rzz") and symmetric("swap") and symmetric("cz")
    assert not symmetric("cx") and not symmetric("ecr")


def test_roles():
    assert roles(GateOp("cx", (2, 0))) == {2: CONTROL, 0: X_TARGET}
    assert roles(GateOp("x", (1,))) == {1: "x"}
    assert roles(GateOp("x", (1,), controls=(0,), control_values=(False,))) == {0: NEG_CONTROL, 1: X_TARGET}
    assert roles(GateOp("cswap", (0, 1, 2))) == {0: CONTROL, 1: SWAP, 2: SWAP}
    assert roles(GateOp("crx", (0, 1), (Arg("t"),))) == {0: CONTROL, 1: "rx(t)"}
    assert roles(GateOp("rzz", (3, 1), (2 * Arg("g", (0,)),))) == {3: "rzz(2*g[0])", 1: "rzz(2*g[0])"}
    assert roles(GateOp("ecr", (3, 1))) == {3: "ecr#0", 1: "ecr#1"}


@pytest.mark.parametrize("value, text", [
    (math.pi, "π"), (-math.pi / 2, "-π/2"), (3 * math.pi / 4, "3π/4"), (2 * math.pi, "2π"),
    (0.0, "0"), (0.5, "0.5"), (1.23456789, "1.235"), (-1e-7, "-1e-07"),
])
def test_number_text(value: float, text: str):
    assert number_text(value) == text


def test_expr_text():
    w = Arg("w", (0, 1, 2))
    assert expr_text(2 * Arg("gamma", (0,))) == "2*gamma[0]"
    assert expr_text(w + Const(math.pi / 2) * Arg("x")) == "w[0,1,2] + π/2*x"
    assert expr_text(Const(-0.125) * Arg("theta")) == "-0.125*theta"
    assert expr_text(Const(math.pi / 4)) == "π/4"
    assert expr_text(3 * Arg("x"), {"x": np.array(0.25)}) == "0.75"
    assert expr_text(w, {"x": np.array(0.25)}) == "w[0,1,2]"  # unbound arguments stay symbolic


def test_a_controlled_global_phase_keeps_its_label():
    op = GateOp("gphase", (), (Arg("t"),), controls=(0, 2), control_values=(True, False))
    assert roles(op) == {0: CONTROL, 2: "gphase(t)"}
