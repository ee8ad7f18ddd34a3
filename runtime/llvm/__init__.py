"""The LLVM runtime: JIT-compiled state-vector kernels with a persistent object cache.

`run(circuit, args)` has the contract of `qdl.runtime.reference.simulate` for
circuits without mid-circuit measurement, reset or conditions; for those it
raises `Unsupported` (a `NotImplementedError`) so callers can fall back.
"""

from qdl.compiler.backends.llvm import Unsupported
from qdl.runtime.llvm.jit import STATS
from qdl.runtime.llvm.kernel import CompiledCircuit, code_listing, compile_circuit, run

__all__ = ["STATS", "CompiledCircuit", "Unsupported", "code_listing", "compile_circuit", "run"]
