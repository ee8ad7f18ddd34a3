"""Object code compiled ahead of its first use, on a background thread: kernels and the runtime library.

A cold `qdl.load` plans every circuit's kernel before it returns, but LLVM
runs only when a circuit is first called.  For a long circuit (seconds of
LLVM) the load starts that compile on a thread as soon as the plan exists:
llvmlite releases the GIL, so it proceeds on another core while the load
stores its cache entry and the caller goes on; the first call then waits
for it, or finds the object code on disk.
"""

from __future__ import annotations

import threading
from typing import Callable

from qdl.compiler.backends.llvm import KernelPlan, emit
from qdl.runtime.llvm import cache, jit

AHEAD_ROWS = 2_000  # smaller kernels compile in well under a second: not worth a thread
_PENDING: dict[str, threading.Thread] = {}  # by cache key (kernels' and the runtime library's)
_LOCK = threading.Lock()


def object_code(plan: KernelPlan, tag: str, key: str) -> bytes:
    """The kernel's object code: from disk when present, else from LLVM (then stored)."""
    obj = cache.load(key)
    if obj is not None:
        jit.STATS["disk_hits"] += 1
        return obj
    return _compiled(str(emit(plan, tag[:16])), key)


def _compiled(ir_text: str, key: str) -> bytes:
    obj = jit.compile_object(ir_text)
    cache.store(key, obj)
    return obj


def start(key: str, make: Callable[[], object], name: str = "qdl-compile-ahead") -> None:
    """Run `make` (which stores the object code of `key`) on a thread, unless pending or on disk already."""
    with _LOCK:
        if not _needed(key):
            return
        worker = _PENDING[key] = threading.Thread(target=_quietly, args=(make,), name=name, daemon=True)
    worker.start()


def _needed(key: str) -> bool:
    return key not in _PENDING and not cache.entry_path(key).exists()


def start_kernel(plan: KernelPlan, tag: str, rows: int) -> None:
    """Compile a planned kernel of `rows` rows in the background, unless it is small.

    The LLVM IR is made here, before the caller goes on: it is Python, which
    on the thread would only take turns with the caller's Python for the GIL
    and delay LLVM, which is what runs beside the caller.
    """
    if rows < AHEAD_ROWS:
        return
    key = jit.cache_key(tag)
    with _LOCK:
        if not _needed(key):
            return
    try:
        ir_text = str(emit(plan, tag[:16]))
    except Exception:  # noqa: BLE001 - the first call emits again, and reports it
        return
    start(key, lambda: _compiled(ir_text, key), "qdl-kernel-ahead")


def wait(key: str) -> None:
    """Block until a background compile of `key`, if one was started, has ended."""
    with _LOCK:
        worker = _PENDING.get(key)
    if worker is not None:
        worker.join()


def _quietly(make: Callable[[], object]) -> None:
    try:
        make()
    except Exception:  # noqa: BLE001 - the foreground compiles again when it needs it, and reports it
        pass
