"""Training a circuit's `param` arguments on data: the loop behind `qdlc train`.

A `Task` says what is trained: a circuit with one scalar result, the
argument that receives data rows (none: the circuit's value itself is the
loss, as in VQE), fixed values for the other arguments, and the loss.  A
`Trainer` runs mini-batch steps with a `qdl.optim` optimizer and keeps a
checkpoint directory: one `.npy` per parameter, the optimizer's state, and
`progress.json`; every write is atomic, so an interrupted run leaves the
last complete checkpoint, and `resume` continues from it.
"""

from __future__ import annotations

import json
import os
import signal
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import numpy as np

from qdl.api import CircuitFunction
from qdl.compiler.ir import FLOAT
from qdl.errors import ArgumentError
from qdl.optim import Optimizer

LOSSES = ("value", "mse", "bce")
EPS = 1e-12


@dataclass
class Task:
    """The circuit, where data rows go, the fixed arguments and the loss (see `loss_and_grad`)."""

    function: CircuitFunction
    loss: str
    input: str | None = None  # the argument receiving data rows; None: no data, minimise the value
    fixed: Mapping[str, Any] = field(default_factory=dict)
    executor: Any = None  # runs each step's gradient batch (None: the current one, `qdl.executor`)

    @property
    def params(self) -> list[str]:
        return [a.name for a in self.function.circuit.arguments if a.trainable]

    def loss_and_grad(self, params: dict[str, np.ndarray], x: np.ndarray | None,
                      y: np.ndarray | None) -> tuple[float, dict[str, np.ndarray], np.ndarray]:
        """(loss, d loss / d params, the circuit's outputs) on one mini-batch."""
        values = dict(self.fixed, **params)
        if self.input is not None:
            values[self.input] = x
        f, jac = self.function.value_and_jacobian(method="best", wrt=self.params, executor=self.executor, **values)
        f = np.asarray(f, dtype=np.float64)
        loss, dloss = _loss(self.loss, f, y)
        grads = {name: np.tensordot(dloss, j, axes=dloss.ndim) for name, j in zip(self.params, jac)}
        return loss, grads, f


def _loss(kind: str, f: np.ndarray, y: np.ndarray | None) -> tuple[float, np.ndarray]:
    """The loss of outputs f against targets y, and its derivative by f."""
    if kind == "value":
        return float(f.mean()), np.full(f.shape, 1.0 / f.size)
    if kind == "mse":
        diff = f - y
        return float(np.mean(diff**2)), 2 * diff / f.size
    p = np.clip((1 + f) / 2, EPS, 1 - EPS)  # bce: an output in [-1, 1] read as the probability of label 1
    loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    return float(loss), ((p - y) / (p * (1 - p))) / 2 / f.size


def accuracy(kind: str, f: np.ndarray, y: np.ndarray | None) -> float | None:
    """Share of outputs on the right side of the threshold, when the targets are two classes.

    Labels ±1: the sign of f; labels 0/1: f > 0 under `bce` (p = (1 + f)/2 > 1/2), f > 1/2 under `mse`.
    """
    if y is None or kind == "value":
        return None
    labels = set(np.unique(y).tolist())
    if labels <= {0.0, 1.0}:
        return float(np.mean((f > (0.0 if kind == "bce" else 0.5)) == (y > 0.5)))
    if labels <= {-1.0, 1.0}:
        return float(np.mean(np.where(f > 0, 1.0, -1.0) == y))
    return None


@dataclass
class Progress:
    """Where a run is; what `progress.json` holds."""

    step: int = 0
    best: float = float("inf")
    history: list[float] = field(default_factory=list)
    seconds: float = 0.0


class Trainer:
    """Mini-batch steps over (x, y) with checkpoints in `directory`."""

    def __init__(self, task: Task, optimizer: Optimizer, directory: Path, batch_size: int = 32,
                 seed: int = 0) -> None:
        self.task, self.optimizer, self.directory = task, optimizer, Path(directory)
        self.batch_size, self.rng = batch_size, np.random.default_rng(seed)
        self.progress = Progress()

    def initial(self, given: Mapping[str, Any], seed: int) -> dict[str, np.ndarray]:
        """Starting parameters: given ones, the rest uniform in [0, 2π) from `seed`."""
        rng = np.random.default_rng(seed)
        out = {}
        for argument in self.task.function.circuit.arguments:
            if argument.trainable:
                value = given.get(argument.name)
                value = rng.uniform(0, 2 * np.pi, argument.shape) if value is None else value
                out[argument.name] = _checked(argument, value, "initial value")
        return out

    def resume(self) -> dict[str, np.ndarray]:
        """Parameters, optimizer state and progress from the checkpoint directory."""
        state = self.directory / "progress.json"
        if not state.is_file():
            raise ArgumentError(f"--resume: no checkpoint in {self.directory} (no progress.json)")
        saved = json.loads(state.read_text(encoding="utf-8"))
        self.progress = Progress(saved["step"], saved["best"], saved["history"], saved["seconds"])
        self.rng.bit_generator.state = saved["batches"]  # the same mini-batches as an uninterrupted run
        with np.load(self.directory / "optimizer.npz") as arrays:
            self.optimizer.load_state_dict(dict(arrays))
        params = {}
        for argument in self.task.function.circuit.arguments:
            if argument.trainable:
                path = self.directory / f"{argument.name}.npy"
                if not path.is_file():
                    raise ArgumentError(f"--resume: {path} is missing")
                params[argument.name] = _checked(argument, np.load(path), f"checkpoint {path}")
        return params

    def run(self, params: dict[str, np.ndarray], x: np.ndarray | None, y: np.ndarray | None, steps: int,
            every: int, report: Callable[[int, float, float | None, float], None]) -> dict[str, np.ndarray]:
        """Train until `steps` in total; checkpoint every `every` steps, at the end, and on Ctrl-C."""
        start = time.perf_counter() - self.progress.seconds
        try:
            while self.progress.step < steps:
                xb, yb = self._batch(x, y)
                loss, grads, f = self.task.loss_and_grad(params, xb, yb)
                params = self.optimizer.step(params, grads)
                self.progress.step += 1
                self.progress.history.append(loss)
                self.progress.best = min(self.progress.best, loss)
                self.progress.seconds = time.perf_counter() - start
                report(self.progress.step, loss, accuracy(self.task.loss, f, yb), self.progress.seconds)
                if every and self.progress.step % every == 0:
                    self.save(params)
        finally:  # Ctrl-C included: the parameters reached so far are kept
            self.save(params)
        return params

    def _batch(self, x: np.ndarray | None, y: np.ndarray | None) -> tuple[Any, Any]:
        if x is None or len(x) <= self.batch_size:
            return x, y
        rows = self.rng.choice(len(x), self.batch_size, replace=False)
        return x[rows], (None if y is None else y[rows])

    def save(self, params: Mapping[str, np.ndarray]) -> None:
        with _uninterrupted():  # the three files of one checkpoint belong together
            self._save(params)

    def _save(self, params: Mapping[str, np.ndarray]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        for name, value in params.items():
            _atomic(self.directory / f"{name}.npy", lambda f, v=value: np.save(f, np.asarray(v)))
        _atomic(self.directory / "optimizer.npz", lambda f: np.savez(f, **self.optimizer.state_dict()))
        p = self.progress
        text = json.dumps({"step": p.step, "best": p.best, "history": p.history, "seconds": p.seconds,
                           "batches": self.rng.bit_generator.state})
        _atomic(self.directory / "progress.json", lambda f: f.write(text.encode()))


def _checked(argument, value: Any, what: str) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64)
    if array.shape != tuple(argument.shape):
        raise ArgumentError(f"{what} of `{argument.name}` has shape {array.shape}, expected {tuple(argument.shape)}")
    return array


@contextmanager
def _uninterrupted() -> Iterator[None]:
    """Ctrl-C during a checkpoint takes effect once it is written (main thread; elsewhere `_atomic`
    at least leaves no temporary file).  A Python-level handler, not a signal mask: Python may have
    caught the signal already and raise it at any later bytecode."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler if previous is None else previous)
        if caught:
            raise KeyboardInterrupt


def _atomic(path: Path, write: Callable[[Any], None]) -> None:
    """Write through a temporary file in the same directory, then rename: never a half-written file.

    An interruption (Ctrl-C arrives while a checkpoint is written) removes the temporary file.
    """
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as tmp:
        try:
            write(tmp)
        except BaseException:
            tmp.close()
            os.unlink(tmp.name)
            raise
    try:
        os.replace(tmp.name, path)
    except BaseException:
        if os.path.exists(tmp.name):
            os.unlink(tmp.name)
        raise


# --- data ----------------------------------------------------------------------------


def load_data(path: str, target_column: int | None) -> tuple[np.ndarray, np.ndarray | None]:
    """(x, y) from .csv (a header row is skipped; y is `target_column`, default the last), .npz (keys
    x and y) or .npy (features only)."""
    file = Path(path)
    if not file.is_file():
        raise ArgumentError(f"--data: no such file `{path}`")
    try:
        if file.suffix == ".npz":
            with np.load(file, allow_pickle=False) as arrays:
                if "x" not in arrays:
                    raise ArgumentError(f"--data: {path} has no array `x` (it has {', '.join(arrays.files)})")
                return np.asarray(arrays["x"], dtype=np.float64), \
                    (np.asarray(arrays["y"], dtype=np.float64) if "y" in arrays else None)
        if file.suffix == ".npy":
            return np.asarray(np.load(file, allow_pickle=False), dtype=np.float64), None
        if file.suffix == ".csv":
            return _csv(file, target_column)
    except (ValueError, OSError) as exc:
        raise ArgumentError(f"--data: cannot read `{path}`: {exc}") from None
    raise ArgumentError(f"--data: `{path}` is not .csv, .npz or .npy")


def _csv(file: Path, target_column: int | None) -> tuple[np.ndarray, np.ndarray]:
    lines = file.read_text(encoding="utf-8").splitlines()
    first = lines[0].split(",") if lines else []
    header = bool(first) and not all(_is_number(cell) for cell in first)
    table = np.loadtxt(file, delimiter=",", skiprows=int(header), ndmin=2)
    column = table.shape[1] - 1 if target_column is None else target_column
    if not -table.shape[1] <= column < table.shape[1]:
        raise ArgumentError(f"--target-column {column}: `{file}` has {table.shape[1]} columns")
    return np.delete(table, column, axis=1), table[:, column]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def data_input(function: CircuitFunction, name: str | None, fixed: Mapping[str, Any]) -> str:
    """The argument that receives data rows: `name`, or the one float argument that is neither param nor fixed."""
    candidates = [a.name for a in function.circuit.arguments
                  if not a.trainable and a.dtype == FLOAT and a.name not in fixed]
    if name is not None:
        if function.circuit.argument(name) is None or name not in candidates:
            raise ArgumentError(f"--input {name}: circuit `{function.name}` has no such data argument; "
                                f"its data arguments: {', '.join(candidates) or '(none)'}")
        return name
    if len(candidates) != 1:
        listed = ", ".join(candidates) or "(none)"
        raise ArgumentError(f"circuit `{function.name}` has {len(candidates)} float arguments that could take "
                            f"the data ({listed}); choose one with --input NAME")
    return candidates[0]


def shaped_rows(x: np.ndarray, function: CircuitFunction, name: str) -> np.ndarray:
    """Data rows reshaped to the argument's declared shape."""
    shape = tuple(function.circuit.argument(name).shape)
    width = int(np.prod(shape))
    if x.ndim == 1 and width == 1:
        x = x[:, None]
    if x.reshape(len(x), -1).shape[1] != width:
        raise ArgumentError(f"--data rows have {x.reshape(len(x), -1).shape[1]} values but `{name}` is "
                            f"float{list(shape) if shape else ''} ({width} values)")
    return x.reshape((len(x),) + shape)
