"""The PyTorch bridge: gradients equal qdl's own and finite differences; shapes, dtypes, layers, compile.

Skipped, saying why, without PyTorch; CI sets QDL_REQUIRE_EXTRAS=1 so that they fail there instead.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import qdl
from qdl.errors import ArgumentError, QdlError

if os.environ.get("QDL_REQUIRE_EXTRAS") != "1":
    pytest.importorskip("torch", reason="PyTorch is not installed (pip install 'qdl[torch]')")
import torch  # noqa: E402

import qdl.torch as qt  # noqa: E402

SOURCE = """
circuit two(x: float, param t: float[2]) -> (float, float[4]) {
    qubit q[2];
    rx(x) q[0]; ry(t[0]) q[0]; cx q[0], q[1]; ry(t[1]) q[1]; rz(x * t[1]) q[1]; rx(t[0]) q[1];
    return (expval(Z[0] Z[1] + 0.5 * X[1]), probs(q));
}
circuit s(param t: float[2]) -> complex[4] { qubit q[2]; ry(t[0]) q[0]; cx q[0], q[1]; rz(t[1]) q[1]; return state(); }
circuit fixed(x: float[2]) -> float { qubit q[2]; ry(x[0]) q[0]; ry(x[1]) q[1]; return expval(Z[0] Z[1]); }
circuit forward(param forward: float) -> float { qubit q[1]; ry(forward) q[0]; return expval(Z[0]); }
"""


@pytest.fixture(scope="module")
def prog():
    return qdl.compile(SOURCE)


@pytest.fixture(scope="module")
def classifier():
    return qdl.load("examples/classifier.qdl") if os.path.exists("examples/classifier.qdl") else \
        qdl.load(os.path.join(os.path.dirname(__file__), "..", "..", "examples", "classifier.qdl"))


def f64(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.from_numpy(np.random.default_rng(seed).uniform(-2, 2, shape)).requires_grad_()


def test_gradcheck_through_both_results_and_both_arguments(prog) -> None:
    x, t = f64(seed=1), f64(2, seed=2)
    fn = (lambda x, t: qt.apply(prog.two, x, t))
    assert torch.autograd.gradcheck(fn, (x, t), eps=1e-6, atol=1e-7)
    xs = f64(3, seed=3)  # a batch of x, one shared t
    assert torch.autograd.gradcheck(fn, (xs, t), eps=1e-6, atol=1e-7)


@pytest.mark.parametrize("method", ["adjoint", "parameter-shift"])
def test_gradients_equal_qdls_own(classifier, method: str) -> None:
    x, w = f64(5, 4, seed=4), f64(2, 4, 3, seed=5)
    y = qt.apply(classifier.classify, x, w, method=method)
    weights = torch.from_numpy(np.linspace(-1, 1, 5))
    (y * weights).sum().backward()
    jx, jw = classifier.classify.jacobian(x.detach().numpy(), w.detach().numpy(), wrt=["x", "w"], method=method)
    np.testing.assert_allclose(y.detach().numpy(), classifier.classify(x.detach().numpy(), w.detach().numpy()),
                               atol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), np.einsum("b,bijk->ijk", weights.numpy(), jw), atol=1e-10)
    np.testing.assert_allclose(x.grad.numpy(), weights.numpy()[:, None] * jx, atol=1e-10)


def test_only_the_tensors_that_require_grad_are_differentiated(prog, monkeypatch) -> None:
    seen = []
    original = qdl.CircuitFunction.value_and_jacobian

    def spy(self, *args, wrt=None, **kwargs):
        seen.append(wrt)
        return original(self, *args, wrt=wrt, **kwargs)

    monkeypatch.setattr(qdl.CircuitFunction, "value_and_jacobian", spy)
    t = f64(2, seed=6)
    value, _ = qt.apply(prog.two, 0.3, t)
    value.backward()
    assert seen == ["t"] and t.grad.shape == (2,)
    with torch.no_grad():
        qt.apply(prog.two, 0.3, t)
    assert seen == ["t"]  # no Jacobian when autograd will not ask for one


def test_several_batch_axes_are_flattened_and_restored(classifier) -> None:
    x, w = f64(2, 3, 4, seed=7), f64(2, 4, 3, seed=8)
    y = qt.apply(classifier.classify, x, w)
    assert y.shape == (2, 3)
    flat = classifier.classify(x.detach().numpy().reshape(6, 4), w.detach().numpy())
    np.testing.assert_allclose(y.detach().numpy().ravel(), flat, atol=1e-12)
    y.sum().backward()
    assert x.grad.shape == (2, 3, 4) and w.grad.shape == (2, 4, 3)


def test_batch_of_one_and_unbatched_calls(classifier) -> None:
    w = f64(2, 4, 3, seed=9)
    one = qt.apply(classifier.classify, f64(1, 4, seed=10), w)
    alone = qt.apply(classifier.classify, f64(4, seed=10), w)
    assert one.shape == (1,) and alone.shape == ()
    np.testing.assert_allclose(one.detach().numpy()[0], alone.item(), atol=1e-12)


def test_an_empty_batch_is_a_clear_error(classifier) -> None:
    with pytest.raises(ArgumentError, match="empty batch"):
        qt.apply(classifier.classify, torch.zeros(0, 4), f64(2, 4, 3))


def test_mismatched_batch_shapes_are_named(prog) -> None:
    with pytest.raises(ArgumentError, match="batch shapes differ"):
        qt.apply(prog.two, torch.zeros(2, 3), torch.zeros(3, 2))


def test_float32_in_float32_out(classifier) -> None:
    x = torch.rand(3, 4, requires_grad=True)
    w = torch.rand(2, 4, 3, requires_grad=True)
    y = qt.apply(classifier.classify, x, w)
    assert y.dtype == torch.float32
    y.sum().backward()
    assert x.grad.dtype == torch.float32 and w.grad.dtype == torch.float32
    y64 = qt.apply(classifier.classify, x.double(), w.double())
    np.testing.assert_allclose(y.detach().numpy(), y64.detach().numpy(), atol=1e-6)


def test_non_cpu_tensors_are_refused_with_the_fix(prog) -> None:
    with pytest.raises(ArgumentError, match=r"on meta.*tensor\.cpu\(\)"):
        qt.apply(prog.two, torch.empty((), device="meta"), torch.zeros(2))


def test_state_results_run_but_do_not_differentiate(prog) -> None:
    state = qt.apply(prog.s, torch.tensor([0.3, 0.4], dtype=torch.float64))
    assert state.dtype == torch.complex128 and state.shape == (4,)
    np.testing.assert_allclose(state.numpy(), prog.s(np.array([0.3, 0.4])), atol=1e-12)
    with pytest.raises(QdlError, match="not differentiable"):
        qt.apply(prog.s, torch.tensor([0.3, 0.4], requires_grad=True))


# --- the layer ------------------------------------------------------------------------


def test_layer_parameters_have_the_declared_shapes(classifier) -> None:
    torch.manual_seed(0)
    layer = qt.QuantumLayer(classifier.classify)
    assert [(n, tuple(p.shape)) for n, p in layer.named_parameters()] == [("w", (2, 4, 3))]
    assert layer.w.dtype == torch.get_default_dtype()
    assert 0 <= layer.w.min() and layer.w.max() < 2 * np.pi
    assert list(layer.state_dict()) == ["w"]
    assert "classify(x: float[4], param w: float[2, 4, 3])" in repr(layer)


def test_layer_initial_values(classifier) -> None:
    w = np.full((2, 4, 3), 0.25)
    assert torch.all(qt.QuantumLayer(classifier.classify, init={"w": w}).w == 0.25)
    layer = qt.QuantumLayer(classifier.classify, init=lambda a: np.zeros(a.shape), dtype=torch.float64)
    assert layer.w.dtype == torch.float64 and not layer.w.any()
    with pytest.raises(ArgumentError, match=r"shape \(3,\), expected \(2, 4, 3\)"):
        qt.QuantumLayer(classifier.classify, init={"w": np.zeros(3)})
    with pytest.raises(ArgumentError, match="no value for the `param` argument `w`"):
        qt.QuantumLayer(classifier.classify, init={})


def test_layers_need_params_and_names_that_do_not_clash(prog) -> None:
    with pytest.raises(ArgumentError, match="no `param` arguments"):
        qt.QuantumLayer(prog.fixed)
    with pytest.raises(ArgumentError, match="clashes with an attribute"):
        qt.QuantumLayer(prog.forward)


def test_layer_trains_with_torch_optimisers(classifier) -> None:
    torch.manual_seed(1)
    layer = qt.QuantumLayer(classifier.classify, dtype=torch.float64)
    x = torch.from_numpy(np.random.default_rng(2).uniform(0, np.pi, (8, 4)))
    target = torch.from_numpy(np.where(x[:, 0].numpy() > np.pi / 2, 1.0, -1.0))
    opt = torch.optim.Adam(layer.parameters(), lr=0.1)
    losses = []
    for _ in range(15):
        opt.zero_grad()
        loss = ((layer(x) - target) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_layer_inputs_by_position_and_name(prog) -> None:
    layer = qt.QuantumLayer(prog.two, init={"t": np.array([0.1, 0.2])}, dtype=torch.float64)
    a, _ = layer(torch.tensor(0.4, dtype=torch.float64))
    b, _ = layer(x=torch.tensor(0.4, dtype=torch.float64))
    assert a.item() == b.item()
    with pytest.raises(ArgumentError, match="takes 1 input"):
        layer(1.0, 2.0)


# --- torch.compile and the import guard --------------------------------------------------


@pytest.mark.parametrize("backend", ["eager", "aot_eager"])
def test_torch_compile_gives_the_eager_answer(prog, backend: str) -> None:
    def loss(x, t):
        e, p = qt.apply(prog.two, x, t)
        return e + (p ** 2).sum()

    x = torch.tensor(0.2, dtype=torch.float64)
    t1, t2 = f64(2, seed=11), f64(2, seed=11)
    want = loss(x, t1)
    want.backward()
    got = torch.compile(loss, backend=backend)(x, t2)
    got.backward()
    assert got.item() == pytest.approx(want.item(), abs=1e-12)
    np.testing.assert_allclose(t2.grad.numpy(), t1.grad.numpy(), atol=1e-12)


def test_importing_without_torch_names_the_extra() -> None:
    code = "import sys; sys.modules['torch'] = None\ntry:\n import qdl.torch\nexcept ImportError as e: print(e)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "qdl.torch needs PyTorch; install it with: pip install 'qdl[torch]'"
