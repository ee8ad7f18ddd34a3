"""OpenQASM 2 and 3 import: each feature, checked against explicit matrices or known values."""

from __future__ import annotations

import math

import numpy as np
import pytest

import qdl
from qdl.compiler.driver import compile_source
from qdl.compiler.ir import GateOp, MeasureOp
from qdl.runtime.reference import unitary

X = np.array([[0, 1], [1, 0]], dtype=complex)
I2 = np.eye(2)


def rx(t: float) -> np.ndarray:
    return np.array([[math.cos(t / 2), -1j * math.sin(t / 2)], [-1j * math.sin(t / 2), math.cos(t / 2)]])


def controlled(u: np.ndarray) -> np.ndarray:
    """Control on qubit 0, target qubit 1, little-endian 2-qubit matrix."""
    out = np.eye(4, dtype=complex)
    # basis index = q0 + 2 q1; control set <=> index odd
    for a in (0, 1):
        for b in (0, 1):
            out[1 + 2 * a, 1 + 2 * b] = u[a, b]
    return out


def compile_ok(text: str, name: str = "t.qasm", **kw):
    result = compile_source(text, name, **kw)
    assert result.ok, result.render()
    return result.module["main"]


def codes(text: str, name: str = "t.qasm") -> list[str]:
    return [d.code for d in compile_source(text, name).sink.diagnostics]


# ---------------------------------------------------------------- OpenQASM 3


def test_inputs_become_trainable_arguments_in_order():
    main = compile_ok("OPENQASM 3.0;\ninput float[64] theta;\ninput angle[20] phi;\ninput int n;\n"
                      "qubit q;\nrx(theta + phi) q;\n")
    assert [(a.name, a.dtype, a.trainable) for a in main.arguments] == [
        ("theta", "float", True), ("phi", "float", True), ("n", "int", False)]


def test_ctrl_modifier_on_a_parametric_gate_is_exact():
    main = compile_ok("OPENQASM 3.0;\ninclude \"stdgates.inc\";\ninput float theta;\nqubit[2] q;\n"
                      "ctrl @ rx(theta) q[0], q[1];\n")
    u = unitary(main, 2, {"theta": np.array(0.7)})
    np.testing.assert_allclose(u, controlled(rx(0.7)), atol=1e-12)


def test_negctrl_inv_and_pow_modifiers():
    main = compile_ok("OPENQASM 3.0;\nqubit[2] q;\nnegctrl @ x q[0], q[1];\ninv @ s q[0];\npow(2) @ t q[1];\n")
    gates = [(op.gate, op.qubits, op.control_values) for op in main.ops]
    assert gates == [("x", (1,), (False,)), ("sdg", (0,), ()), ("t", (1,), ()), ("t", (1,), ())]


def test_user_gates_with_modifiers_inline():
    main = compile_ok("OPENQASM 3.0;\ngate g(a) x, y { h x; ctrl @ rz(a) x, y; }\nqubit[3] q;\n"
                      "ctrl @ g(0.5) q[2], q[0], q[1];\n")
    assert [(op.gate, op.all_qubits) for op in main.ops] == [("ch", (2, 0)), ("ctrl", None)][:1] + \
        [(main.ops[1].gate, main.ops[1].all_qubits)]
    assert main.ops[1].all_qubits == (2, 0, 1)


def test_for_ranges_include_their_end_and_allow_negative_steps():
    main = compile_ok("OPENQASM 3.0;\nqubit[5] q;\nfor int i in [0:2] { x q[i]; }\n"
                      "for int i in [4:-2:3] { h q[i]; }\nfor i in {1, 3} { z q[i]; }\n")
    assert [(op.gate, op.qubits[0]) for op in main.ops] == [
        ("x", 0), ("x", 1), ("x", 2), ("h", 4), ("z", 1), ("z", 3)]


def test_register_slices_include_their_end():
    main = compile_ok("OPENQASM 3.0;\nqubit[4] q;\nh q[1:2];\n")
    assert [op.qubits for op in main.ops] == [(1,), (2,)]


def test_gphase_and_builtin_u_follow_the_specification():
    # OpenQASM 3: U(θ, φ, λ) = e^{iθ/2} u3(θ, φ, λ), so U(π, 0, π) = iX
    main = compile_ok("OPENQASM 3.0;\nqubit q;\ngphase(0.3);\nU(pi, 0, pi) q;\n")
    u = unitary(main, 1, {})
    np.testing.assert_allclose(u, np.exp(0.3j) * 1j * X, atol=1e-12)


def test_stdgates_u3_is_the_openqasm2_gate():
    main = compile_ok("OPENQASM 3.0;\nqubit[2] q;\nctrl @ u3(0.3, 0.2, 0.1) q[0], q[1];\n")
    c, s = math.cos(0.15), math.sin(0.15)
    # e^{-i(φ+λ)/2} [[c, -e^{iλ}s], [e^{iφ}s, e^{i(φ+λ)}c]] with φ=0.2, λ=0.1
    u = np.exp(-0.15j) * np.array([[c, -np.exp(0.1j) * s], [np.exp(0.2j) * s, np.exp(0.3j) * c]])
    np.testing.assert_allclose(unitary(main, 2, {}), controlled(u), atol=1e-12)


def test_measurement_forms_and_conditions():
    main = compile_ok("OPENQASM 3.0;\nqubit[2] q;\nbit[2] c;\nbit d = measure q[1];\n"
                      "x q[0];\nc[0] = measure q[0];\nmeasure q[1] -> c[1];\nmeasure q;\n"
                      "if (c[0] == true) { x q[1]; } else { h q[1]; }\nif (c == 3) z q[0];\n")
    measures = [op for op in main.ops if isinstance(op, MeasureOp)]
    assert len(measures) == 5 and main.num_bits == 2 + 1 + 2
    conditioned = [op.condition for op in main.ops if isinstance(op, GateOp) and op.condition]
    assert [(c.bits, c.value) for c in conditioned] == [((0,), 1), ((0,), 0), ((0, 1), 3)]


def test_constants_and_initialised_variables_fold():
    main = compile_ok("OPENQASM 3.0;\nconst int n = 3;\nfloat[64] a = pi / 4;\nuint[4] k = 5;\n"
                      "qubit[n] q;\nrx(a * 2) q[0];\nif (bool(k[2])) { x q[1]; }\n")
    assert main.num_qubits == 3
    assert [op.gate for op in main.ops] == ["rx", "x"]
    assert float(main.ops[0].params[0].value) == pytest.approx(math.pi / 2)


@pytest.mark.parametrize("statement, construct", [
    ("def f(qubit a) { h a; }", "subroutines"),
    ("while (true) { }", "`while`"),
    ("extern g(int) -> int;", "`extern`"),
    ("defcal x $0 { play drive($0), gaussian(...); }", "pulse calibrations"),
    ("cal { }", "pulse calibrations"),
    ("delay[100ns] q;", "timing"),
    ("box { h q; }", "timing"),
    ("let r = q;", "`let`"),
    ("int x;", "classical variables"),
    ("int x = 1; x = 2;", "assignments"),
    ("h $0;", "physical qubits"),
])
def test_constructs_beyond_the_subset_are_reported_at_their_line(statement: str, construct: str):
    text = f"OPENQASM 3.0;\nqubit[1] q;\n{statement}\n"
    result = compile_source(text, "u.qasm")
    assert not result.ok
    errors = result.sink.errors
    assert any(d.code == "E0110" and construct in d.message for d in errors), result.render()
    line, _ = result.sink.sources.line_col("u.qasm", errors[0].span.start)
    assert line == 3


def test_pragmas_are_ignored_with_a_warning():
    result = compile_source("OPENQASM 3.0;\n#pragma braket result state_vector\nqubit q;\nx q;\n", "p.qasm")
    assert result.ok and [d.code for d in result.sink.diagnostics] == ["W0301"]


def test_file_gates_may_shadow_standard_ones():
    main = compile_ok("OPENQASM 3.0;\ngate rzz(t) a, b { cx a, b; rz(t) b; cx a, b; }\n"
                      "gate cu a, b { cz a, b; }\nqubit[2] q;\nrzz(0.2) q[0], q[1];\ncu q[0], q[1];\n")
    assert [op.gate for op in main.ops] == ["cx", "rz", "cx", "cz"]


# ---------------------------------------------------------------- OpenQASM 2


def test_qasm2_registers_broadcast_and_conditions():
    main = compile_ok('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg a[2];\nqreg b[2];\ncreg c[2];\n'
                      "cx a, b;\nmeasure a -> c;\nif (c == 2) x b[0];\n")
    gates = [(op.gate, op.qubits) for op in main.ops if isinstance(op, GateOp)]
    assert gates[:2] == [("cx", (0, 2)), ("cx", (1, 3))]
    assert main.ops[-1].condition.bits == (0, 1) and main.ops[-1].condition.value == 2


def test_qasm2_expressions_use_caret_and_ln():
    main = compile_ok('OPENQASM 2.0;\nqreg q[1];\nu1(2^3 + ln(1)) q[0];\n')
    assert float(main.ops[0].params[0].value) == 8.0


def test_qasm2_opaque_gates_cannot_be_called():
    assert codes('OPENQASM 2.0;\nqreg q[1];\nopaque magic q;\n') == []
    assert codes('OPENQASM 2.0;\nqreg q[1];\nopaque magic q;\nmagic q[0];\n') == ["E0111"]


def test_qasm2_includes_are_textual(tmp_path):
    (tmp_path / "lib.inc").write_text("gate twice a { x a; x a; }\n")
    (tmp_path / "main.qasm").write_text('OPENQASM 2.0;\ninclude "lib.inc";\nqreg q[1];\ntwice q[0];\n')
    main = qdl.load(tmp_path / "main.qasm").main
    assert [op.gate for op in main.circuit.ops] == ["x", "x"]


def test_qasm2_include_cycles_and_missing_files(tmp_path):
    (tmp_path / "a.inc").write_text('include "b.inc";\n')
    (tmp_path / "b.inc").write_text('include "a.inc";\n')
    (tmp_path / "m.qasm").write_text('OPENQASM 2.0;\ninclude "a.inc";\ninclude "nope.inc";\nqreg q[1];\n')
    with pytest.raises(qdl.CompileError) as info:
        qdl.load(tmp_path / "m.qasm")
    assert "E0211" in str(info.value) and "E0210" in str(info.value)


def test_version_is_guessed_without_a_header():
    assert compile_ok("qreg q[1];\nx q[0];\n").num_qubits == 1
    assert compile_ok("qubit[2] q;\nx q[1];\n").num_qubits == 2


def test_unknown_version_is_reported():
    assert codes("OPENQASM 4.0;\nqubit q;\n") == ["E0110"]


# ---------------------------------------------------------------- the API


def test_main_returns_probabilities_or_the_observable():
    text = "OPENQASM 3.0;\ninput float t;\nqubit[2] q;\nrx(t) q[0];\ncx q[0], q[1];\n"
    probs = qdl.compile(text, "a.qasm").main(0.4)
    np.testing.assert_allclose(probs, [math.cos(0.2) ** 2, 0, 0, math.sin(0.2) ** 2], atol=1e-12)
    zz = qdl.compile(text, "a.qasm", observable="0.5*Z0 Z1 - 0.25*Z1").main(0.4)
    assert zz == pytest.approx(0.5 - 0.25 * math.cos(0.4))


def test_main_state_is_the_state_before_final_measurements():
    program = qdl.compile("OPENQASM 3.0;\nqubit[1] q;\nbit[1] c;\nh q[0];\nc[0] = measure q[0];\n", "s.qasm")
    np.testing.assert_allclose(program.main.state(), [2 ** -0.5, 2 ** -0.5], atol=1e-12)


def test_bad_observables_are_reported():
    text = "OPENQASM 3.0;\nqubit[2] q;\nh q;\n"
    with pytest.raises(qdl.CompileError, match="E0112"):
        qdl.compile(text, "a.qasm", observable="0.5*Z0 +")
    with pytest.raises(qdl.CompileError, match=r"E0201.*`Q0`"):
        qdl.compile(text, "a.qasm", observable="0.5*Q0")
    with pytest.raises(qdl.CompileError, match="E0303"):
        qdl.compile(text, "a.qasm", observable="Z5")
    with pytest.raises(qdl.CompileError, match="E0112"):
        qdl.compile("circuit f() -> float { qubit q; return expval(Z[0]); }", "f.qdl", observable="Z0")
