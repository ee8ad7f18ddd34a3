"""The physical model the pulse simulator integrates: Duffing transmons with exchange coupling.

Units: frequencies in GHz (ordinary frequency, as in device files), times in
ns; the Hamiltonian is built in rad/ns (`2π·GHz`).

Every qubit q is a truncated Duffing oscillator with `levels` levels, written
in the frame rotating at its own frequency ω_q, with the rotating-wave
approximation (reference note §5.1, §8c `[model]`):

    H(t) = Σ_q [ (α_q/2) n_q(n_q-1) + (Ω_q/2)(D_q(t) a_q† + h.c.) ]
         + Σ_(i,j) J_ij (a_i† a_j e^{i(ω_i-ω_j)t} + h.c.)

where Ω_q = 2π·drive_strength_ghz per unit amplitude (the Rabi rate at
|d| = 1) and D_q(t) is the sum of the frames playing on qubit q's drive port
(see `simulate`).  Tensor order is little-endian as in `runtime.reference`:
the joint basis index is Σ_q k_q·levels^q, so qubit 0 is the least
significant digit and the full space is `kron(op_{n-1}, ..., op_0)`.

Device numbers are plain parameters here (`Transmon`, `Coupling`); loading
them from a device file is not this module's job.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import reduce

import numpy as np

TWO_PI = 2.0 * math.pi
DT_NS = 2.0 / 9.0  # IBM Falcon/Eagle sample period (2/9 ns, §4.1)


@dataclass(frozen=True)
class Transmon:
    """One fixed-frequency transmon: frequency, anharmonicity and drive strength, all in GHz."""

    frequency_ghz: float
    anharmonicity_ghz: float
    drive_strength_ghz: float  # Ω/2π per unit |amp|


@dataclass(frozen=True)
class Coupling:
    """Exchange coupling `J (a_i† a_j + h.c.)` between two qubits; J/2π in MHz as in device files."""

    qubits: tuple[int, int]
    j_mhz: float


@dataclass(frozen=True)
class PulseModel:
    """Qubits, couplings, sample period and truncation of the simulated device."""

    qubits: tuple[Transmon, ...]
    couplings: tuple[Coupling, ...] = ()
    dt_ns: float = DT_NS
    levels: int = 3

    def __post_init__(self) -> None:
        if self.levels < 2:
            raise ValueError(f"levels must be at least 2, got {self.levels}")
        for c in self.couplings:
            i, j = c.qubits
            if i == j or not (0 <= i < len(self.qubits) and 0 <= j < len(self.qubits)):
                raise ValueError(f"coupling {c.qubits} does not name two qubits of the model")

    @property
    def num_qubits(self) -> int:
        return len(self.qubits)

    @property
    def dim(self) -> int:
        return self.levels ** self.num_qubits

    def omega(self, q: int) -> float:
        """ω_q in rad/ns."""
        return TWO_PI * self.qubits[q].frequency_ghz

    def lowering(self, q: int) -> np.ndarray:
        """a_q on the joint space (little-endian: qubit 0 is the last Kronecker factor)."""
        a = np.diag(np.sqrt(np.arange(1, self.levels, dtype=float)), 1).astype(complex)
        eye = np.eye(self.levels, dtype=complex)
        factors = [a if k == q else eye for k in reversed(range(self.num_qubits))]
        return reduce(np.kron, factors)

    def static_hamiltonian(self) -> np.ndarray:
        """Σ_q (α_q/2) n_q(n_q-1) in rad/ns (each qubit in its own rotating frame)."""
        h = np.zeros((self.dim, self.dim), dtype=complex)
        for q, transmon in enumerate(self.qubits):
            a = self.lowering(q)
            n = a.conj().T @ a
            h += 0.5 * TWO_PI * transmon.anharmonicity_ghz * (n @ n - n)
        return h


def example_device(qubits: tuple[int, ...] = (0,), levels: int = 3) -> PulseModel:
    """The 5-transmon example device of the reference note (§8c) restricted to `qubits`.

    Kept here as plain numbers so tests and docs can run before device files
    exist; a device-file loader will replace it.
    """
    freqs = (5.0902, 5.2453, 5.3610, 5.1708, 5.2583)
    alphas = (-0.3361, -0.3166, -0.3306, -0.3337, -0.3313)
    edges = {(0, 1): 1.88, (1, 2): 2.01, (1, 3): 2.01, (3, 4): 1.67}
    transmons = tuple(Transmon(freqs[q], alphas[q], 0.150) for q in qubits)
    index = {q: k for k, q in enumerate(qubits)}
    couplings = tuple(Coupling((index[i], index[j]), j_mhz)
                      for (i, j), j_mhz in edges.items() if i in index and j in index)
    return PulseModel(transmons, couplings, DT_NS, levels)
