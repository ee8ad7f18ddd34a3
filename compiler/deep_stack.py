"""Run a recursive stage on a thread with a deep stack.

The front end walks expression trees recursively (Lark's transformer, the
AST builder, elaboration), and a sum is a left-deep tree: an observable of a
few thousand Pauli terms, as a molecular Hamiltonian has, nests that deep.
Python's default recursion limit (1000) stops it long before; raising the
limit alone is unsafe on the main thread, whose C stack is fixed by the OS.
A thread gets the stack we ask for, so the stage runs on one with room for
every frame the raised limit allows.
"""

from __future__ import annotations

import sys
import threading
from typing import Any, Callable, TypeVar

T = TypeVar("T")

STACK_BYTES = 256 * 2**20  # reserved address space, committed only as frames use it
RECURSION_LIMIT = 200_000  # sums of ~50 k Pauli terms (a few frames a level; the stack has room)
_START_LOCK = threading.Lock()  # threading.stack_size is process-wide: set it around one start at a time


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

    if sys.getrecursionlimit() < RECURSION_LIMIT:
        sys.setrecursionlimit(RECURSION_LIMIT)
    with _START_LOCK:
        previous = threading.stack_size(STACK_BYTES)
        try:
            worker = threading.Thread(target=target, name="qdl-front-end", daemon=True)
            worker.start()
        except (RuntimeError, MemoryError):  # no room for the stack (ulimit -v): the usual depth only
            return fn(*args, **kwargs)
        finally:
            threading.stack_size(previous)
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


_LOCAL = threading.local()
