"""Shift rules derived from generator spectra are exact for trigonometric polynomials."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qdl.compiler.autodiff.shift_rules import (
    GRADIENT_RULES, controlled_spectrum, frequencies, rule_for, shift_rule,
)
from qdl.compiler.gates import GATES


def random_trig(freqs: tuple[float, ...], rng: np.random.Generator):
    a0, a, b = rng.normal(), rng.normal(size=len(freqs)), rng.normal(size=len(freqs))
    w = np.array(freqs)
    f = lambda x: a0 + np.sum(a * np.cos(w * x) + b * np.sin(w * x))  # noqa: E731
    df = lambda x: np.sum(-a * w * np.sin(w * x) + b * w * np.cos(w * x))  # noqa: E731
    return f, df


SPECTRA = [(-0.5, 0.5), (-1.0, 0.0), (-0.5, 0.0, 0.0, 0.5), (-1.0, 0.0, 1.0), (0.0, 1.0, 2.0, 3.0),
           (-2.0, 2.0), (0.0, 1.0, 2.7), (0.0, 0.3, 1.1)]


@pytest.mark.parametrize("spectrum", SPECTRA)
def test_rule_is_exact_on_random_trig_polynomials(spectrum):
    rng = np.random.default_rng(7)
    rule = shift_rule(spectrum)
    for _ in range(5):
        f, df = random_trig(frequencies(spectrum), rng)
        x = rng.uniform(-3, 3)
        assert abs(sum(t.coeff * f(x + t.shift) for t in rule.terms) - df(x)) < 1e-10


@pytest.mark.parametrize("base", [0.5, 1.0, 2.0])
def test_one_frequency_gives_the_two_term_rule(base):
    rule = shift_rule((0.0, base))
    assert [x for t in rule.terms for x in (t.shift, t.coeff)] == pytest.approx(
        [math.pi / (2 * base), base / 2, -math.pi / (2 * base), -base / 2])


def test_controlled_rotations_get_the_four_term_rule():
    rule = GRADIENT_RULES["crx"][0]
    plus, minus = (math.sqrt(2) + 1) / (4 * math.sqrt(2)), (math.sqrt(2) - 1) / (4 * math.sqrt(2))
    assert [x for t in rule.terms for x in (t.shift, t.coeff)] == pytest.approx(
        [math.pi / 2, plus, -math.pi / 2, -plus, 3 * math.pi / 2, -minus, -3 * math.pi / 2, minus])
    assert rule.frequencies == (0.5, 1.0)


def test_every_parametric_gate_has_rules_from_the_table():
    for name, spec in GATES.items():
        if spec.num_params:
            assert len(GRADIENT_RULES[name]) == spec.num_params
    assert GRADIENT_RULES["gphase"][0].terms == ()  # a global phase has zero derivative


def test_a_control_adds_a_zero_eigenvalue():
    assert controlled_spectrum((-0.5, 0.5), 1) == (-0.5, 0.0, 0.5)
    assert len(rule_for("rx", 0, num_controls=1).terms) == 4
    assert len(rule_for("gphase", 0, num_controls=2).terms) == 2
