"""qdl: a differentiable quantum programming language.

    import qdl
    prog = qdl.load("examples/vqe_h2.qdl")
    prog.energy(theta=0.1)
"""

from qdl.api import CircuitFunction, Program, compile, grad, load
from qdl.errors import ArgumentError, CompileError, ExecutionError, QdlError

__version__ = "0.1.0"

__all__ = ["load", "compile", "grad", "Program", "CircuitFunction", "QdlError", "CompileError",
           "ArgumentError", "ExecutionError", "__version__"]
