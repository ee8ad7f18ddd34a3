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
