"""The simulator's input; the data model lives in `qdl.compiler.pulse.schedule` (re-exported here)."""

from qdl.compiler.pulse.schedule import (  # noqa: F401
    Acquire, Barrier, Delay, Frame, Instruction, NativeGate, Parameter, Play, Port, PulseSchedule, SequenceBuilder,
    SetFrequency, SetPhase, ShiftFrequency, ShiftPhase, drive_frames, end_time,
)
