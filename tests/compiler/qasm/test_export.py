"""OpenQASM export: the text parses with the reference parser and means what the circuit means.

Meaning is checked with `export_oracle`, a small evaluator of the parser's
AST over the corpus's stdgates.inc / qelib1.inc and the live specification's
built-in `U`: OpenQASM 3 exports must have exactly the unitary of
`runtime.reference` (global phase included), OpenQASM 2 exports the same up
to a global phase.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import openqasm3
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from qdl.compiler.driver import compile_source
from qdl.compiler.expr import Arg, Binary, Const, Expr, Unary, apply
from qdl.compiler.gates import GATES
from qdl.compiler.ir import (
    BOOL, FLOAT, INT, Argument, BarrierOp, Circuit, Condition, ExpVal, GateOp, MeasureOp, Module,
    Observable, PauliTerm, Probs, Register, ResetOp, State,
)
from qdl.compiler.qasm.export import QasmExportError, bind, export, to_qasm2, to_qasm3
from qdl.compiler.qasm.export_gates import STDGATES_EXACT
from qdl.runtime.reference import simulate, unitary

try:
    from .export_oracle import Program, Semantics, builtin_u
    from .tests_corpus import corpus_dir
except ImportError:  # tests/ is not a package: pytest put this directory on sys.path
    from export_oracle import Program, Semantics, builtin_u  # type: ignore[no-redef]
    from tests_corpus import corpus_dir  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[3]
ARGS = (Argument("theta", FLOAT), Argument("w", FLOAT, (2, 3), trainable=True), Argument("k", INT),
        Argument("flag", BOOL))
REGISTERS = (Register("q", 0, 2), Register("anc", 2, 2))


@functools.cache
def semantics(version: int) -> Semantics:
    library = "stdgates.inc" if version == 3 else "qelib1.inc"
    return Semantics.with_library(version, (corpus_dir() / "include" / library).read_text())


def values(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"theta": np.array(rng.uniform(-3, 3)), "w": rng.uniform(-3, 3, (2, 3)),
            "k": np.array(int(rng.integers(-3, 4))), "flag": np.array(bool(rng.integers(2)))}


def inputs(args: dict[str, np.ndarray]) -> dict[str, object]:
    """The exported inputs: `w[i, j]` is `w_i_j`."""
    flat = {f"w_{i}_{j}": float(args["w"][i, j]) for i in range(2) for j in range(3)}
    return {"theta": float(args["theta"]), "k": int(args["k"]), "flag": bool(args["flag"]), **flat}


def circuit_of(ops: list[GateOp] | tuple, num_qubits: int = 4, **fields) -> Circuit:
    fields.setdefault("qubit_registers", REGISTERS if num_qubits == 4 else ())
    results = fields.pop("results", (State(),))
    return Circuit("c", fields.pop("arguments", ARGS), num_qubits, tuple(ops), results, **fields)


def assert_exact_qasm3(circuit: Circuit, args: dict[str, np.ndarray]) -> str:
    text = to_qasm3(circuit)
    program = Program(text, semantics(3), inputs(args))
    expected = unitary(circuit, circuit.num_qubits, args)
    np.testing.assert_allclose(program.unitary(), expected, atol=1e-10, err_msg=text)
    return text


def assert_qasm2_up_to_phase(circuit: Circuit, args: dict[str, np.ndarray]) -> str:
    text = to_qasm2(bind(circuit, args))
    actual = Program(text, semantics(2), {}).unitary()
    expected = unitary(circuit, circuit.num_qubits, args)
    pivot = np.unravel_index(np.argmax(np.abs(expected)), expected.shape)
    phase = expected[pivot] / actual[pivot]
    assert abs(abs(phase) - 1) < 1e-9, text
    np.testing.assert_allclose(actual * phase, expected, atol=1e-10, err_msg=text)
    return text


# --- the gate mapping ------------------------------------------------------------------------


@pytest.mark.parametrize("ours", sorted(STDGATES_EXACT))
def test_stdgates_counterparts_have_our_matrices_exactly(ours: str) -> None:
    spec, rng = GATES[ours], np.random.default_rng(7)
    for _ in range(3):
        params = list(rng.uniform(-4, 4, spec.num_params))
        np.testing.assert_allclose(semantics(3).gate_matrix(STDGATES_EXACT[ours], params),
                                   spec.matrix(*params), atol=1e-12)


def test_gates_whose_stdgates_namesakes_differ_by_a_phase() -> None:
    """Why `u2`, `u3` get definitions and `U` and `CX` are never written."""
    theta, phi, lam = 0.3, 0.7, -1.1
    ours = GATES["u3"].matrix(theta, phi, lam)
    std = semantics(3)
    np.testing.assert_allclose(std.gate_matrix("u3", [theta, phi, lam]), np.exp(-0.5j * (phi + lam)) * ours)
    np.testing.assert_allclose(std.gate_matrix("u2", [phi, lam]),
                               np.exp(-0.5j * (phi + lam)) * GATES["u2"].matrix(phi, lam))
    np.testing.assert_allclose(builtin_u(theta, phi, lam, 3), np.exp(0.5j * theta) * ours)
    cx_with_i = GATES["cx"].matrix() @ np.diag([1, 1, 1j, 1j])  # stdgates' CX is ctrl @ (iX)
    np.testing.assert_allclose(std.gate_matrix("CX", []), cx_with_i, atol=1e-15)


CONTROL_PATTERNS = [(), (True,), (False,), (True, False)]


@pytest.mark.parametrize("controls", CONTROL_PATTERNS, ids=lambda c: "".join("cn"[not v] for v in c) or "none")
@pytest.mark.parametrize("name", sorted(GATES))
def test_every_gate_exports_exactly(name: str, controls: tuple[bool, ...]) -> None:
    spec, rng = GATES[name], np.random.default_rng(len(name))
    n = max(spec.num_qubits + len(controls), 1)
    wires = tuple(int(w) for w in rng.permutation(n))
    params = tuple(Arg("theta") * (i + 1) + Arg("w", (1, i)) for i in range(spec.num_params))
    op = GateOp(name, wires[len(controls):spec.num_qubits + len(controls)], params,
                wires[:len(controls)], controls)
    assert_exact_qasm3(circuit_of([op], n), values(rng))


@pytest.mark.parametrize("controls", [(), (True,), (False,)], ids=["none", "ctrl", "negctrl"])
@pytest.mark.parametrize("name", sorted(GATES))
def test_every_gate_exports_to_qasm2(name: str, controls: tuple[bool, ...]) -> None:
    spec, rng = GATES[name], np.random.default_rng(len(name) + 1)
    n = max(spec.num_qubits + len(controls), 1)
    wires = tuple(int(w) for w in rng.permutation(n))
    params = tuple(Arg("w", (0, i)) for i in range(spec.num_params))
    op = GateOp(name, wires[len(controls):spec.num_qubits + len(controls)], params, wires[:len(controls)], controls)
    assert_qasm2_up_to_phase(circuit_of([op], n), values(rng))


# --- random circuits ---------------------------------------------------------------------------

ANGLES = st.one_of(
    st.floats(-4, 4).map(Const),
    st.sampled_from([
        Arg("theta"), Arg("w", (1, 2)), 2 * Arg("theta") + Arg("w", (1, 0)), -Arg("theta"),
        apply("sin", Arg("theta")) * Arg("w", (0, 1)), Arg("theta") ** 2, Arg("k") / 3,
        Arg("flag") * Arg("theta") - Arg("w", (0, 2)), Binary("/", Arg("k"), Const(2.0)),
        Unary("arctan", Arg("w", (0, 0))), apply("exp", Arg("w", (1, 1))) ** Arg("w", (1, 1)) - 0.5,
        Arg("theta") ** Arg("k"), Unary("neg", Const(2.5)) * Arg("theta"),
    ]))


@st.composite
def gate_ops(draw: st.DrawFn, num_qubits: int, max_controls: int) -> GateOp:
    spec = GATES[draw(st.sampled_from(sorted(GATES)))]
    count = draw(st.integers(0, min(max_controls, num_qubits - spec.num_qubits)))
    wires = draw(st.permutations(range(num_qubits)))[: spec.num_qubits + count]
    controls = tuple(draw(st.booleans()) for _ in range(count))
    params = tuple(draw(ANGLES) for _ in range(spec.num_params))
    return GateOp(spec.name, tuple(wires[count:]), params, tuple(wires[:count]), controls)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(gate_ops(4, 2), min_size=1, max_size=6), st.integers(0, 2**32 - 1))
def test_random_circuits_export_exactly(ops: list[GateOp], seed: int) -> None:
    assert_exact_qasm3(circuit_of(ops), values(np.random.default_rng(seed)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(gate_ops(4, 1), min_size=1, max_size=6), st.integers(0, 2**32 - 1))
def test_random_bound_circuits_export_to_qasm2(ops: list[GateOp], seed: int) -> None:
    assert_qasm2_up_to_phase(circuit_of(ops), values(np.random.default_rng(seed)))


def test_qasm2_writes_two_controls_only_where_qelib1_has_them() -> None:
    args = values(np.random.default_rng(3))
    ok = [GateOp("x", (2,), (), (0, 1), (True, False)), GateOp("cx", (1, 3), (), (0,), (False,)),
          GateOp("gphase", (), (Arg("theta"),), (0, 3), (True, True)), GateOp("phase", (2,), (Const(0.5),), (1,), (True,))]
    text = assert_qasm2_up_to_phase(circuit_of(ok), args)
    assert "ccx q[0], q[1], anc[0];" in text and "cu1(" in text and "cu3(" not in text
    with pytest.raises(QasmExportError, match=r"`ctrl\(%0, %1\) rz\(0.5\) %2` in OpenQASM 2: .*2 control"):
        to_qasm2(circuit_of([GateOp("rz", (2,), (Const(0.5),), (0, 1), (True, True))], arguments=()))


# --- names -----------------------------------------------------------------------------------


def names_of(text: str, keyword: str) -> list[str]:
    return re.findall(rf"^{keyword}(?:\[\d+\])? (\w+);", text, re.M)


def test_array_arguments_are_flattened_row_major() -> None:
    w = Argument("w", FLOAT, (2, 3, 2))
    circuit = circuit_of([GateOp("rx", (0,), (Arg("w", (1, 2, 0)),))], 1, arguments=(w,))
    text = to_qasm3(circuit)
    assert names_of(text, "input float") == [f"w_{i}_{j}_{k}" for i in range(2) for j in range(3) for k in range(2)]
    assert "rx(w_1_2_0) q[0];" in text


def test_names_never_collide_and_avoid_reserved_words() -> None:
    arguments = (Argument("w", FLOAT, (2,)), Argument("w_0", FLOAT), Argument("pi", FLOAT),
                 Argument("qdl_rxx", INT), Argument("q", BOOL))
    registers = (Register("h", 0, 1), Register("input", 1, 1), Register("U", 2, 1))
    ops = [GateOp("rxx", (0, 1), (Arg("w", (0,)) + Arg("w_0") + Arg("pi") + Arg("qdl_rxx") + Arg("q"),)),
           GateOp("h", (2,), ())]
    circuit = Circuit("c", arguments, 4, tuple(ops), (), qubit_registers=registers, num_bits=1,
                      bit_registers=(Register("rx", 0, 1),))
    text = to_qasm3(circuit)
    openqasm3.parse(text)
    assert names_of(text, "input float") == ["w_0_", "w_1", "w_0", "pi_"]  # argument order
    assert names_of(text, "input int") == ["qdl_rxx_"] and names_of(text, "input bool") == ["q"]
    assert names_of(text, "qubit") == ["h_", "input_", "U_", "q_"] and names_of(text, "bit") == ["rx_"]
    assert "qdl_rxx(w_0_ + w_0 + pi_ + float[64](qdl_rxx_) + float[64](q)) h_[0], input_[0];" in text
    assert "h U_[0];" in text


def test_qasm2_names_start_with_a_lowercase_letter() -> None:
    circuit = Circuit("c", (), 3, (GateOp("x", (0,), ()),), (), qubit_registers=(Register("Q", 0, 2),),
                      num_bits=1, bit_registers=(Register("_c", 0, 1),))
    text = to_qasm2(circuit)
    assert "qreg q_Q[2];\nqreg q[1];\ncreg c__c[1];" in text


def test_registers_fill_gaps_and_replace_overlaps() -> None:
    gaps = Circuit("c", (), 5, (GateOp("cx", (0, 4), ()),), (), qubit_registers=(Register("a", 1, 2),))
    assert "qubit[1] q;\nqubit[2] a;\nqubit[2] q_;\ncx q[0], q_[1];" in to_qasm3(gaps)
    overlap = replace(gaps, qubit_registers=(Register("a", 0, 3), Register("b", 2, 3)))
    assert "qubit[5] q;\ncx q[0], q[4];" in to_qasm3(overlap)


# --- measurement, conditions, results --------------------------------------------------------


def dynamic_circuit() -> Circuit:
    ops = (GateOp("h", (0,), ()), GateOp("ry", (1,), (Arg("theta"),)), GateOp("h", (2,), ()),
           MeasureOp(0, 0), MeasureOp(1, 1), MeasureOp(2, 2),
           GateOp("x", (3,), (), condition=Condition((0, 1), 2)),         # the whole register c
           GateOp("ry", (3,), (Const(0.4),), condition=Condition((2,), 1)),  # d, one bit
           GateOp("h", (4,), (), (3,), (False,), condition=Condition((1, 2), 1)),  # c[1], d[0]
           GateOp("rx", (0,), (Const(0.7),), condition=Condition((2, 0), 2)),    # out of order
           ResetOp(1), BarrierOp((0, 1, 2)), GateOp("crx", (1, 4), (Arg("theta"),)))
    return Circuit("dyn", (Argument("theta", FLOAT),), 5, ops, (Probs(tuple(range(5))),), num_bits=3,
                   qubit_registers=(Register("q", 0, 5),), bit_registers=(Register("c", 0, 2), Register("d", 2, 1)))


def test_conditions_measurement_and_reset_mean_what_they_say() -> None:
    circuit = dynamic_circuit()
    text = to_qasm3(circuit)
    for line in ("c[0] = measure q[0];", "if (c == 2) { x q[3]; }", "if (d == 1) { ry(0.4) q[3]; }",
                 "if (c[1] == true && d[0] == false) { negctrl @ h q[3], q[4]; }",
                 "if (d[0] == false && c[0] == true) { rx(0.7) q[0]; }", "reset q[1];",
                 "barrier q[0], q[1], q[2];", "// qdl result: probs(%0, %1, %2, %3, %4)"):
        assert line in text.splitlines(), line
    expected = simulate(circuit, {"theta": np.array([0.9])})[0][0]
    np.testing.assert_allclose(Program(text, semantics(3), {"theta": 0.9}).probabilities(), expected, atol=1e-12)


def test_qasm2_conditions_are_whole_registers() -> None:
    circuit = dynamic_circuit()
    whole = [op for op in circuit.ops if not isinstance(op, GateOp) or op.condition is None
             or op.condition.bits in ((0, 1), (2,))]
    bound = bind(Circuit("dyn", circuit.arguments, 5, tuple(whole), circuit.results, num_bits=3,
                         qubit_registers=circuit.qubit_registers, bit_registers=circuit.bit_registers),
                 {"theta": 0.9})
    text = to_qasm2(bound)
    assert "if(c==2) x q[3];" in text and "measure q[2] -> d[0];" in text and "reset q[1];" in text
    expected = simulate(bound, {})[0][0]
    np.testing.assert_allclose(Program(text, semantics(2), {}).probabilities(), expected, atol=1e-12)
    with pytest.raises(QasmExportError, match=r"`if \[\$1, \$2\] == 1: ctrl\(!%3\) h %4`.*whole classical"):
        to_qasm2(bind(circuit, {"theta": 0.9}))


def test_results_are_comments_in_ir_syntax() -> None:
    observable = Observable((PauliTerm(0.5, ((0, "Z"), (1, "Z"))), PauliTerm(-0.25)))
    circuit = Circuit("energy", ARGS[:2], 2, (GateOp("cx", (0, 1), ()),), (ExpVal(observable), Probs((1, 0))))
    text = to_qasm3(circuit)
    assert text.splitlines()[2] == "// qdl circuit: energy(theta: float, param w: float[2, 3])"
    assert text.endswith("cx q[0], q[1];\n// qdl result: expval(0.5 * Z0 Z1 - 0.25)\n// qdl result: probs(%1, %0)\n")


# --- angles ------------------------------------------------------------------------------------

NUMBERS = st.one_of(st.floats(allow_nan=False, allow_infinity=False),
                    st.sampled_from([math.pi, -math.pi / 2, math.pi / 4, 2 * math.pi, -0.0, 5e-324]))
LEAVES = st.one_of(NUMBERS.map(Const), st.sampled_from([Arg("theta"), Arg("w", (1, 2))]))
TREES = st.recursive(LEAVES, lambda inner: st.one_of(
    st.builds(Unary, st.just("neg"), inner),
    st.builds(Binary, st.sampled_from(["+", "-", "*", "/", "**"]), inner, inner)), max_leaves=7)


@pytest.mark.parametrize("version", [3, 2])
@settings(max_examples=150, deadline=None)
@given(expr=TREES, theta=st.floats(-3, 3), w12=st.floats(-3, 3))
def test_angles_read_back_exactly(version: int, expr: Expr, theta: float, w12: float) -> None:
    """Same tree, same float operations: the value read from the text is the identical float."""
    if version == 2:
        circuit = circuit_of([GateOp("rx", (0,), (expr,))], 1, arguments=ARGS[:2])
        with np.errstate(all="ignore"):
            expr = bind(circuit, {"theta": theta, "w": np.full((2, 3), w12)}).ops[0].params[0]
        assume(isinstance(expr, Const) and math.isfinite(expr.value))
    circuit = circuit_of([GateOp("rx", (0,), (expr,))], 1, arguments=ARGS[:2] if version == 3 else ())
    text = to_qasm3(circuit) if version == 3 else to_qasm2(circuit)
    call = openqasm3.parse(text).statements[-1]
    env = {"theta": theta, "w_1_2": w12}
    with np.errstate(all="ignore"):
        wanted = float(expr.evaluate({"theta": np.float64(theta), "w": np.full((2, 3), w12)}))
    try:
        got = Semantics(version).value(call.arguments[0], env)
    except (OverflowError, ZeroDivisionError, ValueError):  # Python raises where numpy gives inf/nan
        return
    if isinstance(got, complex):  # Python's (-1.0) ** 0.5; numpy gives nan (and nan ** 0.0 is 1.0, as (1+0j) is)
        assert math.isnan(wanted) or got == wanted, text
        return
    # Same text, same tree: equal up to the last bit that Python's and numpy's `**` may disagree on.
    assert math.isclose(got, wanted, rel_tol=1e-15, abs_tol=0.0) or got == wanted or \
        (math.isnan(got) and math.isnan(wanted)), text


def test_angle_syntax() -> None:
    theta, phi, one = Arg("theta"), Arg("w", (0, 1)), Const(1.0)
    qasm3 = {
        Binary("-", theta, Unary("neg", phi)): "theta - (-w_0_1)",
        Unary("neg", Binary("**", theta, Const(2.0))): "-theta ** 2.0",
        Binary("**", Unary("neg", theta), Binary("**", phi, Const(3.0))): "(-theta) ** w_0_1 ** 3.0",
        Binary("**", Binary("**", theta, phi), Const(-1.5)): "(theta ** w_0_1) ** (-1.5)",
        Binary("/", Const(math.pi), Binary("*", theta, Const(-0.5))): "pi / (theta * (-0.5))",
        Binary("*", Const(-math.pi / 2), Unary("log", theta)): "-pi / 2 * log(theta)",
        Binary("-", Const(0.1), Binary("-", Const(3.0), Const(1e300))): "0.1 - (3.0 - 1e+300)",
        Binary("*", Arg("k"), Arg("flag")): "float[64](k) * float[64](flag)",
    }
    qasm2 = {
        Unary("neg", Binary("**", one, Const(2.0))): "-(1.0^2.0)",
        Binary("**", Unary("neg", one), Binary("**", one, Const(-3.0))): "((-1.0)^(1.0^(-3.0)))",
        Binary("*", Const(math.pi / 4), Unary("log", Const(2.0))): "pi / 4 * ln(2.0)",
    }
    for expr, text in qasm3.items():
        assert angle_text(expr, 3) == text
    for expr, text in qasm2.items():
        assert angle_text(expr, 2) == text


def angle_text(expr: Expr, version: int) -> str:
    circuit = circuit_of([GateOp("rx", (0,), (expr,))], 1, arguments=ARGS if version == 3 else (), results=())
    line = (to_qasm3 if version == 3 else to_qasm2)(circuit).splitlines()[-1]
    return line[line.index("(") + 1: line.rindex(")")]


# --- errors and the helpers --------------------------------------------------------------------


def test_export_errors_name_the_operation_and_the_reason() -> None:
    rx = circuit_of([GateOp("rx", (0,), (Arg("theta"),))], 1)
    with pytest.raises(QasmExportError, match=r"OpenQASM 2 has no inputs.*`theta`.*bind\(circuit, values\)"):
        to_qasm2(rx)
    asin = circuit_of([GateOp("rx", (0,), (Unary("arcsin", Const(0.5)),))], 1, arguments=())
    with pytest.raises(QasmExportError, match=r"`rx\(arcsin\(0.5\)\) %0` in OpenQASM 2: .*no function `arcsin`"):
        to_qasm2(asin)
    assert "rx(arcsin(0.5)) q[0];" in to_qasm3(asin)
    infinite = circuit_of([GateOp("rz", (0,), (Const(math.inf),))], 1, arguments=())
    with pytest.raises(QasmExportError, match=r"`rz\(inf\) %0` in OpenQASM 3: .*no OpenQASM literal"):
        to_qasm3(infinite)
    assert isinstance(QasmExportError("x"), ValueError)


def test_export_picks_the_version_and_the_circuit() -> None:
    a = circuit_of([GateOp("h", (0,), ())], 1, arguments=())
    b = Circuit("b", (), 1, (GateOp("x", (0,), ()),), ())
    assert export(a, 2) == to_qasm2(a) and export(Module((a,)), "3.0") == to_qasm3(a)
    assert export(Module((a, b)), 3, circuit="b") == to_qasm3(b)
    with pytest.raises(ValueError, match="circuits `c`, `b`; choose one"):
        export(Module((a, b)))
    with pytest.raises(ValueError, match="unknown OpenQASM version"):
        export(a, "3.1")


def test_bind_substitutes_and_checks_shapes() -> None:
    circuit = circuit_of([GateOp("rx", (0,), (2 * Arg("theta") + Arg("w", (1, 2)),))], 1)
    partly = bind(circuit, {"theta": 0.25})
    assert [a.name for a in partly.arguments] == ["w", "k", "flag"]
    assert partly.ops[0].params == (Binary("+", Const(0.5), Arg("w", (1, 2))),)
    assert bind(partly, {"w": np.ones((2, 3))}).ops[0].params == (Const(1.5),)
    with pytest.raises(ValueError, match=r"`w` has shape \(2, 3\), the value has \(3,\)"):
        bind(circuit, {"w": [1, 2, 3]})
    with pytest.raises(ValueError, match="no argument `phi`"):
        bind(circuit, {"phi": 1.0})


def test_export_is_deterministic() -> None:
    ops = [GateOp("double_excitation", (0, 1, 2, 3), (Arg("theta"),)), GateOp("rot", (1,), (Const(1.0),) * 3),
           GateOp("iswapdg", (2, 3), (), (0,), (False,)), GateOp("u2", (0,), (Arg("theta"), Const(2.0)))]
    first = to_qasm3(circuit_of(ops))
    assert first == to_qasm3(circuit_of(list(ops)))
    defined = re.findall(r"^gate (\w+)", first, re.M)
    assert defined == ["qdl_double_excitation", "qdl_rot", "qdl_iswap", "qdl_iswapdg", "qdl_u3", "qdl_u2"]
    assert "U(" not in first and "CX" not in first


# --- docs/openqasm.md ---------------------------------------------------------------------------


def export_examples() -> list[tuple[str, str, str]]:
    """(qdl source, expected export, where) for each ```qasm block after a ```qdl block in `## Export`."""
    text = (REPO / "docs" / "openqasm.md").read_text(encoding="utf-8")
    section = text[text.index("## Export"):]
    section = section[: section.find("\n## ", 1)] if "\n## " in section[1:] else section
    blocks = re.findall(r"^```(\w+)[^\n]*\n(.*?)^```", section, re.M | re.S)
    pairs, source = [], None
    for lang, body in blocks:
        if lang == "qdl":
            source = body
        elif lang == "qasm" and source is not None:
            pairs.append((source, body, body.splitlines()[0]))
    return pairs


EXAMPLES = export_examples()


@pytest.mark.parametrize("source, expected, header", EXAMPLES, ids=[f"example{i}" for i in range(len(EXAMPLES))])
def test_docs_examples_are_exporter_output(source: str, expected: str, header: str) -> None:
    result = compile_source(source, "example.qdl")
    assert result.module is not None, result.render("short")
    version = 2 if header.startswith("OPENQASM 2") else 3
    circuit = result.module.circuits[-1]
    if version == 2:
        circuit = bind(circuit, {a.name: np.full(a.shape, 0.5) for a in circuit.arguments})
    assert export(circuit, version) == expected
    openqasm3.parse(expected)
