"""Vector paths of the kernel against the numpy simulator, both precisions.

The dense 4x4 (`apply_dense2`) on every ordered pair of positions: below,
straddling and above one vector of amplitudes (4 for complex128, 8 for
complex64) take its three vector paths, two qubits the scalar one in single
precision.  Controlled 1-qubit rows whose target sits inside one vector and
whose controls are above it take the packed path of `apply._ctrl1_packed`.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from qdl.compiler.backends.llvm.plan import OpKind
from qdl.compiler.expr import Arg, Const
from qdl.compiler.ir import Argument, Circuit, GateOp, State
from qdl.runtime import reference
from qdl.runtime.llvm.kernel import compile_circuit

TOL = {"double": 1e-12, "single": 2e-6}


def generic_2q(a: int, b: int) -> list[GateOp]:
    """rxx · ryy · ecr on (a, b): a dense 4x4 without structure the kernel could exploit."""
    theta = (Arg("t", (0,)),)
    return [GateOp("rxx", (a, b), theta), GateOp("ryy", (b, a), (Arg("t", (1,)),)), GateOp("ecr", (a, b), ())]


def prep(n: int, rng: np.random.Generator) -> list[GateOp]:
    angles = rng.uniform(-np.pi, np.pi, size=(n, 2))
    return [op for q in range(n) for op in (GateOp("ry", (q,), (Const(angles[q, 0]),)),
                                             GateOp("rz", (q,), (Const(angles[q, 1]),)))]


@pytest.mark.parametrize("precision", ["double", "single"])
@pytest.mark.parametrize("n", [2, 5])
def test_every_ordered_pair_matches_the_reference(n: int, precision: str) -> None:
    rng = np.random.default_rng(n)
    ops = prep(n, rng)
    for a, b in itertools.permutations(range(n), 2):
        ops += generic_2q(a, b)
    c = Circuit("c", (Argument("t", "float", (2,), True),), n, tuple(ops), (State(),))
    compiled = compile_circuit(c, precision=precision)
    assert OpKind.DENSE2 in {row.kind for row in compiled.plan.rows}
    values = {"t": rng.uniform(-np.pi, np.pi, size=(2, 2))}
    np.testing.assert_allclose(compiled.run(values)[0], reference.simulate(c, values)[0], rtol=0,
                               atol=TOL[precision])


@pytest.mark.parametrize("precision", ["double", "single"])
def test_pairs_in_gathered_chunks_match_the_reference(precision: str) -> None:
    """A blocked 11-qubit state: chunks of 7 qubits gathered from anywhere, low and high local positions."""
    n, rng = 11, np.random.default_rng(11)
    ops = prep(n, rng)
    for a, b in [(0, 10), (10, 3), (9, 8), (1, 2), (2, 9), (5, 0), (7, 4)]:
        ops += generic_2q(a, b)
    c = Circuit("c", (Argument("t", "float", (2,), True),), n, tuple(ops), (State(),))
    compiled = compile_circuit(c, block=7, precision=precision)
    assert compiled.plan.blocked
    values = {"t": rng.uniform(-np.pi, np.pi, size=(1, 2))}
    np.testing.assert_allclose(compiled.run(values)[0], reference.simulate(c, values)[0], rtol=0,
                               atol=TOL[precision])


@pytest.mark.parametrize("precision", ["double", "single"])
def test_controlled_gates_on_targets_inside_one_vector_match_the_reference(precision: str,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Targets 0..2 with controls above the vector (the packed controlled path), plain and negated."""
    monkeypatch.setenv("QDL_FUSE_QUBITS", "1")  # the rows as written, not fused into 4x4s
    n, rng = 7, np.random.default_rng(3)
    ops = prep(n, rng)
    for t in range(3):
        for c in (3, 6):
            ops += [GateOp("ry", (t,), (Arg("t", (0,)),)), GateOp("cx", (c, t)),
                    GateOp("x", (t,), (), (c,), (False,)), GateOp("crz", (c, t), (Arg("t", (1,)),)),
                    GateOp("ch", (c, t)), GateOp("u3", (t,), (Arg("t", (0,)), Const(0.3), Arg("t", (1,))),
                                                 (c, 5), (True, False))]
    c = Circuit("c", (Argument("t", "float", (2,), True),), n, tuple(ops), (State(),))
    compiled = compile_circuit(c, precision=precision)
    assert {"CTRL1", "CTRL1_DIAG", "FLIP"} <= {row.kind.name for row in compiled.plan.rows}
    values = {"t": rng.uniform(-np.pi, np.pi, size=(2, 2))}
    np.testing.assert_allclose(compiled.run(values)[0], reference.simulate(c, values)[0], rtol=0,
                               atol=TOL[precision])
