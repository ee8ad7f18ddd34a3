"""What every `qdlc` command shares: exit codes, the limit and precision options, compiling with
diagnostics, atomic output, and picking a circuit with its arguments."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import click

from qdl.compiler.driver import CompileOptions, CompileResult, compile_file

EXIT_PROGRAM_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class UsageError(click.UsageError):
    """A mistake on the command line (exit 2)."""


def compile_options(max_ops: int | None, max_memory: str | None, precision: str = "double") -> CompileOptions:
    """The compiler's limits from --max-ops, --max-memory and --precision (bytes per amplitude)."""
    defaults = CompileOptions()
    return CompileOptions(max_ops=max_ops or defaults.max_ops,
                          max_state_bytes=parse_bytes(max_memory) if max_memory else None,
                          bytes_per_amplitude=8 if precision == "single" else 16)


def check_precision(backend: str, precision: str) -> None:
    """--precision single needs the llvm back end."""
    if precision != "double" and backend != "llvm":
        raise UsageError(f"--precision {precision} needs --backend llvm; the reference simulator computes in "
                         "double only")


precision_option = click.option(
    "--precision", type=click.Choice(["double", "single"]), default="double", show_default=True,
    help="Amplitudes of the llvm kernel's state: complex128, or complex64 (half the memory, results to ~1e-6).")


def parse_bytes(text: str) -> int:
    """A --max-memory size (`512M`, `8G`, `4GiB`, a number of bytes) in bytes."""
    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    clean = text.strip().upper().removesuffix("B").removesuffix("I")
    number, unit = (clean[:-1], clean[-1]) if clean and clean[-1] in units else (clean, "")
    try:
        size = int(float(number) * units[unit])
    except (ValueError, OverflowError):
        raise UsageError(f"--max-memory: cannot read `{text}`; write e.g. 512M or 8G") from None
    if size < 1:
        raise UsageError(f"--max-memory must be a positive size, got `{text}`")
    return size


def report(result: CompileResult, style: str) -> None:
    """Print diagnostics (errors and warnings) to stderr."""
    if not result.sink.diagnostics:
        return
    if style == "json":
        click.echo(json.dumps([diagnostic_json(d, result) for d in result.sink.sorted()], indent=2), err=True)
        return
    click.echo(result.render(style), err=True)


def diagnostic_json(diagnostic, result: CompileResult) -> dict:
    """One diagnostic as the JSON object of --diagnostics-format json (file, line and column 1-based)."""
    span = diagnostic.span
    location = {}
    if span is not None:
        line, col = result.sink.sources.line_col(span.file, span.start)
        end_line, end_col = result.sink.sources.line_col(span.file, span.end)
        location = {"file": span.file, "line": line, "column": col,
                    "end_line": end_line, "end_column": end_col}
    return {"severity": diagnostic.severity.value, "code": diagnostic.code,
            "message": diagnostic.message, **location, "notes": list(diagnostic.notes),
            "help": diagnostic.help}


def compile_checked(path: str, options: CompileOptions, style: str, observable: str | None = None) -> CompileResult:
    """Compile a file and print its diagnostics (the result says whether it is usable)."""
    result = compile_file(path, options, observable=observable)
    report(result, style)
    return result


def write_output(text: str, output: str | None) -> None:
    """Write to stdout, or atomically to a file (nothing half-written on failure)."""
    if output is None or output == "-":
        click.echo(text, nl=not text.endswith("\n"))
        return
    target = Path(output)
    try:
        with tempfile.NamedTemporaryFile("w", dir=target.parent or ".", delete=False,
                                         prefix=f".{target.name}.", encoding="utf-8") as tmp:
            tmp.write(text)
        os.replace(tmp.name, target)
    except OSError as exc:
        raise click.FileError(output, hint=exc.strerror or str(exc)) from None


common_limits = [
    click.option("--max-ops", type=click.IntRange(min=1), default=None,
                 help="Largest number of operations a circuit may unroll to."),
    click.option("--max-memory", default=None, metavar="SIZE",
                 help="Largest state vector a circuit may need, e.g. 4G (default: half the RAM)."),
    click.option("--diagnostics-format", "style", type=click.Choice(["rich", "short", "json"]),
                 default="rich", show_default=True, help="How errors and warnings are printed."),
]


def with_limits(func):
    """Add --max-ops, --max-memory and --diagnostics-format to a command."""
    for option in reversed(common_limits):
        func = option(func)
    return func


def circuit_inputs(verb: str, observable_verb: str):
    """--circuit, --arg and --observable, the inputs of `run` and `grad` (the verbs word the help)."""
    options = [
        click.option("--circuit", "circuit_name", default=None, metavar="NAME",
                     help=f"Which circuit to {verb} (needed when the file has several)."),
        click.option("--arg", "arg_texts", multiple=True, metavar="NAME=VALUE",
                     help="An argument: a number, a JSON list, or @file.npy / @file.json. Repeatable."),
        click.option("--observable", default=None, metavar="PAULIS",
                     help=f'For OpenQASM files: {observable_verb} this expectation, e.g. "0.5*Z0 Z1 + 0.3*X2".'),
    ]

    def apply(func):
        for option in reversed(options):
            func = option(func)
        return func
    return apply


def collect_args(texts: tuple[str, ...]) -> dict[str, object]:
    """The --arg NAME=VALUE values by name (a name given twice is a usage error)."""
    from qdl.cli_values import parse_arg
    values: dict[str, object] = {}
    for text in texts:
        name, value = parse_arg(text)
        if name in values:
            raise UsageError(f"--arg {name} is given twice")
        values[name] = value
    return values


def pick_circuit(result: CompileResult, name: str | None, file: str):
    """The circuit --circuit names, or the only one; a usage error naming the choices otherwise."""
    names = result.module.names
    if name is None:
        if len(names) == 1:
            return result.module.circuits[0]
        if not names:
            raise UsageError(f"{file} defines no circuit to run")
        raise UsageError(f"{file} defines several circuits ({', '.join(names)}); choose one with --circuit NAME")
    if name not in names:
        import difflib
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"; did you mean `{close[0]}`?" if close else f"; circuits: {', '.join(names)}"
        raise UsageError(f"{file} has no circuit `{name}`{hint}")
    return result.module[name]
