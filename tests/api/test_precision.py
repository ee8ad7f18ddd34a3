"""`precision=` in the API and `--precision` on the CLI: complex64 states on the llvm back end."""

from __future__ import annotations

import json

import numpy as np
import pytest

import qdl

SOURCE = """
circuit f(param t: float[4]) -> float {
    qubit q[4];
    for i in 0..4 { ry(t[i]) q[i]; rz(0.5 * t[i]) q[i]; }
    for i in 0..3 { cx q[i], q[i + 1]; }
    crx(t[0]) q[3], q[0];
    return expval(Z[0] * Z[3] + 0.5 * X[1]);
}
circuit s(t: float) -> complex[4] { qubit q[2]; ry(t) q[0]; cx q[0], q[1]; return state(); }
"""
X = np.array([0.3, -1.1, 0.7, 2.0])


pytestmark = pytest.mark.usefixtures("private_kernel_cache")


def test_single_precision_values_and_states() -> None:
    single, double = qdl.compile(SOURCE, precision="single"), qdl.compile(SOURCE)
    assert single.f.precision == "single" and double.f.precision == "double"
    value = single.f(X)
    assert isinstance(value, float) and abs(value - double.f(X)) < 1e-6
    batch = single.f(np.stack([X, -X]))
    np.testing.assert_allclose(batch, double.f(np.stack([X, -X])), atol=1e-6)
    state = single.s(0.7)
    assert state.dtype == np.complex64
    np.testing.assert_allclose(state, [np.cos(0.35), 0, 0, np.sin(0.35)], atol=1e-7)
    assert single.f.state(X).dtype == np.complex64 and double.f.state(X).dtype == np.complex128


def test_gradients_run_in_single_precision() -> None:
    """Parameter shift and the compiled adjoint (also the fast path of a plain call) in complex64: to 1e-5."""
    single, double = qdl.compile(SOURCE, precision="single"), qdl.compile(SOURCE)
    exact = double.f.grad(X, method="adjoint")
    for method in ("parameter-shift", "adjoint", "best"):
        grad = single.f.grad(X, method=method)
        np.testing.assert_allclose(grad, exact, atol=1e-5)
        assert not np.array_equal(grad, double.f.grad(X, method=method))  # it did run in single
    value, grad = single.f.value_and_grad(X)
    assert abs(value - double.f(X)) < 1e-6 and value != double.f(X)
    np.testing.assert_allclose(grad, exact, atol=1e-5)
    np.testing.assert_allclose(single.f.grad(np.stack([X, -X])), double.f.grad(np.stack([X, -X])), atol=1e-5)


def test_the_adjoint_memory_check_counts_the_precision_of_its_states(monkeypatch) -> None:
    from qdl.runtime.llvm import adjoint
    asked: dict[str, int] = {}
    for precision in ("double", "single"):
        monkeypatch.setattr(adjoint, "check_memory", lambda needed, p=precision: asked.setdefault(p, needed))
        qdl.compile(SOURCE, precision=precision).f.grad(np.stack([X, -X, 2 * X]), method="adjoint")
    states = 3 * 2**4  # amplitudes of the batch's forward states
    assert asked["double"] - asked["single"] >= states * (16 - 8)  # the sweep's scratch shrinks too


@pytest.mark.parametrize("bad", ["half", "float32", None, 32])
def test_an_unknown_precision_is_an_argument_error(bad: object) -> None:
    with pytest.raises(qdl.ArgumentError, match="unknown precision .*; choose one of double, single"):
        qdl.compile(SOURCE, precision=bad)


def test_single_precision_needs_the_llvm_backend() -> None:
    with pytest.raises(qdl.ArgumentError, match="needs backend=\"llvm\""):
        qdl.compile(SOURCE, backend="reference", precision="single")
    assert qdl.compile(SOURCE, backend="reference", precision="double").f(X) == pytest.approx(qdl.compile(SOURCE).f(X))


def test_the_memory_limit_counts_eight_bytes_an_amplitude() -> None:
    wide = "circuit w() -> float { qubit q[31]; h q[0]; return expval(Z[0]); }"
    with pytest.raises(qdl.CompileError, match=r"31 qubits need 32 GiB"):
        qdl.compile(wide, max_memory=24 << 30)
    prog = qdl.compile(wide, max_memory=24 << 30, precision="single")  # 16 GiB: fits, and nothing is allocated yet
    assert prog.circuits == ("w",)
    with pytest.raises(qdl.CompileError, match=r"33 qubits need 64 GiB"):
        qdl.compile(wide.replace("31", "33"), max_memory=24 << 30, precision="single")


def test_cli_precision_option(qdlc) -> None:
    single = qdlc("run", "examples/vqe_h2.qdl", "--arg", "theta=0.2", "--precision", "single", "--format", "json")
    double = qdlc("run", "examples/vqe_h2.qdl", "--arg", "theta=0.2", "--format", "json")
    assert single.code == double.code == 0, single.err
    values = [json.loads(outcome.out)["results"][0]["value"] for outcome in (single, double)]
    assert values[0] != values[1] and abs(values[0] - values[1]) < 1e-6
    grad = qdlc("grad", "examples/vqe_h2.qdl", "--arg", "theta=0.1", "--precision", "single",
                "--method", "parameter-shift")
    assert grad.code == 0 and "d/d theta" in grad.out


def test_cli_bad_precision_is_a_usage_error(qdlc) -> None:
    bad = qdlc("run", "examples/vqe_h2.qdl", "--arg", "theta=0.2", "--precision", "half")
    assert bad.code == 2 and "Invalid value for '--precision'" in bad.err and "Traceback" not in bad.err
    reference = qdlc("grad", "examples/vqe_h2.qdl", "--arg", "theta=0.2", "--precision", "single",
                     "--backend", "reference")
    assert reference.code == 2 and "--precision single needs --backend llvm" in reference.err


def test_cli_state_in_single_precision(qdlc) -> None:
    out = qdlc("run", "examples/ghz.qdl", "--state", "--precision", "single")
    assert out.code == 0 and "0.70710677" in out.out  # float32's rounding of 1/sqrt(2)
