"""Calibrate the local-Z corrections of an ECR: `control_phase` and `target_phase` of `[[calibrations.ecr]]`.

A cross-resonance drive calibrated for F(ECR up to local virtual Z) leaves
final Z rotations on both qubits (Stark shifts of the CR and cancellation
tones, the static ZZ during the gate): its pulses implement
`V ≈ (Rz(Φ_c) ⊗ Rz(Φ_t)) · ECR`.  The lowering appends `rz(θ_c)`, `rz(θ_t)`
(virtual: `shift_phase(-θ)`) after the pulses, so θ_q = −Φ_q makes the
schedule implement the ECR itself.

Φ comes in closed form from the simulated unitary (in the frame the verifier
compares in, dressed by default): with `w_j = (V · ECR†)_jj`, the diagonal of
`Rz(Φ)` up to a global phase, `Φ_q = arg Σ_{j: bit q = 0} w_{j+2^q} w_j*`
(every pair of basis states differing only in qubit q differs in phase by
Φ_q; the sum weights the pairs by how well V keeps them).

`python -m qdl.runtime.pulse.ecr_phases [DEVICE]` prints, for every ECR
direction of a device file or built-in device, the two TOML lines and the
fidelities before and after the correction.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from qdl.compiler.device import Device, load_device
from qdl.compiler.device.model import CrossResonanceCal
from qdl.compiler.ir import Circuit, GateOp
from qdl.compiler.passes.schedule import schedule_circuit
from qdl.errors import QdlError
from qdl.runtime.pulse.verify import verify


@dataclass(frozen=True)
class EcrPhases:
    """The virtual-Z corrections of one ECR direction and what they achieve (average gate fidelities).

    `fidelity_up_to_z` is the uncorrected pulses' F with the best final Rz on
    both qubits allowed (the calibration's own figure); `fidelity_uncorrected`
    and `fidelity` are F against the exact ECR without that freedom, before
    and after the correction.
    """

    qubits: tuple[int, int]
    control_phase: float
    target_phase: float
    fidelity_uncorrected: float
    fidelity_up_to_z: float
    fidelity: float

    def toml(self) -> str:
        """The two lines to put in the direction's `[[calibrations.ecr]]` table."""
        return f"control_phase = {self.control_phase!r}\ntarget_phase = {self.target_phase!r}"


def local_z_phases(v: np.ndarray, target: np.ndarray) -> tuple[float, ...]:
    """Φ_q (little-endian, one per qubit) with `v ≈ (⊗_q Rz(Φ_q)) · target` up to a global phase."""
    w = np.diag(v @ target.conj().T)
    n = int(round(math.log2(len(w))))
    index = np.arange(len(w))
    out = []
    for q in range(n):
        low = index[(index >> q) & 1 == 0]
        out.append(float(np.angle(np.sum(w[low | (1 << q)] * np.conj(w[low])))))
    return tuple(out)


def wrap(phase: float) -> float:
    """`phase` reduced into (−π, π]."""
    return float(-(((-phase + math.pi) % (2 * math.pi)) - math.pi))


def with_ecr_phases(device: Any, qubits: tuple[int, int], control_phase: float, target_phase: float) -> Any:
    """`device` with the phases of its ECR calibration for [control, target] = `qubits` replaced."""
    cals = tuple(dataclasses.replace(c, control_phase=control_phase, target_phase=target_phase)
                 if isinstance(c, CrossResonanceCal) and c.qubits == qubits else c
                 for c in device.calibrations["ecr"])
    return dataclasses.replace(device, calibrations={**device.calibrations, "ecr": cals})


def ecr_schedule(device: Any, control: int, target: int) -> Any:
    """The pulse schedule of one `ecr(control, target)` on `device`, starting at t = 0."""
    circuit = Circuit("ecr", (), device.num_qubits, (GateOp("ecr", (control, target)),), ())
    return schedule_circuit(circuit, device, native=False)


def calibrate_ecr_phases(device: Any, control: int, target: int, **verify_options: Any) -> EcrPhases:
    """The local-Z corrections of the ECR (control, target) of `device`, from its simulated unitary.

    Any phases the device already has for this direction are ignored (set to
    0 for the measurement); `verify_options` go to `verify` (`basis`, `levels`).
    """
    bare = with_ecr_phases(device, (control, target), 0.0, 0.0)
    result = verify(ecr_schedule(bare, control, target), bare, **verify_options)
    phi = dict(zip(result.qubits, local_z_phases(result.unitary, result.target)))
    theta_c, theta_t = wrap(-phi[control]), wrap(-phi[target])
    corrected = with_ecr_phases(device, (control, target), theta_c, theta_t)
    after = verify(ecr_schedule(corrected, control, target), corrected, **verify_options)
    up_to_z = result.result.fidelity(result.target, optimize_z=True)  # `result.result` is in the verifier's frame
    return EcrPhases((control, target), theta_c, theta_t, result.fidelity, up_to_z, after.fidelity)


def calibrate_device(device: Any, pairs: Sequence[tuple[int, int]] | None = None,
                     **verify_options: Any) -> list[EcrPhases]:
    """`calibrate_ecr_phases` for the given [control, target] pairs (default: every ECR direction)."""
    if pairs is None:
        pairs = [c.qubits for c in device.calibrations.get("ecr", ()) if isinstance(c, CrossResonanceCal)]
    return [calibrate_ecr_phases(device, c, t, **verify_options) for c, t in pairs]


def main(argv: Sequence[str] | None = None) -> None:
    """Print the corrections of every ECR direction of a device (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m qdl.runtime.pulse.ecr_phases", description=__doc__.split("\n")[0])
    parser.add_argument("device", nargs="?", default="t5", help="built-in device name or device file (default t5)")
    parser.add_argument("--pair", action="append", metavar="C,T", help="only this [control, target] direction")
    parser.add_argument("--basis", choices=("dressed", "bare"), default="dressed", help="the verifier's frame")
    args = parser.parse_args(argv)
    device, pairs = device_and_pairs(args.device, args.pair, parser)
    for found in calibrate_device(device, pairs, basis=args.basis):
        print(f"# ecr {list(found.qubits)}: F {found.fidelity_uncorrected:.6f} uncorrected, "
              f"{found.fidelity_up_to_z:.6f} up to local Z, {found.fidelity:.6f} corrected")
        print(found.toml())


def device_and_pairs(name: str, pair_texts: Sequence[str] | None,
                     parser: argparse.ArgumentParser) -> tuple[Device, list[tuple[int, int]]]:
    """The device of a command line and its ECR directions: the `--pair C,T` ones, else every calibrated one."""
    try:
        device = load_device(name)
    except QdlError as exc:
        raise SystemExit(str(exc)) from None
    known = [c.qubits for c in device.calibrations.get("ecr", ()) if isinstance(c, CrossResonanceCal)]
    return device, ([_pair(p, known, parser) for p in pair_texts] if pair_texts else known)


def _pair(text: str, known: list[tuple[int, int]], parser: argparse.ArgumentParser) -> tuple[int, int]:
    parts = text.split(",")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        parser.error(f"--pair {text}: give the control and the target, e.g. --pair 2,1")
    pair = (int(parts[0]), int(parts[1]))
    if pair not in known:
        parser.error(f"--pair {text}: no ECR calibration for [control, target] = {list(pair)}; "
                     f"calibrated: {', '.join(f'{c},{t}' for c, t in known) or 'none'}")
    return pair


if __name__ == "__main__":
    main()
