"""Parametric waveforms: the closed forms of the reference note §1.2 at mid-points, binding, range checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qdl.compiler.expr import Arg
from qdl.compiler.pulse import Constant, Drag, Gaussian, GaussianSquare, WaveformError

TOL = 1e-12


def gauss(x: float, center: float, sigma: float) -> float:
    return math.exp(-((x - center) ** 2) / (2 * sigma**2))


def lifted(x: float, center: float, zero_at: float, sigma: float) -> float:
    floor = gauss(zero_at, center, sigma)
    return (gauss(x, center, sigma) - floor) / (1 - floor)


def closed_form(shape: str, duration: int, amp: float, angle: float, **p: float) -> np.ndarray:
    """Sample by sample, straight from the formulas (x = k + 1/2)."""
    a = amp * complex(math.cos(angle), math.sin(angle))
    c = duration / 2
    out = []
    for k in range(duration):
        x = k + 0.5
        if shape == "constant":
            f = 1.0
        elif shape == "gaussian":
            f = lifted(x, c, -1.0, p["sigma"])
        elif shape == "gaussian_unlifted":
            f = gauss(x, c, p["sigma"])
        elif shape == "drag":
            g = lifted(x, c, duration + 1.0, p["sigma"])
            f = g + 1j * p["beta"] * (-(x - c) / p["sigma"] ** 2) * g
        else:  # gaussian_square
            t0, t1 = c - p["width"] / 2, c + p["width"] / 2
            f = lifted(x, t0, -1.0, p["sigma"]) if x <= t0 else (
                lifted(x, t1, duration + 1.0, p["sigma"]) if x >= t1 else 1.0)
        out.append(a * f)
    return np.array(out)


CASES = [
    (Constant(64, 0.3, 0.7), "constant", {}),
    (Gaussian(160, 0.17408, 40, angle=-1.1), "gaussian", {"sigma": 40}),
    (Gaussian(160, 0.2, 40, lifted=False), "gaussian_unlifted", {"sigma": 40}),
    (Gaussian(161, 0.5, 13.5), "gaussian", {"sigma": 13.5}),
    (Drag(160, 0.08701, 40, 1.619), "drag", {"sigma": 40, "beta": 1.619}),
    (Drag(256, 0.2002, 64, -3.28, angle=0.4), "drag", {"sigma": 64, "beta": -3.28}),
    (GaussianSquare(1584, 0.1434, 64, 1328, angle=-2.935), "gaussian_square", {"sigma": 64, "width": 1328}),
    (GaussianSquare(737, 0.3, 64, 481), "gaussian_square", {"sigma": 64, "width": 481}),
    (GaussianSquare(128, 0.3, 16, 0), "gaussian_square", {"sigma": 16, "width": 0}),
]


@pytest.mark.parametrize("wf, shape, params", CASES, ids=lambda c: getattr(c, "__name__", None))
def test_samples_equal_closed_forms(wf, shape, params):
    expected = closed_form(shape, wf.duration, wf.amp, wf.angle, **params)
    assert wf.samples().shape == (wf.duration,)
    np.testing.assert_allclose(wf.samples(), expected, rtol=0, atol=TOL)


def test_lifting_and_edges():
    g = Gaussian(160, 1.0, 40).samples()
    assert abs(g[0]) < 0.02 and abs(g[-1]) < 0.02  # zero at x = -1, first sample at 1/2
    assert abs(g[79] - g[80]) < TOL  # symmetric about the centre
    sq = GaussianSquare(1584, 1.0, 64, 1328).samples()
    assert np.all(sq[200:1300] == 1.0)


def test_drag_quadrature_is_beta_times_slope_times_lifted_gaussian():
    drag = Drag(160, 0.1, 40, 1.5).samples()
    g = Gaussian(160, 0.1, 40).samples()
    x = np.arange(160) + 0.5
    np.testing.assert_allclose(drag.real, g.real, atol=TOL)
    np.testing.assert_allclose(drag.imag, 1.5 * (-(x - 80) / 40**2) * g.real, atol=TOL)


def test_risefall_ratio_sets_width():
    wf = GaussianSquare.from_risefall(768, 0.1, 64, 2.0)
    assert wf.width == 768 - 2 * 2.0 * 64


def test_symbolic_bind_then_sample_equals_sample_with_values():
    theta, a = Arg("theta"), Arg("w", (1,))
    wf = Drag(160, 0.5 * a, 40, 1.2 + theta, angle=-theta)
    values = {"theta": 0.3, "w": np.array([0.9, 0.25])}
    assert wf.is_symbolic and wf.free_args() == {theta, a}
    bound = wf.bind(values)
    assert not bound.is_symbolic
    assert bound == Drag(160, 0.125, 40, 1.5, angle=-0.3)
    np.testing.assert_allclose(wf.samples(values), bound.samples(), rtol=0, atol=TOL)
    np.testing.assert_allclose(bound.samples(), closed_form("drag", 160, 0.125, -0.3, sigma=40, beta=1.5),
                               rtol=0, atol=TOL)


def test_symbolic_without_values_is_a_clear_error():
    with pytest.raises(WaveformError, match=r"`amp` is symbolic .*`x`"):
        Constant(64, Arg("x")).samples()


def test_amplitude_limit():
    Constant(64, 1.0 + 1e-7).samples()  # Qiskit's tolerance
    with pytest.raises(WaveformError, match="amplitude 1.01 is over 1"):
        Constant(64, 1.01)
    with pytest.raises(WaveformError, match="amplitude 2.0 is over 1"):
        Constant(64, Arg("a")).samples({"a": 2.0})
    with pytest.raises(WaveformError, match=r"reaches \|d\|"):
        Drag(160, 1.0, 40, 100.0).samples()


@pytest.mark.parametrize("make, message", [
    (lambda: Constant(64.0, 0.1), "static integer"),
    (lambda: Constant(0, 0.1), "at least 1"),
    (lambda: Gaussian(64, 0.1, 0.0), "sigma must be positive"),
    (lambda: GaussianSquare(64, 0.1, 8, 80), r"width must lie in \[0, duration=64\]"),
])
def test_bad_static_fields(make, message):
    with pytest.raises(WaveformError, match=message):
        make()
