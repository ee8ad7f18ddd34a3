"""The user-facing faces of the AD pass: CircuitFunction.grad & co, qdl.grad, `qdlc grad`, `--emit grad`.

(Belongs in tests/api/ with the other API and CLI tests.)
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import qdl

SOURCE = """
circuit f(param t: float, param w: float[2], x: float) -> float {
    qubit q[3];
    rx(2 * t + x) q[0];
    ry(sin(w[0])) q[1];
    cx q[0], q[1];
    rz(w[1] / 2) q[2];
    return expval(Z[1]);
}

circuit g(param t: float) -> (float, float[4]) {
    qubit q[2];
    ry(t) q[0];
    crx(2 * t) q[0], q[1];
    return (var(X[0] + Z[1]), probs(q));
}
"""


@pytest.fixture(scope="module")
def program():
    return qdl.compile(SOURCE, "ad.qdl")


def test_grad_shapes_follow_the_arguments(program):
    gt, gw = program.f.grad(0.3, [0.1, 0.2], 0.5)
    assert np.shape(gt) == () and gw.shape == (2,)
    assert gw[1] == 0  # rz on an unobserved qubit
    assert np.isclose(gt, -2 * np.sin(0.3 * 2 + 0.5) * np.cos(np.sin(0.1)))


def test_a_leading_batch_axis_gives_a_leading_axis(program):
    t = np.array([0.3, 0.4, 0.5])
    value, (gt, gw) = program.f.value_and_grad(t, [0.1, 0.2], 0.5)
    assert value.shape == (3,) and gt.shape == (3,) and gw.shape == (3, 2)
    assert np.allclose(value, program.f(t, [0.1, 0.2], 0.5))


def test_wrt_names_one_argument_or_several(program):
    gx = program.f.grad(0.3, [0.1, 0.2], 0.5, wrt="x")
    gt, gx2 = program.f.grad(0.3, [0.1, 0.2], 0.5, wrt=["t", "x"])
    assert np.isclose(gx, gx2) and np.isclose(gt, 2 * gx)


def test_qdl_grad_takes_argnums(program):
    assert np.isclose(qdl.grad(program.f, 2)(0.3, [0.1, 0.2], 0.5), program.f.grad(0.3, [0.1, 0.2], 0.5, wrt="x"))
    (gw,) = qdl.grad(program.f, [1], method="parameter-shift")(0.3, [0.1, 0.2], 0.5)
    assert gw.shape == (2,)


def test_jacobian_of_tuple_results(program):
    (dvar, dprobs) = program.g.jacobian(0.7)
    assert np.shape(dvar) == () and dprobs.shape == (4,)
    assert abs(dprobs.sum()) < 1e-12  # probabilities stay normalised
    h = 1e-6
    (vp, pp), (vm, pm) = program.g(0.7 + h), program.g(0.7 - h)
    assert np.isclose(dvar, (vp - vm) / (2 * h), atol=1e-7)
    assert np.allclose(dprobs, (pp - pm) / (2 * h), atol=1e-7)


def test_grad_needs_a_scalar_result_and_a_known_method(program):
    with pytest.raises(qdl.ArgumentError, match="use `jacobian`"):
        program.g.grad(0.1)
    with pytest.raises(qdl.QdlError, match="unknown differentiation method"):
        program.f.grad(0.3, [0.1, 0.2], 0.5, method="magic")
    with pytest.raises(qdl.QdlError, match="only float arguments"):
        qdl.compile("circuit h(n: int) -> float {\n qubit q;\n return expval(Z[0]);\n}\n").h.grad(1, wrt="n")


def run(qdlc, *argv: str) -> tuple[int, str, str]:
    """The shared in-process `qdlc` fixture (tests/conftest.py), as a tuple."""
    outcome = qdlc(*argv)
    return outcome.code, outcome.out, outcome.err


@pytest.fixture
def source_file(tmp_path):
    path = tmp_path / "ad.qdl"
    path.write_text(SOURCE)
    return str(path)


def test_qdlc_grad_text_json_and_stats(qdlc, source_file):
    args = ("--circuit", "f", "--arg", "t=0.3", "--arg", "w=[0.1, 0.2]", "--arg", "x=0.5")
    code, out, err = run(qdlc, "grad", source_file, *args, "--stats")
    assert code == 0 and "d/d t: -1.77353968876" in out
    assert "5 circuit evaluations (1 unshifted + 4 shifted), 2 angle slot(s), 1 pruned" in err
    code, out, _ = run(qdlc, "grad", source_file, *args, "--format", "json", "--method", "finite-diff")
    payload = json.loads(out)
    assert payload["method"] == "finite-diff" and len(payload["results"][0]["gradient"]["w"]) == 2


def test_qdlc_compile_emit_grad(qdlc, source_file):
    code, out, _ = run(qdlc, "compile", source_file, "--emit", "grad")
    assert code == 0
    assert "gradient program `f` wrt (t, w)" in out and "gradient program `g` wrt (t)" in out
    assert "4-term" in out  # the controlled rotation of g


def test_qdlc_grad_rejects_what_cannot_be_differentiated(qdlc, tmp_path):
    path = tmp_path / "s.qdl"
    path.write_text("circuit s(param t: float) -> int[1] {\n qubit q;\n rx(t) q;\n return sample(q);\n}\n")
    code, _, err = run(qdlc, "grad", str(path), "--arg", "t=0.1")
    assert code == 1 and "not differentiable" in err and "Traceback" not in err


def test_the_documented_text_form_is_what_the_printer_prints(program):
    from pathlib import Path

    from qdl.compiler.autodiff import format_gradient_program

    doc = (Path(__file__).resolve().parents[3] / "docs" / "autodiff.md").read_text(encoding="utf-8")
    block = doc.split("```text\n", 1)[1].split("```", 1)[0]
    assert format_gradient_program(program.f.gradient_program()) == block


def test_grad_from_shots_in_python_and_on_the_command_line(qdlc, program, source_file):
    exact = program.f.grad(0.3, [0.1, 0.2], 0.5, wrt="t")
    estimate = program.f.grad(0.3, [0.1, 0.2], 0.5, wrt="t", shots=50_000, seed=2)
    assert abs(estimate - exact) < 0.05
    code, out, _ = run(qdlc, "grad", source_file, "--circuit", "f", "--arg", "t=0.3", "--arg", "w=[0.1, 0.2]",
                       "--arg", "x=0.5", "--shots", "1000", "--seed", "1")
    assert code == 0 and "(standard error" in out


def test_nothing_to_differentiate_is_a_clear_error():
    function = qdl.compile("circuit n(x: float) -> float {\n qubit q;\n rx(x) q;\n return expval(Z[0]);\n}\n").n
    for method in (function.grad, function.hessian):
        with pytest.raises(qdl.ArgumentError, match="no `param` arguments"):
            method(0.1)
    assert np.isclose(function.hessian(0.1, wrt="x"), -np.cos(0.1))


def test_qdlc_grad_unknown_wrt_is_a_usage_error(qdlc, source_file):
    code, _, err = run(qdlc, "grad", source_file, "--circuit", "f", "--wrt", "nope", "--arg", "t=0.3",
                       "--arg", "w=[0.1, 0.2]", "--arg", "x=0.5")
    assert code == 2 and "--wrt nope" in err
