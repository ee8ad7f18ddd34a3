"""Pulse-level descriptions: parametric waveforms, schedules (`schedule`) and their JSON form (`serialize`)."""

from qdl.compiler.pulse.waveforms import (
    AMP_TOLERANCE, Constant, Drag, Gaussian, GaussianSquare, Samples, Waveform, WaveformError,
)

__all__ = ["AMP_TOLERANCE", "Constant", "Drag", "Gaussian", "GaussianSquare", "Samples", "Waveform", "WaveformError"]
