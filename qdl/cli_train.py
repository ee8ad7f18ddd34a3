"""`qdlc train`: fit a circuit's `param` arguments to data (or minimise its value) from the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import numpy as np
from click import UsageError

from qdl.cli_common import EXIT_PROGRAM_ERROR, collect_args, compile_checked, compile_options, pick_circuit
from qdl.cli_executor import executor_options, make_executor
from qdl.errors import ArgumentError

OPTIMIZERS = ("adam", "momentum", "sgd")


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--circuit", "circuit_name", default=None, metavar="NAME",
              help="Which circuit to train (needed when the file has several).")
@click.option("--data", default=None, metavar="PATH",
              help="Training data: .csv (targets in the last column), .npz (arrays x, y) or .npy (x only).")
@click.option("--target-column", type=int, default=None, metavar="K", help="The CSV column holding the targets.")
@click.option("--input", "input_name", default=None, metavar="NAME",
              help="The argument that receives each data row (default: the one float argument that is not a param).")
@click.option("--arg", "arg_texts", multiple=True, metavar="NAME=VALUE",
              help="A fixed argument, or a param's initial value (a number, JSON list, @file.npy). Repeatable.")
@click.option("--loss", type=click.Choice(["value", "mse", "bce"]), default=None,
              help="value: minimise the output (default without --data); mse (default with --data); "
                   "bce: output in [-1, 1] as the probability of label 1.")
@click.option("--optimizer", type=click.Choice(OPTIMIZERS), default="adam", show_default=True)
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=0.05, show_default=True,
              help="Learning rate.")
@click.option("--steps", type=click.IntRange(min=1), default=100, show_default=True,
              help="Optimizer steps in total (a resumed run continues to this number).")
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the initial parameters and of the mini-batches.")
@click.option("--checkpoint", "directory", default=None, metavar="DIR",
              help="Where parameters (.npy), optimizer state and progress go (default: FILE-CIRCUIT.train/).")
@click.option("--every", type=click.IntRange(min=0), default=10, show_default=True,
              help="Checkpoint every N steps (also at the end and on Ctrl-C).")
@click.option("--resume", is_flag=True, help="Continue from the checkpoint in DIR.")
@click.option("--backend", type=click.Choice(["llvm", "reference"]), default="llvm", show_default=True)
@executor_options
def train(file: str, circuit_name, data, target_column, input_name, arg_texts, loss, optimizer, lr, steps,
          batch_size, seed, directory, every, resume, backend, executor_name, threads, scheduler,
          connect_timeout) -> None:
    """Train the `param` arguments of a circuit of FILE; progress on stderr, a summary on stdout."""
    from qdl.api import CircuitFunction
    from qdl.train import Task, Trainer, data_input, load_data, shaped_rows

    chosen = make_executor(executor_name, threads, scheduler, connect_timeout)
    result = compile_checked(file, compile_options(None, None), "rich")
    if not result.ok:
        sys.exit(EXIT_PROGRAM_ERROR)
    circuit = pick_circuit(result, circuit_name, file)
    _check_trainable(circuit)
    values = collect_args(arg_texts)
    function = CircuitFunction(circuit, backend)
    initial = {k: v for k, v in values.items() if _is_param(circuit, k)}
    fixed = {k: v for k, v in values.items() if not _is_param(circuit, k)}
    x = y = None
    name = None
    if data is not None:
        x, y = load_data(data, target_column)
        name = data_input(function, input_name, fixed)
        x = shaped_rows(x, function, name)
    loss = loss or ("value" if data is None else "mse")
    if loss != "value" and y is None:
        raise UsageError(f"--loss {loss} needs targets: a CSV target column or an .npz with `y`")
    task = Task(function, loss, name, fixed, executor=chosen)
    folder = Path(directory or f"{Path(file).stem}-{circuit.name}.train")
    trainer = Trainer(task, _optimizer(optimizer, lr), folder, batch_size, seed)
    params = trainer.resume() if resume else trainer.initial(initial, seed)
    reporter = _Reporter(steps)
    try:
        params = trainer.run(params, x, y, steps, every, reporter)
    except KeyboardInterrupt:
        reporter.close()
        click.echo(f"interrupted at step {trainer.progress.step}; checkpoint saved in {folder}/ "
                   f"(continue with --resume --checkpoint {folder})", err=True)
        sys.exit(130)
    reporter.close()
    _summary(trainer, params, folder)


def _check_trainable(circuit) -> None:
    from qdl.compiler.ir import ExpVal, Var
    if circuit.returns_tuple or not isinstance(circuit.results[0], (ExpVal, Var)):
        raise UsageError(f"circuit `{circuit.name}` must return one `expval` or `var` to be trained")
    if not any(a.trainable for a in circuit.arguments):
        raise UsageError(f"circuit `{circuit.name}` has no `param` arguments to train")


def _is_param(circuit, name: str) -> bool:
    argument = circuit.argument(name)
    if argument is None:
        names = ", ".join(a.name for a in circuit.arguments)
        raise ArgumentError(f"--arg {name}: circuit `{circuit.name}` has no such argument; its arguments: {names}")
    return argument.trainable


def _optimizer(kind: str, lr: float):
    from qdl.optim import Adam, GradientDescent, Momentum
    return {"adam": Adam, "momentum": Momentum, "sgd": GradientDescent}[kind](lr)


class _Reporter:
    """One status line on stderr, redrawn in place on a terminal, every tenth of the run elsewhere."""

    def __init__(self, total: int) -> None:
        self.total, self.live = total, sys.stderr.isatty()
        self.every = max(1, total // 10)
        self.last: tuple[int, float] | None = None  # (step, seconds) of the previous line: the rate is recent

    def __call__(self, step: int, loss: float, acc: float | None, seconds: float) -> None:
        if not (self.live or step % self.every == 0 or step == self.total):
            return
        rate = "" if self.last is None or seconds <= self.last[1] else \
            f"  {(step - self.last[0]) / (seconds - self.last[1]):.1f} steps/s"
        self.last = (step, seconds)
        width = 24
        done = int(width * step / self.total)
        text = (f"[{'#' * done}{'.' * (width - done)}] step {step}/{self.total}  loss {loss:.6g}"
                + (f"  acc {acc:.3f}" if acc is not None else "") + rate)
        click.echo(("\r" + text) if self.live else text, err=True, nl=not self.live)

    def close(self) -> None:
        if self.live:
            click.echo("", err=True)


def _summary(trainer, params, folder: Path) -> None:
    progress = trainer.progress
    history = progress.history
    click.echo(f"steps: {progress.step}\nloss: {history[0]:.6g} -> {history[-1]:.6g} (best {progress.best:.6g})"
               if history else f"steps: {progress.step} (nothing left to do)")
    click.echo(f"time: {progress.seconds:.2f} s")
    for name, value in params.items():
        click.echo(f"{name}: {folder / (name + '.npy')}  shape {list(np.shape(value))}")
