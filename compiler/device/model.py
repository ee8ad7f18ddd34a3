"""Device models: plain frozen dataclasses read from `stdlib/devices/*.toml` (schema `qdl.device/0.1`).

Units are those of the file: durations in samples of `dt` (seconds), frequencies
in GHz, coupling strengths in MHz, coherence times in µs, angles in radians.
Per-qubit calibration values are tuples indexed by qubit.  `docs/hardware.md`
describes every key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union


@dataclass(frozen=True, slots=True)
class Timing:
    """IBM-style timing constraints, all in units of dt."""

    granularity: int = 1
    min_length: int = 1
    pulse_alignment: int = 1
    acquire_alignment: int = 1


@dataclass(frozen=True, slots=True)
class Topology:
    """Undirected coupling `edges` and the [control, target] `directions` of the calibrated 2q gate."""

    kind: str
    edges: tuple[tuple[int, int], ...]
    directions: tuple[tuple[int, int], ...] = ()
    all_to_all: bool = False


@dataclass(frozen=True, slots=True)
class Qubit:
    """Physical parameters of one qubit (None where the file does not give them)."""

    index: int
    frequency_ghz: float | None = None
    anharmonicity_ghz: float | None = None
    drive_strength_ghz: float | None = None
    t1_us: float | None = None
    t2_us: float | None = None
    readout_frequency_ghz: float | None = None
    readout_error: float | None = None


@dataclass(frozen=True, slots=True)
class Coupling:
    qubits: tuple[int, int]
    j_mhz: float


@dataclass(frozen=True, slots=True)
class VirtualCal:
    """A frame change, no pulse: `rz(θ)` is `shift_phase(-θ)` on the qubit's frames."""

    duration: int = 0


@dataclass(frozen=True, slots=True)
class NativeCal:
    """A gate the device runs as a whole (no public pulse access): only its duration is known."""

    duration: int


@dataclass(frozen=True, slots=True)
class DragCal:
    """Qiskit-convention DRAG pulse per qubit (sigma and beta in dt)."""

    duration: int
    sigma: float
    amp: tuple[float, ...]
    beta: tuple[float, ...]
    angle: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class CrossResonanceCal:
    """One ECR direction: Gaussian-square CR tone on the control plus a cancellation tone on the target.

    `control_phase` and `target_phase` (rad) are virtual Z gates that follow
    the pulses, `rz(control_phase)` on the control and `rz(target_phase)` on
    the target: they cancel the local Z rotations a real CR drive leaves, so
    that the pulses implement the ECR itself rather than ECR up to local Z.
    """

    qubits: tuple[int, int]
    duration: int
    width: int
    sigma: float
    cr_amp: float
    cr_angle: float
    cancel_amp: float
    cancel_angle: float
    control_phase: float = 0.0
    target_phase: float = 0.0


@dataclass(frozen=True, slots=True)
class MeasureCal:
    """Multiplexed readout: a Gaussian-square stimulus per qubit, then ring-down."""

    duration: int
    width: int
    sigma: float
    amp: tuple[float, ...]
    ringdown_delay: int
    acquire_duration: int


Calibration = Union[VirtualCal, NativeCal, DragCal, MeasureCal, tuple[CrossResonanceCal, ...]]

# Names of native operations that are not gates of the table.
NON_GATES = frozenset({"measure", "delay", "barrier", "reset"})


@dataclass(frozen=True)
class Device:
    """A target device: native operations, timing, topology, qubit physics and calibrations."""

    name: str
    schema: str
    dt: float
    num_qubits: int
    native_gates: tuple[str, ...]
    timing: Timing
    topology: Topology
    qubits: tuple[Qubit, ...] = ()
    couplings: tuple[Coupling, ...] = ()
    calibrations: dict[str, Calibration] = field(default_factory=dict, compare=False)
    description: str = ""
    phase_convention: str = ""
    model: dict[str, Any] = field(default_factory=dict, compare=False)
    path: str = ""

    @property
    def gates(self) -> frozenset[str]:
        """The native operations that are gates of the table (`measure`, `delay`, ... excluded)."""
        return frozenset(self.native_gates) - NON_GATES

    @property
    def entangler(self) -> str | None:
        """The native two-qubit gate (`ecr`, `ms`, `cx`, `cz`), or None."""
        for gate in ("ecr", "ms", "cx", "cz"):
            if gate in self.native_gates:
                return gate
        return None

    def coupled(self, a: int, b: int) -> bool:
        """True when a two-qubit gate may act on qubits a and b (either order)."""
        if self.topology.all_to_all:
            return a != b and 0 <= a < self.num_qubits and 0 <= b < self.num_qubits
        return (a, b) in self.topology.edges or (b, a) in self.topology.edges

    def calibrated_direction(self, control: int, target: int) -> bool:
        """True when the entangler is calibrated with `control` as its control (any, if no directions)."""
        if not self.topology.directions:
            return True
        return (control, target) in self.topology.directions
