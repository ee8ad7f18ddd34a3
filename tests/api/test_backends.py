"""The LLVM back end through the API and CLI: the same results as the reference simulator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import qdl

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples").glob("*.qdl"))


def _args(function, rng: np.random.Generator) -> dict:
    return {a.name: rng.uniform(-1, 1, (3,) + a.shape) for a in function.circuit.arguments}


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_examples_agree_with_the_reference(path: Path) -> None:
    fast, oracle = qdl.load(path, backend="llvm"), qdl.load(path)
    for name in oracle:
        args = _args(oracle[name], np.random.default_rng(3))
        got, want = fast[name](shots=8, seed=1, **args), oracle[name](shots=8, seed=1, **args)
        for g, w in zip(got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,)):
            np.testing.assert_allclose(g, w, atol=1e-12)


def test_state_on_the_llvm_backend() -> None:
    prog = qdl.compile("circuit s(t: float) -> complex[4] { qubit q[2]; ry(t) q[0]; cx q[0], q[1]; "
                       "return state(); }", "s.qdl", backend="llvm")
    c, s = np.cos(0.35), np.sin(0.35)
    np.testing.assert_allclose(prog.s(0.7), [c, 0, 0, s], atol=1e-12)


def test_unknown_backend_is_an_argument_error() -> None:
    with pytest.raises(qdl.ArgumentError, match="unknown backend 'gpu'"):
        qdl.load(EXAMPLES[0], backend="gpu")


def test_cli_backend_option(qdlc) -> None:
    fast = qdlc("run", "examples/vqe_h2.qdl", "--arg", "theta=0.2", "--backend", "llvm")
    slow = qdlc("run", "examples/vqe_h2.qdl", "--arg", "theta=0.2")
    assert fast.code == 0 and float(fast.out.split(": ")[1]) == pytest.approx(float(slow.out.split(": ")[1]), abs=1e-12)


FAST_SOURCE = """
observable H = 0.5 * Z[0] Z[1] + 0.25 * X[2] - 0.1 * Y[0];
circuit f(x: float[3], param w: float[2, 3]) -> (float, float, float[4]) {
    qubit q[3];
    for i in 0..3 { ry(x[i]) q[i]; }
    for l in 0..2 {
        for i in 0..3 { rz(w[l, i]) q[i]; }
        cx q[0], q[1]; cx q[1], q[2];
    }
    return (expval(H), var(H), probs(q[2], q[0]));
}
"""


def test_plain_calls_take_the_compiled_fast_path_and_match_the_reference() -> None:
    fast, oracle = qdl.compile(FAST_SOURCE, backend="llvm").f, qdl.compile(FAST_SOURCE).f
    rng = np.random.default_rng(4)
    for _ in range(3):
        x, w = rng.uniform(-2, 2, 3), rng.uniform(-2, 2, (2, 3))
        got, want = fast(x, w), oracle(x, w)
        for g, o in zip(got, want):
            np.testing.assert_allclose(g, o, atol=1e-12)
    assert fast._compiled()._single is not None  # the unbatched path ran
    lists = fast([0.1, 0.2, 0.3], w=w.tolist())  # conversions and keywords: the general path, same answer
    np.testing.assert_allclose(lists[2], oracle([0.1, 0.2, 0.3], w)[2], atol=1e-12)


def test_a_non_finite_argument_on_the_fast_path_is_an_argument_error() -> None:
    f = qdl.compile(FAST_SOURCE, backend="llvm").f
    w = np.zeros((2, 3))
    f(np.zeros(3), w)
    with pytest.raises(qdl.ArgumentError, match="non-finite"):
        f(np.array([0.0, np.nan, 0.0]), w)
    with pytest.raises(qdl.ArgumentError, match="expects shape"):
        f(np.zeros(4), w)


def test_concurrent_plain_calls_each_get_their_own_answer() -> None:
    from concurrent.futures import ThreadPoolExecutor
    fast, oracle = qdl.compile(FAST_SOURCE, backend="llvm").f, qdl.compile(FAST_SOURCE).f
    rng = np.random.default_rng(5)
    inputs = [(rng.uniform(-2, 2, 3), rng.uniform(-2, 2, (2, 3))) for _ in range(200)]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda a: fast(*a)[0], inputs))
    np.testing.assert_allclose(got, [oracle(*a)[0] for a in inputs], atol=1e-12)
