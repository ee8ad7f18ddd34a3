"""OpenQASM source -> Circuit IR, through qdl's own AST and elaborator.

An OpenQASM file becomes a program with one circuit, `main`: its arguments
are the file's `input` declarations (trainable floats), its body the file's
operations.  OpenQASM has no observables, so `main` returns the expectation
value of the observable the caller gives, else the probabilities of all
qubits (little-endian, as everywhere in qdl: bit i of an index is qubit i,
qubits numbered over the registers in declaration order).
"""

from __future__ import annotations

import re
from pathlib import Path

from qdl.compiler.diagnostics import DiagnosticSink, Span, error
from qdl.compiler.frontend import ast
from qdl.compiler.frontend.modules import ModuleLoader, display_name, read_source
from qdl.compiler.frontend.parser import parse
from qdl.compiler.frontend.statements import CompileOptions
from qdl.compiler.ir import Module
from qdl.compiler.qasm.qasm2 import QasmProgram, parse_qasm2

QASM_SUFFIXES = (".qasm", ".qasm2", ".qasm3", ".inc")
_HEADER = re.compile(r"^\s*(?://[^\n]*\n\s*|/\*.*?\*/\s*)*OPENQASM\s+(\d+)(?:\.(\d+))?", re.S)
_PAULI_SHORT = re.compile(r"\b([IXYZ])(\d+)\b")
MAX_INCLUDE_DEPTH = 16
# The standard gates the gate table lacks (qelib1.inc's cu3, rccx, ...; Qiskit's cu),
# and for OpenQASM 3 the gates whose phase convention differs from the table's.
PRELUDES = {2: "<stdlib>/qasm/prelude.qdl", 3: "<stdlib>/qasm/stdgates.qdl"}


def is_qasm_file(path: str | Path) -> bool:
    return Path(path).suffix.lower() in QASM_SUFFIXES


def qasm_version(text: str) -> int:
    """2 or 3, from the `OPENQASM` header; without one, guessed from the declarations."""
    match = _HEADER.match(text)
    if match:
        return int(match.group(1))
    return 2 if re.search(r"\bqreg\b", text) and not re.search(r"\bqubit\b", text) else 3


def compile_qasm(text: str, filename: str, options: CompileOptions, sink: DiagnosticSink,
                 base_dir: Path, observable: str | None = None) -> tuple[Module | None, ast.Program | None]:
    """Compile OpenQASM 2 or 3 text; returns the module (None on errors) and its qdl AST."""
    version = qasm_version(text)
    program = _parse(text, filename, version, sink)
    if program is None:
        return None, None
    if version == 2:
        _inline_includes(program, base_dir, sink, [filename])
    results = _results(observable, sink)
    if results is None or sink.has_errors:
        return None, None
    qdl_ast = program.to_ast(results, PRELUDES[version])
    loader = ModuleLoader(sink, options, allow_shadowing=True)
    module = loader.compile_program(qdl_ast, base_dir, None)
    return (None if sink.has_errors else module), qdl_ast


def _parse(text: str, filename: str, version: int, sink: DiagnosticSink) -> QasmProgram | None:
    if version == 2:
        return parse_qasm2(text, filename, sink)
    if version == 3:
        from qdl.compiler.qasm.qasm3 import parse_qasm3
        return parse_qasm3(text, filename, sink)
    sink.sources.add(filename, text)
    header = _HEADER.match(text)
    sink.emit(error("E0110", f"OpenQASM version {version} is not supported", 
                    Span(filename, header.start(1), header.end(1)) if header else None,
                    "unknown version", help="qdl reads OpenQASM 2.0 and 3"))
    return None


def _inline_includes(program: QasmProgram, base_dir: Path, sink: DiagnosticSink, chain: list[str]) -> None:
    """OpenQASM 2 `include` is textual: an included file contributes its gate definitions."""
    included = []
    for include in program.includes:
        path = (base_dir / include.path).resolve()
        name = display_name(path)
        if name in chain or len(chain) > MAX_INCLUDE_DEPTH:
            sink.emit(error("E0211", "include cycle", include.span, "this include closes a cycle",
                            notes=(" -> ".join(chain + [name]),)))
            continue
        if not path.is_file():
            sink.emit(error("E0210", f"cannot find \"{include.path}\"", include.span, "file not found",
                            notes=(f"searched {name}",),
                            help="qelib1.inc is built in; other includes are read relative to this file"))
            continue
        text = read_source(path, sink, include.span)
        inner = parse_qasm2(text, name, sink) if text is not None else None
        if inner is None:
            continue
        _inline_includes(inner, path.parent, sink, chain + [name])
        included.extend(inner.gates)
        if inner.body:
            sink.emit(error("E0110", "an included file may only define gates", inner.body[0].span,
                            "an operation in an included file"))
    program.gates[:0] = included
    program.includes = []


def _results(observable: str | None, sink: DiagnosticSink) -> ast.ExprNode | None:
    """`expval(observable)`, or `probs()` of every qubit when no observable is given."""
    if observable is None:
        return ast.Call("probs", ())
    source = "observable H = " + _PAULI_SHORT.sub(r"\1[\2]", observable) + ";"
    parsed = parse(source, "<observable>", DiagnosticSink())
    if parsed is None or len(parsed.items) != 1:
        sink.emit(error("E0112", f"cannot read the observable `{observable}`", None,
                        help="write a sum of Pauli products such as `0.5*Z0 Z1 + 0.3*X2` "
                             "or `0.5 * Z[0] Z[1] + 0.3 * X[2]`"))
        return None
    sink.sources.add("<observable>", source)  # later errors about it point into this text
    return ast.Call("expval", (parsed.items[0].value,))
