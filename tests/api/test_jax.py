"""The JAX bridge under grad, jit and vmap: values and gradients equal qdl's own and finite differences.

Skipped, saying why, without JAX; CI sets QDL_REQUIRE_EXTRAS=1 so that they fail there instead.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import qdl
from qdl.errors import ArgumentError

if os.environ.get("QDL_REQUIRE_EXTRAS") != "1":
    pytest.importorskip("jax", reason="JAX is not installed (pip install 'qdl[jax]')")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

import qdl.jax as qj  # noqa: E402

SOURCE = """
circuit two(x: float, param t: float[2]) -> (float, float[4]) {
    qubit q[2];
    rx(x) q[0]; ry(t[0]) q[0]; cx q[0], q[1]; ry(t[1]) q[1]; rz(x * t[1]) q[1]; rx(t[0]) q[1];
    return (expval(Z[0] Z[1] + 0.5 * X[1]), probs(q));
}
circuit energy(param theta: float) -> float { qubit q[2]; ry(theta) q[0]; cx q[0], q[1]; return expval(Z[0] + X[1]); }
circuit layered(n: int, param t: float) -> float { qubit q[1]; for k in 0..3 { ry(t) q[0]; } rz(n * t) q[0]; return expval(Z[0]); }
circuit s(param t: float[2]) -> complex[4] { qubit q[2]; ry(t[0]) q[0]; cx q[0], q[1]; rz(t[1]) q[1]; return state(); }
circuit shots(param t: float) -> int[2] { qubit q[2]; ry(t) q[0]; return sample(q); }
"""


@pytest.fixture(scope="module", autouse=True)
def x64():
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", False)


@pytest.fixture(scope="module")
def prog():
    return qdl.compile(SOURCE)


def loss_of(prog):
    two = qj.function(prog.two)

    def loss(x, t):
        e, p = two(x, t)
        return e + jnp.sum(p**2 * jnp.arange(1.0, 5.0))

    return loss


def numpy_loss(prog, x, t):
    e, p = prog.two(x, t)
    return e + np.sum(p**2 * np.arange(1.0, 5.0))


def test_values_and_gradients_against_qdl_and_finite_differences(prog) -> None:
    loss = loss_of(prog)
    x, t = 0.37, np.array([0.3, -1.1])
    assert float(loss(x, t)) == pytest.approx(numpy_loss(prog, x, t), abs=1e-12)
    gx, gt = jax.grad(loss, argnums=(0, 1))(x, t)
    eps = 1e-6
    fd_t = [(numpy_loss(prog, x, t + eps * e) - numpy_loss(prog, x, t - eps * e)) / (2 * eps) for e in np.eye(2)]
    fd_x = (numpy_loss(prog, x + eps, t) - numpy_loss(prog, x - eps, t)) / (2 * eps)
    np.testing.assert_allclose(gt, fd_t, atol=1e-8)
    assert float(gx) == pytest.approx(fd_x, abs=1e-8)


def test_the_gradient_equals_qdls_own(prog) -> None:
    energy = qj.function(prog.energy)
    for theta in (-0.4, 0.2, 1.3):
        assert float(jax.grad(energy)(theta)) == pytest.approx(prog.energy.grad(theta), abs=1e-10)


@pytest.mark.parametrize("method", ["adjoint", "parameter-shift"])
def test_jit_gives_the_eager_answer(prog, method: str) -> None:
    energy = qj.function(prog.energy, method=method)
    eager = jax.value_and_grad(energy)(0.7)
    jitted = jax.jit(jax.value_and_grad(energy))(0.7)
    np.testing.assert_allclose(jitted, eager, atol=1e-12)


def test_vmap_is_one_batched_call_with_the_rows_of_separate_calls(prog, monkeypatch) -> None:
    loss = loss_of(prog)
    xs, t = np.array([0.1, 0.2, 0.3]), np.array([0.3, -1.1])
    calls = []
    original = qdl.CircuitFunction.__call__
    monkeypatch.setattr(qdl.CircuitFunction, "__call__", lambda self, *a, **k: calls.append(a) or original(self, *a, **k))
    batched = jax.vmap(loss, in_axes=(0, None))(xs, t)
    assert len(calls) == 1 and np.shape(calls[0][0]) == (3,)
    np.testing.assert_allclose(batched, [numpy_loss(prog, x, t) for x in xs], atol=1e-12)
    grads = jax.vmap(jax.grad(loss, argnums=1), in_axes=(0, None))(xs, t)
    np.testing.assert_allclose(grads, [jax.grad(loss, argnums=1)(x, t) for x in xs], atol=1e-12)


def test_nested_vmap_flattens_and_restores_the_batch_axes(prog) -> None:
    energy = qj.function(prog.energy)
    thetas = np.linspace(-1, 1, 6).reshape(2, 3)
    got = jax.vmap(jax.vmap(energy))(thetas)
    assert got.shape == (2, 3)
    np.testing.assert_allclose(got, prog.energy(thetas.ravel()).reshape(2, 3), atol=1e-12)


def test_integer_arguments_pass_through_without_cotangent(prog) -> None:
    layered = qj.function(prog.layered)
    assert float(jax.grad(layered, argnums=1)(2, 0.3)) == pytest.approx(prog.layered.grad(2, 0.3), abs=1e-10)


def test_state_results_have_jaxs_complex_dtype(prog) -> None:
    state = qj.function(prog.s)(jnp.array([0.3, 0.4]))
    assert state.dtype == jnp.complex128
    np.testing.assert_allclose(state, prog.s(np.array([0.3, 0.4])), atol=1e-12)


def test_float32_mode_returns_float32() -> None:
    code = ("import jax, numpy as np, qdl, qdl.jax as qj\n"
            "p = qdl.compile('circuit e(param t: float) -> float { qubit q[1]; ry(t) q[0]; return expval(Z[0]); }')\n"
            "v, g = jax.value_and_grad(qj.function(p.e))(0.5)\n"
            "print(v.dtype, g.dtype, abs(float(v) - np.cos(0.5)) < 1e-6, abs(float(g) + np.sin(0.5)) < 1e-6)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["float32", "float32", "True", "True"]


def test_unsupported_results_and_wrong_arity_are_clear(prog) -> None:
    with pytest.raises(ArgumentError, match="returns `sample`"):
        qj.function(prog.shots)
    with pytest.raises(ArgumentError, match=r"takes 2 argument\(s\)"):
        qj.function(prog.two)(0.1)


def test_importing_without_jax_names_the_extra() -> None:
    code = "import sys; sys.modules['jax'] = None\ntry:\n import qdl.jax\nexcept ImportError as e: print(e)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "qdl.jax needs JAX; install it with: pip install 'qdl[jax]'"
