"""`qdlc`: check, compile and run qdl programs from the command line.

Exit codes: 0 success, 1 errors in the program (or when running it), 2 usage
errors (bad options, bad `--arg` values, unknown circuit).  A user never sees a
Python traceback for their own mistakes; an internal error prints a short
report (the traceback only with QDL_DEBUG=1).
"""

from __future__ import annotations

import os
import sys
import traceback

import click

from qdl import __version__
from qdl.cli_common import (
    EXIT_INTERNAL, EXIT_PROGRAM_ERROR, EXIT_USAGE, UsageError, check_precision, circuit_inputs, collect_args,
    compile_checked, compile_options, pick_circuit, precision_option, with_limits, write_output,
)
from qdl.cli_executor import executor_options, make_executor
from qdl.compiler.driver import CompileResult
from qdl.compiler.frontend.ast import dump
from qdl.errors import QdlError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="qdlc")
def cli() -> None:
    """The qdl compiler: check, compile and run differentiable quantum programs."""


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@with_limits
def check(files: tuple[str, ...], max_ops, max_memory, style) -> None:
    """Report errors and warnings in FILES; exit 1 if any has errors."""
    options = compile_options(max_ops, max_memory)
    failed = [path for path in files if not compile_checked(path, options, style).ok]
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
@click.option("--print-after", default=None, metavar="PASS|all",
              help="Print the IR (to stderr) after PASS or every pass.")
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
    result = compile_checked(file, compile_options(max_ops, max_memory), style, observable)
    if not result.ok:
        sys.exit(EXIT_PROGRAM_ERROR)
    if emit != "ast":
        result.module = _run_passes(result.module, opt_level, pass_text, print_after, time_passes,
                                    pass_stats, verify_each)
    if emit == "ast":
        write_output(dump(result.program) + "\n", output)
    elif emit == "ir":
        from qdl.compiler.ir_text import format_module
        write_output(format_module(result.module), output)
    elif emit in ("grad", "metric"):
        write_output(_gradient_programs(result, circuit_name, file, emit), output)
    elif emit in ("llvm", "asm"):
        write_output(_kernel_listing(result, file, circuit_name, emit, precision), output)
    else:
        write_output(_export(result, file, circuit_name, emit, collect_args(arg_texts)), output)


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
    circuit = pick_circuit(result, circuit_name, file)
    try:
        return llvm.code_listing(circuit, emit, precision)
    except llvm.Unsupported as exc:
        click.echo(f"error: circuit `{circuit.name}` has no LLVM kernel yet: {exc}", err=True)
        sys.exit(EXIT_PROGRAM_ERROR)


def _export(result: CompileResult, file: str, circuit_name: str | None, emit: str,
            values: dict[str, object]) -> str:
    from qdl.compiler.qasm.export import QasmExportError, bind, to_qasm2, to_qasm3
    circuit = pick_circuit(result, circuit_name, file)
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

    check_precision(backend, precision)
    chosen = make_executor(executor_name, threads, scheduler, connect_timeout)
    result = compile_checked(file, compile_options(max_ops, max_memory, precision), style, observable)
    if not result.ok:
        sys.exit(EXIT_PROGRAM_ERROR)
    circuit = pick_circuit(result, circuit_name, file)
    kwargs = collect_args(arg_texts)
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

    check_precision(backend, precision)
    chosen = make_executor(executor_name, threads, scheduler, connect_timeout)
    result = compile_checked(file, compile_options(max_ops, max_memory, precision), style, observable)
    if not result.ok:
        sys.exit(EXIT_PROGRAM_ERROR)
    circuit = pick_circuit(result, circuit_name, file)
    unknown = [name for name in wrt if circuit.argument(name) is None]
    if unknown:
        names = ", ".join(a.name for a in circuit.arguments) or "(none)"
        raise UsageError(f"--wrt {unknown[0]}: circuit `{circuit.name}` has no such argument; its arguments: {names}")
    program = gradient_program(circuit, wrt or None, result.sink.sources)
    if stats:
        click.echo(gradient_stats(program), err=True)
    bound, batch = bind(circuit, (), collect_args(arg_texts))
    jac = jacobian(program, bound, method, shots, seed, backend=backend, precision=precision, executor=chosen)
    click.echo(format_jacobian(circuit, jac, program.wrt, out_format, batch is not None))


def _gradient_programs(result: CompileResult, circuit_name: str | None, file: str, emit: str = "grad") -> str:
    from qdl.compiler.autodiff import format_gradient_program, format_metric_program, gradient_program, metric_program
    circuits = [pick_circuit(result, circuit_name, file)] if circuit_name else result.module.circuits
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
