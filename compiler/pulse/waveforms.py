"""Parametric pulse envelopes with the Qiskit 1.x formulas and mid-point sampling.

Each waveform is a frozen dataclass.  Time `x` is in units of the sample
period dt and a waveform of `duration` N is sampled at the mid-points
`x_k = k + 1/2`, k = 0..N-1 (reference note §1.2).  The complex envelope is
`A·f(x)` with `A = amp·exp(i·angle)`.

Static and symbolic fields: `duration`, `sigma` and `width` are static numbers
(durations must be known when a schedule is built, §0.4); `amp`, `angle` and
the DRAG `beta` may be `compiler.expr` expressions of circuit arguments.
`bind(values)` replaces them by numbers and `samples(values)` is exactly
`bind(values).samples()`.

Amplitudes are normalised: |amp| ≤ 1 and every sample has |d| ≤ 1, both with
the tolerance 1e-7 of Qiskit's `Waveform`; violations raise `WaveformError`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Mapping, TypeVar, Union

import numpy as np

from qdl.compiler.expr import Arg, Expr

Value = Union[float, Expr]
AMP_TOLERANCE = 1e-7  # Qiskit `Waveform` accepts |d| ≤ 1 + 1e-7
SYMBOLIC_FIELDS = ("amp", "angle", "beta")

W = TypeVar("W", bound="Waveform")


class WaveformError(ValueError):
    """A waveform whose parameters are out of range (amplitude, duration, sigma, width)."""


def evaluate_value(value: Value, values: Mapping[str, object] | None, name: str) -> float:
    """A static number as float, or a symbolic one evaluated at `values` (an error without them)."""
    if not isinstance(value, Expr):
        return float(value)
    if values is None:
        raise WaveformError(f"`{name}` is symbolic ({value}); pass values for {_names(value)}")
    out = np.asarray(value.evaluate(values), dtype=float)
    if out.shape != ():
        raise WaveformError(f"`{name}` = {value} must evaluate to a scalar, got shape {out.shape}")
    return float(out)


def _names(value: Expr) -> str:
    return ", ".join(sorted(f"`{a}`" for a in value.free_args()))


def _gaussian(x: np.ndarray, center: float, sigma: float) -> np.ndarray:
    return np.exp(-0.5 * ((x - center) / sigma) ** 2)


def _lifted_gaussian(x: np.ndarray, center: float, zero_at: float, sigma: float) -> np.ndarray:
    """Gaussian shifted and rescaled so that it is 0 at `zero_at` and 1 at `center`."""
    floor = _gaussian(np.asarray(zero_at, dtype=float), center, sigma)
    return (_gaussian(x, center, sigma) - floor) / (1.0 - floor)


class Waveform:
    """Base of the parametric envelopes: `duration` samples of `amp·exp(i·angle)·f(x)`.

    Subclasses are frozen dataclasses with the fields `duration`, `amp`,
    their shape parameters and `angle`, in Qiskit's argument order.
    """

    duration: int
    amp: Value
    angle: Value

    def __post_init__(self) -> None:
        if not isinstance(self.duration, (int, np.integer)) or isinstance(self.duration, bool):
            raise WaveformError(f"duration must be a static integer of dt, got {self.duration!r}")
        if self.duration < 1:
            raise WaveformError(f"duration must be at least 1 dt, got {self.duration}")
        if not isinstance(self.amp, Expr) and abs(self.amp) > 1.0 + AMP_TOLERANCE:
            raise WaveformError(f"amplitude {self.amp!r} is over 1 (|amp| ≤ 1 on a normalised drive)")

    @property
    def is_symbolic(self) -> bool:
        return any(isinstance(getattr(self, n, None), Expr) for n in SYMBOLIC_FIELDS)

    def free_args(self) -> frozenset[Arg]:
        """The circuit-argument elements the waveform depends on."""
        out: frozenset[Arg] = frozenset()
        for name in SYMBOLIC_FIELDS:
            value = getattr(self, name, None)
            if isinstance(value, Expr):
                out |= value.free_args()
        return out

    def bind(self: W, values: Mapping[str, object]) -> W:
        """The same waveform with every symbolic field evaluated at `values`."""
        bound = {f.name: evaluate_value(getattr(self, f.name), values, f.name)
                 for f in fields(self) if f.name in SYMBOLIC_FIELDS}
        return replace(self, **bound)

    def samples(self, values: Mapping[str, object] | None = None) -> np.ndarray:
        """complex128 samples at the mid-points k + 1/2; `values` binds symbolic fields first."""
        wf = self.bind(values) if values is not None else self
        amp = evaluate_value(wf.amp, None, "amp")
        if abs(amp) > 1.0 + AMP_TOLERANCE:
            raise WaveformError(f"amplitude {amp!r} is over 1 (|amp| ≤ 1 on a normalised drive)")
        x = np.arange(self.duration, dtype=float) + 0.5
        out = amp * np.exp(1j * evaluate_value(wf.angle, None, "angle")) * wf._envelope(x)
        peak = float(np.max(np.abs(out)))
        if peak > 1.0 + AMP_TOLERANCE:
            raise WaveformError(f"{type(self).__name__} reaches |d| = {peak:.6g} > 1 (lower amp or beta)")
        return out

    def _envelope(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError


@dataclass(frozen=True)
class Constant(Waveform):
    """`f(x) = 1`: a flat pulse of amplitude `amp·exp(i·angle)`."""

    duration: int
    amp: Value
    angle: Value = 0.0

    def _envelope(self, x: np.ndarray) -> np.ndarray:
        return np.ones_like(x, dtype=complex)


def _check_sigma(sigma: float) -> None:
    if not sigma > 0:
        raise WaveformError(f"sigma must be positive, got {sigma!r}")


@dataclass(frozen=True)
class Gaussian(Waveform):
    """Gaussian centred at duration/2; lifted (default) so that it is 0 at x = -1 and x = duration+1.

    `f = (g(x) - g(-1)) / (1 - g(-1))` with `g(x) = exp(-(x - duration/2)²/(2σ²))`;
    `lifted=False` gives `f = g(x)`.
    """

    duration: int
    amp: Value
    sigma: float
    angle: Value = 0.0
    lifted: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_sigma(self.sigma)

    def _envelope(self, x: np.ndarray) -> np.ndarray:
        center = self.duration / 2
        if not self.lifted:
            return _gaussian(x, center, self.sigma).astype(complex)
        return _lifted_gaussian(x, center, self.duration + 1, self.sigma).astype(complex)


@dataclass(frozen=True)
class Drag(Waveform):
    """DRAG: `f = G(x) + i·β·(-(x - duration/2)/σ²)·G(x)`, G the (lifted) Gaussian.

    As in Qiskit the quadrature is β times the derivative of the *unlifted*
    shape's exponent times the lifted envelope, not exactly β·dG/dx (§1.2).
    β is in units of dt.
    """

    duration: int
    amp: Value
    sigma: float
    beta: Value
    angle: Value = 0.0
    lifted: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_sigma(self.sigma)

    def _envelope(self, x: np.ndarray) -> np.ndarray:
        gauss = Gaussian(self.duration, 1.0, self.sigma, lifted=self.lifted)._envelope(x)
        slope = -(x - self.duration / 2) / self.sigma**2
        return gauss * (1.0 + 1j * evaluate_value(self.beta, None, "beta") * slope)


@dataclass(frozen=True)
class GaussianSquare(Waveform):
    """Flat top of `width` dt between two lifted Gaussian edges of `sigma` dt.

    With t0 = duration/2 - width/2 and t1 = duration/2 + width/2: for x ≤ t0 a
    Gaussian centred at t0 lifted to 0 at x = -1; for x ≥ t1 one centred at t1
    lifted to 0 at x = duration+1; 1 in between (§1.2).
    """

    duration: int
    amp: Value
    sigma: float
    width: float
    angle: Value = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_sigma(self.sigma)
        if not 0 <= self.width <= self.duration:
            raise WaveformError(f"width must lie in [0, duration={self.duration}], got {self.width!r}")

    @classmethod
    def from_risefall(cls, duration: int, amp: Value, sigma: float, ratio: float,
                      angle: Value = 0.0) -> "GaussianSquare":
        """The Qiskit `risefall_sigma_ratio` form: width = duration - 2·ratio·σ."""
        return cls(duration, amp, sigma=sigma, width=duration - 2 * ratio * sigma, angle=angle)

    def _envelope(self, x: np.ndarray) -> np.ndarray:
        t0 = self.duration / 2 - self.width / 2
        t1 = self.duration / 2 + self.width / 2
        left = _lifted_gaussian(x, t0, -1.0, self.sigma)
        right = _lifted_gaussian(x, t1, self.duration + 1.0, self.sigma)
        return np.where(x <= t0, left, np.where(x >= t1, right, 1.0)).astype(complex)


@dataclass(frozen=True)
class Samples(Waveform):
    """Explicit complex samples (the JSON `samples` shape): `f(x_k) = values[k]`."""

    duration: int
    values: tuple[complex, ...]
    amp: Value = 1.0
    angle: Value = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.values) != self.duration:
            raise WaveformError(f"{len(self.values)} samples for a duration of {self.duration}")

    def _envelope(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.values, dtype=complex)
