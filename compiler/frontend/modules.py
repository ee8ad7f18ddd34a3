"""Files and imports: load, parse and declare each file once, then elaborate circuits.

An `import "path";` is resolved relative to the importing file, then to the
standard library (`qdl/stdlib`), and nowhere else.  The imported file's
constants, observables and gates (and what it imported) become visible in the
importer.  A file is elaborated once however often it is imported; a cycle of
imports is an error at the import that closes it.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from qdl.compiler.diagnostics import DiagnosticSink, Label, Span, error
from qdl.compiler.frontend import ast
from qdl.compiler.frontend.circuits import elaborate_circuit
from qdl.compiler.frontend.gate_check import check_uncalled_gates
from qdl.compiler.frontend.context import CIRCUIT, GATE, OBSERVABLE, POISON, ElabError, Scope, Symbol, check_name
from qdl.compiler.frontend.expressions import Evaluator, fail
from qdl.compiler.frontend.parser import parse
from qdl.compiler.frontend.statements import CompileOptions, define_const
from qdl.compiler import gates as gate_table
from qdl.compiler.frontend.values import PauliSum, describe
from qdl.compiler.ir import Module


STDLIB_PREFIX = "<stdlib>/"  # an import path that names a standard-library file explicitly


def stdlib_root() -> Path:
    return Path(str(resources.files("qdl.stdlib")))


def display_name(path: Path) -> str:
    """How a file is named in messages: stdlib-relative, cwd-relative below the cwd, else absolute.

    A file outside the working directory keeps its absolute path: `../../x.qdl`
    would say less and depend on where the command ran.
    """
    try:
        return "<stdlib>/" + path.relative_to(stdlib_root()).as_posix()
    except ValueError:
        pass
    absolute = os.path.abspath(path)
    try:
        return Path(absolute).relative_to(os.getcwd()).as_posix()
    except ValueError:
        return absolute


class ModuleLoader:
    """Loads the main file and its imports into scopes, reporting to one sink."""

    def __init__(self, sink: DiagnosticSink, options: CompileOptions, *,
                 allow_shadowing: bool = False) -> None:
        self.sink = sink
        self.options = options
        self.scopes: dict[Path, Scope] = {}
        self.loading: list[Path] = []
        # OpenQASM files may redefine built-in and included gates; qdl files may not.
        self.allow_shadowing = allow_shadowing

    # ------------------------------------------------------------ entry points

    def compile_program(self, program: ast.Program, base_dir: Path, path: Path | None) -> Module:
        """Declare the main file's items, then elaborate its circuits."""
        if path is not None:
            self.loading.append(path)
        scope = self.declare(program, base_dir)
        circuits = []
        for item in program.items:
            if isinstance(item, ast.CircuitDef):
                circuit = elaborate_circuit(item, scope, self.sink, self.options)
                if circuit is not None:
                    circuits.append(circuit)
        check_uncalled_gates(program, scope, self.sink, self.options)
        return Module(tuple(circuits))

    def declare(self, program: ast.Program, base_dir: Path) -> Scope:
        """Bind every top-level name of a file in a new file scope."""
        scope = Scope()
        evaluator = Evaluator(scope)
        for item in program.items:
            if isinstance(item, ast.Import):
                self._import(item, base_dir, scope)
        imported = set(scope.names)
        for item in program.items:  # gates and circuits are visible throughout the file
            if isinstance(item, (ast.GateDef, ast.CircuitDef)):
                self._declare_callable(item, scope, imported)
        for item in program.items:
            if isinstance(item, ast.ConstDecl):
                define_const(evaluator, scope, item, self.sink)
            elif isinstance(item, ast.ObservableDecl):
                self._declare_observable(item, scope, evaluator, imported)
        return scope

    # ------------------------------------------------------------ declarations

    def _declare_callable(self, item: ast.GateDef | ast.CircuitDef, scope: Scope, imported: set[str]) -> None:
        kind = GATE if isinstance(item, ast.GateDef) else CIRCUIT
        if not self._names_allowed(item):
            return
        if kind == GATE and gate_table.lookup(item.name) is not None and not self.allow_shadowing:
            self.sink.emit(fail("E0208", f"`{item.name}` is a built-in gate", item.name_span,
                                "redefines a built-in gate", help="give your gate another name").diagnostic)
            return
        if self._clashes(item.name, item.name_span, scope, imported):
            return
        scope.define(item.name, Symbol(kind, item, item.name_span, used=False, scope=scope))

    def _names_allowed(self, item: ast.GateDef | ast.CircuitDef) -> bool:
        """A definition and its gate parameters may not take reserved names."""
        names = [(item.name, item.name_span)]
        if isinstance(item, ast.GateDef):
            names += [(p.name, p.span) for p in item.params] + [(q.name, q.span) for q in item.qargs]
        for name, span in names:
            try:
                check_name(name, span)
            except ElabError as exc:
                self.sink.emit(exc.diagnostic)
                return False
        return True

    def _declare_observable(self, item: ast.ObservableDecl, scope: Scope, evaluator: Evaluator,
                            imported: set[str]) -> None:
        try:
            check_name(item.name, item.span)
        except ElabError as exc:
            self.sink.emit(exc.diagnostic)
            return
        if self._clashes(item.name, item.span, scope, imported):
            return
        from qdl.compiler.frontend.context import Poisoned
        try:
            value = evaluator.eval(item.value)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                value = PauliSum.constant(value)
            if not isinstance(value, PauliSum):
                raise fail("E0205", f"an observable must be a sum of Pauli products, found {describe(value)}",
                           item.value.span, help="e.g. `observable H = 0.5 * Z[0] Z[1] + X[0];`")
        except ElabError as exc:
            self.sink.emit(exc.diagnostic)
            value = POISON
        except Poisoned:
            value = POISON
        scope.define(item.name, Symbol(OBSERVABLE, value, item.span, used=True))

    def _clashes(self, name: str, span: Span | None, scope: Scope, imported: set[str]) -> bool:
        previous = scope.names.get(name)
        if previous is None:
            return False
        if self.allow_shadowing and name in imported:
            imported.discard(name)  # the file's own definition wins over an included one
            return False
        secondary = (Label(previous.span, "first defined here", primary=False),) if previous.span else ()
        self.sink.emit(error("E0208", f"`{name}` is defined twice", span, "redefined here",
                             secondary=secondary, help="give one of them another name"))
        return True

    # ------------------------------------------------------------ imports

    def _import(self, item: ast.Import, base_dir: Path, scope: Scope) -> None:
        errors_before = len(self.sink.errors)
        self._import_names(item, base_dir, scope)
        if len(self.sink.errors) > errors_before:
            scope.incomplete = True  # names it would have defined are reported once, here

    def _import_names(self, item: ast.Import, base_dir: Path, scope: Scope) -> None:
        path = self._resolve(item, base_dir)
        if path is None:
            return
        if path in self.loading:
            chain = " -> ".join(display_name(p) for p in self.loading[self.loading.index(path):] + [path])
            self.sink.emit(error("E0211", "import cycle", item.span, "this import closes a cycle",
                                 notes=(chain,), help="move the shared definitions into a third file"))
            return
        imported = self.scopes.get(path) or self._load(path, item)
        if imported is None:
            return
        for name, symbol in imported.names.items():
            existing = scope.names.get(name)
            if existing is not None and existing is not symbol:
                self.sink.emit(error("E0208", f"`{name}` from \"{item.path}\" clashes with another definition",
                                     item.span, "imported here"))
                continue
            scope.define(name, symbol)

    def _resolve(self, item: ast.Import, base_dir: Path) -> Path | None:
        if item.path.startswith(STDLIB_PREFIX):
            candidate = stdlib_root() / item.path[len(STDLIB_PREFIX):]
            return candidate.resolve() if candidate.is_file() else self._not_found(item, [candidate])
        if os.path.isabs(item.path):
            self.sink.emit(error("E0210", "imports must be relative paths", item.span, "absolute path",
                                 help="import relative to this file, or from the standard library (\"std/...\")"))
            return None
        candidates = [base_dir / item.path, stdlib_root() / item.path]
        for candidate in candidates:
            if candidate.is_file():
                return candidate.resolve()
        return self._not_found(item, candidates)

    def _not_found(self, item: ast.Import, candidates: list[Path]) -> None:
        searched = tuple(f"searched {display_name(c)}" for c in candidates)
        self.sink.emit(error("E0210", f"cannot find \"{item.path}\"", item.span, "file not found",
                             notes=searched, help=_import_help(item.path)))
        return None

    def _source(self, path: Path, item: ast.Import) -> str | None:
        """The text of the imported file (None, with a diagnostic, when it cannot be read)."""
        return read_source(path, self.sink, item.span)

    def _load(self, path: Path, item: ast.Import) -> Scope | None:
        text = self._source(path, item)
        if text is None:
            return None
        program = parse(text, display_name(path), self.sink)
        if program is None:
            return None
        self.loading.append(path)
        try:
            scope = self.declare(program, path.parent)
        finally:
            self.loading.pop()
        self.scopes[path] = scope
        return scope


def _import_help(path: str) -> str | None:
    std = sorted(p.relative_to(stdlib_root()).as_posix() for p in (stdlib_root() / "std").rglob("*.qdl"))
    from qdl.compiler.frontend.context import suggest
    hint = suggest(path, std)
    if hint:
        return hint
    return "standard library files: " + ", ".join(std) if std else None


def read_source(path: Path, sink: DiagnosticSink, span: Span | None = None) -> str | None:
    """Read a source file as UTF-8, reporting unreadable files as diagnostics."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        sink.emit(error("E0001", f"cannot read `{display_name(path)}`: {exc.strerror or exc}", span))
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        sink.sources.add(display_name(path), data.decode("utf-8", errors="replace"))
        offset = len(data[:exc.start].decode("utf-8", errors="replace"))
        sink.emit(error("E0105", "the file is not valid UTF-8",
                        Span(display_name(path), offset, offset + 1), "invalid byte here",
                        help="save the file as UTF-8"))
        return None
