"""The runtime library: the circuit-independent code every kernel calls, emitted once per library version.

Contents: one application function per `OpKind` (`apply.APPLY`), the two
chunk copies (`gather`, `scatter`: see `_build_copy`) and the sampler
(`sample`, called from the host after a kernel, never by kernels).  None of them reads
anything of a circuit, so they are optimised and compiled once (then cached
on disk, `runtime.llvm.library`) instead of once per kernel, which was most
of a kernel's cold compile time.

Every symbol has external linkage and carries `LIBRARY_VERSION`, a short hash
of the sources that generate the library (`GENERATORS`), so kernels built by
one version of qdl never bind to another version's functions.  There is one
library per precision (`irbuild.Real`: complex128 or complex64 states); the
single-precision one's symbols and name carry `_f32`/`-single` as well, so
both can be linked into one process.  A kernel's
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

from qdl.compiler.backends.llvm import apply, apply_dense2, irbuild, sample
from qdl.runtime import sampling
from qdl.compiler.backends.llvm.apply import APPLY
from qdl.compiler.backends.llvm.irbuild import (
    DOUBLE, I64, PTR, ZERO, Real, declare_like, function, loop, subsets, vload, vstore,
)
from qdl.compiler.backends.llvm.plan import OpKind

GENERATORS = (apply, apply_dense2, irbuild, sample, sampling, sys.modules[__name__])  # the modules whose source determines the library's IR
SOURCE_DIGEST = hashlib.sha256(b"".join(Path(m.__file__).read_bytes() for m in GENERATORS)).hexdigest()
LIBRARY_VERSION = SOURCE_DIGEST[:12]
LIBRARY_NAME = f"qdl-runtime-{LIBRARY_VERSION}"  # the double-precision library


def library_name(real: Real = DOUBLE) -> str:
    return LIBRARY_NAME if real == DOUBLE else f"qdl-runtime-{real.name}-{LIBRARY_VERSION}"


def versioned(base: str, real: Real = DOUBLE) -> str:
    """The library's symbol for the function `base` (e.g. `qdl_apply_dense1` -> `qdl_apply_dense1_<version>`)."""
    return f"{base}_{LIBRARY_VERSION}" if real == DOUBLE else f"{base}_f32_{LIBRARY_VERSION}"


@dataclass(frozen=True)
class Functions:
    """The library's functions as seen from one module: definitions in the library, declarations elsewhere."""

    apply: dict[OpKind, ir.Function]
    copy: dict[bool, ir.Function]  # True: gather (state -> scratch), False: scatter

    def all(self) -> list[ir.Function]:
        return list(self.apply.values()) + list(self.copy.values())


def emit_library(real: Real = DOUBLE) -> ir.Module:
    """The library module of one precision: every function defined, external, under its versioned name."""
    return _build(real)[0]


def declare(module: ir.Module, real: Real = DOUBLE) -> Functions:
    """Declarations in `module` of every library function, signatures and argument attributes as defined.

    They are read off one build of the library (once per process), so they cannot drift from the definitions.
    """
    defined = _defined(real)
    return Functions({kind: declare_like(module, fn) for kind, fn in defined.apply.items()},
                     {gather: declare_like(module, fn) for gather, fn in defined.copy.items()})


def symbols(real: Real = DOUBLE) -> list[str]:
    """Every symbol kernels may call (for listings and tests); the host's own entry is `SAMPLE_SYMBOL`."""
    return sorted(fn.name for fn in _defined(real).all())


SAMPLE_SYMBOL = versioned(sample.SAMPLE)  # called by the host, not by kernels (`runtime.llvm.library`)


def _build(real: Real) -> tuple[ir.Module, Functions]:
    module = ir.Module(name=library_name(real))
    functions = Functions({kind: build(module, real) for kind, build in APPLY.items()},
                          {gather: _build_copy(module, gather, real) for gather in (True, False)})
    host = [sample.build_sample(module)] if real == DOUBLE else []  # shots are drawn from complex128 states
    for fn in functions.all() + host:
        fn.name = versioned(fn.name, real)  # the builders name them for private use; publish them versioned
        fn.linkage = ""
    return module, functions


@cache
def _defined(real: Real) -> Functions:
    return _build(real)[1]


def _copy_name(gather: bool) -> str:
    return "qdl_gather" if gather else "qdl_scatter"


def _build_copy(module: ir.Module, gather: bool, real: Real) -> ir.Function:
    """(st, outer, high, run, buf): copy a chunk between the state and contiguous scratch.

    The chunk's runs of `run` (>= 8 = 2**RUN_QUBITS, a power of two) contiguous amplitudes
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
            vstore(b, dst, i_dst, vload(b, src, i_src, real), real)

        loop(b, ZERO, run, quad, ir.Constant(I64, real.lanes))
        b.store(b.add(offset, run), pos)

    subsets(b, high, one_run)
    b.ret_void()
    return fn
