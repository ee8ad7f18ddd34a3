"""Run a recursive stage on a thread with a deep stack.

The front end walks expression trees recursively (Lark's transformer, the
AST builder, elaboration), and a sum is a left-deep tree: an observable of a
few thousand Pauli terms, as a molecular Hamiltonian has, nests that deep.
Python's default recursion limit (1000) stops it long before; raising the
limit alone is unsafe on the main thread, whose C stack is fixed by the OS.
A thread gets the stack we ask for, so the stage runs on one with room for
every frame the raised limit allows.

The cyclic garbage collector is paused while such a stage runs (`paused_gc`):
a long program allocates millions of small objects that reference counting
frees anyway, and the collector's repeated full passes over the survivors
made the front end superlinear (100,000 ops: 45 s with it, 24 s without).
"""

from __future__ import annotations

import gc
import sys
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator, TypeVar

T = TypeVar("T")

STACK_BYTES = 256 * 2**20  # reserved address space, committed only as frames use it
RECURSION_LIMIT = 200_000  # sums of ~50 k Pauli terms (a few frames a level; the stack has room)
_START_LOCK = threading.Lock()  # threading.stack_size is process-wide: set it around one start at a time
_LIMIT_LOCK = threading.Lock()
_RUNNING = 0  # deep threads running now
_SAVED_LIMIT = 1000
_GC_LOCK = threading.Lock()
_GC_PAUSES = 0  # stages running with the collector paused
_GC_WAS_ENABLED = True


def run_deep(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` on a thread with a deep stack; its result or its exception."""
    if getattr(_LOCAL, "deep", False):
        return fn(*args, **kwargs)  # already on a deep thread (a stage called from a stage)
    outcome: dict[str, Any] = {}

    def target() -> None:
        _LOCAL.deep = True
        try:
            outcome["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # re-raised on the caller's thread, traceback intact
            outcome["error"] = exc

    with _raised_limit(), paused_gc():
        worker = _started(target)
        if worker is not None:
            worker.join()
    if worker is None:  # no room for the stack (ulimit -v): the usual depth only
        return fn(*args, **kwargs)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _started(target: Callable[[], None]) -> threading.Thread | None:
    """A started daemon thread with the deep stack, or None when the OS refuses one."""
    with _START_LOCK:
        previous = threading.stack_size(STACK_BYTES)
        try:
            worker = threading.Thread(target=target, name="qdl-front-end", daemon=True)
            worker.start()
            return worker
        except (RuntimeError, MemoryError):
            return None
        finally:
            threading.stack_size(previous)


@contextmanager
def _raised_limit() -> Iterator[None]:
    """The recursion limit (process-wide) raised only while deep threads run, then given back.

    The main thread keeps its usual limit otherwise, so its own deep recursion
    still ends in a RecursionError rather than overflowing its fixed C stack.
    """
    global _RUNNING, _SAVED_LIMIT
    with _LIMIT_LOCK:
        if _RUNNING == 0:
            _SAVED_LIMIT = sys.getrecursionlimit()
            sys.setrecursionlimit(max(_SAVED_LIMIT, RECURSION_LIMIT))
        _RUNNING += 1
    try:
        yield
    finally:
        with _LIMIT_LOCK:
            _RUNNING -= 1
            if _RUNNING == 0:
                sys.setrecursionlimit(_SAVED_LIMIT)


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic collector off while the block runs (nests, across threads), then as it was.

    What the block made and kept (a compiled program: a million objects) is
    then moved to the oldest generation: the young collections that would
    follow would each walk all of it (0.7 s for a 100,000-op program), and
    old objects are only walked by the rare full collection, which still
    frees any cycle among them.
    """
    global _GC_PAUSES, _GC_WAS_ENABLED
    with _GC_LOCK:
        if _GC_PAUSES == 0:
            _GC_WAS_ENABLED = gc.isenabled()
            gc.disable()
        _GC_PAUSES += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_PAUSES -= 1
            if _GC_PAUSES == 0 and _GC_WAS_ENABLED:
                gc.freeze()  # every tracked object to the permanent generation,
                gc.unfreeze()  # and from there to the oldest: a list splice, no walk
                gc.enable()


_LOCAL = threading.local()
