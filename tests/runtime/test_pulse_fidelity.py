"""Figures of merit of the pulse simulator (reference note §5.3)."""

from __future__ import annotations

import numpy as np

from qdl.compiler.gates import unitary_of
from qdl.runtime.pulse.fidelity import (
    average_gate_fidelity, computational_indices, leakage, optimal_z_phases, rz, rz_correction,
)


def test_computational_indices_are_little_endian():
    assert list(computational_indices(1, 3)) == [0, 1]
    assert list(computational_indices(2, 3)) == [0, 1, 3, 4]  # index = k0 + 3·k1
    assert list(computational_indices(3, 2)) == list(range(8))


def test_fidelity_of_unitaries_and_leaky_blocks():
    cx = unitary_of("cx")
    assert abs(average_gate_fidelity(np.exp(0.7j) * cx, cx) - 1) < 1e-15
    # for unitary V: F = (d + |Tr U†V|²)/(d(d+1))
    x, z = unitary_of("x"), unitary_of("z")
    assert abs(average_gate_fidelity(z, x) - 2 / 6) < 1e-15
    shrunk = np.sqrt(0.99) * x
    assert abs(leakage(shrunk) - 0.01) < 1e-15
    assert abs(average_gate_fidelity(shrunk, x) - 0.99) < 1e-15


def test_frame_correction_undoes_final_rz():
    phases = (0.4, -1.3)
    v = np.kron(rz(phases[1]), rz(phases[0])) @ unitary_of("cx")  # qubit 0 is the last factor
    np.testing.assert_allclose(rz_correction(phases) @ v, unitary_of("cx"), atol=1e-15)


def test_optimal_z_phases_recover_local_z_offsets():
    rng = np.random.default_rng(1)
    ecr = unitary_of("cx") @ np.kron(unitary_of("h"), unitary_of("ry", [0.3]))  # any entangling unitary
    for _ in range(5):
        a, b = rng.uniform(-np.pi, np.pi, 2)
        v = np.kron(rz(b), rz(a)) @ ecr
        best = optimal_z_phases(v, ecr)
        assert average_gate_fidelity(rz_correction(best) @ v, ecr) > 1 - 1e-12
