"""The metric-tensor pass: layers, generators from the gate table, errors and the text form."""

from __future__ import annotations

import numpy as np
import pytest

import qdl
from qdl.compiler.autodiff import AutodiffError, format_metric_program, metric_program
from qdl.compiler.autodiff.generators import gate_generator, op_generator
from qdl.compiler.gates import GATES
from qdl.compiler.ir import GateOp
from qdl.runtime import reference

SOURCE = """
circuit f(param t: float[4], x: float) -> float {
    qubit q[3];
    h q[2];
    rx(t[0]) q[0];
    ry(2 * t[1] + x) q[1];
    cx q[1], q[2];
    rz(t[2]) q[0];
    crx(t[3] * t[0]) q[1], q[2];
    rz(x) q[0];
    return expval(Z[0]);
}
"""


def circuit():
    return qdl.compile(SOURCE, "f.qdl").f.circuit


def test_layers_group_gates_on_disjoint_qubits_and_move_commuting_fixed_ops_into_the_prefix():
    program = metric_program(circuit())
    assert program.wrt == ("t",) and program.evaluations == 2
    first, second = program.blocks
    assert [s.gate for s in first.slots] == ["rx", "ry"]
    assert [op.gate for op in first.prefix.ops] == ["h"]
    # cx touches q1 (in the open layer): it closes the layer; rz(t[2]) on q0 then opens the next one
    assert [s.gate for s in second.slots] == ["rz", "crx"]
    assert [op.gate for op in second.prefix.ops] == ["h", "rx", "ry", "cx"]
    assert first.pairs == ((0, 0), (0, 1), (1, 1))
    assert len(first.prefix.results) == 2 + 3  # <G_i>, then <G_i G_j> per pair


def test_x_is_not_trained_so_rz_of_x_is_a_fixed_op_and_chain_rule_partials_follow_the_expressions():
    program = metric_program(circuit())
    ry = program.blocks[0].slots[1]
    assert [str(p.arg) for p in ry.partials] == ["t[1]"]
    assert ry.partials[0].derivative.evaluate({"t": np.zeros(4), "x": 0.0}) == 2
    crx = program.blocks[1].slots[1]
    assert [str(p.arg) for p in crx.partials] == ["t[0]", "t[3]"]
    with_x = metric_program(circuit(), wrt=["t", "x"])
    assert len(with_x.blocks) == 3 and with_x.blocks[2].slots[0].gate == "rz"  # rz(x) is trained now


def test_diag_evaluates_only_the_variances():
    program = metric_program(circuit(), approx="diag")
    assert [b.pairs for b in program.blocks] == [((0, 0), (1, 1))] * 2


def _matrix(terms, num_qubits):
    paulis = {"X": np.array([[0, 1], [1, 0]]), "Y": np.array([[0, -1j], [1j, 0]]), "Z": np.diag([1, -1])}
    out = np.zeros((2**num_qubits,) * 2, complex)
    for key, coeff in terms:
        letters = dict(key)
        factors = [paulis.get(letters.get(k), np.eye(2)) for k in range(num_qubits)]
        term = np.eye(1)
        for factor in factors:
            term = np.kron(term, factor)
        out += coeff * term
    return out


@pytest.mark.parametrize("name", [n for n, s in GATES.items() if s.num_params == 1])
def test_every_one_parameter_generator_satisfies_dU_dtheta_equals_minus_i_U_G(name):
    """The generator acts before the gate (on the metric's prefix state): dU/dθ = -iUG."""
    spec = GATES[name]
    generator = _matrix(gate_generator(name), spec.num_qubits)
    theta, h = 0.37, 1e-6
    derivative = (spec.matrix(theta + h) - spec.matrix(theta - h)) / (2 * h)
    np.testing.assert_allclose(derivative, -1j * spec.matrix(theta) @ generator, atol=1e-8)
    np.testing.assert_allclose(generator, generator.conj().T, atol=1e-14)


def test_multi_parameter_gates_have_no_generator():
    assert [n for n, s in GATES.items() if s.num_params > 1 and gate_generator(n) is None] == ["u2", "u3", "rot"]


def test_controls_multiply_the_generator_by_projectors():
    from qdl.compiler.expr import Arg
    op = GateOp("rx", (2,), (Arg("t"),), controls=(0, 1), control_values=(True, False))
    got = op_generator(op).as_dict()
    # |1><1|_0 |0><0|_1 X_2 / 2 = (I - Z0)(I + Z1) X2 / 8
    want = {((2, "X"),): 1 / 8, ((0, "Z"), (2, "X")): -1 / 8, ((1, "Z"), (2, "X")): 1 / 8,
            ((0, "Z"), (1, "Z"), (2, "X")): -1 / 8}
    assert {k: complex(v) for k, v in got.items() if abs(v) > 1e-15} == pytest.approx(want)


def test_a_gate_without_a_generator_is_a_located_error(monkeypatch, tmp_path):
    path = tmp_path / "g.qdl"
    path.write_text("circuit g(param t: float) -> float {\n    qubit q;\n    rx(t) q;\n"
                    "    return expval(Z[0]);\n}\n")
    function = qdl.load(path).g
    monkeypatch.setattr("qdl.compiler.autodiff.metric.op_generator", lambda op: None)
    with pytest.raises(AutodiffError) as info:
        metric_program(function.circuit)
    text = str(info.value)
    assert "E0402" in text and "`rx`" in text and "g.qdl:3:5" in text
    assert info.value.diagnostic.span is not None


def test_multi_angle_gates_are_split_into_their_rotations_one_layer_each():
    f = qdl.compile("circuit g(param t: float[3], param u: float[3]) -> float {\n qubit q[2];\n"
                    " rot(t[0], t[1], t[2]) q[0];\n u3(u[0], u[1], u[2]) q[1];\n return expval(Z[0]);\n}\n").g
    program = metric_program(f.circuit)
    assert [[(s.gate, str(s.angle)) for s in b.slots] for b in program.blocks] == [
        [("rz", "t[0]"), ("rz", "u[2]")], [("ry", "t[1]"), ("ry", "u[0]")], [("rz", "t[2]"), ("rz", "u[1]")]]
    assert "s0: op 0 `rz` (part of `rot`) angle = t[0]" in format_metric_program(program)


def test_a_fixed_rot_is_fine_and_mid_circuit_measurement_is_refused():
    fixed = qdl.compile("circuit g(param t: float) -> float {\n qubit q;\n rot(1, 0.1, 0.2) q;\n rx(t) q;\n"
                        " return expval(Z[0]);\n}\n").g
    assert len(metric_program(fixed.circuit).blocks) == 1
    measured = qdl.compile("circuit m(param t: float) -> float {\n qubit q[2];\n rx(t) q[0];\n"
                           " bit c[1];\n c[0] = measure q[0];\n ry(t) q[1];\n return expval(Z[1]);\n}\n").m
    with pytest.raises(AutodiffError, match="pure state.*measure"):
        metric_program(measured.circuit)


def test_unknown_approximation_is_an_error():
    with pytest.raises(AutodiffError, match="unknown metric approximation `full`"):
        metric_program(circuit(), approx="full")


def test_the_reordered_prefixes_prepare_the_same_state():
    """Prefix of the last block + its layer = the whole circuit, reordered only."""
    source = ("circuit g(param t: float[3]) -> float {\n qubit q[3];\n rx(t[0]) q[0];\n h q[1];\n"
              " cx q[1], q[2];\n ry(t[1]) q[0];\n rz(t[2]) q[1];\n return expval(Z[0]);\n}\n")
    g = qdl.compile(source).g.circuit
    block = metric_program(g).blocks[-1]
    assert [op.gate for op in block.prefix.ops] == ["rx", "h", "cx", "rz"]  # layers: (rx, rz), (ry)
    args = {"t": np.array([[0.3, 0.5, 0.9]])}
    layer = tuple(g.ops[s.op] for s in block.slots)
    from dataclasses import replace
    from qdl.compiler.ir import State
    states = [reference.simulate(replace(g, ops=ops, results=(State(),), returns_tuple=False), args)[0]
              for ops in (block.prefix.ops + layer, g.ops)]
    np.testing.assert_allclose(states[0], states[1], atol=1e-12)


def test_text_form():
    text = format_metric_program(metric_program(circuit()))
    assert text.startswith("metric program `f` wrt (t) block-diag\n  evaluations: 2 circuits, 10 expectation values\n")
    assert "block b0: after 1 op\n" in text and "block b1: after 4 ops\n" in text
    assert "s1: op 2 `ry` angle = 2 * t[1] + x; G = 0.5 * Y1\n    d angle/d t[1] = 2\n" in text
    assert "expectations: <G0>, <G1>, <G0 G0>, <G0 G1>, <G1 G1>" in text
