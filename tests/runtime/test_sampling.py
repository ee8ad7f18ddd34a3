"""The seeded generator and sampler of `runtime.sampling`: the specification, the statistics, the edge cases."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from qdl.compiler.expr import Const
from qdl.compiler.ir import Circuit, GateOp, MeasureOp, Sample, State
from qdl.runtime import sampling
from qdl.runtime.reference import simulate

MASK = (1 << 64) - 1


def mix_int(z: int) -> int:
    """splitmix64's finaliser on Python ints: the specification, written independently of numpy."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def uniform_int(seed: int, element: int, counter: int) -> float:
    key = mix_int((mix_int(seed) + sampling.GAMMA * (element + 1)) & MASK)
    return (mix_int((key + sampling.GAMMA * (counter + 1)) & MASK) >> 11) * 2.0**-53


def chi_square(counts: np.ndarray, expected: np.ndarray) -> float:
    keep = expected > 0
    return float(((counts[keep] - expected[keep]) ** 2 / expected[keep]).sum())


def random_probabilities(n: int, batch: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    states = rng.normal(size=(batch, 2**n)) + 1j * rng.normal(size=(batch, 2**n))
    return sampling.probabilities(states / np.linalg.norm(states, axis=1, keepdims=True))


# --- the generator -------------------------------------------------------------------


def test_the_stream_is_splitmix64() -> None:
    # splitmix64 seeded with 0 starts 0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4 (its published reference outputs)
    words = sampling.mix(np.uint64(sampling.GAMMA) * np.arange(1, 3, dtype=np.uint64))
    assert [int(w) for w in words] == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4]


def test_uniforms_follow_the_specification() -> None:
    rng = np.random.default_rng(1)
    for seed in [0, 1, 2**63 + 5, MASK, *map(int, rng.integers(0, 2**63, 20))]:
        for element in (0, 1, 7):
            keys = sampling.stream_keys(seed, np.array([element]))
            got = sampling.uniforms(keys, 40)[0]
            assert got.tolist() == [uniform_int(seed, element, i) for i in range(40)]
            assert (got >= 0).all() and (got < 1).all() and (got * 2**53 == np.floor(got * 2**53)).all()


def test_seeds_are_taken_mod_2_64_and_none_draws_fresh_entropy() -> None:
    assert sampling.seed_word(5) == 5 and sampling.seed_word(2**64 + 5) == 5
    assert sampling.seed_word(None) != sampling.seed_word(None)
    with pytest.raises(ValueError, match="non-negative"):
        sampling.seed_word(-1)


# --- the sampler ---------------------------------------------------------------------


def test_frequencies_match_the_probabilities() -> None:
    p = random_probabilities(4, 3, 0)
    shots = 200_000
    indices = sampling.sample_indices(p, shots, seed=11)
    for b in range(3):
        counts = np.bincount(indices[b], minlength=16)
        # 15 degrees of freedom: P(chi² > 60) < 1e-6
        assert chi_square(counts, shots * p[b] / p[b].sum()) < 60


def test_shots_come_out_in_random_order() -> None:
    p = random_probabilities(3, 1, 1)[0] * 0.5  # unnormalised on purpose
    indices = sampling.sample_indices(p[None], 40_000, seed=3)[0]
    first, second = np.bincount(indices[:20_000], minlength=8), np.bincount(indices[20_000:], minlength=8)
    # two halves of one sample, 7 degrees of freedom: a sorted order would give thousands
    assert chi_square(first, (first + second) / 2) + chi_square(second, (first + second) / 2) < 40
    assert (np.diff(indices) < 0).sum() > 10_000  # far from monotone


def test_a_prefix_of_the_shots_is_the_call_with_fewer_shots() -> None:
    p = random_probabilities(5, 2, 2)
    many = sampling.sample_indices(p, 1000, seed=9)
    assert np.array_equal(sampling.sample_indices(p, 37, seed=9), many[:, :37])
    assert sampling.sample_indices(p, 0, seed=9).shape == (2, 0)


def test_each_batch_element_has_its_own_stream() -> None:
    p = np.tile(random_probabilities(4, 1, 3), (3, 1))
    both = sampling.sample_indices(p, 500, seed=4)
    assert not np.array_equal(both[0], both[1]) and not np.array_equal(both[1], both[2])
    assert np.array_equal(sampling.sample_indices(p[2:], 500, seed=4, first=2)[0], both[2])
    assert np.array_equal(sampling.sample_indices(p, 500, seed=4), both)
    assert not np.array_equal(sampling.sample_indices(p, 500, seed=5), both)


def test_scaling_the_state_by_a_power_of_two_changes_nothing() -> None:
    p = random_probabilities(6, 1, 4)
    assert np.array_equal(sampling.sample_indices(p * 4, 3000, 1), sampling.sample_indices(p, 3000, 1))


def test_only_outcomes_of_nonzero_probability_and_zero_for_an_empty_state() -> None:
    p = np.array([[0.0, 0.5, 0.0, 0.5, 0.0, 0.0], [0, 0, 0, 0, 0, 1.0], [0.0] * 6, [np.nan, 1, 0, 0, 0, 0]])
    indices = sampling.sample_indices(p, 5000, seed=6)
    assert set(indices[0]) == {1, 3} and set(indices[1]) == {5}
    assert not indices[2].any() and not indices[3].any()


# --- through the reference simulator ------------------------------------------------


def test_the_reference_draws_its_shots_from_the_generator() -> None:
    c = Circuit("c", (), 3, (GateOp("h", (0,)), GateOp("ry", (2,), (Const(0.3),))), (Sample((0, 1, 2)),))
    (bits,) = simulate(c, {}, shots=64, seed=12)
    (state,) = simulate(replace(c, results=(State(),)), {})
    indices = sampling.sample_indices(sampling.probabilities(state), 64, sampling.seed_word(12))
    assert np.array_equal(bits[0] @ (1 << np.arange(3)), indices[0])


def test_a_mixture_of_branches_is_sampled_as_one_distribution() -> None:
    ops = (GateOp("h", (0,)), MeasureOp(0, 0), GateOp("cx", (0, 1)), GateOp("h", (0,)))
    c = Circuit("c", (), 2, ops, (Sample((0, 1)),), num_bits=1)
    (bits,) = simulate(c, {}, shots=40_000, seed=2)
    counts = np.bincount(bits[0] @ np.array([1, 2]), minlength=4)
    assert chi_square(counts, np.full(4, 10_000.0)) < 25  # 3 degrees of freedom, 1/4 each
