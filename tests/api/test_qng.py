"""Quantum natural gradient: the QNG optimizer's update, parameter structures, and convergence on a VQE."""

from __future__ import annotations

import numpy as np
import pytest

import qdl
from qdl.errors import ArgumentError
from qdl.optim import QNG, Adam, GradientDescent, minimize

VQE = """
observable H = 0.5 * Z[0] + 0.8 * Z[1] + 0.3 * X[0] X[1] + 0.2 * Y[0] Y[1];

circuit energy(param a: float[2], param b: float[2]) -> float {
    qubit q[2];
    ry(a[0]) q[0];
    ry(a[1]) q[1];
    cx q[0], q[1];
    ry(b[0]) q[0];
    ry(b[1]) q[1];
    return expval(H);
}
"""
START = (np.array([0.1, 0.2]), np.array([0.3, 0.1]))


@pytest.fixture(scope="module")
def energy():
    return qdl.compile(VQE).energy


def ground_energy() -> float:
    x, y, z = np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.diag([1.0, -1.0])
    h = 0.5 * np.kron(z, np.eye(2)) + 0.8 * np.kron(np.eye(2), z) + 0.3 * np.kron(x, x) + 0.2 * np.kron(y, y)
    return float(np.linalg.eigvalsh(h)[0])


SCALED = VQE.replace("ry(a[0])", "ry(4 * a[0])").replace("ry(b[1])", "ry(b[1] / 4)")
SCALED_START = (START[0] / [4, 1], START[1] * [1, 4])  # the same angles, hence the same state


def steps_to_ground(energy, optimizer, start=START, steps=400) -> int:
    """Steps until the energy is within 1e-5 of the ground state's; `steps` + 1 when it never gets there."""
    target = ground_energy() + 1e-5
    result = minimize(lambda p: energy.value_and_grad(*p), start, optimizer, steps=steps,
                      callback=lambda step, value, params: value < target)
    return result.steps if result.value < target else steps + 1


def test_qng_converges_in_fewer_steps_than_gradient_descent_and_adam_at_the_same_rate(energy):
    qng = steps_to_ground(energy, QNG(0.1, metric=energy))
    plain = steps_to_ground(energy, GradientDescent(0.1))
    adam = steps_to_ground(energy, Adam(0.1))
    assert qng < 40 and 2 * qng < plain and 2 * qng < adam  # measured: 27, 116, 97


def test_qng_does_not_care_how_the_angles_are_parametrised(energy):
    """ry(4 a) and ry(b / 4): the chain rule makes QNG's path in state space the same; descent slows down."""
    scaled = qdl.compile(SCALED).energy
    qng = steps_to_ground(energy, QNG(0.1, metric=energy))
    assert steps_to_ground(scaled, QNG(0.1, metric=scaled), SCALED_START) == qng
    best_plain = min(steps_to_ground(scaled, GradientDescent(lr), SCALED_START) for lr in (0.05, 0.1, 0.2))
    assert best_plain > 5 * qng  # measured: 224 (lr 0.05) against 27


def test_one_step_solves_the_regularised_metric_and_keeps_the_structure(energy):
    values, grads = energy.value_and_grad(*START)
    metric = energy.metric_tensor(*START)
    assert metric.shape == (4, 4)
    new = QNG(0.2, metric=energy, lam=0.01).step(START, grads)
    assert isinstance(new, tuple) and [np.shape(p) for p in new] == [(2,), (2,)]
    flat = np.concatenate(START) - 0.2 * np.linalg.solve(metric + 0.01 * np.eye(4), np.concatenate(grads))
    np.testing.assert_allclose(np.concatenate(new), flat, atol=1e-12)
    explicit = QNG(0.2, lam=0.01).step(START, grads, metric=metric)
    np.testing.assert_allclose(np.concatenate(explicit), flat, atol=1e-12)


def test_a_metric_callable_and_a_scalar_parameter():
    f = qdl.load("examples/vqe_h2.qdl").energy
    seen = []

    def metric(theta):
        seen.append(theta)
        return f.metric_tensor(theta)

    new = QNG(0.5, metric=metric).step(0.0, f.grad(0.0))
    assert isinstance(new, float) and seen == [0.0]
    assert new == pytest.approx(-0.5 * f.grad(0.0) / (0.25 + 1e-3))  # double excitation on HF: g = 1/4


def test_diag_approximation_is_passed_to_the_circuit(energy):
    values, grads = energy.value_and_grad(*START)
    block = QNG(0.1, metric=energy).step(START, grads)
    diag = QNG(0.1, metric=energy, approx="diag").step(START, grads)
    metric = energy.metric_tensor(*START, approx="diag")
    assert np.count_nonzero(metric - np.diag(np.diag(metric))) == 0
    want = np.concatenate(START) - 0.1 * np.concatenate(grads) / (np.diag(metric) + 1e-3)
    np.testing.assert_allclose(np.concatenate(diag), want, atol=1e-12)
    assert not np.allclose(np.concatenate(block), want)


def test_errors(energy):
    with pytest.raises(ArgumentError, match="QNG needs the metric tensor"):
        QNG(0.1).step(START, START)
    with pytest.raises(ArgumentError, match=r"expected \(4, 4\)"):
        QNG(0.1).step(START, START, metric=np.eye(3))
    with pytest.raises(ArgumentError, match="lam must be"):
        QNG(0.1, lam=-1.0)
    with pytest.raises(ArgumentError, match="metric must be"):
        QNG(0.1, metric=3)
    with pytest.raises(qdl.errors.QdlError, match="unknown metric approximation"):
        energy.metric_tensor(*START, approx="full")


def test_qdlc_compile_emit_metric(qdlc, tmp_path):
    path = tmp_path / "vqe.qdl"
    path.write_text(VQE)
    outcome = qdlc("compile", str(path), "--emit", "metric")
    assert outcome.code == 0
    assert outcome.out.startswith("metric program `energy` wrt (a, b) block-diag\n  evaluations: 2 circuits, 10 ")
    assert "block b1: after 3 ops\n  s0: op 3 `ry` angle = b[0]; G = 0.5 * Y0\n" in outcome.out


def test_a_circuit_without_param_arguments_names_wrt():
    f = qdl.compile("circuit f(x: float) -> float {\n qubit q;\n rx(x) q;\n return expval(Z[0]);\n}\n").f
    with pytest.raises(ArgumentError, match="no `param` arguments; pass wrt="):
        f.metric_tensor(0.3)
    assert f.metric_tensor(0.3, wrt="x") == pytest.approx(0.25)
