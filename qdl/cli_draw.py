"""`qdlc draw` and `qdlc stats`: see a program's circuits and what they cost (docs/drawing.md)."""

from __future__ import annotations

import json
import sys

import click
from click import UsageError

from qdl.cli_common import (
    EXIT_PROGRAM_ERROR, collect_args, compile_checked, compile_options, pick_circuit, write_output,
)

FORMATS = ("text", "svg", "png")


def _inputs(func):
    """FILE, --circuit, -O and --after: which circuits, after which passes."""
    options = [
        click.argument("file", type=click.Path(dir_okay=False)),
        click.option("--circuit", "circuit_name", default=None, metavar="NAME",
                     help="Only this circuit (default: every circuit of FILE)."),
        click.option("--observable", default=None, metavar="PAULIS",
                     help="For OpenQASM files: the observable `main` returns."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _circuits(file: str, circuit_name: str | None, observable: str | None, opt_level: int | None = None,
              after: str | None = None):
    """Compile FILE (diagnostics to stderr, exit 1 on errors), run the chosen passes, pick the circuits."""
    from qdl.compiler.passes import PassManager
    result = compile_checked(file, compile_options(None, None), "rich", observable)
    if not result.ok:
        sys.exit(EXIT_PROGRAM_ERROR)
    passes = passes_for(opt_level, after)
    if passes:
        result.module = PassManager(passes).run(result.module)
    if circuit_name is None and not result.module.circuits:
        raise UsageError(f"{file} defines no circuit")
    return [pick_circuit(result, circuit_name, file)] if circuit_name else list(result.module.circuits)


def passes_for(opt_level: int | None, after: str | None) -> list:
    """The passes `-O N` / `--after X` ask for.

    `--after PASS` runs the `-O` pipeline (without -O: the first preset that has
    PASS) up to and including the first PASS; any other `--after` text is a
    pass list, run as it is (so is a pass no preset runs).
    """
    from qdl.compiler.passes import PRESETS, REGISTRY, PipelineError, parse_pipeline, pipeline_for
    try:
        if after is None:
            return pipeline_for(opt_level or 0)
        if after not in REGISTRY:
            if opt_level is not None:
                raise UsageError(f"--after {after}: with -O{opt_level}, name one pass of its pipeline")
            return parse_pipeline(after)
        levels = [opt_level] if opt_level is not None else [k for k in sorted(PRESETS) if after in PRESETS[k]]
        if not levels:  # a pass no preset runs: the pass list of that one pass
            return parse_pipeline(after)
        if after not in PRESETS[levels[0]]:
            names = ", ".join(dict.fromkeys(PRESETS[levels[0]])) or "empty"
            raise UsageError(f"--after {after}: not in the -O{levels[0]} pipeline ({names})")
        names = PRESETS[levels[0]]
        return parse_pipeline(",".join(names[:names.index(after) + 1]))
    except PipelineError as exc:
        raise UsageError(f"--after: {exc}") from None


@click.command()
@_inputs
@click.option("-O", "opt_level", type=click.IntRange(0, 3), default=None,
              help="Draw after the optimization preset -O0..-O3 (see docs/passes.md).")
@click.option("--after", default=None, metavar="PASS|A,B,C",
              help="Draw after PASS of the -O pipeline (or of the first preset running it), or after a pass list.")
@click.option("--format", "out_format", type=click.Choice(FORMATS), default="text", show_default=True,
              help="A text drawing, or a matplotlib figure (needs the qdl[plot] extra).")
@click.option("--arg", "arg_texts", multiple=True, metavar="NAME=VALUE",
              help="Show angles with this argument's value instead of symbols. Repeatable.")
@click.option("--width", type=click.IntRange(min=20), default=None,
              help="Text width in columns (default: the terminal's); longer circuits fold.")
@click.option("-o", "--output", default=None, metavar="OUT", help="Write to OUT (needed for png).")
def draw(file: str, circuit_name, observable, opt_level, after, out_format, arg_texts, width, output) -> None:
    """Draw the circuits of FILE: wires as rows, gates packed into columns."""
    from qdl.compiler.draw.api import check_values, terminal_width
    from qdl.compiler.draw.text import draw_text
    circuits = _circuits(file, circuit_name, observable, opt_level, after)
    args = collect_args(arg_texts)
    if args and len(circuits) > 1:
        raise UsageError("--arg needs one circuit: choose it with --circuit NAME")
    values = [check_values(c, args) for c in circuits]
    if out_format == "text":
        texts = [draw_text(c, width or terminal_width(), v) for c, v in zip(circuits, values)]
        write_output("\n".join(texts), output)
        return
    if len(circuits) > 1:
        raise UsageError(f"--format {out_format} draws one circuit: choose it with --circuit NAME")
    if output is None or (output == "-" and out_format == "png"):
        raise UsageError(f"--format {out_format} needs -o OUT.{out_format}")
    _save(circuits[0], output, out_format, values[0])


def _save(circuit, output: str, out_format: str, values) -> None:
    from qdl.compiler.draw.mpl import PlotExtraMissing, save
    try:
        save(circuit, sys.stdout if output == "-" else output, out_format, values)
    except PlotExtraMissing as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.FileError(output, hint=exc.strerror or str(exc)) from None


@click.command()
@_inputs
@click.option("-O", "levels", type=click.IntRange(0, 3), multiple=True,
              help="Report this optimization level (repeatable; default: -O0 to -O3).")
@click.option("--format", "out_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def stats(file: str, circuit_name, observable, levels, out_format) -> None:
    """Report qubits, gates, depth, parameters, gradient cost and memory of FILE's circuits per -O level."""
    from qdl.compiler.draw import resources
    circuits = _circuits(file, circuit_name, observable)
    reports = [resources(c, tuple(sorted(set(levels))) or (0, 1, 2, 3)) for c in circuits]
    if out_format == "json":
        click.echo(json.dumps([r.to_dict() for r in reports], indent=2))
    else:
        click.echo("\n".join(str(r) for r in reports), nl=False)
