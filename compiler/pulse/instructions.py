"""The instructions of a pulse schedule: ports, frames, timed operations, conditional blocks (§2.1, §8a).

Plain frozen data, shared by the scheduler (`compiler.passes.schedule`),
the schedule (`compiler.pulse.schedule.PulseSchedule`), its exporters and
the simulators.  Times are integers of dt; phases and waveform parameters
may be `compiler.expr` expressions (`waveforms.Value`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping, Union

from qdl.compiler.pulse.waveforms import Value, Waveform


@dataclass(frozen=True)
class Port:
    """A hardware I/O line: `kind` is drive, control, measure, acquire or flux."""

    name: str
    kind: str
    qubits: tuple[int, ...]


@dataclass(frozen=True)
class Frame:
    """A (port, frequency, phase) triple; `qubit` is the qubit whose line the port is."""

    name: str
    qubit: int
    frequency_ghz: float
    phase: float = 0.0
    tracks_qubit: int | None = None
    port: str = ""


@dataclass(frozen=True)
class Play:
    """Play `waveform` on `frame` from sample `t0`; `name` keys it in the JSON `waveforms` table."""

    t0: int
    frame: str
    waveform: Waveform
    name: str = ""
    gate: str = ""


@dataclass(frozen=True)
class ShiftPhase:
    """Add `phase` (rad; may be an expression of circuit arguments) to the frame's phase from `t0` on."""

    t0: int
    frame: str
    phase: Value
    gate: str = ""


@dataclass(frozen=True)
class SetPhase:
    """Set the frame's phase to `phase` (rad; may be symbolic) from `t0` on."""

    t0: int
    frame: str
    phase: Value
    gate: str = ""


@dataclass(frozen=True)
class ShiftFrequency:
    """Add `delta_ghz` to the frame's frequency from `t0` on (phase-continuous)."""

    t0: int
    frame: str
    delta_ghz: float
    gate: str = ""


@dataclass(frozen=True)
class SetFrequency:
    """Set the frame's frequency to `frequency_ghz` from `t0` on (phase-continuous)."""

    t0: int
    frame: str
    frequency_ghz: float
    gate: str = ""


@dataclass(frozen=True)
class Delay:
    """Idle `duration` samples on a frame (only extends the schedule)."""

    t0: int
    frame: str
    duration: int
    gate: str = ""


@dataclass(frozen=True)
class Acquire:
    """Capture `duration` samples on an acquire frame into `memory_slot`, integrated with `kernel`."""

    t0: int
    frame: str
    duration: int
    qubit: int
    memory_slot: int
    kernel: str = ""
    gate: str = ""


@dataclass(frozen=True)
class Barrier:
    """Align the clocks of `frames` at `t0` (no duration; kept for the exporters)."""

    t0: int
    frames: tuple[str, ...]
    gate: str = ""


@dataclass(frozen=True)
class BitCondition:
    """True when the integer read from memory slots `bits` (bits[0] least significant) equals `value`."""

    bits: tuple[int, ...]
    value: int

    def __post_init__(self) -> None:
        if not self.bits or len(set(self.bits)) != len(self.bits) or min(self.bits) < 0:
            raise ValueError(f"a condition reads distinct memory slots ≥ 0, got {list(self.bits)}")
        if not 0 <= self.value < 2 ** len(self.bits):
            raise ValueError(f"condition value {self.value} does not fit in {len(self.bits)} bit(s)")

    def holds(self, slots: "Mapping[int, int]") -> bool:
        """Whether the memory `slots` (slot -> 0/1, missing slots read 0) satisfy the condition."""
        return sum(slots.get(b, 0) << i for i, b in enumerate(self.bits)) == self.value

    def __str__(self) -> str:
        if len(self.bits) == 1:
            return f"c[{self.bits[0]}] == {self.value}"
        return f"c[{', '.join(map(str, self.bits))}] == {self.value}"


@dataclass(frozen=True)
class Conditional:
    """A conditional block: `body` runs from `t0` only when `condition` holds on the measured bits.

    The block lasts `duration` dt whichever branch runs: the taken branch is
    `body` (absolute times inside [t0, t0 + duration]), the other idles the
    block's `frames` for the same time, so the timeline stays static.  `body`
    uses only `frames` and holds no acquires or nested conditionals.
    """

    t0: int
    duration: int
    frames: tuple[str, ...]
    condition: BitCondition
    body: tuple["Instruction", ...]
    gate: str = ""

    def __post_init__(self) -> None:
        if self.duration < 0:
            raise ValueError(f"conditional block at t0 = {self.t0} has a negative duration")
        for inst in self.body:
            if isinstance(inst, (Conditional, Acquire)):
                raise ValueError(f"conditional block at t0 = {self.t0}: its body cannot hold {type(inst).__name__}")
            if not set(instruction_frames(inst)) <= set(self.frames):
                raise ValueError(f"conditional block at t0 = {self.t0}: {inst} uses a frame outside the block's "
                                 f"{list(self.frames)}")
            if inst.t0 < self.t0 or end_time(inst) > self.t0 + self.duration:
                raise ValueError(f"conditional block [{self.t0}, {self.t0 + self.duration}): {inst} runs outside "
                                 "it; the block's duration is its branch's duration")


Instruction = Union[Play, ShiftPhase, SetPhase, ShiftFrequency, SetFrequency, Delay, Acquire, Barrier, Conditional]


@dataclass(frozen=True)
class Parameter:
    """A declared free parameter: a circuit-argument element such as `theta` or `w[1]`."""

    name: str
    kind: str = "real"  # real | angle | int
    trainable: bool = False
    value: float | None = None
    bounds: tuple[float, float] | None = None


@dataclass(frozen=True)
class NativeGate:
    """One native gate of the scheduled circuit (physical qubits), kept to rebuild the ideal unitary.

    `condition` (None for most gates) makes it a classically conditioned gate.
    """

    name: str
    qubits: tuple[int, ...]
    params: tuple[Value, ...] = ()
    condition: BitCondition | None = None


@dataclass(frozen=True)
class NativeMeasure:
    """A measurement of the scheduled circuit: `qubit` into memory slot `bit`, after the first `position` gates."""

    qubit: int
    bit: int
    position: int


def end_time(inst: Instruction) -> int:
    """The sample after the instruction's last one (its `t0` for instantaneous ones)."""
    if isinstance(inst, Play):
        return inst.t0 + inst.waveform.duration
    if isinstance(inst, (Delay, Acquire, Conditional)):
        return inst.t0 + inst.duration
    return inst.t0


def instruction_frames(inst: Instruction) -> tuple[str, ...]:
    """The frames an instruction names."""
    return inst.frames if isinstance(inst, (Barrier, Conditional)) else (inst.frame,)


def shifted(inst: Instruction, dt: int) -> Instruction:
    """The instruction `dt` samples later (a conditional block with its body)."""
    if isinstance(inst, Conditional):
        return replace(inst, t0=inst.t0 + dt, body=tuple(shifted(i, dt) for i in inst.body))
    return replace(inst, t0=inst.t0 + dt)


def flat_instructions(instructions: "tuple[Instruction, ...]") -> "list[Instruction]":
    """Every instruction, the bodies of conditional blocks in place of the blocks."""
    return [j for i in instructions for j in (i.body if isinstance(i, Conditional) else (i,))]
