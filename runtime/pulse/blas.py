"""Run the pulse propagators on one BLAS thread: their matrices are small, and threads only contend.

The propagators multiply and diagonalise thousands of 9×9 … 243×243 matrices
one batch after another.  OpenBLAS threads cost more than they give there:
`qdlc verify-schedule` of the 4-qubit vqe_h2 schedule took 342 s of CPU with
numpy's default threads on a loaded 2-core machine and 29 s on one thread
(the test suite sets OPENBLAS_NUM_THREADS=1 for the same reason).  Setting
the variable after numpy has loaded does nothing, so `one_blas_thread` calls
OpenBLAS's own `set_num_threads` through ctypes for the duration of a
propagation, and restores the previous count.  With any other BLAS (or an
OpenBLAS it cannot find) it does nothing.
"""

from __future__ import annotations

import ctypes
import glob
import os
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Iterator

import numpy as np


@lru_cache(maxsize=1)
def _openblas() -> tuple[Any, Any] | None:
    """(get_num_threads, set_num_threads) of the OpenBLAS numpy loaded, or None."""
    folder = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
    for path in glob.glob(os.path.join(folder, "*openblas*")):
        try:
            lib = ctypes.CDLL(path)  # already loaded by numpy: the same handle
        except OSError:
            continue
        for get_name, set_name in (("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
                                   ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
                                   ("openblas_get_num_threads", "openblas_set_num_threads")):
            get, put = getattr(lib, get_name, None), getattr(lib, set_name, None)
            if get is not None and put is not None:
                get.restype, put.argtypes = ctypes.c_int, [ctypes.c_int]
                return get, put
    return None


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Within the block, OpenBLAS uses one thread (when numpy's BLAS is an OpenBLAS it can reach)."""
    functions = _openblas()
    if functions is None:
        yield
        return
    get, put = functions
    before = int(get())
    put(1)
    try:
        yield
    finally:
        put(before)
