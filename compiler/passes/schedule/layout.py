"""Ports and frames of a schedule, and the frame set R(q) of every qubit (reference note §6, §8a).

Names follow the §8a example: qubit q has the drive port `d{q}` with the
frame `q{q}_drive` (tracking q), the readout ports `m{q}`/`a{q}` with the
frames `m{q}_frame`/`a{q}_frame`; a cross-resonance pair (c, t) has the frame
`cr{c}_{t}` on the control's drive port `d{c}` at the target's frequency,
tracking the target (IBM's `u` channel whose LO is the target, §4.3).

R(q) (§6): q's drive frame, the CR frames on q's port, the CR frames
targeting q, and q's measure and acquire frames.  A qubit barrier, a delay
and a measurement block R(q).
"""

from __future__ import annotations

from dataclasses import dataclass

from qdl.compiler.device import Device
from qdl.compiler.pulse.schedule import Frame, Port


@dataclass(frozen=True)
class Layout:
    """The ports and frames a schedule declares, with lookups by qubit."""

    ports: tuple[Port, ...]
    frames: tuple[Frame, ...]
    pairs: tuple[tuple[int, int], ...]
    measured: tuple[int, ...]

    def drive(self, q: int) -> str:
        """The drive frame of qubit q."""
        return f"q{q}_drive"

    def cross_resonance(self, control: int, target: int) -> str:
        """The CR frame of the pair (control, target)."""
        return f"cr{control}_{target}"

    def measure(self, q: int) -> str:
        """The readout stimulus frame of qubit q."""
        return f"m{q}_frame"

    def acquire(self, q: int) -> str:
        """The capture frame of qubit q."""
        return f"a{q}_frame"

    def tracking(self, q: int) -> tuple[str, ...]:
        """Every frame whose phase follows qubit q's virtual Z (drive frame first)."""
        return tuple(f.name for f in self.frames if f.tracks_qubit == q)

    def exclusive(self, q: int) -> tuple[str, ...]:
        """The frames only qubit q uses: its drive and readout frames.

        Every operation that uses a CR frame also uses the drive frame of
        one of its qubits, so blocking these orders a delay or measurement
        with everything that follows on q without serialising the
        measurements of coupled qubits (which share CR frames in R(q)).
        """
        names = [self.drive(q)]
        if q in self.measured:
            names += [self.measure(q), self.acquire(q)]
        return tuple(names)

    def resources(self, q: int) -> tuple[str, ...]:
        """R(q): the frames belonging to qubit q."""
        names = [self.drive(q)] + [self.cross_resonance(c, t) for c, t in self.pairs if q in (c, t)]
        if q in self.measured:
            names += [self.measure(q), self.acquire(q)]
        return tuple(names)


def build_layout(device: Device, qubits: tuple[int, ...], pairs: tuple[tuple[int, int], ...],
                 measured: tuple[int, ...]) -> Layout:
    """The layout of a circuit on `device` using `qubits`, entangling `pairs` and `measured` qubits."""
    ports: list[Port] = []
    frames: list[Frame] = []
    for q in qubits:
        ports.append(Port(f"d{q}", "drive", (q,)))
        frames.append(Frame(f"q{q}_drive", q, _frequency(device, q), tracks_qubit=q, port=f"d{q}"))
    for c, t in pairs:
        frames.append(Frame(f"cr{c}_{t}", c, _frequency(device, t), tracks_qubit=t, port=f"d{c}"))
    for q in measured:
        readout = device.qubits[q].readout_frequency_ghz if q < len(device.qubits) else None
        ports += [Port(f"m{q}", "measure", (q,)), Port(f"a{q}", "acquire", (q,))]
        frames += [Frame(f"m{q}_frame", q, readout or 0.0, port=f"m{q}"),
                   Frame(f"a{q}_frame", q, readout or 0.0, port=f"a{q}")]
    return Layout(tuple(ports), tuple(frames), pairs, measured)


def _frequency(device: Device, q: int) -> float:
    frequency = device.qubits[q].frequency_ghz if q < len(device.qubits) else None
    return float(frequency) if frequency is not None else 0.0
