"""Where a qdl training step goes: nested parts timed side by side, then a cProfile of the step.

Parts, each containing the next (per step, seconds, interleaved rounds):
the whole step; the same step on a `torch.nn.Linear(4, 1)` (PyTorch's own
cost of loss, backward and Adam); the layer's forward with its Jacobian
(`qdl.torch` bridge + API); `value_and_jacobian` on numpy arrays (API +
batched adjoint host work); the two kernel calls alone on preallocated
buffers (forward kernel and adjoint kernel: the compiled work).  Then the
step's phases (zero_grad, forward, loss, backward, Adam) in CPU time of the
thread (`time.thread_time`: time spent preempted by other jobs is left out),
for qdl's layer and for the Linear layer.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import time

import numpy as np
import torch

import training_models as models
from peer_report import duration
from qdl.compiler.autodiff.linearize import linear_circuit
from qdl.runtime.llvm.adjoint import compile_adjoint
from qdl.runtime.llvm.kernel import _Buffers


def kernel_calls(function, x: np.ndarray, w: np.ndarray):
    """The forward and adjoint kernels of `function` (wrt w) on buffers allocated once."""
    program = function.gradient_program("w")
    compiled = compile_adjoint(program, linear_circuit(program.circuit))
    batch = x.shape[0]
    slots = compiled.forward.slots.read({"x": x, "w": np.broadcast_to(w, (batch,) + w.shape)}, batch)
    work = _Buffers.of(compiled.forward.plan, batch, with_state=True)
    values = np.empty((batch, compiled.plan.num_observables))
    grads = np.empty((batch, compiled.plan.num_observables, compiled.matrices.outputs))
    scratch = np.empty(compiled.scratch_doubles)

    def call() -> None:
        compiled.forward.kernel.fn(slots.ctypes.data, batch, work.mats_at, work.state_at, work.scratch_at,
                                   work.out_at)
        compiled.kernel.fn(slots.ctypes.data, batch, work.state_at, values.ctypes.data, grads.ctypes.data,
                           scratch.ctypes.data)
    return call


def parts(layers: int, batch: int) -> dict:
    trainer = models.classifier_trainers(layers, batch)[0]
    layer, x = trainer.module, trainer.x
    linear = linear_trainer(trainer)
    x_np, w_np = x.numpy(), trainer.weights().detach().numpy().copy()
    return {"whole step": trainer.step,
            "same step, torch.nn.Linear instead": linear.step,
            "layer forward with Jacobian": lambda: layer(x),
            "value_and_jacobian (numpy)": lambda: layer.function.value_and_jacobian(x_np, w_np, wrt="w"),
            "forward + adjoint kernels only": kernel_calls(layer.function, x_np, w_np)}


def breakdown(layers: int, batch: int, rounds: int) -> list[str]:
    from training import interleave  # the same timing rule as the tables
    calls = parts(layers, batch)
    series = interleave(calls, rounds)
    whole = series["whole step"].median
    lines = [f"qdl training step, L = {layers}, batch {batch}: nested parts (median, share of the whole step)", "",
             "| part | median | share |", "|---|---|---|"]
    lines += [f"| {name} | {duration(s.median)} | {s.median / whole:.0%} |" for name, s in series.items()]
    lines += ["", "step phases in thread CPU time (mean of 300 steps, after 20 unmeasured)", "",
              "| layer | zero_grad | forward | loss | backward | Adam | total |", "|---|---|---|---|---|---|---|"]
    trainer = models.classifier_trainers(layers, batch)[0]
    for name, t in (("qdl", trainer), ("torch.nn.Linear", linear_trainer(trainer))):
        cells = phases(t)
        lines.append(f"| {name} | {' | '.join(duration(c) for c in cells)} | {duration(sum(cells))} |")
    return lines + ["", "cProfile of 300 steps (top 15 by internal time):", profile(calls["whole step"])]


def linear_trainer(like: models.Trainer) -> models.Trainer:
    """The same step on a `torch.nn.Linear(4, 1)`: PyTorch's own cost of loss, backward and Adam."""
    linear = models.Trainer("linear", torch.nn.Linear(models.QUBITS, 1, dtype=torch.float64), like.x, like.y)
    linear.module.forward = (lambda inner: (lambda v: inner(v)[:, 0]))(linear.module.forward)
    return linear


def phases(t: models.Trainer, steps: int = 300) -> list[float]:
    """Mean thread CPU seconds of zero_grad, forward, loss, backward and the Adam step."""
    total = np.zeros(5)
    for k in range(steps + 20):
        marks = [time.thread_time()]
        t.optimizer.zero_grad()
        marks.append(time.thread_time())
        outputs = t.module(t.x)
        marks.append(time.thread_time())
        loss = ((outputs - t.y) ** 2).mean()
        marks.append(time.thread_time())
        loss.backward()
        marks.append(time.thread_time())
        t.optimizer.step()
        marks.append(time.thread_time())
        if k >= 20:
            total += np.diff(marks)
    return list(total / steps)


def profile(step) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(300):
        step()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
    return out.getvalue()
