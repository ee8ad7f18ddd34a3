"""The LLVM back end: a table-driven state-vector kernel per circuit, built with `llvmlite.ir`.

`plan.lower` turns a `Circuit` into a `KernelPlan` (an op table plus the
layout of the gate matrices the host computes per call); `codegen.emit`
turns the plan into an LLVM module whose exported kernel walks the table.
The runtime side (JIT, caches, calling) is `qdl.runtime.llvm`.
"""

from qdl.compiler.backends.llvm.codegen import KERNEL_ABI, emit, kernel_symbol
from qdl.compiler.backends.llvm.plan import KernelPlan, Unsupported, lower

__all__ = ["KERNEL_ABI", "KernelPlan", "Unsupported", "emit", "kernel_symbol", "lower"]
