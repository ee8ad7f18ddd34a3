"""The front end as one call: source or file -> IR `Module` plus diagnostics.

This is what the CLI and the Python API use; it owns no logic of its own
beyond wiring the stages: parse -> declare files and imports -> elaborate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from qdl.compiler.deep_stack import run_deep
from qdl.compiler.diagnostics import DiagnosticSink, error, render_all
from qdl.compiler.frontend import ast
from qdl.compiler.frontend.modules import ModuleLoader, display_name, read_source
from qdl.compiler.frontend.parser import parse
from qdl.compiler.frontend.statements import CompileOptions
from qdl.compiler.ir import Module
from qdl.compiler.qasm.importer import compile_qasm, is_qasm_file

__all__ = ["CompileOptions", "CompileResult", "compile_file", "compile_source", "parse_only"]


@dataclass
class CompileResult:
    """The outcome of a compilation: `module` is None when there were errors."""

    module: Module | None
    sink: DiagnosticSink
    program: ast.Program | None = None

    @property
    def ok(self) -> bool:
        return self.module is not None

    def render(self, style: str = "rich") -> str:
        """All diagnostics, in source order, as text."""
        return render_all(self.sink.sorted(), self.sink.sources, style)


def compile_source(text: str, filename: str = "<string>", options: CompileOptions | None = None,
                   base_dir: str | Path | None = None, *, observable: str | None = None,
                   language: str | None = None,
                   loader: Callable[[DiagnosticSink, CompileOptions], ModuleLoader] = ModuleLoader) -> CompileResult:
    """Compile program text; imports resolve against `base_dir` (default: the file's folder or cwd).

    `language` is "qdl" or "qasm" (default: from the file name, then the text);
    `observable` is what an OpenQASM program's `main` returns the expectation of;
    `loader` makes the qdl `ModuleLoader` (the program cache records imports with its own).
    """
    return run_deep(_compile_source, text, filename, options, base_dir, observable, language, loader)


def _compile_source(text: str, filename: str, options: CompileOptions | None, base_dir: str | Path | None,
                    observable: str | None, language: str | None,
                    loader: Callable[[DiagnosticSink, CompileOptions], ModuleLoader]) -> CompileResult:
    options = options or CompileOptions()
    base = Path(base_dir) if base_dir is not None else _default_base(filename)
    if (language or _language(filename, text)) == "qasm":
        return _compile_qasm(text, filename, options, base, observable)
    sink = DiagnosticSink()
    program = parse(text, filename, sink)
    if program is None:
        return CompileResult(None, sink, None)
    if observable is not None:
        sink.emit(error("E0112", "`observable` applies to OpenQASM programs only", None,
                        help="a qdl circuit names its results in its `return` statement"))
        return CompileResult(None, sink, program)
    path = (base / Path(filename).name).resolve() if filename and not filename.startswith("<") else None
    module = loader(sink, options).compile_program(program, base, path)
    return CompileResult(None if sink.has_errors else module, sink, program)


def compile_file(path: str | Path, options: CompileOptions | None = None, *,
                 observable: str | None = None) -> CompileResult:
    """Compile a `.qdl` (or OpenQASM `.qasm`) file from disk."""
    path = Path(path)
    sink = DiagnosticSink()
    text = read_source(path, sink)
    if text is None:
        return CompileResult(None, sink, None)
    return compile_source(text, display_name(path.resolve()) if path.exists() else str(path),
                          options, base_dir=path.resolve().parent, observable=observable)


def _language(filename: str, text: str) -> str:
    if is_qasm_file(filename):
        return "qasm"
    if filename.endswith(".qdl"):
        return "qdl"
    return "qasm" if text.lstrip().startswith("OPENQASM") else "qdl"


def _compile_qasm(text: str, filename: str, options: CompileOptions, base: Path,
                  observable: str | None) -> CompileResult:
    sink = DiagnosticSink()
    module, program = compile_qasm(text, filename, options, sink, base, observable)
    return CompileResult(module, sink, program)


def parse_only(text: str, filename: str = "<string>") -> CompileResult:
    """Parse without elaborating (for `--emit ast`)."""
    sink = DiagnosticSink()
    return CompileResult(None, sink, parse(text, filename, sink))


def _default_base(filename: str) -> Path:
    if filename and not filename.startswith("<"):
        return Path(filename).resolve().parent
    return Path.cwd()
