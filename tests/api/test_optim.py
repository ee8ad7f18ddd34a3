"""NumPy optimizers on functions with known minima, parameter structures, and minimize's stopping rules."""

from __future__ import annotations

import numpy as np
import pytest

import qdl
from qdl.errors import ArgumentError
from qdl.optim import Adam, GradientDescent, Momentum, minimize

A = np.array([1.0, 3.0, 0.5])
C = np.array([0.3, -1.2, 2.0])


def quadratic(x):
    """f = Σ a (x - c)², minimum 0 at c."""
    return float(np.sum(A * (x - C) ** 2)), 2 * A * (x - C)


def rosenbrock(p):
    x, y = p
    value = (1 - x) ** 2 + 100 * (y - x * x) ** 2
    return value, np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


@pytest.mark.parametrize("optimizer", [GradientDescent(0.1), Momentum(0.05), Momentum(0.05, nesterov=True),
                                       Adam(0.1)])
def test_every_optimizer_finds_the_minimum_of_a_quadratic(optimizer) -> None:
    result = minimize(quadratic, np.zeros(3), optimizer, steps=600)
    np.testing.assert_allclose(result.params, C, atol=1e-4)
    assert result.value < 1e-8


def test_adam_on_rosenbrock() -> None:
    result = minimize(rosenbrock, np.array([-1.0, 1.0]), Adam(0.02), steps=5000)
    np.testing.assert_allclose(result.params, [1.0, 1.0], atol=2e-2)


def test_momentum_beats_plain_descent_on_an_ill_conditioned_bowl() -> None:
    plain = minimize(quadratic, np.zeros(3), GradientDescent(0.02), steps=100).value
    heavy = minimize(quadratic, np.zeros(3), Momentum(0.02, 0.9), steps=100).value
    assert heavy < plain


def test_adams_first_step_is_lr_times_the_gradients_sign() -> None:
    new = Adam(0.1).step(np.zeros(3), np.array([5.0, -0.001, 2.0]))
    np.testing.assert_allclose(new, [-0.1, 0.1, -0.1], rtol=1e-4)


def test_structures_are_kept_and_never_modified_in_place() -> None:
    params = {"w": np.ones((2, 2)), "b": (np.zeros(3), 0.5)}
    grads = {"w": np.full((2, 2), 2.0), "b": (np.ones(3), -1.0)}
    new = GradientDescent(0.5).step(params, grads)
    assert set(new) == {"w", "b"} and isinstance(new["b"], tuple) and isinstance(new["b"][1], float)
    np.testing.assert_allclose(new["w"], 0.0)
    np.testing.assert_allclose(new["b"][0], -0.5)
    assert new["b"][1] == 1.0
    np.testing.assert_allclose(params["w"], 1.0)  # untouched


def test_mismatched_gradients_are_named() -> None:
    with pytest.raises(ArgumentError, match=r"structure and shapes.*\(3,\).*\(2,\)"):
        Adam().step(np.zeros(3), np.zeros(2))


@pytest.mark.parametrize("make", [lambda: Adam(0), lambda: GradientDescent(-1.0), lambda: Momentum(0.1, 1.0),
                                  lambda: Adam(0.1, beta1=1.0), lambda: GradientDescent(float("nan"))])
def test_bad_hyperparameters_are_refused(make) -> None:
    with pytest.raises(ArgumentError):
        make()


def test_reset_forgets_the_moments() -> None:
    opt = Adam(0.1)
    first = opt.step(np.zeros(2), np.array([1.0, -1.0]))
    opt.step(first, np.array([1.0, -1.0]))
    opt.reset()
    np.testing.assert_allclose(opt.step(np.zeros(2), np.array([1.0, -1.0])), first)


def test_minimize_stops_on_tol_and_on_callback_and_keeps_the_best() -> None:
    result = minimize(quadratic, np.zeros(3), Adam(0.1), steps=5000, tol=1e-12)
    assert result.converged and result.steps < 5000 and len(result.history) == result.steps + 1
    seen = []
    stopped = minimize(quadratic, np.zeros(3), Adam(0.1), steps=100,
                       callback=lambda step, value, params: seen.append(step) or step == 3)
    assert seen == [0, 1, 2, 3] and stopped.steps == 3
    overshoot = minimize(quadratic, np.array([0.29, -1.2, 2.0]), GradientDescent(2.0), steps=3)
    assert overshoot.value == min(overshoot.history)  # divergent steps: the best point is returned


def test_minimize_needs_a_scalar() -> None:
    with pytest.raises(ArgumentError, match="scalar value"):
        minimize(lambda x: (x, np.ones_like(x)), np.zeros(3))


def test_a_circuit_reaches_its_known_minimum() -> None:
    prog = qdl.compile("circuit e(param t: float[2]) -> float { qubit q[2]; ry(t[0]) q[0]; rx(t[1]) q[1];"
                       " cx q[0], q[1]; return expval(Z[0] + 0.5 * Z[1]); }")
    result = minimize(prog.e.value_and_grad, np.array([0.1, 0.2]), Adam(0.1), steps=300)
    assert result.value == pytest.approx(-1.5, abs=1e-6)  # t = (pi, 0): |11>, <Z0> = <Z1> = -1
