"""Gradients on hardware: parameter-shift evaluations as phase offsets of one schedule (compiler.passes.schedule.gradient)."""

from __future__ import annotations

import json

import numpy as np

import qdl
from qdl.compiler.passes.schedule.gradient import gradient_schedules

SOURCE = """
circuit f(param a: float, param w: float[2]) -> float {
    qubit q;
    ry(a) q;
    rx(w[1] * a) q;
    rz(w[0]) q;
    ry(0.4 * w[0]) q;
    return expval(Z[0]);
}
"""
VALUES = {"a": 0.7, "w": np.array([-0.3, 1.1])}


def z_from_zero(unitary: np.ndarray) -> float:
    probs = np.abs(unitary[:, 0]) ** 2
    return float((probs[0] - probs[1]) / probs.sum())


def test_shifted_evaluations_only_offset_phases_and_recombine_to_the_gradient():
    prog = qdl.compile(SOURCE)
    grads = gradient_schedules(prog.f.circuit, "t5", values=VALUES)
    assert grads.evaluations and all(e.offsets for e in grads.evaluations)
    timing = [(i.t0, type(i).__name__, getattr(i, "frame", "")) for i in grads.schedule.instructions]
    gate_level, pulse_level = [], []
    for k in range(len(grads.evaluations)):
        shifted = grads.shifted(k)
        assert [(i.t0, type(i).__name__, getattr(i, "frame", "")) for i in shifted.instructions] == timing
        result = shifted.simulate(values=VALUES)
        gate_level.append(z_from_zero(result.target))
        pulse_level.append(z_from_zero(result.unitary))
    exact = prog.f.grad(VALUES["a"], VALUES["w"])  # the gate-level gradient (tuple: d/da, d/dw)
    recipe = grads.recombine(VALUES, gate_level)
    np.testing.assert_allclose([recipe["a"], recipe["w[0]"], recipe["w[1]"]],
                               [exact[0], *exact[1]], rtol=0, atol=1e-9)
    measured = grads.recombine(VALUES, pulse_level)
    np.testing.assert_allclose([measured["a"], measured["w[0]"], measured["w[1]"]],
                               [exact[0], *exact[1]], rtol=0, atol=1e-4)  # measured 6e-6


def test_gradient_document_is_json():
    grads = gradient_schedules(qdl.compile(SOURCE).f.circuit, "t5", values=VALUES)
    doc = json.loads(json.dumps(grads.to_json()))
    assert doc["format"] == "qdl.pulse_gradient" and doc["wrt"] == ["a", "w[0]", "w[1]"]
    assert doc["schedule"]["format"] == "qdl.pulse_schedule"
    assert len(doc["evaluations"]) == grads.program.shifted_evaluations
    first = doc["evaluations"][0]
    assert all(o["offset"] == -first["shift"] for o in first["phase_offsets"])
