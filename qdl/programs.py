"""Programs: `qdl.load` a file or `qdl.compile` text into a `Program`, whose circuits are attributes.

A load on the llvm back end goes through the program cache first
(`runtime/llvm/program_cache.py`): a warm load runs neither the front end nor LLVM.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Sequence

from qdl.api import DEFAULT_BACKEND, DEFAULT_PRECISION, CircuitFunction, check_backend
from qdl.compiler.driver import CompileOptions, CompileResult, compile_file, compile_source
from qdl.compiler.ir import Module
from qdl.errors import ArgumentError, CompileError


class Program:
    """A compiled `.qdl` program: its circuits are attributes and items."""

    def __init__(self, module: Module, result: CompileResult, backend: str = DEFAULT_BACKEND,
                 precision: str = DEFAULT_PRECISION) -> None:
        self.module = module
        self.warnings = result.render() if result.sink.diagnostics else ""
        self._functions = {c.name: CircuitFunction(c, backend, precision) for c in module.circuits}

    @property
    def ir(self) -> str:
        """The whole module's IR in its text form."""
        from qdl.compiler.ir_text import format_module
        return format_module(self.module)

    @property
    def circuits(self) -> tuple[str, ...]:
        return tuple(self._functions)

    def __getitem__(self, name: str) -> CircuitFunction:
        try:
            return self._functions[name]
        except KeyError:
            raise KeyError(f"no circuit `{name}`; circuits: {', '.join(self._functions) or '(none)'}") from None

    def __getattr__(self, name: str) -> CircuitFunction:
        functions = self.__dict__.get("_functions", {})
        if name in functions:
            return functions[name]
        raise AttributeError(f"program has no circuit `{name}`; circuits: {', '.join(functions) or '(none)'}")

    def __iter__(self) -> Iterator[str]:
        return iter(self._functions)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._functions))

    def __repr__(self) -> str:
        return f"<qdl program: {', '.join(self._functions)}>"

    def draw(self, width: int | None = None) -> str:
        """The text drawings of every circuit, separated by blank lines (see `CircuitFunction.draw`)."""
        return "\n".join(f.draw(width=width) for f in self._functions.values())

    def stats(self, levels: Sequence[int] = (0, 1, 2, 3)) -> dict:
        """Circuit name -> its `Resources` report (see `CircuitFunction.stats`)."""
        return {name: f.stats(levels) for name, f in self._functions.items()}

    def _repr_html_(self) -> str:
        from qdl.compiler.draw.notebook import program_html
        return program_html(self.module.circuits)


def _program(result: CompileResult, backend: str = DEFAULT_BACKEND, precision: str = DEFAULT_PRECISION) -> Program:
    if result.module is None:
        raise CompileError(result.render(), result.sink.errors)
    return Program(result.module, result, backend, precision)


def load(path: str | Path, *, observable: str | None = None, max_ops: int | None = None,
         max_memory: int | None = None, opt_level: int = 0, passes: str | None = None,
         backend: str = DEFAULT_BACKEND, precision: str = DEFAULT_PRECISION) -> Program:
    """Compile a `.qdl` or OpenQASM (`.qasm`) file; raises `CompileError` on mistakes.

    An OpenQASM file becomes one circuit, `main`, returning the expectation of
    `observable` (e.g. "0.5*Z0 Z1 + 0.3*X2") or, without one, the
    probabilities of all qubits.  `opt_level` (0..3) or a `passes` pipeline
    text optimizes the IR first (docs/passes.md).  `backend` is "llvm" (the default:
    JIT-compiled kernels; circuits with mid-circuit measurement, resets or
    conditions run on the reference) or "reference" (numpy, the oracle).
    `precision` is "double" (complex128 states, the default) or "single"
    (complex64 states on the llvm back end: half the memory; results to ~1e-6;
    see docs/backends.md for what still computes in double).
    """
    check_backend(backend, precision)
    options = _options(max_ops, max_memory, precision)
    if backend == "llvm" and observable is None:  # a warm load skips the front end (docs/backends.md)
        from qdl.runtime.llvm import program_cache
        program = program_cache.load(path, options, (opt_level, passes), precision,
                                     lambda result: _optimized(result, opt_level, passes),
                                     lambda result: _program(result, backend, precision))
        if program is not None:
            return program
    result = compile_file(path, options, observable=observable)
    return _program(_optimized(result, opt_level, passes), backend, precision)


def compile(source: str, filename: str = "<string>", *, base_dir: str | Path | None = None,
            observable: str | None = None, language: str | None = None,
            max_ops: int | None = None, max_memory: int | None = None, opt_level: int = 0,
            passes: str | None = None, backend: str = DEFAULT_BACKEND,
            precision: str = DEFAULT_PRECISION) -> Program:
    """Compile program text (qdl, or OpenQASM when it starts with `OPENQASM` or `language="qasm"`)."""
    check_backend(backend, precision)
    result = compile_source(source, filename, _options(max_ops, max_memory, precision), base_dir,
                            observable=observable, language=language)
    return _program(_optimized(result, opt_level, passes), backend, precision)


def _optimized(result: CompileResult, opt_level: int, passes: str | None) -> CompileResult:
    """Apply the optimization pipeline to a successful compilation's module."""
    if isinstance(opt_level, bool) or not isinstance(opt_level, int):
        raise ArgumentError(f"opt_level must be an integer 0..3, got {opt_level!r}")
    if result.module is None or (opt_level == 0 and passes is None):
        return result
    from qdl.compiler.passes import PipelineError, optimize_module  # (networkx: imported only when optimizing)
    try:
        result.module = optimize_module(result.module, opt_level, passes)
    except PipelineError as exc:
        raise ArgumentError(str(exc)) from None
    return result


def _options(max_ops: int | None, max_memory: int | None, precision: str = DEFAULT_PRECISION) -> CompileOptions:
    for name, value in (("max_ops", max_ops), ("max_memory", max_memory)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ArgumentError(f"{name} must be a positive integer, got {value!r}")
    defaults = CompileOptions()
    return CompileOptions(max_ops=defaults.max_ops if max_ops is None else max_ops,
                          max_state_bytes=max_memory, bytes_per_amplitude=8 if precision == "single" else 16)
