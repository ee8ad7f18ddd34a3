"""VQE for H2 (STO-3G, 4 qubits): find the ground-state energy with one trainable angle.

Run:  python examples/vqe_h2.py

The circuit and Hamiltonian are in vqe_h2.qdl.  The energy is a smooth,
periodic function of the one angle, so a bracketing line search (golden
section, no gradients needed) finds its minimum; the gradient-based training
loop is the job of qdl's optimizers.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

import qdl

GROUND_STATE = -1.13618945  # Ha, exact diagonalisation of the same Hamiltonian
HARTREE_FOCK = -1.11734903  # Ha


def golden_section(f, lo: float, hi: float, tol: float = 1e-10) -> float:
    """The minimiser of a unimodal f on [lo, hi]."""
    ratio = (math.sqrt(5) - 1) / 2
    a, b = lo, hi
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = f(c), f(d)
    while b - a > tol:
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = f(d)
    return (a + b) / 2


def main() -> int:
    program = qdl.load(Path(__file__).with_name("vqe_h2.qdl"))
    energy = program.energy
    print(f"Hartree-Fock energy  E(0)      = {energy(0.0):.8f} Ha   (reference {HARTREE_FOCK})")
    # A coarse batched scan brackets the minimum, the line search refines it.
    grid = np.linspace(-math.pi, math.pi, 65)
    best = grid[int(np.argmin(energy(grid)))]
    step = grid[1] - grid[0]
    theta = golden_section(lambda t: float(energy(t)), best - step, best + step)
    e_min = float(energy(theta))
    print(f"VQE ground state     E({theta:.6f}) = {e_min:.8f} Ha   (reference {GROUND_STATE})")
    error = abs(e_min - GROUND_STATE)
    print(f"error vs exact diagonalisation: {error:.2e} Ha")
    return 0 if error < 1e-6 else 1


if __name__ == "__main__":
    sys.exit(main())
