"""qdl: a differentiable quantum programming language.

    import qdl
    prog = qdl.load("examples/vqe_h2.qdl")
    prog.energy(theta=0.1)
"""

from qdl.api import CircuitFunction, grad
from qdl.programs import Program, compile, load
from qdl.errors import ArgumentError, CompileError, ExecutionError, QdlError
from qdl.runtime.executors import Executor, ExecutorError, LocalExecutor, executor, set_executor

__version__ = "0.1.0"

__all__ = ["load", "compile", "grad", "Program", "CircuitFunction", "QdlError", "CompileError",
           "ArgumentError", "ExecutionError", "Executor", "ExecutorError", "LocalExecutor",
           "executor", "set_executor", "__version__"]


def __getattr__(name: str):
    """`qdl.DaskExecutor` on first use (it needs the `qdl[dask]` extra)."""
    if name == "DaskExecutor":
        from qdl.runtime.executors.cluster import DaskExecutor
        return DaskExecutor
    raise AttributeError(f"module 'qdl' has no attribute {name!r}")
