"""Pulse-level simulation: run a pulse schedule on a model of transmons and score the gate it implements."""

from qdl.runtime.pulse.fidelity import average_gate_fidelity, leakage, rz, rz_correction
from qdl.runtime.pulse.model import DT_NS, Coupling, PulseModel, Transmon, example_device
from qdl.compiler.pulse.schedule import (
    Delay, Frame, Play, PulseSchedule, SequenceBuilder, SetFrequency, SetPhase, ShiftFrequency, ShiftPhase,
    drive_frames,
)
from qdl.runtime.pulse.simulate import PulseResult, simulate

__all__ = [
    "DT_NS", "Coupling", "Delay", "Frame", "Play", "PulseModel", "PulseResult", "PulseSchedule",
    "SequenceBuilder", "SetFrequency", "SetPhase", "ShiftFrequency", "ShiftPhase", "Transmon",
    "average_gate_fidelity", "drive_frames", "example_device", "leakage", "rz", "rz_correction", "simulate",
]
