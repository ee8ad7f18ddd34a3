"""Calibrate an ECR direction of a device in qdl's own model: CR/cancellation amplitudes and angles, then local Z.

The shape of each CR half (`duration`, `width`, `sigma` of the Gaussian
square) is the device's, or given; the four numbers of the drive are found
from scratch, independent of the device's current ones, in the frame the
verifier compares in (dressed by default, `runtime.pulse.verify`):

1. an estimate of the CR amplitude from the leading-order cross-resonance
   rate, `ν_ZX = J Ω α / (Δ (Δ + α))` for `H = ν_ZX ZX / 2` with
   Δ = ω_c − ω_t, α the control's anharmonicity and Ω = 2π·drive_strength·amp
   (each CR half is RZX(±π/4), so ν_ZX times the pulse area is π/4);
2. a scan of the CR angle at that amplitude (no cancellation tone);
3. Nelder-Mead over the CR amplitude and angle and the cancellation tone
   (as a complex amplitude, so that its angle is free at zero amplitude),
   maximising F_avg(ECR up to final virtual Z), leakage counted;
4. the local-Z corrections `control_phase`/`target_phase` in closed form
   (`runtime.pulse.ecr_phases`), so that the pulses implement the ECR itself.

`python -m qdl.runtime.pulse.calibrate_ecr [DEVICE] [--pair C,T] [--duration N]`
prints the `[[calibrations.ecr]]` tables (needs scipy: the `pulse` extra;
~300 simulations a direction: 4-5 minutes for 1280 dt halves on a loaded
machine, ~10 for t5's 2688 dt ECR(1, 0); set OPENBLAS_NUM_THREADS=1).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from qdl.compiler.device.model import CrossResonanceCal
from qdl.compiler.pulse import GaussianSquare
from qdl.runtime.pulse.ecr_phases import calibrate_ecr_phases, device_and_pairs, ecr_schedule
from qdl.runtime.pulse.verify import verify

ANGLES = 8  # CR angles tried in the scan (the best one is within π/8 of the optimum)


@dataclass(frozen=True)
class EcrCalibration:
    """A calibrated ECR direction: the table to write and what it achieves in the model.

    `fidelity_up_to_z` is F_avg of the pulses with the best final Rz allowed,
    `fidelity` F_avg against the exact ECR with the calibrated `control_phase`
    and `target_phase` (no local-Z freedom), `leakage` that of the pulses.
    """

    cal: CrossResonanceCal
    fidelity_up_to_z: float
    fidelity: float
    leakage: float
    evaluations: int

    def toml(self) -> str:
        """The direction's `[[calibrations.ecr]]` table."""
        c = self.cal
        return "\n".join([
            "[[calibrations.ecr]]", f"qubits = [{c.qubits[0]}, {c.qubits[1]}]", 'shape = "gaussian_square"',
            f"duration = {c.duration}", f"width = {c.width}", f"sigma = {c.sigma:g}",
            f"cr_amp = {c.cr_amp:.6f}", f"cr_angle = {c.cr_angle:.6f}",
            f"cancel_amp = {c.cancel_amp:.6f}", f"cancel_angle = {c.cancel_angle:.6f}",
            f"control_phase = {c.control_phase:.6f}", f"target_phase = {c.target_phase:.6f}"])


def current(device: Any, control: int, target: int) -> CrossResonanceCal:
    """The device's ECR calibration for [control, target]."""
    for cal in device.calibrations.get("ecr", ()):
        if isinstance(cal, CrossResonanceCal) and cal.qubits == (control, target):
            return cal
    raise ValueError(f"device `{device.name}` has no ECR calibration for [control, target] = [{control}, {target}]")


def with_ecr(device: Any, cal: CrossResonanceCal) -> Any:
    """`device` with the ECR calibration of `cal.qubits` replaced by `cal`."""
    cals = tuple(cal if isinstance(c, CrossResonanceCal) and c.qubits == cal.qubits else c
                 for c in device.calibrations["ecr"])
    return dataclasses.replace(device, calibrations={**device.calibrations, "ecr": cals})


def ecr_fidelity(device: Any, cal: CrossResonanceCal, **verify_options: Any) -> tuple[float, float]:
    """F_avg(ECR up to final virtual Z) and leakage of the pulses of `cal` on `device` (its phases ignored)."""
    bare = with_ecr(device, dataclasses.replace(cal, control_phase=0.0, target_phase=0.0))
    found = verify(ecr_schedule(bare, *cal.qubits), bare, optimize_z=True, **verify_options)
    return found.fidelity, found.leakage


def zx_rate_per_amp(device: Any, control: int, target: int) -> float:
    """Leading-order ν_ZX per unit CR amplitude (rad/ns), signed: J Ω α / (Δ (Δ + α)) with Ω at amp 1."""
    qc, qt = device.qubits[control], device.qubits[target]
    j_mhz = next(c.j_mhz for c in device.couplings if set(c.qubits) == {control, target})
    delta, alpha = qc.frequency_ghz - qt.frequency_ghz, qc.anharmonicity_ghz
    omega = 2 * math.pi * qc.drive_strength_ghz
    return 2 * math.pi * j_mhz * 1e-3 * omega * alpha / (2 * math.pi * delta * (delta + alpha))


def amplitude_estimate(device: Any, cal: CrossResonanceCal) -> float:
    """The CR amplitude whose leading-order ZX rotation over one half of `cal`'s shape is π/4."""
    area = float(np.sum(GaussianSquare(cal.duration, 1.0, cal.sigma, cal.width).samples().real))
    return (math.pi / 4) / (abs(zx_rate_per_amp(device, *cal.qubits)) * area * device.dt * 1e9)


def scan_angle(device: Any, cal: CrossResonanceCal, amp: float, **verify_options: Any) -> CrossResonanceCal:
    """`cal` with CR amplitude `amp`, no cancellation tone, and the best of `ANGLES` CR angles."""
    trials = [dataclasses.replace(cal, cr_amp=amp, cr_angle=2 * math.pi * k / ANGLES - math.pi,
                                  cancel_amp=0.0, cancel_angle=0.0) for k in range(ANGLES)]
    return max(trials, key=lambda c: ecr_fidelity(device, c, **verify_options)[0])


def refine(device: Any, cal: CrossResonanceCal, max_evaluations: int = 300,
           **verify_options: Any) -> tuple[CrossResonanceCal, int]:
    """Nelder-Mead from `cal` over (CR amp, CR angle, cancellation tone as re/im) for F up to local Z."""
    from scipy.optimize import minimize  # the `pulse` extra

    def unpack(p: np.ndarray) -> CrossResonanceCal:
        return dataclasses.replace(cal, cr_amp=float(p[0]), cr_angle=float(p[1]),
                                   cancel_amp=float(abs(complex(p[2], p[3]))),
                                   cancel_angle=float(np.angle(complex(p[2], p[3]))))

    def infidelity(p: np.ndarray) -> float:
        if not 0 < p[0] <= 1 or abs(complex(p[2], p[3])) > 1:  # amplitudes within the device's range
            return 1.0
        return 1 - ecr_fidelity(device, unpack(p), **verify_options)[0]

    z = cal.cancel_amp * np.exp(1j * cal.cancel_angle)
    point, used = np.array([cal.cr_amp, cal.cr_angle, z.real, z.imag]), 0
    steps = np.array([0.05 * cal.cr_amp, 0.1, 0.01, 0.01])
    for scale in (1.0, 0.1):  # a restart with a smaller simplex: Nelder-Mead stalls on this narrow optimum
        simplex = np.array([point] + [point + step for step in np.diag(scale * steps)])
        best = minimize(infidelity, point, method="Nelder-Mead",
                        options={"initial_simplex": simplex, "xatol": 1e-8, "fatol": 1e-10,
                                 "maxfev": max_evaluations // 2})
        point, used = best.x, used + int(best.nfev)
    return unpack(point), used


def calibrate_ecr(device: Any, control: int, target: int, shape: tuple[int, int, float] | None = None,
                  max_evaluations: int = 300, progress: Callable[[str], None] | None = None,
                  **verify_options: Any) -> EcrCalibration:
    """Calibrate ECR(control, target) of `device` from scratch at the CR-half `shape` (duration, width, sigma).

    `shape` defaults to the device's; the device's amplitudes, angles and
    phases for this direction are not used.  See the module docstring.
    """
    say = progress or (lambda _: None)
    cal = current(device, control, target)
    if shape is not None:
        cal = dataclasses.replace(cal, duration=shape[0], width=shape[1], sigma=float(shape[2]))
    amp = amplitude_estimate(device, cal)
    if amp > 1:
        raise ValueError(f"ECR({control}, {target}) needs a CR amplitude of about {amp:.2f} > 1 at "
                         f"duration {cal.duration}; use longer CR halves")
    cal = scan_angle(device, cal, amp, **verify_options)
    say(f"ecr {control},{target}: amp estimate {amp:.4f}, best scanned angle {cal.cr_angle:.3f}")
    cal, evaluations = refine(device, cal, max_evaluations, **verify_options)
    phases = calibrate_ecr_phases(with_ecr(device, cal), control, target, **verify_options)
    cal = dataclasses.replace(cal, control_phase=phases.control_phase, target_phase=phases.target_phase)
    _, leak = ecr_fidelity(device, cal, **verify_options)
    return EcrCalibration(cal, phases.fidelity_up_to_z, phases.fidelity, leak, evaluations + ANGLES)


def main(argv: Sequence[str] | None = None) -> None:
    """Calibrate the ECR directions of a device and print their TOML tables (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m qdl.runtime.pulse.calibrate_ecr",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("device", nargs="?", default="t5", help="built-in device name or device file (default t5)")
    parser.add_argument("--pair", action="append", metavar="C,T", help="only this [control, target] direction")
    parser.add_argument("--duration", type=int, help="CR half duration in dt (default: the device's)")
    parser.add_argument("--sigma", type=float, help="CR ramp sigma in dt (default: the device's)")
    parser.add_argument("--width", type=int, help="flat-top width in dt (default: duration - 4 sigma)")
    parser.add_argument("--max-evaluations", type=int, default=300, help="Nelder-Mead budget per direction")
    args = parser.parse_args(argv)
    device, pairs = device_and_pairs(args.device, args.pair, parser)
    for control, target in pairs:
        shape = _shape(current(device, control, target), args.duration, args.sigma, args.width)
        found = calibrate_ecr(device, control, target, shape, args.max_evaluations,
                              progress=lambda s: print("#", s, flush=True))
        print(f"# ecr {control},{target}: F {found.fidelity_up_to_z:.7f} up to local Z, {found.fidelity:.7f} "
              f"corrected, leakage {found.leakage:.1e} ({found.evaluations} simulations)")
        print(found.toml(), flush=True)


def _shape(cal: CrossResonanceCal, duration: int | None, sigma: float | None,
           width: int | None) -> tuple[int, int, float]:
    """(duration, width, sigma): the device's unless given; a new duration or sigma alone keeps 2σ ramps."""
    if duration is None and sigma is None and width is None:
        return cal.duration, cal.width, cal.sigma
    duration = cal.duration if duration is None else duration
    sigma = cal.sigma if sigma is None else sigma
    return duration, int(duration - 4 * sigma) if width is None else width, sigma


if __name__ == "__main__":
    main()
