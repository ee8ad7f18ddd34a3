"""The front end as one call: source or file -> IR `Module` plus diagnostics.

This is what the CLI and the Python API use; it owns no logic of its own
beyond wiring the stages: parse -> declare files and imports -> elaborate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qdl.compiler.diagnostics import DiagnosticSink, render_all
from qdl.compiler.frontend import ast
from qdl.compiler.frontend.modules import ModuleLoader, display_name, read_source
from qdl.compiler.frontend.parser import parse
from qdl.compiler.frontend.statements import CompileOptions
from qdl.compiler.ir import Module

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
                   base_dir: str | Path | None = None) -> CompileResult:
    """Compile program text; imports resolve against `base_dir` (default: the file's folder or cwd)."""
    sink = DiagnosticSink()
    program = parse(text, filename, sink)
    if program is None:
        return CompileResult(None, sink, None)
    base = Path(base_dir) if base_dir is not None else _default_base(filename)
    path = (base / Path(filename).name).resolve() if filename and not filename.startswith("<") else None
    loader = ModuleLoader(sink, options or CompileOptions())
    module = loader.compile_program(program, base, path)
    return CompileResult(None if sink.has_errors else module, sink, program)


def compile_file(path: str | Path, options: CompileOptions | None = None) -> CompileResult:
    """Compile a `.qdl` file from disk."""
    path = Path(path)
    sink = DiagnosticSink()
    text = read_source(path, sink)
    if text is None:
        return CompileResult(None, sink, None)
    return compile_source(text, display_name(path.resolve()) if path.exists() else str(path),
                          options, base_dir=path.resolve().parent)


def parse_only(text: str, filename: str = "<string>") -> CompileResult:
    """Parse without elaborating (for `--emit ast`)."""
    sink = DiagnosticSink()
    return CompileResult(None, sink, parse(text, filename, sink))


def _default_base(filename: str) -> Path:
    if filename and not filename.startswith("<"):
        return Path(filename).resolve().parent
    return Path.cwd()
