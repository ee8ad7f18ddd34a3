"""The adjoint sweep's shortcuts against numpy's adjoint: dead units, CNOTs folded into fused passes, R' sums.

* dead units (`adjoint_units.live_units`): un-computes no later reduction reads are left out;
* CNOTs folded into the pass of the run they precede, on every path (target and
  control on either side of the 4-amplitude vector), and CNOTs onto qubit 0 or 1
  folded into the pass on their control (`_Tables.fold_flips`);
* the 1-qubit reductions' anti-Hermitian part R' (`adjoint_reductions._reduce1_store`).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qdl.api import CircuitFunction
from qdl.compiler.autodiff import gradient_program
from qdl.compiler.autodiff.linearize import linear_circuit
from qdl.compiler.backends.llvm import adjoint as lowering
from qdl.compiler.backends.llvm.adjoint_units import backward_units, live_units
from qdl.compiler.expr import Arg, Binary, Const
from qdl.compiler.gates import GATES
from qdl.compiler.ir import Argument, Circuit, ExpVal, GateOp, Observable, PauliTerm
from qdl.runtime.llvm.adjoint import compile_adjoint

TOLERANCE = {"double": 1e-9, "single": 1e-5}
ONE_QUBIT = sorted(name for name, spec in GATES.items() if spec.num_params and spec.num_qubits == 1)
MUX = (lowering.REDUCE_APPLY1_MUX, lowering.REDUCE_APPLY1_MUX_DIAG, lowering.REDUCE1_MUX)


def observable(*terms: tuple[float, str]) -> Observable:
    """observable((0.5, "Z0 X1"), ...) -> a Pauli sum."""
    return Observable(tuple(PauliTerm(c, tuple((int(p[1:]), p[0]) for p in text.split())) for c, text in terms))


def cx(control: int, target: int, value: bool = True) -> GateOp:
    return GateOp("x", (target,), (), (control,), (value,))


def assert_matches_numpy(c: Circuit, theta: np.ndarray, precision: str = "double", wrt: object = None) -> None:
    kwargs = {} if wrt is None else {"wrt": wrt}
    fast = CircuitFunction(c, "llvm", precision).jacobian(theta, method="adjoint", **kwargs)
    slow = CircuitFunction(c, "reference").jacobian(theta, method="adjoint", **kwargs)
    for f, s in zip(fast if isinstance(fast, tuple) else (fast,), slow if isinstance(slow, tuple) else (slow,)):
        np.testing.assert_allclose(f, s, atol=TOLERANCE[precision], rtol=0)


# --- dead units --------------------------------------------------------------------


def two_qubits() -> Circuit:
    """ry(a0) q0, ry(a1) q1, cx(0 -> 1), rz(b0) q1: in backward order rz, cx, ry q1, ry q0."""
    ops = (GateOp("ry", (0,), (Arg("a", (0,)),)), GateOp("ry", (1,), (Arg("a", (1,)),)), cx(0, 1),
           GateOp("rz", (1,), (Arg("b", ()),)))
    args = (Argument("a", "float", (2,), True), Argument("b", "float", (), True))
    return Circuit("c", args, 2, ops, (ExpVal(observable((1.0, "X0 Y1"), (0.4, "Z1"))),))


def test_units_that_no_later_reduction_reads_are_dead() -> None:
    units = backward_units(two_qubits())
    assert live_units(units, [True] * 4) == [True, True, False, False]  # the first layer: dead
    assert live_units(units, [True, False, False, False]) == [False] * 4  # only rz's R: nothing after it
    # ry q0's R reads q0, which the cx (so also rz before it) reaches; ry q1 touches q1 alone: dead
    assert live_units(units, [False, False, False, True]) == [True, True, False, False]


@pytest.mark.parametrize("wrt", ("a", "b", ("a", "b")))
def test_dead_units_leave_the_derivatives_alone(wrt: object) -> None:
    c = two_qubits()
    program = gradient_program(c, wrt=[wrt] if isinstance(wrt, str) else list(wrt))
    compiled = compile_adjoint(program, linear_circuit(program.circuit))
    applied = [row for row in compiled.plan.rows if row[0] < lowering.REDUCE1 or row[0] in lowering.FUSED]
    assert len(applied) == (0 if wrt == "b" else 2)  # b alone: its R is all; else rz with the cx folded, cx
    a, b = np.array([0.3, -1.2]), 0.7
    fast = CircuitFunction(c, "llvm").jacobian(a, b, method="adjoint", wrt=wrt)
    slow = CircuitFunction(c, "reference").jacobian(a, b, method="adjoint", wrt=wrt)
    for f, s in zip(fast if isinstance(fast, tuple) else (fast,), slow if isinstance(slow, tuple) else (slow,)):
        np.testing.assert_allclose(f, s, atol=1e-12, rtol=0)


# --- every folding path ------------------------------------------------------------


def ladder(layers: int, negative: bool) -> Circuit:
    """5 qubits; per layer RY, RZ on each qubit, then CNOTs taking every path of the fused passes.

    cx(3 -> 0): packed target, wide control; cx(0 -> 1): packed, packed;
    cx(1 -> 2) (negative): wide target, packed control; cx(2 -> 3): a plain
    flip (3's run is behind cx(3 -> 0)); cx(3 -> 4): wide, wide; cx(4 -> 1)
    (negative when `negative`): onto qubit 1 from the target of the next
    fused pass, folded there.
    """
    ops: list[GateOp] = []
    for layer in range(layers):
        for q in range(5):
            ops += [GateOp("ry", (q,), (Arg("theta", (layer, q, 0)),)),
                    GateOp("rz", (q,), (Binary("*", Const(0.5), Arg("theta", (layer, q, 1))),))]
        ops += [cx(3, 0), cx(0, 1), cx(1, 2, False), cx(2, 3), cx(3, 4), cx(4, 1, not negative)]
    results = (ExpVal(observable((1.0, "Z0"), (0.3, "X4"))), ExpVal(observable((0.5, "X3 Y1"), (0.25, "Z2 X0"))))
    return Circuit("ladder", (Argument("theta", "float", (layers, 5, 2), True),), 5, tuple(ops), results, True)


@pytest.mark.parametrize("negative", (False, True))
def test_every_fold_is_in_the_plan(negative: bool) -> None:
    c = ladder(2, negative)
    rows = compile_adjoint(gradient_program(c), linear_circuit(c)).plan.rows
    folded = {(row[1] >= 2, row[2] >= 2) for row in rows if row[0] in MUX}
    assert folded == {(False, True), (False, False), (True, False), (True, True)}
    assert {row[0] for row in rows if row[0] in MUX} == {lowering.REDUCE_APPLY1_MUX, lowering.REDUCE1_MUX}
    pre = [(row[0], row[1], row[3], row[4]) for row in rows if row[0] in lowering.FUSED and row[3]]
    value = int(not negative)
    assert pre == [(lowering.REDUCE_APPLY1_MUX, 4, 2, value), (lowering.REDUCE1_MUX, 4, 2, value)]
    assert sum(row[0] == 3 for row in rows) == 2  # cx(2 -> 3) in each layer: OpKind.FLIP


@pytest.mark.parametrize("precision", ("double", "single"))
@pytest.mark.parametrize(("negative", "chunked"), ((False, False), (True, False), (False, True)))
def test_every_fold_matches_numpy(monkeypatch: pytest.MonkeyPatch, precision: str, negative: bool,
                                  chunked: bool) -> None:
    if chunked:  # chunks of 4 (8 in single precision) amplitudes: passes on qubits 0, 1 (2) run chunk by chunk
        monkeypatch.setattr(lowering, "CHUNK_BYTES", 4 * 16 * 3)
    layers = 4 if chunked else 3  # another circuit: compiled adjoints are cached by circuit
    c = ladder(layers, negative)
    compiled = compile_adjoint(gradient_program(c), linear_circuit(c), precision)
    assert compiled.plan.chunk_qubits == ((2 if precision == "double" else 3) if chunked else 5)
    assert {chunked for chunked, _, _ in compiled.plan.segments} == ({0, 1} if chunked else {1})
    theta = np.random.default_rng(int(negative)).uniform(-np.pi, np.pi, size=(2, layers, 5, 2))
    assert_matches_numpy(c, theta, precision)


# --- random layered circuits ----------------------------------------------------


def layered(seed: int, n: int, layers: int) -> Circuit:
    """Layers of random 1-qubit parametric runs and CNOTs (either control value), one theta per angle."""
    rng = np.random.default_rng(seed)
    ops: list[GateOp] = []
    count = 0
    for _ in range(layers):
        for q in rng.permutation(n)[: int(rng.integers(1, n + 1))]:
            for name in rng.choice(ONE_QUBIT, size=int(rng.integers(1, 3))):
                params = []
                for _ in range(GATES[str(name)].num_params):
                    params.append(Arg("theta", (count % 12,)))
                    count += 1
                ops.append(GateOp(str(name), (int(q),), tuple(params)))
        for _ in range(int(rng.integers(1, n + 1))):
            control, target = (int(x) for x in rng.permutation(n)[:2])
            ops.append(cx(control, target, bool(rng.random() < 0.8)))
    terms = [(float(rng.uniform(-1, 1)), " ".join(f"{'XYZ'[int(rng.integers(3))]}{q}" for q in
                                                   rng.permutation(n)[: int(rng.integers(1, 3))])) for _ in range(3)]
    results = (ExpVal(observable(terms[0])), ExpVal(observable(*terms[1:])))
    return Circuit("layered", (Argument("theta", "float", (12,), True),), n, tuple(ops), results, True)


@settings(max_examples=24, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(2, 6), layers=st.integers(1, 3),
       precision=st.sampled_from(("double", "single")), chunked=st.booleans())
def test_random_layered_circuits_match_numpy(seed: int, n: int, layers: int, precision: str, chunked: bool) -> None:
    c = layered(seed, n, layers)
    theta = np.random.default_rng(seed).uniform(-np.pi, np.pi, size=(2, 12))
    with pytest.MonkeyPatch.context() as patch:
        if chunked:
            patch.setattr(lowering, "CHUNK_BYTES", 4 * 16 * 3)
        assert_matches_numpy(c, theta, precision)
