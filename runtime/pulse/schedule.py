"""The simulator's input: frames and absolutely-timed pulse instructions.

A minimal, self-contained schedule so the simulator can be tested before the
compiler's schedule IR and exporters exist; the JSON schedule of the
reference note (§8a) maps onto it one to one.

Frames (§2.1): a frame plays on the drive port of `qubit` at `frequency_ghz`
with a phase.  `shift_phase`/`set_phase` change the phase of every later
`play` on that frame; `shift_frequency`/`set_frequency` are phase-continuous.
The carrier is locked to absolute time.  `tracks_qubit` names the qubit whose
virtual Z (`rz(θ) → shift_phase(-θ)`, §4.3) this frame follows; the final
phase of the first frame tracking q is the virtual-Z offset Φ_q of qubit q.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Union

from qdl.compiler.pulse.waveforms import Value, Waveform


@dataclass(frozen=True)
class Frame:
    """A (port, frequency, phase) triple; the port is qubit `qubit`'s drive line."""

    name: str
    qubit: int
    frequency_ghz: float
    phase: float = 0.0
    tracks_qubit: int | None = None


@dataclass(frozen=True)
class Play:
    """Play `waveform` on `frame` from sample `t0` for `waveform.duration` samples."""

    t0: int
    frame: str
    waveform: Waveform


@dataclass(frozen=True)
class ShiftPhase:
    """Add `phase` (rad; may be an expression of circuit arguments) to the frame's phase from `t0` on."""

    t0: int
    frame: str
    phase: Value


@dataclass(frozen=True)
class SetPhase:
    """Set the frame's phase to `phase` (rad; may be symbolic) from `t0` on."""

    t0: int
    frame: str
    phase: Value


@dataclass(frozen=True)
class ShiftFrequency:
    """Add `delta_ghz` to the frame's frequency from `t0` on (phase-continuous)."""

    t0: int
    frame: str
    delta_ghz: float


@dataclass(frozen=True)
class SetFrequency:
    """Set the frame's frequency to `frequency_ghz` from `t0` on (phase-continuous)."""

    t0: int
    frame: str
    frequency_ghz: float


@dataclass(frozen=True)
class Delay:
    """Idle `duration` samples on a frame (only extends the schedule)."""

    t0: int
    frame: str
    duration: int


Instruction = Union[Play, ShiftPhase, SetPhase, ShiftFrequency, SetFrequency, Delay]


def end_time(inst: Instruction) -> int:
    if isinstance(inst, Play):
        return inst.t0 + inst.waveform.duration
    if isinstance(inst, Delay):
        return inst.t0 + inst.duration
    return inst.t0


@dataclass(frozen=True)
class PulseSchedule:
    """Frames and instructions; instructions at one `t0` apply in the order listed."""

    frames: tuple[Frame, ...]
    instructions: tuple[Instruction, ...]

    def __post_init__(self) -> None:
        names = [f.name for f in self.frames]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate frame names in {names}")
        for inst in self.instructions:
            if inst.frame not in names:
                raise ValueError(f"instruction {inst} uses the undeclared frame `{inst.frame}`")
            if inst.t0 < 0:
                raise ValueError(f"instruction {inst} starts before 0")

    @property
    def duration(self) -> int:
        return max((end_time(i) for i in self.instructions), default=0)

    def frame(self, name: str) -> Frame:
        return next(f for f in self.frames if f.name == name)


def drive_frames(model_frequencies: Iterable[float]) -> tuple[Frame, ...]:
    """One drive frame `d{q}` per qubit at its own frequency, tracking that qubit."""
    return tuple(Frame(f"d{q}", q, f, tracks_qubit=q) for q, f in enumerate(model_frequencies))


class SequenceBuilder:
    """Append single-frame operations back to back: plays advance the frame's clock."""

    def __init__(self, frames: tuple[Frame, ...]) -> None:
        self.frames = frames
        self.clock = {f.name: 0 for f in frames}
        self.instructions: list[Instruction] = []

    def play(self, frame: str, waveform: Waveform) -> "SequenceBuilder":
        self.instructions.append(Play(self.clock[frame], frame, waveform))
        self.clock[frame] += waveform.duration
        return self

    def shift_phase(self, frame: str, phase: Value) -> "SequenceBuilder":
        self.instructions.append(ShiftPhase(self.clock[frame], frame, phase))
        return self

    def barrier(self, *frames: str) -> "SequenceBuilder":
        """Align the listed frames (all when none are listed) to the latest clock."""
        names = frames or tuple(self.clock)
        latest = max(self.clock[n] for n in names)
        for n in names:
            self.clock[n] = latest
        return self

    def build(self) -> PulseSchedule:
        return PulseSchedule(self.frames, tuple(self.instructions))
