"""Pulse-level descriptions: parametric waveforms (and, later, schedules and their exporters)."""

from qdl.compiler.pulse.waveforms import (
    AMP_TOLERANCE, Constant, Drag, Gaussian, GaussianSquare, Waveform, WaveformError,
)

__all__ = ["AMP_TOLERANCE", "Constant", "Drag", "Gaussian", "GaussianSquare", "Waveform", "WaveformError"]
