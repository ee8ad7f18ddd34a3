"""The compiled sampler: its generator and sampler are bit-for-bit twins of `runtime.sampling`; shots on the LLVM
back end are the reference simulator's shots."""

from __future__ import annotations

import ctypes

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from llvmlite import ir

import qdl
from qdl.compiler.backends.llvm import sample
from qdl.compiler.backends.llvm.irbuild import I64, PTR, ZERO, at, function, loop
from qdl.compiler.expr import Arg, Const
from qdl.compiler.gates import GATES
from qdl.compiler.ir import Argument, Circuit, GateOp, Probs, Sample
from qdl.runtime import llvm as qdl_llvm
from qdl.runtime import reference, sampling
from qdl.runtime.llvm import jit, kernel
from qdl.runtime.llvm.sample import sample_indices

THETA = (Argument("theta", "float", (4,), True),)


def random_states(n: int, batch: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(batch, 2**n)) + 1j * rng.normal(size=(batch, 2**n))


def twin(states: np.ndarray, shots: int, seed: int) -> np.ndarray:
    return sampling.sample_indices(sampling.probabilities(states), shots, seed)


# --- the generator -------------------------------------------------------------------

_WORDS: list = []


def compiled_words() -> ctypes._CFuncPtr:
    """words(seed, element, count, out): the 53-bit uniforms' integers of a stream, by the IR builders."""
    if not _WORDS:
        module = ir.Module(name="qdl_test_words")
        fn = function(module, "qdl_test_words", [I64, I64, I64, PTR], internal=False)
        seed, element, count, out = fn.args
        b = ir.IRBuilder(fn.entry_basic_block)
        key = sample.word(b, sample.mix(b, seed), element)
        loop(b, ZERO, count, lambda i: b.store(b.lshr(sample.word(b, key, i), ir.Constant(I64, 11)),
                                               at(b, out, i, I64)))
        b.ret_void()
        address, tracker = jit.link(jit.compile_object(str(module)), "qdl_test_words", "qdl-test-words")
        proto = ctypes.CFUNCTYPE(None, ctypes.c_uint64, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p)
        _WORDS.append((proto(address), tracker))
    return _WORDS[0][0]


def test_the_generator_twins_agree_bit_for_bit() -> None:
    rng = np.random.default_rng(0)
    seeds = [0, 1, 2**63, 2**64 - 1] + [int(s) for s in rng.integers(0, 2**63, 30, dtype=np.int64)]
    out = np.empty(257, dtype=np.int64)
    for seed in seeds:
        for element in (0, 1, 5, 2**40):
            compiled_words()(seed, element, len(out), out.ctypes.data)
            expected = sampling.uniforms(sampling.stream_keys(seed, np.array([element])), len(out))[0] * 2.0**53
            assert np.array_equal(out.astype(np.float64), expected)


# --- the sampler on given states -----------------------------------------------------


@pytest.mark.parametrize("n, batch, shots", [(1, 1, 10), (3, 2, 1000), (10, 3, 5000), (12, 1, 3), (4, 2, 0)])
def test_the_compiled_sampler_is_the_twin(n: int, batch: int, shots: int) -> None:
    states = random_states(n, batch, n)  # unnormalised: the sampler divides by the total
    got = sample_indices(states, shots, 12345)
    assert got.shape == (batch, shots) and np.array_equal(got, twin(states, shots, 12345))


amplitudes = st.one_of(st.just(0.0), st.floats(-1e3, 1e3), st.floats(-1e-160, 1e-160), st.sampled_from([0.5, 2**-0.5]))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 6).flatmap(lambda n: st.lists(st.tuples(amplitudes, amplitudes), min_size=2**n,
                                                    max_size=2**n)),
       st.integers(0, 300), st.integers(0, 2**64 - 1))
def test_the_twins_agree_on_any_state(pairs: list[tuple[float, float]], shots: int, seed: int) -> None:
    states = np.array([[complex(re, im) for re, im in pairs]])  # zeros, ties, subnormals, unnormalised
    assert np.array_equal(sample_indices(states, shots, seed), twin(states, shots, seed))


def test_zero_probabilities_edges_and_threads() -> None:
    states = random_states(6, 5, 1)
    states[0, 40:] = 0  # trailing zeros: thresholds past the end take the last nonzero index
    states[1, ::2] = 0
    states[2] = 0  # no probability at all: index 0
    states[3, 7] = np.nan
    got = sample_indices(states, 4000, 7, threads=2)
    assert np.array_equal(got, twin(states, 4000, 7)) and np.array_equal(got, sample_indices(states, 4000, 7))
    assert np.array_equal(sample_indices(np.asfortranarray(states), 4000, 7), got)  # copied, then the same
    assert got[0].max() < 40 and (got[1] % 2).all() and not got[2].any() and not got[3].any()


def test_a_million_shots() -> None:
    states = random_states(8, 1, 2)
    got = sample_indices(states, 10**6, 99)
    assert np.array_equal(got, twin(states, 10**6, 99))
    p = sampling.probabilities(states)[0]
    expected = 10**6 * p / p.sum()
    assert ((np.bincount(got[0], minlength=256) - expected) ** 2 / expected).sum() < 400  # 255 dof, ~9 sigma


# --- through the kernel: the reference's shots ----------------------------------------


@st.composite
def sampled_circuits(draw: st.DrawFn) -> tuple[Circuit, dict]:
    n = draw(st.integers(1, 5))
    names = sorted(g for g in GATES if GATES[g].num_qubits <= n)
    ops = []
    for _ in range(draw(st.integers(1, 20))):
        spec = GATES[draw(st.sampled_from(names))]
        qubits = draw(st.permutations(range(n)))
        params = tuple(Arg("theta", (draw(st.integers(0, 3)),)) if draw(st.booleans())
                       else Const(draw(st.floats(-4, 4))) for _ in range(spec.num_params))
        ops.append(GateOp(spec.name, tuple(qubits[: spec.num_qubits]), params))
    picked = tuple(draw(st.permutations(range(n)))[: draw(st.integers(1, n))])
    results = (Sample(picked), Probs((0,)), Sample((n - 1,)))
    thetas = np.random.default_rng(draw(st.integers(0, 2**31))).uniform(-np.pi, np.pi, size=(3, 4))
    return Circuit("c", THETA, n, tuple(ops), results), {"theta": thetas}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sampled_circuits(), st.integers(0, 2**64 - 1))
def test_random_circuits_sample_as_the_reference(case: tuple[Circuit, dict], seed: int) -> None:
    c, args = case
    got = qdl_llvm.run(c, args, shots=300, seed=seed)
    want = reference.simulate(c, args, shots=300, seed=seed)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[2], want[2])
    if c.num_qubits - 1 in c.results[0].qubits:  # both results come from the same shots
        column = c.results[0].qubits.index(c.num_qubits - 1)
        assert np.array_equal(got[0][..., column], got[2][..., 0])


def test_a_blocked_circuit_samples_as_the_reference() -> None:
    n, rng = 16, np.random.default_rng(5)
    ops = [GateOp("ry", (q,), (Const(float(a)),)) for q, a in enumerate(rng.uniform(-3, 3, n))]
    ops += [GateOp("cx", (q, (q + 5) % n)) for q in range(n)]
    ops += [GateOp("rx", (q,), (Const(float(a)),)) for q, a in enumerate(rng.uniform(-3, 3, n))]
    c = Circuit("c", (), n, tuple(ops), (Sample(tuple(range(n))), Sample((3, 11))))
    compiled = qdl_llvm.compile_circuit(c, block=10)
    assert compiled.plan.blocked
    got, pair = compiled.run({}, shots=20_000, seed=2026)
    want, _ = reference.simulate(c, {}, shots=20_000, seed=2026)
    assert np.array_equal(got, want) and np.array_equal(pair, got[..., [3, 11]])


def test_same_seed_same_shots_other_seed_or_none_other_shots() -> None:
    c = Circuit("c", (), 6, tuple(GateOp("h", (q,)) for q in range(6)), (Sample(tuple(range(6))),))
    first, again = qdl_llvm.run(c, {}, shots=200, seed=1), qdl_llvm.run(c, {}, shots=200, seed=1)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, qdl_llvm.run(c, {}, shots=200, seed=2))
    assert not np.array_equal(qdl_llvm.run(c, {}, shots=200)[0], qdl_llvm.run(c, {}, shots=200)[0])
    assert qdl_llvm.run(c, {}, shots=0, seed=1)[0].shape == (1, 0, 6)


def test_batches_split_across_threads_keep_their_streams() -> None:
    c = Circuit("c", THETA, 3, tuple(GateOp("ry", (q,), (Arg("theta", (q,)),)) for q in range(3)),
                (Sample((0, 1, 2)),))
    args = {"theta": np.random.default_rng(4).uniform(-3, 3, (5, 4))}
    threaded = qdl_llvm.run(c, args, shots=500, seed=8, threads=3)
    assert np.array_equal(threaded[0], reference.simulate(c, args, shots=500, seed=8)[0])
    assert not np.array_equal(threaded[0][0], threaded[0][1])


def test_relabelled_swaps_still_give_each_qubit_its_bit() -> None:
    c = Circuit("c", (), 3, (GateOp("x", (0,)), GateOp("swap", (0, 2)), GateOp("h", (1,))),
                (Sample((0, 1, 2)),))
    assert qdl_llvm.compile_circuit(c).plan.final_places == (0, 1, 2)  # by default samples see qubit order
    relabelled = qdl_llvm.compile_circuit(c, relabel_swaps=True)
    assert relabelled.plan.final_places != (0, 1, 2)
    (bits,) = relabelled.run({}, shots=100, seed=3)
    assert not bits[..., 0].any() and bits[..., 2].all() and 0 < bits[..., 1].sum() < 100


def test_the_unbatched_fast_path_samples_in_compiled_code() -> None:
    src = ("circuit g(t: float) -> (float[4], int[2]) { qubit q[2]; ry(t) q[0]; cx q[0], q[1]; h q[1]; "
           "return (probs(q), sample(q[1], q[0])); }")
    fast, oracle = qdl.compile(src, "g.qdl", backend="llvm"), qdl.compile(src, "g.qdl", backend="reference")
    t = np.array(0.7)
    probs, bits = fast.g(t, shots=50, seed=3)
    assert fast.g._kernel._single is not None  # the fast path ran
    want = oracle.g(t, shots=50, seed=3)
    np.testing.assert_allclose(probs, want[0], atol=1e-12)
    assert bits.shape == (50, 2) and np.array_equal(bits, want[1])
    with pytest.raises(qdl.ArgumentError, match="shots"):
        fast.g(t)
    with pytest.raises(qdl.ArgumentError, match="finite"):
        fast.g(np.array(np.nan), shots=5)


def test_samples_are_no_host_result() -> None:
    c = Circuit("c", (), 2, (GateOp("h", (0,)),), (Sample((0,)), Probs((0, 1))))
    assert not kernel.ReductionLayout.of(c).host
