"""The adjoint's own library: the reductions and Pauli strings every adjoint kernel calls, emitted once.

`adjoint_reductions`' functions read nothing of a circuit, so, like the
runtime library's application functions (`library`), they are optimised and
compiled once per machine (`runtime.llvm.adjoint`, disk-cached) instead of
once per adjoint kernel: they were half of an adjoint kernel's cold compile.
A kernel's module declares them (`declare`) with the definitions' signatures
and argument attributes; symbols carry `ADJOINT_LIBRARY_VERSION`, a hash of
the generating sources, so a kernel never binds to another version's code.
The library calls nothing outside itself.  One library per precision of the
states (`irbuild.Real`); the single-precision one's name and symbols say so.
"""

from __future__ import annotations

import hashlib
import sys
from functools import cache
from pathlib import Path

from llvmlite import ir

from qdl.compiler.backends.llvm import adjoint, adjoint_fused, adjoint_reductions, apply, irbuild
from qdl.compiler.backends.llvm.adjoint import (
    REDUCE, REDUCE1, REDUCE1_MUX, REDUCE_APPLY1, REDUCE_APPLY1_DIAG, REDUCE_APPLY1_MUX, REDUCE_APPLY1_MUX_DIAG,
)
from qdl.compiler.backends.llvm.adjoint_fused import build_fused
from qdl.compiler.backends.llvm.adjoint_reductions import build_pauli_acc, build_reduce, build_reduce1
from qdl.compiler.backends.llvm.irbuild import DOUBLE, Real, declare_like

GENERATORS = (adjoint, adjoint_fused, adjoint_reductions, apply, irbuild, sys.modules[__name__])
SOURCE_DIGEST = hashlib.sha256(b"".join(Path(m.__file__).read_bytes() for m in GENERATORS)).hexdigest()
ADJOINT_LIBRARY_VERSION = SOURCE_DIGEST[:12]
ADJOINT_LIBRARY_NAME = f"qdl-adjoint-{ADJOINT_LIBRARY_VERSION}"
PAULI = "pauli"


def adjoint_library_name(real: Real = DOUBLE) -> str:
    return ADJOINT_LIBRARY_NAME if real == DOUBLE else f"qdl-adjoint-{real.name}-{ADJOINT_LIBRARY_VERSION}"


def emit_adjoint_library(real: Real = DOUBLE) -> ir.Module:
    """The library module of one precision: every function defined, external, under its versioned name."""
    return _build(real)[0]


def declare(module: ir.Module, real: Real = DOUBLE) -> dict[object, ir.Function]:
    """Declarations in `module` of every library function, keyed by row kind (and `PAULI`)."""
    return {kind: declare_like(module, fn) for kind, fn in _defined(real).items()}


def _build(real: Real) -> tuple[ir.Module, dict[object, ir.Function]]:
    module = ir.Module(name=adjoint_library_name(real))
    reduce1 = build_reduce1(module, real)
    functions = {REDUCE1: reduce1, REDUCE: build_reduce(module, real), PAULI: build_pauli_acc(module, real),
                 REDUCE_APPLY1: build_fused(module, reduce1, False, False, real),
                 REDUCE_APPLY1_DIAG: build_fused(module, reduce1, True, False, real),
                 REDUCE_APPLY1_MUX: build_fused(module, reduce1, False, True, real),
                 REDUCE_APPLY1_MUX_DIAG: build_fused(module, reduce1, True, True, real),
                 REDUCE1_MUX: build_fused(module, reduce1, None, True, real)}
    suffix = ADJOINT_LIBRARY_VERSION if real == DOUBLE else f"f32_{ADJOINT_LIBRARY_VERSION}"
    for fn in functions.values():
        fn.name = f"{fn.name}_{suffix}"
        fn.linkage = ""
    return module, functions


@cache
def _defined(real: Real) -> dict[object, ir.Function]:
    return _build(real)[1]
