"""Native gates -> blocks of pulse instructions through the device calibrations (reference note §2.4, §4.3).

A `Block` is one operation's instructions with times relative to its start,
the frames it occupies (its resources, §6) and the alignment its start needs.

* `rz(θ)`: `shift_phase(-θ)` on every frame tracking the qubit (θ stays an
  expression of circuit arguments); no duration.
* `sx`, `x`: the calibrated DRAG pulse on the qubit's drive frame.
* `ecr(c, t)`: CR(+π/4) — the Gaussian-square CR tone on `cr{c}_{t}` with the
  cancellation tone on the target's drive frame — then X on the control, then
  CR(−π/4) with both amplitudes negated, then the calibration's local-Z
  corrections `rz(control_phase)`, `rz(target_phase)` as `shift_phase`s at
  its end.  It occupies both drive frames and the CR frame (and, when it
  shifts phases, every frame tracking either qubit).
* `measure q -> b`: stimulus on `m{q}_frame`, acquire on `a{q}_frame` (from the
  same start, on the acquire grid), then the ring-down delay; it blocks the
  qubit (`Layout.exclusive`) until the ring-down ends.
* a `MeasureGroup` (measurements read out together, `dynamic`): a barrier
  over R(q) of its qubits, then every measurement from that one start.
* a gate conditioned on measured bits: a `Conditional` block whose body is
  the gate's block and whose duration is the body's, so either branch takes
  the same time.  It waits for the measurements writing the bits it reads
  (`bit_resource`), and the next measurement into one of them waits for it
  (`bit_readers`); blocks reading one bit do not wait for each other.
* `barrier`: aligns R(q) of its qubits; `delay`: blocks the qubit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

from qdl.compiler.device import Device
from qdl.compiler.device.model import CrossResonanceCal, DragCal, MeasureCal, VirtualCal
from qdl.compiler.diagnostics import SourceMap, Span, error, render_all
from qdl.compiler.expr import Const, Expr, format_expr, neg
from qdl.compiler.ir import BarrierOp, GateOp, MeasureOp
from qdl.compiler.passes.schedule.layout import Layout
from qdl.compiler.pulse.schedule import (
    Acquire, Barrier, BitCondition, Conditional, Delay, Instruction, Play, ShiftPhase,
)
from qdl.compiler.pulse.waveforms import Constant, Drag, GaussianSquare, Waveform, WaveformError
from qdl.errors import QdlError

OUT_OF_RANGE, OFF_GRID, NO_CALIBRATION = "E0606", "E0607", "E0609"


class ScheduleError(QdlError, ValueError):
    """A circuit that cannot be lowered to pulses on a device; `str(err)` is the rendered diagnostic."""

    def __init__(self, rendered: str, diagnostics: list) -> None:
        super().__init__(rendered)
        self.diagnostics = diagnostics


@dataclass(frozen=True)
class DelayOp:
    """Idle qubit `qubit` for `duration` dt (stretched to the next aligned start when needed, §6)."""

    qubit: int
    duration: int
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True)
class MeasureGroup:
    """Measurements of distinct qubits into distinct bits that start together (multiplexed readout)."""

    measures: tuple[MeasureOp, ...]

    @property
    def qubits(self) -> tuple[int, ...]:
        """The measured qubits, in program order."""
        return tuple(m.qubit for m in self.measures)


def bit_resource(bit: int) -> str:
    """Memory slot `bit` as a resource: held by the measurement writing it, waited for by the blocks reading it."""
    return f"bit:{bit}"


def bit_readers(bit: int) -> str:
    """The end of the blocks reading slot `bit`: the next measurement into it waits for them."""
    return f"bit-read:{bit}"


@dataclass(frozen=True)
class Block:
    """One operation as instructions relative to its start, with the frames it occupies."""

    instructions: tuple[Instruction, ...]
    resources: tuple[str, ...]
    duration: int
    alignment: int = 1
    stretchable: bool = False  # a delay: may grow to meet the next operation's alignment
    reads: tuple[str, ...] = ()  # resources it waits for without holding them (bits it reads)
    marks: tuple[str, ...] = ()  # resources whose clock it only pushes to its end (readers of a bit)


def fail(code: str, message: str, span: Span | None, label: str = "", help: str | None = None) -> ScheduleError:
    """A `ScheduleError` whose diagnostic shows `span` (read from disk when the file exists)."""
    sources = SourceMap()
    if span is not None and Path(span.file).is_file():
        sources.add(span.file, Path(span.file).read_text(encoding="utf-8"))
    diagnostic = error(code, message, span, label, help=help)
    return ScheduleError(render_all([diagnostic], sources), [diagnostic])


def calibration_span(device: Device, gate: str) -> Span | None:
    """The `[calibrations.<gate>]` table of the device file, for messages about a calibration."""
    if not device.path or not Path(device.path).is_file():
        return None
    text = Path(device.path).read_text(encoding="utf-8")
    for header in (f"[calibrations.{gate}]", f"[[calibrations.{gate}]]"):
        at = text.find(header)
        if at >= 0:
            return Span(device.path, at, at + len(header))
    return None


def gate_label(name: str, qubits: tuple[int, ...], params: tuple[Expr, ...] = ()) -> str:
    """`rz(theta) q0`, `ecr q2, q1`: the originating gate recorded on each instruction."""
    args = f"({', '.join(format_expr(p) for p in params)})" if params else ""
    return f"{name}{args} " + ", ".join(f"q{q}" for q in qubits)


class Lowerer:
    """Turns the ops of a native circuit into blocks for one device and layout."""

    def __init__(self, device: Device, layout: Layout) -> None:
        self.device = device
        self.layout = layout
        timing = device.timing
        self.pulse_alignment = timing.pulse_alignment
        self.measure_alignment = math.lcm(timing.pulse_alignment, timing.acquire_alignment)

    def block(self, op: object) -> Block | None:
        """The block of one op (None for ops with no time or pulses, like `gphase`)."""
        if isinstance(op, GateOp):
            return self._gate(op)
        if isinstance(op, MeasureOp):
            return self._measure(op)
        if isinstance(op, MeasureGroup):
            return self._measure_group(op)
        if isinstance(op, BarrierOp):
            frames = tuple(f for q in op.qubits for f in self.layout.resources(q))
            return Block((Barrier(0, frames, gate_label("barrier", op.qubits)),), frames, 0)
        if isinstance(op, DelayOp):
            label = f"delay({op.duration}) q{op.qubit}"
            return Block((Delay(0, self.layout.drive(op.qubit), op.duration, label),),
                         self.layout.exclusive(op.qubit), op.duration, stretchable=True)
        raise fail(NO_CALIBRATION, f"`{type(op).__name__}` cannot be scheduled on a pulse device",
                   getattr(op, "span", None), "here", help="remove it, or schedule the circuit before it")

    def _gate(self, op: GateOp) -> Block | None:
        if op.gate == "gphase":
            return None  # a global phase is not observable on hardware
        label = gate_label(op.gate, op.qubits, op.params)
        if op.controls:
            raise fail(NO_CALIBRATION, f"`{label}` is controlled; a pulse schedule has only native gates",
                       op.span, "here", help="lower the circuit with `to-native` first")
        if op.condition is not None:
            return self._conditional(op, label)
        cal = self.device.calibrations.get(op.gate)
        if isinstance(cal, VirtualCal) and len(op.qubits) == 1:
            frames = self.layout.tracking(op.qubits[0])
            phase = neg(op.params[0])
            value = phase.value if isinstance(phase, Const) else phase
            return Block(tuple(ShiftPhase(0, f, value, label) for f in frames), frames, 0)
        if isinstance(cal, DragCal) and len(op.qubits) == 1:
            play = self._drag(op.gate, op.qubits[0], op, label)
            return Block((play,), (play.frame,), play.waveform.duration, self.pulse_alignment)
        if isinstance(cal, tuple) and len(op.qubits) == 2:
            return self._ecr(op, cal, label)
        raise fail(NO_CALIBRATION, f"`{label}`: device `{self.device.name}` has no calibration for `{op.gate}`",
                   op.span, "no pulses for this gate",
                   help=f"lower the circuit to the native gates first (`to-native{{device=...}}`); "
                        f"calibrated: {', '.join(sorted(self.device.calibrations))}")

    def _drag(self, gate: str, q: int, op: GateOp, label: str) -> Play:
        cal = self.device.calibrations[gate]
        assert isinstance(cal, DragCal)
        wf = self._waveform(gate, op, lambda: Drag(cal.duration, cal.amp[q], cal.sigma, cal.beta[q], cal.angle[q]))
        return Play(0, self.layout.drive(q), wf, f"{gate}_q{q}", label)

    def _ecr(self, op: GateOp, cals: tuple, label: str) -> Block:
        c, t = op.qubits
        cal = next((k for k in cals if isinstance(k, CrossResonanceCal) and k.qubits == (c, t)), None)
        if cal is None or not isinstance(self.device.calibrations.get("x"), DragCal):
            have = ", ".join(f"({k.qubits[0]}, {k.qubits[1]})" for k in cals)
            raise fail(NO_CALIBRATION, f"`{label}`: no ECR calibration for control {c}, target {t}", op.span,
                       "uncalibrated direction", help=f"calibrated [control, target] pairs: {have}; "
                       "route the circuit onto them (`to-native` flips a cx onto a calibrated direction)")
        cr, drive_t = self.layout.cross_resonance(c, t), self.layout.drive(t)
        out: list[Instruction] = []
        echo = self._drag("x", c, op, label)
        for k, sign in enumerate((1.0, -1.0)):
            start = k * (cal.duration + echo.waveform.duration)
            tag = "p" if sign > 0 else "m"
            tone = self._waveform("ecr", op, lambda: GaussianSquare(
                cal.duration, sign * cal.cr_amp, cal.sigma, cal.width, cal.cr_angle))
            cancel = self._waveform("ecr", op, lambda: GaussianSquare(
                cal.duration, sign * cal.cancel_amp, cal.sigma, cal.width, cal.cancel_angle))
            out += [Play(start, cr, tone, f"cr_{tag}_q{c}_q{t}", label),
                    Play(start, drive_t, cancel, f"cancel_{tag}_q{c}_q{t}", label)]
            if sign > 0:
                out.append(Play(cal.duration, echo.frame, echo.waveform, echo.name, label))
        duration = 2 * cal.duration + echo.waveform.duration
        corrections, frames = self._ecr_phases(cal, duration, label)
        resources = tuple(dict.fromkeys((self.layout.drive(c), drive_t, cr) + frames))
        return Block(tuple(out) + corrections, resources, duration, self.pulse_alignment)

    def _ecr_phases(self, cal: CrossResonanceCal, at: int, label: str) -> tuple[tuple[ShiftPhase, ...],
                                                                                   tuple[str, ...]]:
        """The calibration's virtual-Z corrections at the end of the ECR, and the frames they shift.

        `rz(control_phase)` on the control and `rz(target_phase)` on the target:
        `shift_phase(-θ)` on every frame tracking the qubit, like a circuit `rz`.
        A zero phase gives no instruction, so uncorrected calibrations lower as before.
        """
        out: list[ShiftPhase] = []
        for q, theta in zip(cal.qubits, (cal.control_phase, cal.target_phase)):
            if theta:
                out += [ShiftPhase(at, f, -theta, label) for f in self.layout.tracking(q)]
        return tuple(out), tuple(dict.fromkeys(i.frame for i in out))

    def _conditional(self, op: GateOp, label: str) -> Block | None:
        """The gate's block as the body of a conditional block of the same (static) duration."""
        inner = self._gate(replace(op, condition=None))
        if inner is None:
            return None  # a conditioned global phase: each branch's phase is unobservable
        condition = BitCondition(op.condition.bits, op.condition.value)
        block = Conditional(0, inner.duration, inner.resources, condition, inner.instructions, label)
        return Block((block,), inner.resources, inner.duration, inner.alignment,
                     reads=tuple(bit_resource(b) for b in op.condition.bits),
                     marks=tuple(bit_readers(b) for b in op.condition.bits))

    def _measure_group(self, group: MeasureGroup) -> Block:
        """One start for all the group's measurements, after a barrier over the measured qubits' frames."""
        blocks = [self._measure(m) for m in group.measures]
        if len(blocks) == 1:
            return blocks[0]
        frames = tuple(dict.fromkeys(f for q in group.qubits for f in self.layout.resources(q)))
        barrier = Barrier(0, frames, gate_label("barrier", group.qubits))
        resources = tuple(dict.fromkeys(frames + tuple(r for b in blocks for r in b.resources)))
        instructions = (barrier,) + tuple(i for b in blocks for i in b.instructions)
        return Block(instructions, resources, max(b.duration for b in blocks), self.measure_alignment,
                     reads=tuple(r for b in blocks for r in b.reads))

    def _measure(self, op: MeasureOp) -> Block:
        cal = self.device.calibrations.get("measure")
        q = op.qubit
        if not isinstance(cal, MeasureCal):
            raise fail(NO_CALIBRATION, f"device `{self.device.name}` has no `measure` calibration", op.span,
                       "measured here", help="add a [calibrations.measure] table to the device file")
        stimulus = self._waveform("measure", op, lambda: GaussianSquare(cal.duration, cal.amp[q], cal.sigma,
                                                                          cal.width))
        label = f"measure q{q}"
        ring = cal.duration
        instructions = (Play(0, self.layout.measure(q), stimulus, f"m_q{q}", label),
                        Acquire(0, self.layout.acquire(q), cal.acquire_duration, q, op.bit,
                                kernel_name(cal.acquire_duration), label),
                        Delay(ring, self.layout.measure(q), cal.ringdown_delay, label))
        duration = max(cal.duration, cal.acquire_duration) + cal.ringdown_delay
        resources = self.layout.exclusive(q) + (bit_resource(op.bit),)
        return Block(instructions, resources, duration, self.measure_alignment, reads=(bit_readers(op.bit),))

    def _waveform(self, gate: str, op: object, make) -> Waveform:
        """Build a calibrated waveform, turning range and grid violations into diagnostics on the calibration."""
        span = calibration_span(self.device, gate)
        where = f" (calibration `{gate}` of {self.device.path or self.device.name})"
        try:
            wf = make()
            if not wf.is_symbolic:
                wf.samples()  # checks |d| ≤ 1 + 1e-7 on every sample
        except WaveformError as exc:
            raise fail(OUT_OF_RANGE, f"{exc}{where}", span, "this calibration",
                       help="calibrated amplitudes must satisfy |amp| ≤ 1") from None
        timing = self.device.timing
        if wf.duration % timing.granularity or wf.duration < timing.min_length:
            raise fail(OFF_GRID, f"pulse duration {wf.duration} dt is off the timing grid: it must be a multiple of "
                       f"the granularity {timing.granularity} and at least min_length {timing.min_length}{where}",
                       span, "this calibration", help="round the duration to the device's timing grid")
        return wf


def kernel_name(duration: int) -> str:
    """The acquire kernel (a boxcar of the acquire's length) referenced by measurements."""
    return f"boxcar_{duration}"


def kernel_waveform(duration: int) -> Waveform:
    """The boxcar integration kernel of `kernel_name(duration)`."""
    return Constant(duration, 1.0)
