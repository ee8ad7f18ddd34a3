"""Calibrate the DRAG `x` and `sx` pulses of a device in the simulator's model (reference note §8d item 9).

`calibrate_drag` maximises the average gate fidelity of a DRAG pulse over
its amplitude and β by a damped Newton iteration on the exact gradient of
`runtime.pulse.gradients` (the Hessian is the central difference of that
gradient).  The objective is the mean infidelity of the words G, G·G, …
(`repeats`): G·G also sees the coherent part of the error that adds up when
pulses play back to back.

What amp and β cannot fix is the leakage the edges of a lifted Gaussian
cause (the envelope jumps in slope at both ends; the DRAG quadrature does
not touch it).  It is about 1e-6 per pulse at σ = duration/4 and adds up
coherently in runs of pulses when the |2⟩ phase gained per pulse is near a
multiple of 2π (t5 qubits 1 and 2: 8e-5 after twelve X).  So `calibrate_device`
also picks the pulse width: the widest σ (from the device's own, down in
steps of 4 dt) at which a run of `RUN` back-to-back pulses leaks at most
`RUN_LEAKAGE` on every qubit.

`python -m qdl.runtime.pulse.calibrate t5` prints the `[calibrations.sx]`
and `[calibrations.x]` tables for a device file (deterministic).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from qdl.compiler.expr import Arg
from qdl.compiler.gates import unitary_of
from qdl.compiler.pulse.builder import SequenceBuilder, drive_frames
from qdl.compiler.pulse.waveforms import Drag
from qdl.runtime.pulse.gradients import fidelity_gradient
from qdl.runtime.pulse.model import PulseModel
from qdl.runtime.pulse.simulate import simulate

PARAMS = ("amp", "beta")
RUN = 12  # back-to-back pulses in the leakage check (the longest run in a random 20-gate word, roughly)
RUN_LEAKAGE = 1e-5  # allowed leakage of such a run: a quarter of the 20-gate word budget 4e-5
SIGMA_STEP = 4.0  # dt


@dataclass(frozen=True)
class DragCalibration:
    """Calibrated amplitude and β of a DRAG gate on one qubit, with what they achieve."""

    gate: str
    amp: float
    beta: float
    sigma: float
    duration: int
    fidelity: float  # F_avg of one pulse
    leakage: float  # of one pulse
    run_leakage: float  # of RUN pulses back to back
    steps: int  # accepted Newton steps


def drag_word(model: PulseModel, qubit: int, repeats: int, duration: int, sigma: float):
    """`repeats` back-to-back DRAG pulses with symbolic `amp` and `beta` on `qubit`'s drive frame `d{qubit}`."""
    frames = drive_frames([t.frequency_ghz for t in model.qubits])
    builder = SequenceBuilder(frames)
    for _ in range(repeats):
        builder.play(f"d{qubit}", Drag(duration, Arg("amp"), sigma, Arg("beta")))
    return builder.build()


def _objective(model: PulseModel, qubit: int, gate: str, x: np.ndarray, repeats: Sequence[int],
               duration: int, sigma: float) -> tuple[float, np.ndarray]:
    """Mean infidelity of the words G^n, n in `repeats`, and its gradient in (amp, β)."""
    values = dict(zip(PARAMS, map(float, x)))
    total, grad = 0.0, np.zeros(len(PARAMS))
    for n in repeats:
        target = np.linalg.matrix_power(unitary_of(gate), n)
        out = fidelity_gradient(drag_word(model, qubit, n, duration, sigma), model, target, values, PARAMS)
        total += (1.0 - out.fidelity) / len(repeats)
        grad -= np.array([out.gradient[p] for p in PARAMS]) / len(repeats)
    return total, grad


def _hessian(fun, x: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Central difference of the exact gradient, symmetrised."""
    cols = []
    for i in range(len(x)):
        step = np.zeros_like(x)
        step[i] = 1e-5 * scale[i]
        cols.append((fun(x + step)[1] - fun(x - step)[1]) / (2 * step[i]))
    h = np.array(cols)
    return 0.5 * (h + h.T)


def calibrate_drag(model: PulseModel, gate: str, amp: float, beta: float, *, qubit: int = 0,
                   duration: int = 160, sigma: float = 40.0, repeats: Sequence[int] = (1, 2),
                   max_steps: int = 50, tol: float = 1e-14) -> DragCalibration:
    """(amp, β) of a DRAG `gate` ("x" or "sx") on `qubit` of `model` that maximise the word fidelity.

    Damped Newton (Levenberg-Marquardt) from (amp, beta) on the mean
    infidelity of the words G^n, n in `repeats`; stops when a step would gain
    less than `tol` or after `max_steps` accepted steps.
    """
    if gate not in ("x", "sx"):
        raise ValueError(f"can calibrate the DRAG gates `x` and `sx`, not `{gate}`")

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        return _objective(model, qubit, gate, x, repeats, duration, sigma)

    x = np.array([amp, beta], dtype=float)
    value, grad = fun(x)
    scale, damping, steps = np.array([max(abs(amp), 1e-3), 1.0]), 1e-3, 0
    while steps < max_steps:
        hess = _hessian(fun, x, scale)
        for _ in range(30):
            delta = -np.linalg.solve(hess + damping * np.diag(np.abs(np.diag(hess)) + 1e-12), grad)
            trial = fun(x + delta)
            if trial[0] < value:
                break
            damping *= 4.0
        else:
            break  # no step along any damping lowers the objective: converged to round-off
        gain = value - trial[0]
        x, (value, grad), damping, steps = x + delta, trial, max(damping / 3.0, 1e-9), steps + 1
        if gain < tol:
            break
    return _summary(model, qubit, gate, float(x[0]), float(x[1]), duration, sigma, steps)


def _summary(model: PulseModel, qubit: int, gate: str, amp: float, beta: float, duration: int,
             sigma: float, steps: int) -> DragCalibration:
    """Score (amp, β) by plain simulation: one pulse, and a run of RUN pulses."""
    values = {"amp": amp, "beta": beta}
    one = simulate(drag_word(model, qubit, 1, duration, sigma), model, values=values)
    run = simulate(drag_word(model, qubit, RUN, duration, sigma), model, values=values)
    return DragCalibration(gate, amp, beta, sigma, duration, one.fidelity(_embedded(model, qubit, gate)),
                           one.leakage, run.leakage, steps)


def _embedded(model: PulseModel, qubit: int, gate: str) -> np.ndarray:
    """The gate on `qubit` of the model's computational space (little-endian)."""
    from qdl.runtime.pulse.verify import embed

    return embed(unitary_of(gate), (qubit,), model.num_qubits)


def calibrate_gate(device, gate: str, sigma: float) -> list[DragCalibration]:
    """Calibrate `gate` on every qubit of `device` at pulse width `sigma`, from the file's values.

    The start scales the file's amp by (its σ)/σ, which keeps the pulse area,
    and β by σ/(its σ), which keeps the quadrature's share.
    """
    from qdl.runtime.pulse.verify import model_for

    cal = device.calibrations[gate]
    out = []
    for q in range(device.num_qubits):
        model = model_for(device, (q,))
        amp, beta = cal.amp[q] * cal.sigma / sigma, cal.beta[q] * sigma / cal.sigma
        out.append(calibrate_drag(model, gate, amp, beta, duration=cal.duration, sigma=sigma))
    return out


def calibrate_device(device, gate: str) -> list[DragCalibration]:
    """The widest σ (device's own, then 4 dt narrower each try) whose runs leak ≤ RUN_LEAKAGE on all qubits."""
    cal = device.calibrations[gate]
    sigma, best = float(cal.sigma), None
    while sigma >= cal.duration / 8:
        cals = calibrate_gate(device, gate, sigma)
        if best is None or max(c.run_leakage for c in cals) < max(c.run_leakage for c in best):
            best = cals
        if max(c.run_leakage for c in cals) <= RUN_LEAKAGE:
            return cals
        sigma -= SIGMA_STEP
    return best


def rounded(cals: list[DragCalibration], device) -> list[DragCalibration]:
    """The calibrations with amp to 6 and β to 4 decimals (as written to a device file), re-scored."""
    from qdl.runtime.pulse.verify import model_for

    return [_summary(model_for(device, (q,)), 0, c.gate, round(c.amp, 6), round(c.beta, 4), c.duration, c.sigma,
                     c.steps) for q, c in enumerate(cals)]


def toml_table(gate: str, cals: list[DragCalibration], angles: Sequence[float]) -> str:
    """The `[calibrations.<gate>]` table of a device file for these calibrations."""
    sigma = cals[0].sigma
    return "\n".join([
        f"[calibrations.{gate}]", 'shape = "drag"', f"duration = {cals[0].duration}",
        f"sigma = {int(sigma) if sigma == int(sigma) else sigma}",
        "amp = [" + ", ".join(f"{c.amp:.6f}" for c in cals) + "]",
        "beta = [" + ", ".join(f"{c.beta:.4f}" for c in cals) + "]",
        "angle = [" + ", ".join(repr(float(a)) for a in angles) + "]"])


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m qdl.runtime.pulse.calibrate DEVICE`: print recalibrated sx and x tables and their scores."""
    from qdl.compiler.device import load_device
    from qdl.compiler.device.model import DragCal
    from qdl.errors import QdlError

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m qdl.runtime.pulse.calibrate DEVICE  (a built-in name or a .toml path)",
              file=sys.stderr)
        return 2
    try:
        device = load_device(args[0])
    except QdlError as err:
        print(err, file=sys.stderr)
        return 1
    if missing := [g for g in ("sx", "x") if not isinstance(device.calibrations.get(g), DragCal)]:
        print(f"device `{device.name}` has no DRAG calibration for {', '.join(missing)}: nothing to calibrate",
              file=sys.stderr)
        return 1
    for gate in ("sx", "x"):
        cals = rounded(calibrate_device(device, gate), device)
        print(toml_table(gate, cals, device.calibrations[gate].angle))
        for q, c in enumerate(cals):
            print(f"# q{q}: 1-F = {1 - c.fidelity:.2e}, leakage {c.leakage:.2e}, "
                  f"{RUN} back to back leak {c.run_leakage:.2e} ({c.steps} Newton steps)")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
