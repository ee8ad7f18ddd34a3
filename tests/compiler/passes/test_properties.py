"""Property tests: every pass and preset preserves the unitary, the outputs and the gradients."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pass_strategies import STATE, arg_values, circuit, dynamic_ops, readouts, unitary_ops
from qdl.api import CircuitFunction
from qdl.compiler.autodiff import AutodiffError, gradient_program
from qdl.compiler.ir import Module
from qdl.compiler.passes import PRESETS, REGISTRY, PassManager, parse_pipeline, pipeline_for
from qdl.runtime import reference

PASSES = sorted(REGISTRY)
UNITARY_PASSES = ["cancel-inverse-pairs", "cancel-inverse-pairs{dag=false}", "merge-rotations",
                  "merge-rotations{dag=false}", "fold-angles", "resynthesize-1q", "consolidate-2q",
                  "lower-multi-qubit", "lower-to-cx"]
# `layout`/`route` return the device's state, permuted: test_routing.py checks it up to the reported permutation.
SAME_STATE_PASSES = [p for p in PASSES if p not in ("layout", "route")]
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def optimized(c, pipeline):
    """Run `pipeline` (text, or a preset level) with the verifier after every pass."""
    passes = pipeline_for(pipeline) if isinstance(pipeline, int) else parse_pipeline(pipeline)
    return PassManager(passes, verify_each=True).run(Module((c,))).circuits[0]


def assert_same_up_to_phase(u: np.ndarray, v: np.ndarray) -> None:
    k = np.unravel_index(np.argmax(abs(u)), u.shape)
    phase = v[k] / u[k]
    assert abs(abs(phase) - 1) < 1e-9
    np.testing.assert_allclose(v, phase * u, atol=1e-8)


@pytest.mark.parametrize("pipeline", UNITARY_PASSES + [1, 2, 3])
@SETTINGS
@given(n=st.integers(1, 5), data=st.data(), seed=st.integers(0, 2**16))
def test_unitary_preserved_up_to_global_phase(pipeline, n, data, seed):
    ops = data.draw(unitary_ops(n))
    before = circuit(n, ops, data.draw(readouts(n)))
    after = optimized(before, pipeline)
    if pipeline in UNITARY_PASSES:  # the others may drop gates no readout sees
        args = arg_values(seed)
        assert_same_up_to_phase(reference.unitary(before, n, args), reference.unitary(after, n, args))
    _assert_same_outputs(before, after, seed)


@pytest.mark.parametrize("pipeline", SAME_STATE_PASSES + [1, 2, 3])
@SETTINGS
@given(n=st.integers(1, 4), data=st.data(), seed=st.integers(0, 2**16))
def test_state_results_are_exact_including_global_phase(pipeline, n, data, seed):
    before = circuit(n, data.draw(unitary_ops(n)), STATE)
    after = optimized(before, pipeline)
    args = arg_values(seed)
    np.testing.assert_allclose(reference.unitary(after, n, args), reference.unitary(before, n, args), atol=1e-8)


@pytest.mark.parametrize("pipeline", PASSES + [3])
@SETTINGS
@given(n=st.integers(1, 4), data=st.data(), seed=st.integers(0, 2**16))
def test_outputs_preserved_with_measurements(pipeline, n, data, seed):
    before = circuit(n, data.draw(dynamic_ops(n, bits=2)), data.draw(readouts(n)), num_bits=2)
    _assert_same_outputs(before, optimized(before, pipeline), seed)


def _assert_same_outputs(before, after, seed):
    args = {k: v.reshape(1) for k, v in arg_values(seed).items()}
    for x, y in zip(reference.simulate(before, args), reference.simulate(after, args)):
        np.testing.assert_allclose(y, x, atol=1e-8)


@pytest.mark.parametrize("level", sorted(PRESETS) + PASSES)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 4), data=st.data(), seed=st.integers(0, 2**16))
def test_gradients_equal_before_and_after(level, n, data, seed):
    before = circuit(n, data.draw(unitary_ops(n)), (data.draw(readouts(n).filter(_is_expval))[0],))
    try:
        gradient_program(before)
    except AutodiffError:
        assume(False)
    after = optimized(before, level)
    args = {k: float(v) for k, v in arg_values(seed).items()}
    for method in ("parameter-shift", "best"):  # on the oracle: one LLVM compile per random circuit costs minutes
        g0 = CircuitFunction(before, "reference").grad(**args, method=method)
        g1 = CircuitFunction(after, "reference").grad(**args, method=method)
        np.testing.assert_allclose(np.asarray(g1), np.asarray(g0), atol=1e-8)


def _is_expval(results: tuple) -> bool:
    return type(results[0]).__name__ == "ExpVal"
