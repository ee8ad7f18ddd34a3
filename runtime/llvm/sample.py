"""Shots of final states by the runtime library's compiled sampler (`compiler.backends.llvm.sample`).

The same indices as `runtime.sampling.sample_indices` for the same states and
seed; a batch split across threads keeps each element's own stream (the
sampler is told where a part starts), and ctypes releases the GIL.
"""

from __future__ import annotations

import ctypes
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from qdl.compiler.backends.llvm.sample import RADIX
from qdl.runtime.llvm.library import runtime_library

_PROTO = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64,
                          ctypes.c_uint64, ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p)
_SAMPLER: list = []  # the ctypes function, made once (the library stays linked for the process)


def sample_indices(states: np.ndarray, shots: int, seed: int, threads: int = 1) -> np.ndarray:
    """(B, shots) int64 basis indices of the (B, 2**n) `states` (read in place when C-contiguous complex128)."""
    states = np.ascontiguousarray(states, dtype=np.complex128)
    states = states.reshape(states.shape[0], -1)
    batch = states.shape[0]
    out = np.empty((batch, shots), dtype=np.int64)
    parts = [p for p in np.array_split(np.arange(batch), max(1, min(threads, batch))) if len(p)]
    if len(parts) == 1:
        _call(states, out, int(parts[0][0]), len(parts[0]), shots, seed)
    elif parts:
        with ThreadPoolExecutor(len(parts)) as pool:
            list(pool.map(lambda c: _call(states, out, int(c[0]), len(c), shots, seed), parts))
    return out


def _call(states: np.ndarray, out: np.ndarray, start: int, count: int, shots: int, seed: int) -> None:
    """Elements [start, start + count) with a work buffer of their own (one per thread)."""
    work = np.empty(4 * shots + RADIX, dtype=np.int64)
    _sampler()(states[start:].ctypes.data, states.shape[1], count, start, seed, shots,
               out[start:].ctypes.data, work.ctypes.data)


def _sampler() -> ctypes._CFuncPtr:
    if not _SAMPLER:
        library = runtime_library()
        _SAMPLER.append((_PROTO(library.sampler), library))  # the library reference keeps its code alive
    return _SAMPLER[0][0]
