"""The gradient program on hardware: the AD pass's shifted evaluations as phase-offset variants of one schedule.

After `to-native`, every differentiated angle sits in an `rz`, i.e. in a
virtual Z: shifting it by s changes only the `shift_phase` instructions of
that `rz` (by −s on every frame tracking the qubit), never a pulse or a
time.  So a gradient needs one schedule plus, per shifted evaluation, a list
of phase offsets; the AD pass's recipe recombines the measured values:

    ∂f/∂a = Σ_slots (Σ_terms coeff · f(schedule with the slot's phases offset by −shift)) · ∂angle/∂a

`to_json()` writes the schedule document with the evaluations and the
partials (expression trees), format `qdl.pulse_gradient` v0.1.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from qdl.compiler.autodiff import gradient_program
from qdl.compiler.device import Device
from qdl.compiler.expr import Const, add
from qdl.compiler.ir import Circuit
from qdl.compiler.passes.schedule.build import arg_name, native_placement, resolve_device, schedule_circuit
from qdl.compiler.passes.schedule.lower import NO_CALIBRATION, fail
from qdl.compiler.pulse.schedule import PulseSchedule, ShiftPhase
from qdl.compiler.pulse.serialize import dump, value_to_json


@dataclass(frozen=True)
class ShiftedEvaluation:
    """One term of a slot's shift rule: `coeff · f(angle + shift)`, as phase offsets on the base schedule."""

    slot: int
    shift: float
    coeff: float
    offsets: tuple[tuple[int, str, float], ...]  # (instruction index, frame, phase offset)
    gates: tuple = ()  # the shifted native gates (for verifying by simulation)

    def apply(self, base: PulseSchedule) -> PulseSchedule:
        """The base schedule with this evaluation's phase offsets added."""
        insts = list(base.instructions)
        for index, _, offset in self.offsets:
            inst = insts[index]
            assert isinstance(inst, ShiftPhase)
            insts[index] = dataclasses.replace(inst, phase=_plain(add(inst.phase, offset)))
        return dataclasses.replace(base, instructions=tuple(insts), gates=self.gates or base.gates)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Const) else value


@dataclass(frozen=True)
class GradientSchedules:
    """The base schedule, the AD program of its native circuit, and the shifted evaluations."""

    schedule: PulseSchedule
    program: Any  # GradientProgram
    evaluations: tuple[ShiftedEvaluation, ...]

    def shifted(self, k: int) -> PulseSchedule:
        """The schedule of evaluation k."""
        return self.evaluations[k].apply(self.schedule)

    def recombine(self, values: Mapping[str, object], measured: Sequence[float]) -> dict[str, float]:
        """∂f/∂(argument element) from the measured f of every evaluation, at `values`."""
        from qdl.compiler.pulse.schedule import expand_values
        env = expand_values(dict(values))
        out = {arg_name(e): 0.0 for e in self.program.elements}
        for evaluation, f in zip(self.evaluations, measured):
            slot = self.program.slots[evaluation.slot]
            for partial in slot.partials:
                out[arg_name(partial.arg)] += evaluation.coeff * f * float(partial.derivative.evaluate(env))
        return out

    def to_json(self) -> dict:
        """`qdl.pulse_gradient` v0.1: the schedule document, the evaluations and the chain-rule partials."""
        return {
            "format": "qdl.pulse_gradient", "version": "0.1", "schedule": dump(self.schedule),
            "wrt": [arg_name(e) for e in self.program.elements],
            "evaluations": [{"slot": e.slot, "shift": e.shift, "coeff": e.coeff,
                             "phase_offsets": [{"instruction": i, "frame": f, "offset": o} for i, f, o in e.offsets]}
                            for e in self.evaluations],
            "slots": [{"gate": s.gate, "angle": value_to_json(s.angle),
                       "partials": {arg_name(p.arg): value_to_json(p.derivative) for p in s.partials}}
                      for s in self.program.slots],
        }


def gradient_schedules(circuit: Circuit, device: Device | str, method: str = "alap",
                       wrt: str | Sequence[str] | None = None,
                       values: Mapping[str, object] | None = None) -> GradientSchedules:
    """The schedule of `circuit` on `device` and its parameter-shift evaluations as phase offsets."""
    device = resolve_device(device)
    native, placement = native_placement(circuit, device)
    program = gradient_program(native, wrt)
    base = schedule_circuit(native, device, method, values=values, native=False, placement=placement)
    dynamic = base.dynamic_reason()
    if dynamic is not None:  # the phase-offset recipe assumes one static unitary program
        raise fail(NO_CALIBRATION, f"the pulse gradient of `{circuit.name}` needs a circuit without conditions, "
                   f"resets or mid-circuit measurement: {dynamic}", circuit.span, "this circuit",
                   help="differentiate it at the gate level (`qdlc grad`) instead")
    evaluations = []
    for k, slot in enumerate(program.slots):
        for term in slot.rule.terms:
            ops = list(native.ops)
            op = ops[slot.op]
            params = list(op.params)
            params[slot.param] = add(params[slot.param], Const(term.shift))
            ops[slot.op] = dataclasses.replace(op, params=tuple(params))
            shifted = schedule_circuit(native, device, method, values=values, native=False, ops=ops)
            evaluations.append(ShiftedEvaluation(k, term.shift, term.coeff, _offsets(base, shifted, term.shift),
                                                 shifted.gates))
    return GradientSchedules(base, program, tuple(evaluations))


def _offsets(base: PulseSchedule, shifted: PulseSchedule, shift: float) -> tuple[tuple[int, str, float], ...]:
    """Where `shifted` differs from `base`: only `shift_phase`s, each by −shift (checked)."""
    if len(base.instructions) != len(shifted.instructions):
        raise AssertionError("a shifted angle changed the schedule's instructions")
    out = []
    for index, (a, b) in enumerate(zip(base.instructions, shifted.instructions)):
        if a == b:
            continue
        same_timing = isinstance(a, ShiftPhase) and dataclasses.replace(b, phase=a.phase, gate=a.gate) == a
        if not same_timing:
            raise AssertionError(f"a shifted angle changed instruction {index}: {a} -> {b}")
        out.append((index, a.frame, -shift))
    return tuple(out)
