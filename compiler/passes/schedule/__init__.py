"""Scheduling: lower a native circuit to a timed pulse schedule through the device calibrations.

    from qdl.compiler.passes.schedule import schedule_circuit
    schedule = schedule_circuit(circuit, "t5", method="alap")

`layout` names ports and frames (R(q)), `dynamic` arranges measurements,
resets and conditions as hardware runs them (readout grouped, reset as
measure + conditional x), `lower` turns each native gate into a block of
pulses (calibrations; conditioned gates into conditional blocks),
`scheduler` places blocks (ASAP/ALAP and the timing grid), `build` ties
them together; `gradient` gives the AD pass's
shifted evaluations as phase offsets of one schedule.  docs/pulse.md describes it.
"""

from qdl.compiler.passes.schedule.build import resolve_device, schedule_circuit
from qdl.compiler.passes.schedule.lower import DelayOp, ScheduleError
from qdl.compiler.passes.schedule.scheduler import METHODS

__all__ = ["METHODS", "DelayOp", "ScheduleError", "resolve_device", "schedule_circuit"]
