"""Pause Python's cyclic garbage collector around a phase that allocates many objects but makes no cycles.

Planning a 100,000-op circuit allocates millions of tuples, lists and
steps; every few hundred allocations the collector runs, and its full
collections walk every tracked object on the heap (the circuit itself
included) to find nothing: about a third of `lower`'s time.  Reference
counting still frees everything as usual; only cycles wait until the
collector is back on.  The collector's switch is process-wide: a phase in
another thread sees it paused too, and the collector comes back when the
phase that turned it off ends.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def gc_paused() -> Iterator[None]:
    """Turn the cyclic collector off for the block (if it was on), and back on after it, also on errors."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
