"""Build a schedule by appending operations frame by frame (tests, docs, hand-written schedules)."""

from __future__ import annotations

from typing import Iterable

from qdl.compiler.pulse.schedule import Frame, Instruction, Play, PulseSchedule, ShiftPhase
from qdl.compiler.pulse.waveforms import Value, Waveform


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
        """Play `waveform` on `frame` at its clock."""
        self.instructions.append(Play(self.clock[frame], frame, waveform))
        self.clock[frame] += waveform.duration
        return self

    def shift_phase(self, frame: str, phase: Value) -> "SequenceBuilder":
        """Shift the frame's phase at its clock."""
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
        """The schedule built so far."""
        return PulseSchedule(self.frames, tuple(self.instructions))
