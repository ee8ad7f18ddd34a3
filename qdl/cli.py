"""`qdlc`: check, compile and run qdl programs from the command line.

Exit codes: 0 success, 1 errors in the program (or when running it), 2 usage
errors (bad options, bad `--arg` values, unknown circuit).  A user never sees a
Python traceback for their own mistakes; an internal error prints a short
report (the traceback only with QDL_DEBUG=1).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback
from pathlib import Path

import click

from qdl import __version__
from qdl.cli_executor import executor_options, make_executor
from qdl.compiler.driver import CompileOptions, CompileResult, compile_file
from qdl.compiler.frontend.ast import dump
from qdl.errors import QdlError

EXIT_PROGRAM_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class UsageError(click.UsageError):
    """A mistake on the command line (exit 2)."""


def _options(max_ops: int | None, max_memory: str | None, precision: str = "double") -> CompileOptions:
    defaults = CompileOptions()
    return CompileOptions(max_ops=max_ops or defaults.max_ops,
                          max_state_bytes=_parse_bytes(max_memory) if max_memory else None,
                          bytes_per_amplitude=8 if precision == "single" else 16)


def _check_precision(backend: str, precision: str) -> None:
    if precision != "double" and backend != "llvm":
        raise UsageError(f"--precision {precision} needs --backend llvm; the reference simulator computes in "
                         "double only")


precision_option = click.option(
    "--precision", type=click.Choice(["double", "single"]), default="double", show_default=True,
    help="Amplitudes of the llvm kernel's state: complex128, or complex64 (half the memory, results to ~1e-6).")


def _parse_bytes(text: str) -> int:
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


def _report(result: CompileResult, style: str) -> None:
    """Print diagnostics (errors and warnings) to stderr."""
    if not result.sink.diagnostics:
        return
    if style == "json":
        click.echo(json.dumps([_diagnostic_json(d, result) for d in result.sink.sorted()], indent=2), err=True)
        return
    click.echo(result.render(style), err=True)


def _diagnostic_json(diagnostic, result: CompileResult) -> dict:
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


def _compile(path: str, options: CompileOptions, style: str, observable: str | None = None) -> CompileResult:
    result = compile_file(path, options, observable=observable)
    _report(result, style)
    return result


def _write_output(text: str, output: str | None) -> None:
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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="qdlc")
def cli() -> None:
    """The qdl compiler: check, compile and run differentiable quantum programs."""


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@with_limits
def check(files: tuple[str, ...], max_ops, max_memory, style) -> None:
    """Report errors and warnings in FILES; exit 1 if any has errors."""
    options = _options(max_ops, max_memory)
    failed = [path for path in files if not _compile(path, options, style).ok]
    if failed:
        sys.exit(EXIT_PROGRAM_ERROR)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--emit", type=click.Choice(["ast", "ir", "qasm3", "qasm2", "grad", "metric", "llvm", "asm"]),
              default="ir", show_default=True,
              help="What to print: the syntax tree, the Circuit IR, OpenQASM 3 / 2, the gradient program, "
                   "the metric-tensor program, or the LLVM kernel as optimised LLVM IR / host assembly.")
@click.option("--circuit", "circuit_name", default=None, metavar="NAME",
              help="With --emit qasm3/qasm2/llvm/asm: which circuit (needed when the file has several).")
@click.option("--observable", default=None, metavar="PAULIS",
              help="For OpenQASM input: the observable `main` returns.")
@click.option("--arg", "arg_texts", multiple=True, metavar="NAME=VALUE",
              help="With --emit qasm3/qasm2: bind an argument to a value (OpenQASM 2 has no inputs).")
@click.option("-o", "--output", default=None, metavar="OUT", help="Write to OUT instead of stdout.")
@click.option("-O", "opt_level", type=click.IntRange(0, 3), default=0, show_default=True,
              help="Optimization preset -O0..-O3 (see docs/passes.md).")
@click.option("--passes", "pass_text", default=None, metavar="A,B{opt=v},C",
              help="Run this pass pipeline instead of the -O preset.")
@click.option("--print-after", default=None, metavar="PASS|all", help="Print the IR (to stderr) after PASS or every pass.")
@click.option("--time-passes", is_flag=True, help="Print (to stderr) the time each pass took.")
@click.option("--stats", "pass_stats", is_flag=True,
              help="Print (to stderr) gate counts, two-qubit count, depth and parameters before/after each pass.")
@click.option("--verify-each", is_flag=True, help="Run the IR verifier after every pass.")
@precision_option
@with_limits
def compile(file: str, emit: str, circuit_name, observable, arg_texts, output: str | None, opt_level,
            pass_text, print_after, time_passes, pass_stats, verify_each, precision, max_ops, max_memory,
            style) -> None:
    """Compile FILE (.qdl or OpenQASM) and print its AST, IR or OpenQASM."""
    result = _compile(file, _options(max_ops, max_memory), style, observable)
    if not result.ok:
        sys.exit(EXIT_PROGRAM_ERROR)
    if emit != "ast":
        result.module = _run_passes(result.module, opt_level, pass_text, print_after, time_passes,
                                    pass_stats, verify_each)
    if emit == "ast":
        _write_output(dump(result.program) + "\n", output)
    elif emit == "ir":
        from qdl.compiler.ir_text import format_module
        _write_output(format_module(result.module), output)
    elif emit in ("grad", "metric"):
        _write_output(_gradient_programs(result, circuit_name, file, emit), output)
    elif emit in ("llvm", "asm"):
        _write_output(_kernel_listing(result, file, circuit_name, emit, precision), output)
    else:
        _write_output(_export(result, file, circuit_name, emit, _collect_args(arg_texts)), output)


def _run_passes(module, opt_level: int, pass_text: str | None, print_after: str | None,
                timing: bool, stats: bool, verify_each: bool):
    """Apply the -O preset or --passes pipeline; diagnostics of the run go to stderr."""
    from qdl.compiler.ir_text import format_module
    from qdl.compiler.passes import PassManager, PipelineError, format_records, pipeline_for

    try:
        passes = pipeline_for(opt_level, pass_text)
    except PipelineError as exc:
        raise UsageError(f"--passes: {exc}") from None
    names = {p.name for p in passes}
    if print_after not in (None, "all") and print_after not in names:
        raise UsageError(f"--print-after {print_after}: not in the pipeline ({', '.join(sorted(names)) or 'empty'})")

    def observe(name, out) -> None:
        if print_after in ("all", name):
            click.echo(f"// IR after {name}\n{format_module(out)}", err=True)

    manager = PassManager(passes, verify_each=verify_each, collect_stats=stats, observer=observe)
    module = manager.run(module)
    if timing or stats:
        click.echo(format_records(manager.records, timing=timing, stats=stats), err=True, nl=False)
    else:  # what passes report (`route`: layouts, SWAPs) is shown even without --stats
        for note in (f"// {r.name}: {n}" for r in manager.records for n in r.notes):
            click.echo(note, err=True)
    return module


def _kernel_listing(result: CompileResult, file: str, circuit_name: str | None, emit: str,
                    precision: str = "double") -> str:
    from qdl.runtime import llvm
    circuit = _pick_circuit(result, circuit_name, file)
    try:
        return llvm.code_listing(circuit, emit, precision)
    except llvm.Unsupported as exc:
        click.echo(f"error: circuit `{circuit.name}` has no LLVM kernel yet: {exc}", err=True)
        sys.exit(EXIT_PROGRAM_ERROR)


def _export(result: CompileResult, file: str, circuit_name: str | None, emit: str,
            values: dict[str, object]) -> str:
    from qdl.compiler.qasm.export import QasmExportError, bind, to_qasm2, to_qasm3
    circuit = _pick_circuit(result, circuit_name, file)
    if emit == "qasm2" and circuit.arguments and not values:
        names = ", ".join(a.name for a in circuit.arguments)
        raise UsageError(f"OpenQASM 2 has no inputs: bind {names} with --arg NAME=VALUE")
    if values:
        try:
            circuit = bind(circuit, values)
        except ValueError as exc:
            raise UsageError(f"--arg: {exc}") from None
    try:
        return (to_qasm3 if emit == "qasm3" else to_qasm2)(circuit)
    except QasmExportError as exc:
        click.echo(f"error: cannot export circuit `{circuit.name}` as OpenQASM "
                   f"{emit[-1]}: {exc}", err=True)
        sys.exit(EXIT_PROGRAM_ERROR)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@circuit_inputs("run", "return")
@click.option("--state", "want_state", is_flag=True, help="Print the final state vector instead.")
@click.option("--backend", type=click.Choice(["llvm", "reference"]), default="llvm", show_default=True,
              help="The simulator: JIT-compiled LLVM kernels, or the numpy reference.")
@precision_option
@click.option("--shots", type=click.IntRange(min=1), default=None, help="Shots for `sample` results.")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Seed for sampling.")
@click.option("--format", "out_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="How results are printed.")
@executor_options
@with_limits
def run(file: str, circuit_name, arg_texts, observable, want_state, backend, precision, shots, seed, out_format,
        executor_name, threads, scheduler, connect_timeout, max_ops, max_memory, style) -> None:
    """Run a circuit of FILE (.qdl or OpenQASM) on a simulator and print its results."""
    from dataclasses import replace

    from qdl.api import CircuitFunction
    from qdl.cli_values import format_results
    from qdl.compiler.ir import Sample, State
    from qdl.runtime.executors import executor

    _check_precision(backend, precision)
    chosen = make_executor(executor_name, threads, scheduler, connect_timeout)
    result = _compile(file, _options(max_ops, max_memory, precision), style, observable)
    if not result.ok:
        sys.exit(EXIT_PROGRAM_ERROR)
    circuit = _pick_circuit(result, circuit_name, file)
    kwargs = _collect_args(arg_texts)
    if shots is None and any(isinstance(r, Sample) for r in circuit.results) and not want_state:
        raise UsageError(f"circuit `{circuit.name}` returns `sample`: pass --shots N")
    function = CircuitFunction(circuit, backend, precision)
    with executor(chosen):
        if want_state:
            values = function.state(**kwargs)
            circuit = replace(circuit, results=(State(),), returns_tuple=False)
        else:
            values = function(shots=shots, seed=seed, **kwargs)
    click.echo(format_results(circuit, values, out_format))


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@circuit_inputs("differentiate", "differentiate")
@click.option("--wrt", multiple=True, metavar="NAME",
              help="Differentiate with respect to this float argument (default: the `param` ones). Repeatable.")
@click.option("--backend", type=click.Choice(["llvm", "reference"]), default="llvm", show_default=True,
              help="The simulator: JIT-compiled LLVM kernels, or the numpy reference.")
@precision_option
@click.option("--method", type=click.Choice(["best", "parameter-shift", "adjoint", "finite-diff"]),
              default="best", show_default=True, help="How derivatives are computed (see docs/autodiff.md).")
@click.option("--stats", is_flag=True, help="First print (to stderr) how many circuit evaluations it costs.")
@click.option("--shots", type=click.IntRange(min=1), default=None,
              help="Estimate from this many shots per evaluation (prints standard errors).")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Seed for --shots.")
@click.option("--format", "out_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="How results are printed.")
@executor_options
@with_limits
def grad(file: str, circuit_name, arg_texts, observable, wrt, backend, precision, method, stats, shots, seed,
         out_format, executor_name, threads, scheduler, connect_timeout, max_ops, max_memory, style) -> None:
    """Print the values and derivatives of a circuit of FILE at the given arguments."""
    from qdl.arguments import bind
    from qdl.cli_values import format_jacobian, gradient_stats
    from qdl.compiler.autodiff import gradient_program
    from qdl.runtime.gradients import jacobian

    _check_precision(backend, precision)
    chosen = make_executor(executor_name, threads, scheduler, connect_timeout)
    result = _compile(file, _options(max_ops, max_memory, precision), style, observable)
    if not result.ok:
        sys.exit(EXIT_PROGRAM_ERROR)
    circuit = _pick_circuit(result, circuit_name, file)
    unknown = [name for name in wrt if circuit.argument(name) is None]
    if unknown:
        names = ", ".join(a.name for a in circuit.arguments) or "(none)"
        raise UsageError(f"--wrt {unknown[0]}: circuit `{circuit.name}` has no such argument; its arguments: {names}")
    program = gradient_program(circuit, wrt or None, result.sink.sources)
    if stats:
        click.echo(gradient_stats(program), err=True)
    bound, batch = bind(circuit, (), _collect_args(arg_texts))
    jac = jacobian(program, bound, method, shots, seed, backend=backend, precision=precision, executor=chosen)
    click.echo(format_jacobian(circuit, jac, program.wrt, out_format, batch is not None))


def _gradient_programs(result: CompileResult, circuit_name: str | None, file: str, emit: str = "grad") -> str:
    from qdl.compiler.autodiff import format_gradient_program, format_metric_program, gradient_program, metric_program
    circuits = [_pick_circuit(result, circuit_name, file)] if circuit_name else result.module.circuits
    if emit == "metric":
        return "\n".join(format_metric_program(metric_program(c, None, sources=result.sink.sources)) for c in circuits)
    return "\n".join(format_gradient_program(gradient_program(c, None, result.sink.sources)) for c in circuits)


@cli.group()
def cache() -> None:
    """Inspect or clear the on-disk caches of compiled kernels and loaded programs."""


@cache.command("info")
def cache_info() -> None:
    """Where the caches are, and how many kernels, programs and bytes they hold."""
    from qdl.runtime.llvm import cache as kernels
    entries, programs = kernels.entries(), kernels.entries("programs")
    size = sum(p.stat().st_size for p in entries + programs + kernels.entries("ir") if p.exists())
    click.echo(f"location: {kernels.cache_dir()}\nkernels: {len(entries)}\n"
               f"programs: {len(programs)} ({kernels.cache_dir('programs')})\nsize: {size} bytes")


@cache.command("clear")
def cache_clear() -> None:
    """Delete every cached kernel and program (they are rebuilt on demand)."""
    from qdl.runtime.llvm import cache as kernels
    removed = kernels.clear() + kernels.clear("programs") + kernels.clear("ir")
    click.echo(f"removed {removed} file(s) from {kernels.cache_root()}")


@cli.command()
@click.argument("code")
def explain(code: str) -> None:
    """Explain a diagnostic CODE such as E0301."""
    from qdl.compiler.diagnostic_codes import CODES, explain as explain_code
    text = explain_code(code)
    if text is None:
        raise UsageError(f"unknown diagnostic code `{code}`; codes: {', '.join(CODES)}")
    click.echo(text)


def _collect_args(texts: tuple[str, ...]) -> dict[str, object]:
    from qdl.cli_values import parse_arg
    values: dict[str, object] = {}
    for text in texts:
        name, value = parse_arg(text)
        if name in values:
            raise UsageError(f"--arg {name} is given twice")
        values[name] = value
    return values


def _pick_circuit(result: CompileResult, name: str | None, file: str):
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


def _register_commands() -> None:
    from qdl.cli_draw import draw, stats
    from qdl.cli_fmt import fmt
    from qdl.cli_pulse import schedule, verify_schedule
    from qdl.cli_train import train
    cli.add_command(train)
    cli.add_command(draw)
    cli.add_command(stats)
    cli.add_command(fmt)
    cli.add_command(schedule)
    cli.add_command(verify_schedule)


_register_commands()


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `qdlc` console script."""
    try:
        cli.main(args=argv, prog_name="qdlc", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE if isinstance(exc, click.UsageError) or exc.exit_code == 2 else exc.exit_code)
    except QdlError as exc:
        from qdl.errors import ArgumentError
        text = str(exc)  # a rendered diagnostic (a device file's, say) already says `error[CODE]`
        click.echo(text if text.startswith("error[") else f"error: {text}", err=True)
        sys.exit(EXIT_USAGE if isinstance(exc, ArgumentError) else EXIT_PROGRAM_ERROR)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug in qdl, never a user mistake
        click.echo(f"internal compiler error: {type(exc).__name__}: {exc}\n"
                   "this is a bug in qdl; please report it with the input that caused it", err=True)
        if os.environ.get("QDL_DEBUG"):
            traceback.print_exc()
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":  # pragma: no cover
    main()
