"""Elaboration: loops, constants, shapes, modifiers, broadcasting, conditions, observables, results."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qdl.compiler.diagnostics import Severity
from qdl.compiler.driver import compile_file, compile_source
from qdl.compiler.expr import Expr
from qdl.compiler.ir import (Circuit, Condition, ExpVal, GateOp, MeasureOp, Observable, Probs,
                             ResetOp, Sample, State, Var)

ARGS = "t: float, w: float[3]"
ENV = {"t": np.float64(0.3), "w": np.array([0.1, 0.2, 0.4])}


def circuit(body: str, *, args: str = ARGS, prelude: str = "", qubits: int = 4,
            result: str = "expval(Z[0])") -> Circuit:
    """Compile one circuit `f` around `body`; fail the test on any error."""
    text = f"{prelude}\ncircuit f({args}) {{\n qubit q[{qubits}];\n bit c[2];\n{body}\n return {result};\n}}\n"
    compiled = compile_source(text, "t.qdl")
    assert compiled.ok, compiled.render()
    return compiled.module["f"]


def value(angle: Expr) -> float:
    return float(angle.evaluate(ENV))


def gates(body: str, **kw) -> list[tuple]:
    """(gate, qubits, numeric params, controls, control values) of each op: the IR without spans."""
    out = []
    for op in circuit(body, **kw).ops:
        assert isinstance(op, GateOp), op
        params = tuple(round(value(p), 12) for p in op.params)
        out.append((op.gate, op.qubits, params, op.controls, op.control_values))
    return out


def names(body: str, **kw) -> list[tuple[str, tuple[int, ...]]]:
    return [(g, q) for g, q, *_ in gates(body, **kw)]


def errors(text: str) -> list[str]:
    compiled = compile_source(text, "t.qdl")
    return [d.code for d in compiled.sink.sorted() if d.severity is not Severity.WARNING]


# ---------------------------------------------------------------- loops and constants


def test_for_loops_unroll() -> None:
    assert names("for i in 0..3 { h q[i]; }") == [("h", (0,)), ("h", (1,)), ("h", (2,))]
    assert len(gates("for i in 0..2 { for j in 0..3 { x q[j]; } }")) == 6
    assert gates("for i in 3..3 { h q[0]; }") == []


def test_loops_over_arrays_rows_and_registers() -> None:
    prelude = "const A = [0.5, 1.5]; const M = [[1, 2], [3, 4]];"
    assert [p for _, _, p, _, _ in gates("for a in A { rx(a) q[0]; }", prelude=prelude)] == [(0.5,), (1.5,)]
    rows = gates("for r in M { ry(r[1]) q[0]; }", prelude=prelude)
    assert [p for _, _, p, _, _ in rows] == [(2.0,), (4.0,)]
    assert names("for b in q[1:3] { x b; }") == [("x", (1,)), ("x", (2,))]


def test_const_arrays_index_and_slice() -> None:
    prelude = "const M: float[2, 2] = [[0.1, 0.2], [0.3, 0.4]]; const K: int = 2;"
    ops = gates("rx(M[1, 0]) q[0]; ry(M[K - 1][1]) q[1]; rz(M[0, -1]) q[2];", prelude=prelude)
    assert [p for _, _, p, _, _ in ops] == [(0.3,), (0.4,), (0.2,)]


def test_constants_fold_and_arguments_stay_symbolic() -> None:
    op, = circuit("rx(2 * t + pi / 2) q[0];").ops
    assert value(op.params[0]) == pytest.approx(2 * 0.3 + math.pi / 2)
    assert {a.name for a in op.params[0].free_args()} == {"t"}
    op, = circuit("ry(sin(w[1]) ** 2 - w[2] / 4) q[0];").ops
    assert value(op.params[0]) == pytest.approx(math.sin(0.2) ** 2 - 0.1)
    op, = circuit("rz(sqrt(16) + 7 % 4) q[0];").ops
    assert op.params[0].is_constant and value(op.params[0]) == 7.0


def test_arguments_keep_their_types_and_shapes() -> None:
    f = circuit("rx(x[0, 0] + k) q[0];", args="x: float[2, 3], param w: float[4], k: int, b: bool")
    described = [(a.name, a.dtype, a.shape, a.trainable) for a in f.arguments]
    assert described == [("x", "float", (2, 3), False), ("w", "float", (4,), True),
                         ("k", "int", (), False), ("b", "bool", (), False)]
    assert [a.name for a in f.trainable] == ["w"]


def test_registers_get_consecutive_global_indices() -> None:
    text = "circuit f() { qubit a[2]; qubit b[3]; bit m; bit n[2]; x b[0]; h a[1]; " \
           "n[1] = measure b[2]; return probs(b); }"
    f = compile_source(text).module["f"]
    assert [(r.name, r.start, r.size) for r in f.qubit_registers] == [("a", 0, 2), ("b", 2, 3)]
    assert [(r.name, r.start, r.size) for r in f.bit_registers] == [("m", 0, 1), ("n", 1, 2)]
    assert f.ops[:2] == (GateOp("x", (2,)), GateOp("h", (1,)))
    assert f.ops[2] == MeasureOp(4, 2)
    assert f.results == (Probs((2, 3, 4)),)


# ---------------------------------------------------------------- user gates and shape variables


def test_shape_variables_bind_from_arrays_and_registers() -> None:
    prelude = "gate layer(v: float[n]) r[n] { for i in 0..n { ry(v[i]) r[i]; } }"
    ops = gates("layer(w) q[0:3];", prelude=prelude)
    assert [(g, qs, p) for g, qs, p, _, _ in ops] == [("ry", (0,), (0.1,)), ("ry", (1,), (0.2,)),
                                                      ("ry", (2,), (0.4,))]
    prelude = "gate ring r[n] { for i in 0..n { cx r[i], r[(i + 1) % n]; } }"
    assert names("ring q;", prelude=prelude) == [("cx", (0, 1)), ("cx", (1, 2)), ("cx", (2, 3)), ("cx", (3, 0))]


def test_user_gates_inline_with_parameters() -> None:
    prelude = "gate bell(a) u, v { ry(2 * a) u; cx u, v; }"
    ops = gates("bell(t) q[2], q[0];", prelude=prelude)
    assert [(g, qs) for g, qs, *_ in ops] == [("ry", (2,)), ("cx", (2, 0))]
    assert ops[0][2] == (0.6,)


# ---------------------------------------------------------------- modifiers

MODIFIED = {
    "ctrl @ x a, b": ("ctrl @ x q[0], q[1];", [("cx", (0, 1), (), (), ())]),
    "ctrl(2) @ x": ("ctrl(2) @ x q[0], q[1], q[2];", [("ccx", (0, 1, 2), (), (), ())]),
    "ctrl @ ctrl @ x": ("ctrl @ ctrl @ x q[0], q[1], q[2];", [("ccx", (0, 1, 2), (), (), ())]),
    "ctrl @ rz": ("ctrl @ rz(0.5) q[1], q[0];", [("crz", (1, 0), (0.5,), (), ())]),
    "ctrl @ swap": ("ctrl @ swap q[0], q[1], q[2];", [("cswap", (0, 1, 2), (), (), ())]),
    "ctrl @ s has no named form": ("ctrl @ s q[0], q[1];", [("s", (1,), (), (0,), (True,))]),
    "negctrl @ x": ("negctrl @ x q[0], q[1];", [("x", (1,), (), (0,), (False,))]),
    "inv @ s": ("inv @ s q[0];", [("sdg", (0,), (), (), ())]),
    "inv @ t": ("inv @ t q[0];", [("tdg", (0,), (), (), ())]),
    "inv @ rx": ("inv @ rx(0.5) q[0];", [("rx", (0,), (-0.5,), (), ())]),
    "inv @ u3": ("inv @ u3(0.1, 0.2, 0.3) q[0];", [("u3", (0,), (-0.1, -0.3, -0.2), (), ())]),
    "pow(2) @ t": ("pow(2) @ t q[0];", [("t", (0,), (), (), ())] * 2),
    "pow(-1) @ t": ("pow(-1) @ t q[0];", [("tdg", (0,), (), (), ())]),
    "pow(0) @ h": ("pow(0) @ h q[0];", []),
    "pow(0.5) @ rx": ("pow(0.5) @ rx(0.6) q[0];", [("rx", (0,), (0.3,), (), ())]),
    "pow(0.5) @ x": ("pow(0.5) @ x q[0];", [("sx", (0,), (), (), ())]),
    "pow(0.5) @ z": ("pow(0.5) @ z q[0];", [("phase", (0,), (round(math.pi / 2, 12),), (), ())]),
    "ctrl @ gphase(a) q": ("ctrl @ gphase(0.7) q[2];", [("phase", (2,), (0.7,), (), ())]),
    "ctrl(2) @ gphase": ("ctrl(2) @ gphase(0.7) q[0], q[1];", [("cphase", (0, 1), (0.7,), (), ())]),
    "gphase alone": ("gphase(0.7);", [("gphase", (), (0.7,), (), ())]),
}


@pytest.mark.parametrize("body, want", MODIFIED.values(), ids=MODIFIED.keys())
def test_modifiers_produce_the_expected_ops(body: str, want: list) -> None:
    assert gates(body) == want


def test_modifiers_on_user_gates() -> None:
    prelude = "gate bell a, b { h a; cx a, b; }"
    assert names("inv @ bell q[0], q[1];", prelude=prelude) == [("cx", (0, 1)), ("h", (0,))]
    assert names("ctrl @ bell q[2], q[0], q[1];", prelude=prelude) == [("ch", (2, 0)), ("ccx", (2, 0, 1))]
    assert len(gates("pow(3) @ bell q[0], q[1];", prelude=prelude)) == 6


# ---------------------------------------------------------------- broadcasting


def test_broadcasting_over_registers() -> None:
    assert names("h q;") == [("h", (0,)), ("h", (1,)), ("h", (2,)), ("h", (3,))]
    assert names("cx q[0:2], q[2:4];") == [("cx", (0, 2)), ("cx", (1, 3))]
    assert names("cx q[0], q[1:4];") == [("cx", (0, 1)), ("cx", (0, 2)), ("cx", (0, 3))]
    assert names("ctrl @ x q[0:2], q[2:4];") == [("cx", (0, 2)), ("cx", (1, 3))]
    assert names("rx(t) q[1:3];") == [("rx", (1,)), ("rx", (2,))]


def test_broadcasting_registers_of_different_sizes_is_an_error() -> None:
    assert errors("circuit f() { qubit a[2]; qubit b[3]; cx a, b; return probs(); }") == ["E0302"]


# ---------------------------------------------------------------- if: compile time and measured bits


def test_compile_time_if_picks_one_branch() -> None:
    prelude = "const N = 3;"
    assert names("if (N > 2) { x q[0]; } else { y q[0]; }", prelude=prelude) == [("x", (0,))]
    assert names("if (N == 1) { x q[0]; } else if (N % 2 == 1 && true) { z q[1]; } else { y q[0]; }",
                 prelude=prelude) == [("z", (1,))]
    assert names("for i in 0..4 { if (i % 2 == 0) { h q[i]; } }") == [("h", (0,)), ("h", (2,))]


def test_conditions_on_measured_bits() -> None:
    f = circuit("c[0] = measure q[0]; if (c[0] == 1) { x q[1]; } else { h q[1]; }")
    measure, then, orelse = f.ops
    assert measure == MeasureOp(0, 0)
    assert then == GateOp("x", (1,), condition=Condition((0,), 1))
    assert orelse == GateOp("h", (1,), condition=Condition((0,), 0))
    op, = circuit("if (!c[1]) { x q[1]; }").ops
    assert op.condition == Condition((1,), 0)
    op, = circuit("if (c == 2) { x q[1]; }").ops
    assert op.condition == Condition((0, 1), 2)
    op, = circuit("if (c[0]) { if (c[1] == 0) { z q[2]; } }").ops
    assert op.condition == Condition((0, 1), 1)
    op, = circuit("if (c[0] == 1 && c[1] == 1) { z q[2]; }").ops
    assert op.condition == Condition((0, 1), 3)


# ---------------------------------------------------------------- observables and results


def observable(text: str, qubits: int = 3) -> Observable:
    result, = circuit("", result=f"expval({text})", qubits=qubits).results
    assert isinstance(result, ExpVal)
    return result.observable


def terms(obs: Observable) -> dict[tuple, float]:
    return {t.paulis: round(t.coeff, 12) for t in obs.terms}


def test_pauli_algebra() -> None:
    assert terms(observable("X[0] X[0]")) == {(): 1.0}
    assert terms(observable("X[0] Y[0] + Y[0] X[0]")) == {}  # iZ - iZ
    assert terms(observable("Z[0] Z[1] + Z[1] Z[0]")) == {((0, "Z"), (1, "Z")): 2.0}
    assert terms(observable("(X[0] + Z[0]) * (X[0] + Z[0])")) == {(): 2.0}
    assert terms(observable("0.5 * Z[0] - 0.2 * X[2] + 0.1")) == {(): 0.1, ((0, "Z"),): 0.5, ((2, "X"),): -0.2}
    assert terms(observable("2 * I[1] + Y[2] / 4")) == {(): 2.0, ((2, "Y"),): 0.25}


def test_sum_builds_observables() -> None:
    assert terms(observable("sum(i in 0..3: Z[i])")) == {((0, "Z"),): 1.0, ((1, "Z"),): 1.0, ((2, "Z"),): 1.0}
    assert terms(observable("sum(i in 0..2: 0.5 * X[i] X[i + 1])")) == {
        ((0, "X"), (1, "X")): 0.5, ((1, "X"), (2, "X")): 0.5}


def test_named_observables_and_constants() -> None:
    prelude = "observable H = Z[0] + Z[1]; const P = X[0];"
    result, = circuit("", prelude=prelude, result="var(H * H + P)").results
    assert isinstance(result, Var)
    assert terms(result.observable) == {(): 2.0, ((0, "Z"), (1, "Z")): 2.0, ((0, "X"),): 1.0}


@pytest.mark.parametrize("obs", ["X[0] Y[0]", "X[0] Y[0] Z[0]", "Y[0] X[0] - X[0] Y[0]"])
def test_a_product_of_anticommuting_paulis_is_not_hermitian(obs: str) -> None:
    assert errors(f"circuit f() {{ qubit q; h q; return expval({obs}); }}") == ["E0304"]


def test_results_and_tuple_returns() -> None:
    f = circuit("h q;", result="(expval(Z[0]), probs(q[1:3]), sample(q[0]), state())", qubits=3)
    assert f.returns_tuple
    assert [type(r) for r in f.results] == [ExpVal, Probs, Sample, State]
    assert f.results[1].qubits == (1, 2) and f.results[2].qubits == (0,)
    assert not circuit("h q;", result="probs()").returns_tuple
    assert circuit("h q;", result="probs()", qubits=2).results == (Probs((0, 1)),)


def test_measure_reset_and_barrier_ops() -> None:
    f = circuit("measure q[0:2] -> c; reset q[3]; barrier q[0], q[1];")
    assert [type(op).__name__ for op in f.ops] == ["MeasureOp", "MeasureOp", "ResetOp", "BarrierOp"]
    assert f.ops[1] == MeasureOp(1, 1) and f.ops[2] == ResetOp(3)


# ---------------------------------------------------------------- warnings and file-level errors


def test_warnings_do_not_block_compilation() -> None:
    compiled = compile_source("circuit f(unused: float) { qubit q[2]; h q[0]; return probs(q[0]); }")
    assert compiled.ok
    assert sorted(d.code for d in compiled.sink.diagnostics) == ["W0201", "W0202"]


def test_unreadable_file(tmp_path) -> None:
    for path in (tmp_path / "missing.qdl", tmp_path):
        compiled = compile_file(path)
        assert not compiled.ok
        assert [(d.code, d.span) for d in compiled.sink.diagnostics] == [("E0001", None)]
        assert "error[E0001]: cannot read" in compiled.render()


def test_file_not_utf8(tmp_path) -> None:
    path = tmp_path / "latin1.qdl"
    path.write_bytes("// café\ncircuit f() { }\n".encode("latin-1"))
    compiled = compile_file(path)
    diagnostic, = compiled.sink.diagnostics
    assert diagnostic.code == "E0105"
    assert compiled.sink.sources.line_col(diagnostic.span.file, diagnostic.span.start) == (1, 7)


def test_imports_make_definitions_visible(tmp_path) -> None:
    (tmp_path / "lib.qdl").write_text("const K = 2; gate pair a, b { h a; cx a, b; }")
    (tmp_path / "main.qdl").write_text('import "lib.qdl"; import "lib.qdl";\n'
                                       "circuit f() { qubit q[K]; pair q[0], q[1]; return probs(q); }")
    compiled = compile_file(tmp_path / "main.qdl")
    assert compiled.ok, compiled.render()
    assert [op.gate for op in compiled.module["f"].ops] == ["h", "cx"]
