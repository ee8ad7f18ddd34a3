"""Pulse schedules: ports, frames and absolutely-timed instructions (reference note §2.1, §8a).

This is the data model behind the canonical JSON schedule `qdl.pulse_schedule`
v0.1/v0.2 (`compiler.pulse.serialize`), the scheduler's output
(`compiler.passes.schedule`) and the simulator's input (`runtime.pulse`).

Frames (§2.1): a frame plays on a port (the drive line of qubit `qubit` for
drive and cross-resonance frames) at `frequency_ghz` with a phase.
`shift_phase`/`set_phase` change the phase of every later `play` on that
frame; `shift_frequency`/`set_frequency` are phase-continuous.  The carrier
is locked to absolute time.  `tracks_qubit` names the qubit whose virtual Z
(`rz(θ) → shift_phase(-θ)`, §4.3) the frame follows.  Times are integers of
dt; amplitudes, angles, β and phases may be `compiler.expr` expressions of
circuit arguments, declared as `parameters`.

The instruction types live in `compiler.pulse.instructions` (re-exported
here).  A `Conditional` block (v0.2) runs its body only when measured bits satisfy
its `BitCondition`; it lasts as long as its body whichever branch runs, so
every start time stays static.  `dynamic_reason()` says whether a schedule
is more than one unitary (conditions, or a qubit used after its measurement).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping

import numpy as np

from qdl.compiler.expr import Const, add
from qdl.compiler.pulse.waveforms import Value, Waveform, evaluate_value
from qdl.compiler.pulse.instructions import (  # noqa: F401  the schedule's vocabulary, re-exported
    Acquire, Barrier, BitCondition, Conditional, Delay, Frame, Instruction, NativeGate, NativeMeasure, Parameter,
    Play, Port, SetFrequency, SetPhase, ShiftFrequency, ShiftPhase, end_time, flat_instructions,
    instruction_frames, shifted,
)


def _plain(value: Value) -> Value:
    return value.value if isinstance(value, Const) else value


@dataclass(frozen=True)
class Placement:
    """Where the program's qubits sit: program qubit i starts on physical qubit
    `initial[i]` and ends on `final[i]` after the `swaps` SWAPs routing added."""

    initial: tuple[int, ...]
    final: tuple[int, ...]
    swaps: int = 0


@dataclass(frozen=True)
class PulseSchedule:
    """Frames and instructions; instructions at one `t0` apply in the order listed.

    The optional fields carry the rest of the JSON document: the device's
    name, dt (s) and timing constraints, ports, declared parameters, acquire
    kernels and the native gates the schedule implements (`gates`, on the
    physical `qubits`; `placement` maps the program's qubits onto them;
    `measurements` says where among the gates each measurement comes).
    `device` (not compared) is the `Device` it was lowered for, used by
    `simulate()`.
    """

    frames: tuple[Frame, ...]
    instructions: tuple[Instruction, ...]
    ports: tuple[Port, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    device_name: str = ""
    dt: float | None = None
    timing: Mapping[str, int] | None = None
    kernels: tuple[tuple[str, Waveform], ...] = ()
    gates: tuple[NativeGate, ...] = ()
    qubits: tuple[int, ...] = ()
    circuit: str = ""
    device: Any = field(default=None, compare=False, repr=False)
    placement: "Placement | None" = None
    measurements: tuple[NativeMeasure, ...] = ()

    def __post_init__(self) -> None:
        names = [f.name for f in self.frames]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate frame names in {names}")
        for inst in self.instructions:
            for name in instruction_frames(inst):
                if name not in names:
                    raise ValueError(f"instruction {inst} uses the undeclared frame `{name}`")
            if inst.t0 < 0:
                raise ValueError(f"instruction {inst} starts before 0")

    @property
    def duration(self) -> int:
        """Total length in samples of dt."""
        return max((end_time(i) for i in self.instructions), default=0)

    def frame(self, name: str) -> Frame:
        """The frame called `name`."""
        return next(f for f in self.frames if f.name == name)

    def plot(self, path: str, values: Mapping[str, float] | None = None) -> None:
        """Write the timeline (one row per frame) to a .png or .svg file; needs `qdl[plot]`."""
        from qdl.runtime.pulse.plot import plot_timeline
        plot_timeline(self.to_json(), path, values=values)

    def _repr_svg_(self) -> str | None:
        """A notebook shows the timeline (None without matplotlib: then `_repr_html_`)."""
        from qdl.runtime.pulse.plot import timeline_svg
        return timeline_svg(self.to_json())

    def _repr_html_(self) -> str:
        """A notebook's summary without matplotlib: device, length, frames, parameters."""
        import html
        seconds = f" ({self.duration * self.dt * 1e9:.1f} ns)" if self.dt else ""
        rows = [("device", self.device_name or "-"), ("duration", f"{self.duration} dt{seconds}"),
                ("frames", ", ".join(f.name for f in self.frames)), ("instructions", str(len(self.instructions))),
                ("parameters", ", ".join(p.name for p in self.parameters) or "-")]
        body = "".join(f"<tr><th>{k}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
        return f"<table><caption>pulse schedule of {html.escape(self.circuit or '?')}</caption>{body}</table>"

    def port_kind(self, frame: Frame) -> str:
        """The kind of the frame's port ("drive" when no ports are declared)."""
        return next((p.kind for p in self.ports if p.name == frame.port), "drive")

    def dynamic_reason(self) -> str | None:
        """Why the schedule is not one unitary (its first conditional block or mid-circuit measurement), or None."""
        block = next((i for i in self.instructions if isinstance(i, Conditional)), None)
        if block is not None:
            return (f"the schedule has classically conditioned instructions; the first is the conditional block "
                    f"at t0 = {block.t0} dt (`if ({block.condition}) {block.gate or '...'}`)")
        gate = next((g for g in self.gates if g.condition is not None), None)
        if gate is not None:
            return f"the schedule's gates include the conditioned gate `{gate.name}` on qubit(s) {list(gate.qubits)}"
        return self._mid_circuit_measurement()

    def _mid_circuit_measurement(self) -> str | None:
        """The first acquire followed by a pulse on a line of its qubit (a frame whose port is the qubit's)."""
        qubit_of = {f.name: f.qubit for f in self.frames}
        pulses = sorted((i for i in self.instructions if isinstance(i, (Play, Acquire))), key=lambda i: i.t0)
        for acquire in (i for i in pulses if isinstance(i, Acquire)):
            after = next((i for i in pulses if i.t0 > acquire.t0 and qubit_of[i.frame] == acquire.qubit), None)
            if after is not None:
                return (f"qubit {acquire.qubit} is measured mid-circuit: the acquire into c[{acquire.memory_slot}] "
                        f"at t0 = {acquire.t0} dt is followed by `{after.gate or type(after).__name__}` on "
                        f"`{after.frame}` at t0 = {after.t0} dt")
        return None

    @property
    def final_frame_phases(self) -> dict[str, Value]:
        """Accumulated phase of every frame whose phase changed: its initial phase plus the shifts (§5.3).

        Shifts inside conditional blocks are left out: with them the final
        phases depend on the measured bits (`dynamic_reason`).
        """
        out: dict[str, Value] = {}
        for frame in self.frames:
            phase: Value = frame.phase
            touched = False
            for inst in self.instructions:
                if isinstance(inst, (ShiftPhase, SetPhase)) and inst.frame == frame.name:
                    phase = _plain(add(phase, inst.phase)) if isinstance(inst, ShiftPhase) else inst.phase
                    touched = True
            if touched:
                out[frame.name] = phase
        return out

    @property
    def parameter_values(self) -> dict[str, float]:
        """Declared parameter values by name (parameters without a value are left out)."""
        return {p.name: p.value for p in self.parameters if p.value is not None}

    def bind(self, values: Mapping[str, object] | None = None, **kwargs: object) -> "PulseSchedule":
        """The schedule with every symbolic value evaluated (declared values, then `values`, then kwargs)."""
        env = expand_values({**self.parameter_values, **(values or {}), **kwargs})
        return replace(self, instructions=tuple(_bind(i, env) for i in self.instructions),
                       kernels=tuple((n, w.bind(env)) for n, w in self.kernels),
                       gates=tuple(replace(g, params=tuple(evaluate_value(p, env, "param") for p in g.params))
                                   for g in self.gates),
                       parameters=())

    def samples(self, values: Mapping[str, object] | None = None) -> dict[str, np.ndarray]:
        """Per frame, the complex samples `d_k·e^{iφ_k}` over the whole schedule (phases included).

        Conditional blocks count as not taken (their frames idle).
        """
        env = expand_values({**self.parameter_values, **(values or {})})
        total = self.duration
        out: dict[str, np.ndarray] = {}
        for frame in self.frames:
            drive = np.zeros(total, dtype=complex)
            phase = np.full(total, float(frame.phase))
            for inst in (i for i in self.instructions if getattr(i, "frame", None) == frame.name):
                if isinstance(inst, Play):
                    drive[inst.t0:inst.t0 + inst.waveform.duration] = inst.waveform.samples(env)
                elif isinstance(inst, ShiftPhase):
                    phase[inst.t0:] += evaluate_value(inst.phase, env, "phase")
                elif isinstance(inst, SetPhase):
                    phase[inst.t0:] = evaluate_value(inst.phase, env, "phase")
            out[frame.name] = drive * np.exp(1j * phase)
        return out

    def to_json(self) -> dict:
        """The `qdl.pulse_schedule` v0.1 document (a plain dict)."""
        from qdl.compiler.pulse.serialize import dump
        return dump(self)

    def simulate(self, device: Any = None, values: Mapping[str, object] | None = None, **options: Any):
        """Simulate on `device` (default: the one it was lowered for); see `runtime.pulse.verify`."""
        from qdl.runtime.pulse.verify import verify
        return verify(self, device if device is not None else self.device, values=values, **options)


def expand_values(values: Mapping[str, object]) -> dict[str, object]:
    """Values keyed by argument name; element keys `w[1]` are folded into arrays `w`."""
    out: dict[str, object] = {}
    elements: dict[str, dict[tuple[int, ...], float]] = {}
    for key, value in values.items():
        if "[" in key and key.endswith("]"):
            base, index = key[:-1].split("[", 1)
            elements.setdefault(base, {})[tuple(int(i) for i in index.split(","))] = float(value)
        else:
            out[key] = value
    for base, items in elements.items():
        if base in out:
            continue
        shape = tuple(max(ix[d] for ix in items) + 1 for d in range(len(next(iter(items)))))
        array = np.full(shape, np.nan)
        for ix, v in items.items():
            array[ix] = v
        out[base] = array
    return out


def _bind(inst: Instruction, env: Mapping[str, object]) -> Instruction:
    if isinstance(inst, Conditional):
        return replace(inst, body=tuple(_bind(i, env) for i in inst.body))
    if isinstance(inst, Play):
        return replace(inst, waveform=inst.waveform.bind(env))
    if isinstance(inst, (ShiftPhase, SetPhase)):
        return replace(inst, phase=evaluate_value(inst.phase, env, "phase"))
    return inst


from qdl.compiler.pulse.builder import SequenceBuilder, drive_frames  # noqa: E402,F401  (kept importable here)
