"""Shots from a seeded counter-based generator: the numpy twin of the compiled sampler.

The generator (splitmix64, Steele, Lea and Flood 2014), all arithmetic mod 2**64::

    mix(z)     = z ^= z >> 30; z *= 0xBF58476D1CE4E5B9; z ^= z >> 27; z *= 0x94D049BB133111EB; z ^ (z >> 31)
    key(s, b)  = mix(mix(s) + γ·(b + 1))          the stream of batch element b under seed s
    u(k, i)    = (mix(k + γ·(i + 1)) >> 11) · 2**-53   the i-th uniform of stream k, in [0, 1)

with γ = 0x9E3779B97F4A7C15.  Shot i of element b is the basis index x with
C[x-1] <= u·T < C[x], where C is the running sum of p_x = re² + im² in index
order (one rounding per product and per addition, no fused multiply-add) and
T = C[-1] the total, so a state that is off by rounding is still normalised.
A threshold past the last entry (rounding) takes the last index of nonzero
probability; a state whose total is not a positive finite number gives
index 0 for every shot.

`compiler.backends.llvm.sample` computes the same thing in compiled code (it
sorts the uniforms and walks C once instead of searching it per shot): for
one state and seed both give the same indices, bit for bit.  Two back ends
reach slightly different states (rounding), so their indices can differ only
where a u·T lies within that rounding of a boundary C[x].  Shot i depends on
(seed, b, i) alone: the first k of N shots are the k shots of a call with
shots=k.
"""

from __future__ import annotations

import numpy as np

GAMMA = 0x9E3779B97F4A7C15
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB
MASK = (1 << 64) - 1
UNIT = 2.0**-53


def seed_word(seed: int | None) -> int:
    """The 64-bit seed of a call: `seed` mod 2**64, or fresh entropy when None."""
    if seed is None:
        return int(np.random.SeedSequence().entropy) & MASK
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    return int(seed) & MASK


def mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser on a uint64 array (wrapping arithmetic)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX2)
    return z ^ (z >> np.uint64(31))


def stream_keys(seed: int, elements: np.ndarray) -> np.ndarray:
    """key(seed, b) for every b of `elements`."""
    first = mix(np.array([seed & MASK], dtype=np.uint64))
    return mix(first + np.uint64(GAMMA) * (np.asarray(elements, dtype=np.uint64) + np.uint64(1)))


def uniforms(keys: np.ndarray, count: int) -> np.ndarray:
    """(len(keys), count) float64: u(k, i) for i < count, per key."""
    counters = np.arange(1, count + 1, dtype=np.uint64)
    words = mix(np.asarray(keys, dtype=np.uint64)[:, None] + np.uint64(GAMMA) * counters[None, :])
    return (words >> np.uint64(11)).astype(np.float64) * UNIT


def probabilities(states: np.ndarray) -> np.ndarray:
    """(B, 2**n) re² + im² of flat complex states, rounded as the compiled sampler rounds them."""
    return states.real * states.real + states.imag * states.imag


def sample_indices(p: np.ndarray, shots: int, seed: int, first: int = 0) -> np.ndarray:
    """(B, shots) int64 basis indices drawn from the rows of `p` (B, 2**n); row b is element first + b."""
    batch = p.shape[0]
    keys = stream_keys(seed, np.arange(first, first + batch))
    out = np.zeros((batch, shots), dtype=np.int64)
    for b in range(batch):
        cdf = np.cumsum(p[b])  # sequential: the same additions, in the same order, as the compiled walk
        total = cdf[-1]
        if not (np.isfinite(total) and total > 0):
            continue
        found = np.searchsorted(cdf, uniforms(keys[b : b + 1], shots)[0] * total, side="right")
        out[b] = np.minimum(found, np.flatnonzero(p[b] > 0)[-1])
    return out
