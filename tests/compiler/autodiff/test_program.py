"""The AD pass: slots, chain rule, light-cone pruning, errors and the text form."""

from __future__ import annotations

import dataclasses

import pytest

import qdl
from qdl.compiler import gates
from qdl.compiler.autodiff import AutodiffError, format_gradient_program, gradient_program
from qdl.compiler.autodiff.light_cone import light_cone
from qdl.compiler.expr import Arg, Const
from qdl.compiler.ir import Circuit, Condition, ExpVal, GateOp, MeasureOp, Observable, PauliTerm, ResetOp

SOURCE = """
circuit f(param t: float, param w: float[2], x: float, k: int) -> float {
    qubit q[3];
    rx(2 * t + x) q[0];
    ry(sin(w[0]) / t) q[1];
    cx q[0], q[1];
    rz(w[1] ** 2) q[2];
    return expval(Z[0] Z[1]);
}
"""


def circuit():
    return qdl.compile(SOURCE, "f.qdl").f.circuit


def test_default_wrt_is_the_param_arguments_and_partials_are_symbolic():
    program = gradient_program(circuit())
    assert program.wrt == ("t", "w")
    assert [(s.gate, [str(p.arg) for p in s.partials]) for s in program.slots] == [
        ("rx", ["t"]), ("ry", ["t", "w[0]"])]
    partial = program.slots[1].partials[0].derivative  # d(sin(w0)/t)/dt
    assert partial.evaluate({"t": 2.0, "w": [0.3, 0.0]}) == pytest.approx(-0.29552020666133955 / 4)


def test_light_cone_prunes_the_unobserved_qubit():
    program = gradient_program(circuit())
    assert [(p.gate, p.reason) for p in program.pruned] == [("rz", "outside the light cone of every result")]
    assert program.shifted_evaluations == 4 and program.evaluations == 5


def test_any_float_argument_on_request_but_not_int():
    assert gradient_program(circuit(), ["x"]).wrt == ("x",)
    with pytest.raises(AutodiffError, match="`k`: it is `int`"):
        gradient_program(circuit(), ["k"])
    with pytest.raises(AutodiffError, match="no argument `nope`"):
        gradient_program(circuit(), ["nope"])


def _circuit(ops, observed=0, n=3):
    return Circuit("c", (), n, tuple(ops), (ExpVal(Observable((PauliTerm(1.0, ((observed, "Z"),)),))),),
                   num_bits=2)


def test_light_cone_follows_controls_conditions_and_resets():
    t = Arg("t")
    ops = [GateOp("rx", (2,), (t,)),                      # 0: reaches q0 via the measured bit
           MeasureOp(2, 0),                               # 1
           GateOp("ry", (1,), (t,)),                      # 2: q1 is reset before it matters
           ResetOp(1),                                    # 3
           GateOp("x", (0,), controls=(1,), control_values=(True,)),  # 4: control -> q1 live
           GateOp("h", (0,), condition=Condition((0,), 1)),           # 5: reads bit 0
           GateOp("rz", (1,), (t,))]                      # 6: after the last use of q1
    assert light_cone(_circuit(ops)) == frozenset({0, 1, 3, 4, 5})


def test_a_gate_without_a_spectrum_is_a_located_error(monkeypatch, tmp_path):
    path = tmp_path / "g.qdl"
    path.write_text("circuit g(param t: float) -> float {\n    qubit q;\n    rx(t) q;\n"
                    "    return expval(Z[0]);\n}\n")
    function = qdl.load(path).g
    patched = dataclasses.replace(gates.GATES["rx"], generator_eigenvalues=(None,))
    monkeypatch.setitem(gates.GATES, "rx", patched)
    with pytest.raises(AutodiffError) as info:
        gradient_program(function.circuit)
    text = str(info.value)
    assert "E0401" in text and "`rx`" in text and "g.qdl:3:5" in text
    assert info.value.diagnostic.span is not None


def test_text_form_lists_rules_pruning_and_recombination():
    text = format_gradient_program(gradient_program(circuit()))
    assert "evaluations: 1 unshifted + 4 shifted; 2 slots, 1 pruned" in text
    assert "f(angle + pi/2)" in text and "pruned: op" in text
    assert "d f/d w[0] = D(s1) * (cos(w[0]) * t / t ** 2)" in text
    assert "d f/d w[1] = 0" in text


def test_constant_angles_are_not_slots():
    c = _circuit([GateOp("rx", (0,), (Const(0.3),))])
    assert gradient_program(c, []).slots == ()
