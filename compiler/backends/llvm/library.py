"""The runtime library: the circuit-independent code every kernel calls, emitted once per library version.

Contents: one application function per `OpKind` (`apply.APPLY`), the two
chunk copies (`gather`, `scatter`: see `_build_copy`) and the sampler
(`sample`, called from the host after a kernel, never by kernels).  None of them reads
anything of a circuit, so they are optimised and compiled once (then cached
on disk, `runtime.llvm.library`) instead of once per kernel, which was most
of a kernel's cold compile time.

Every symbol has external linkage and carries `LIBRARY_VERSION`, a short hash
of the sources that generate the library (`GENERATORS`), so kernels built by
one version of qdl never bind to another version's functions.  A kernel's
module only *declares* them (`declare`) with the same signatures and argument
attributes as the definitions, so the optimiser still knows the pointers do
not alias.  `OpKind` (from `plan`) only keys the functions; its values matter
to the dispatch, which lives in the kernel's own module.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from llvmlite import ir

from qdl.compiler.backends.llvm import apply, irbuild, sample
from qdl.runtime import sampling
from qdl.compiler.backends.llvm.apply import APPLY
from qdl.compiler.backends.llvm.irbuild import I64, PTR, ZERO, declare_like, function, loop, subsets, vload, vstore
from qdl.compiler.backends.llvm.plan import OpKind

GENERATORS = (apply, irbuild, sample, sampling, sys.modules[__name__])  # the modules whose source determines the library's IR
SOURCE_DIGEST = hashlib.sha256(b"".join(Path(m.__file__).read_bytes() for m in GENERATORS)).hexdigest()
LIBRARY_VERSION = SOURCE_DIGEST[:12]
LIBRARY_NAME = f"qdl-runtime-{LIBRARY_VERSION}"


def versioned(base: str) -> str:
    """The library's symbol for the function `base` (e.g. `qdl_apply_dense1` -> `qdl_apply_dense1_<version>`)."""
    return f"{base}_{LIBRARY_VERSION}"


@dataclass(frozen=True)
class Functions:
    """The library's functions as seen from one module: definitions in the library, declarations elsewhere."""

    apply: dict[OpKind, ir.Function]
    copy: dict[bool, ir.Function]  # True: gather (state -> scratch), False: scatter

    def all(self) -> list[ir.Function]:
        return list(self.apply.values()) + list(self.copy.values())


def emit_library() -> ir.Module:
    """The library module: every function defined, external, under its versioned name."""
    return _build()[0]


def declare(module: ir.Module) -> Functions:
    """Declarations in `module` of every library function, signatures and argument attributes as defined.

    They are read off one build of the library (once per process), so they cannot drift from the definitions.
    """
    defined = _defined()
    return Functions({kind: declare_like(module, fn) for kind, fn in defined.apply.items()},
                     {gather: declare_like(module, fn) for gather, fn in defined.copy.items()})


def symbols() -> list[str]:
    """Every symbol kernels may call (for listings and tests); the host's own entry is `SAMPLE_SYMBOL`."""
    return sorted(fn.name for fn in _defined().all())


SAMPLE_SYMBOL = versioned(sample.SAMPLE)  # called by the host, not by kernels (`runtime.llvm.library`)


def _build() -> tuple[ir.Module, Functions]:
    module = ir.Module(name=LIBRARY_NAME)
    functions = Functions({kind: build(module) for kind, build in APPLY.items()},
                          {gather: _build_copy(module, gather) for gather in (True, False)})
    for fn in functions.all() + [sample.build_sample(module)]:
        fn.name = versioned(fn.name)  # the builders name them for private use; publish them versioned
        fn.linkage = ""
    return module, functions


@cache
def _defined() -> Functions:
    return _build()[1]


def _copy_name(gather: bool) -> str:
    return "qdl_gather" if gather else "qdl_scatter"


def _build_copy(module: ir.Module, gather: bool) -> ir.Function:
    """(st, outer, high, run, buf): copy a chunk between the state and contiguous scratch.

    The chunk's runs of `run` (>= 4, a power of two) contiguous amplitudes
    start at outer | x for x over the subsets of `high`, in order.
    """
    fn = function(module, _copy_name(gather), [PTR, I64, I64, I64, PTR])
    st, outer, high, run, buf = fn.args
    b = ir.IRBuilder(fn.entry_basic_block)
    pos = b.alloca(I64)
    b.store(ZERO, pos)

    def one_run(x: ir.Value) -> None:
        start = b.or_(outer, x)
        offset = b.load(pos, typ=I64)

        def quad(j: ir.Value) -> None:
            src, dst = (st, buf) if gather else (buf, st)
            i_src, i_dst = (b.add(start, j), b.add(offset, j)) if gather else (b.add(offset, j), b.add(start, j))
            vstore(b, dst, i_dst, vload(b, src, i_src))

        loop(b, ZERO, run, quad, ir.Constant(I64, 4))
        b.store(b.add(offset, run), pos)

    subsets(b, high, one_run)
    b.ret_void()
    return fn
