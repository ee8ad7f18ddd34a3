"""The runtime library in the process JIT: compiled once per machine, linked once per process.

Kernels only declare the application functions and chunk copies
(`qdl.compiler.backends.llvm.library`); this module provides their code as
one JIT library that every kernel links against by name.  The object code
goes through the same disk cache as kernels under its own key (the library's
source digest with the target and toolchain, `jit.cache_key`), so LLVM
optimises it once per machine and qdl version, not once per circuit.  Each
precision ("double", "single": complex128 or complex64 states) is a library
of its own, with its own key and symbols.

A cold program load calls `prepare` before its front end: when the object
code is not on disk yet, LLVM compiles it on a background thread (llvmlite
releases the GIL), on the second core while the first parses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from qdl.compiler.backends.llvm import library
from qdl.compiler.backends.llvm.irbuild import REALS
from qdl.runtime.llvm import ahead, cache, jit


@dataclass(frozen=True)
class LinkedLibrary:
    """The runtime library linked into the JIT: `name` for `jit.link(needs=...)`; `tracker` keeps its code."""

    key: str
    name: str
    tracker: object = field(repr=False)

    @property
    def sampler(self) -> int:
        """The address of the compiled sampler (`compiler.backends.llvm.sample`)."""
        return self.tracker[library.SAMPLE_SYMBOL]  # type: ignore[index]


_LINKED: dict[str, LinkedLibrary] = {}  # by cache key; one entry per precision and process in practice


def cache_key(precision: str = "double") -> str:
    """The disk-cache key of the library's object code of one precision for this machine and toolchain."""
    return jit.cache_key(f"{library.library_name(REALS[precision])}/{library.SOURCE_DIGEST}")


def prepare(precision: str = "double") -> None:
    """Start compiling the library's object code in the background, unless it is linked or on disk."""
    key = cache_key(precision)
    if key not in _LINKED:
        ahead.start(key, partial(_object_code, key, precision), "qdl-runtime-library")


def runtime_library(precision: str = "double") -> LinkedLibrary:
    """The linked runtime library: object code from disk when present, else from LLVM (then stored)."""
    key = cache_key(precision)
    ahead.wait(key)  # a background compile of it (`prepare`): its object code is on disk when it ends
    with jit.COMPILE_LOCK:  # two threads compiling their first kernels must not link it twice
        if key in _LINKED:
            return _LINKED[key]
        exports = (library.SAMPLE_SYMBOL,) if precision == "double" else ()  # the sampler: double only
        name, tracker = jit.link_library(_object_code(key, precision), key, exports=exports)
        linked = _LINKED[key] = LinkedLibrary(key, name, tracker)
        return linked


def _object_code(key: str, precision: str) -> bytes:
    obj = cache.load(key)
    if obj is not None:
        jit.STATS["disk_hits"] += 1
        return obj
    obj = jit.compile_object(str(library.emit_library(REALS[precision])))
    cache.store(key, obj)
    return obj
