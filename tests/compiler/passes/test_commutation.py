"""The commutation table: whatever it says commutes, commutes (numpy oracle)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pass_strategies import gate_ops
from qdl.compiler.ir import GateOp, MeasureOp
from qdl.compiler.passes.analysis.commutation import commute
from qdl.runtime import reference


@settings(max_examples=400, deadline=None)
@given(n=st.integers(1, 4), data=st.data())
def test_commute_is_sound(n, data):
    a, b = data.draw(gate_ops(n, symbolic=False)), data.draw(gate_ops(n, symbolic=False))
    if commute(a, b):
        ab, ba = reference.unitary([a, b], n), reference.unitary([b, a], n)
        np.testing.assert_allclose(ab, ba, atol=1e-10)


def test_known_pairs():
    cx = GateOp("cx", (0, 1))
    assert commute(cx, GateOp("t", (0,)))           # diagonal through the control
    assert commute(cx, GateOp("x", (1,)))           # X-type through the target
    assert commute(cx, GateOp("cx", (0, 2)))        # shared control
    assert not commute(cx, GateOp("t", (1,)))
    assert not commute(cx, GateOp("cx", (1, 0)))
    assert not commute(cx, MeasureOp(0, 0))
