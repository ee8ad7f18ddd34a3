"""Verify a pulse schedule by simulation: the gate it implements vs its circuit (reference note §5.3, §8d).

`verify(schedule, device)` builds the Duffing model of the qubits the
schedule uses from the device file (frequencies, anharmonicities, drive
strengths, couplings), propagates the frames on drive ports (measurement and
acquire frames do not act on the model; the propagation stops after the last
instruction on a drive frame), undoes the final virtual-Z frame phases and
compares the computational block with the unitary of the native gates in
`schedule.gates` (average gate fidelity, leakage counted).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from qdl.compiler.gates import unitary_of
from qdl.compiler.pulse.schedule import NativeGate, PulseSchedule, expand_values
from qdl.compiler.pulse.waveforms import evaluate_value
from qdl.runtime.pulse.model import Coupling, PulseModel, Transmon
from qdl.compiler.pulse.schedule import end_time
from qdl.runtime.pulse.dressed import bare_frequencies, to_dressed_frame
from qdl.runtime.pulse.fidelity import optimal_z_phases
from qdl.runtime.pulse.simulate import DRIVING_PORTS, PulseResult, simulate

if TYPE_CHECKING:  # the open-system module needs scipy; import it only when noise is asked for
    from qdl.runtime.pulse.open_system import ChannelResult


@dataclass(frozen=True)
class Verification:
    """What a schedule implements: fidelity and leakage against its circuit, and the unitaries.

    `unitary` is the computational block with the final frame phases undone
    and `target` the circuit's unitary, both little-endian over `qubits`
    (the physical qubits, in increasing order).  With `noise=True`,
    `fidelity` and `leakage` are those of the Lindblad channel (`channel`).
    """

    fidelity: float
    leakage: float
    unitary: np.ndarray
    target: np.ndarray
    qubits: tuple[int, ...]
    result: PulseResult
    unitary_fidelity: float | None = None  # the closed-system fidelity (equal to `fidelity` without noise)
    channel: ChannelResult | None = None  # with noise=True: where `fidelity` and `leakage` come from


def model_for(device: Any, qubits: tuple[int, ...], levels: int | None = None) -> PulseModel:
    """The simulator model of `qubits` of a `Device` (model qubit k is physical qubits[k])."""
    index = {q: k for k, q in enumerate(qubits)}
    transmons = []
    for q in qubits:
        info = device.qubits[q]
        if None in (info.frequency_ghz, info.anharmonicity_ghz, info.drive_strength_ghz):
            raise ValueError(f"device `{device.name}` lacks the frequency, anharmonicity or drive strength "
                             f"of qubit {q}; the pulse simulator needs all three")
        transmons.append(Transmon(info.frequency_ghz, info.anharmonicity_ghz, info.drive_strength_ghz))
    couplings = tuple(Coupling((index[c.qubits[0]], index[c.qubits[1]]), c.j_mhz)
                      for c in device.couplings if c.qubits[0] in index and c.qubits[1] in index)
    levels = levels or int(device.model.get("levels", 3))
    return PulseModel(tuple(transmons), couplings, device.dt * 1e9, levels)


def embed(u: np.ndarray, qubits: tuple[int, ...], n: int) -> np.ndarray:
    """`u` (first listed qubit most significant) on `qubits` of an n-qubit little-endian register."""
    dim, k = 2 ** n, len(qubits)
    out = np.zeros((dim, dim), dtype=complex)
    for col in range(dim):
        sub = sum(((col >> q) & 1) << (k - 1 - pos) for pos, q in enumerate(qubits))
        rest = col & ~sum(1 << q for q in qubits)
        for row_sub in range(2 ** k):
            row = rest | sum(((row_sub >> (k - 1 - pos)) & 1) << q for pos, q in enumerate(qubits))
            out[row, col] += u[row_sub, sub]
    return out


def ideal_unitary(gates: tuple[NativeGate, ...], qubits: tuple[int, ...],
                  values: Mapping[str, object] | None = None) -> np.ndarray:
    """The product of the gates' unitaries (global phase aside) on `qubits`, little-endian."""
    index = {q: k for k, q in enumerate(qubits)}
    total = np.eye(2 ** len(qubits), dtype=complex)
    for gate in gates:
        params = [evaluate_value(p, values, f"{gate.name} parameter") for p in gate.params]
        total = embed(unitary_of(gate.name, params), tuple(index[q] for q in gate.qubits), len(qubits)) @ total
    return total


def verify(schedule: PulseSchedule, device: Any, values: Mapping[str, object] | None = None, *,
           levels: int | None = None, optimize_z: bool = False, substeps: int | None = None,
           basis: str = "dressed", noise: bool = False, method: str = "fast") -> Verification:
    """Simulate `schedule` on `device` and compare it with the native gates it was lowered from.

    `basis="dressed"` (coupled qubits only; see `runtime.pulse.dressed`) takes the device
    frequencies as dressed ones and compares in the dressed basis; `"bare"` uses them as the
    bare frequencies and compares in the bare product basis.  `method` is the closed-system
    propagator's (`simulate`): `"fast"` moves frames so H is constant wherever it can be,
    `"steps"` sub-steps every sample in the qubits' own frames (the slow cross-check).
    """
    dynamic = schedule.dynamic_reason()
    if dynamic is not None:  # one propagator cannot follow measured outcomes
        raise ValueError(f"{dynamic}; the pulse simulator follows one unitary and cannot branch on measured bits "
                         "or continue after a measurement (check the circuit with the reference simulator instead)")
    if basis not in ("dressed", "bare"):
        raise ValueError(f"basis must be 'dressed' or 'bare', got {basis!r}")
    if device is None:
        raise ValueError("verifying a schedule needs the device it runs on")
    qubits = schedule.qubits or tuple(sorted({f.qubit for f in schedule.frames}))
    given = {**schedule.parameter_values, **(values or {})}
    missing = [p.name for p in schedule.parameters if p.name not in given and p.name.split("[")[0] not in given]
    if missing:
        raise ValueError(f"no value for the parameter(s) {', '.join(missing)}")
    env = expand_values(given)
    model = model_for(device, qubits, levels)
    index = {q: k for k, q in enumerate(qubits)}
    frames = tuple(replace(f, qubit=index[f.qubit], tracks_qubit=None if f.tracks_qubit is None
                           else index[f.tracks_qubit]) for f in schedule.frames)
    dressed = basis == "dressed" and bool(model.couplings)
    physical = bare_frequencies(model) if dressed else model
    result = simulate(replace(schedule, frames=frames), physical, values=env, substeps=substeps, method=method)
    if dressed:
        names = {f.name for f in schedule.frames if schedule.port_kind(f) in DRIVING_PORTS}
        total = max((end_time(i) for i in schedule.instructions if getattr(i, "frame", None) in names), default=0)
        unitary = to_dressed_frame(result.unitary, physical, tuple(t.frequency_ghz for t in model.qubits),
                                   total * model.dt_ns)
        result = replace(result, unitary=unitary)
    target = ideal_unitary(schedule.gates, qubits, env)
    fidelity = result.fidelity(target, optimize_z=optimize_z)
    if not noise:
        return Verification(fidelity, result.leakage, result.corrected(), target, qubits, result, fidelity)
    from qdl.runtime.pulse.open_system import open_channel
    channel = open_channel(replace(schedule, frames=frames), physical, device, qubits, env, substeps,
                           tuple(t.frequency_ghz for t in model.qubits) if dressed else None)
    z_phases = result.frame_phases
    if optimize_z:  # the coherent gate's best final virtual Z, on top of the tracked one
        z_phases = tuple(a + b for a, b in zip(z_phases, optimal_z_phases(result.corrected(), target)))
    return Verification(channel.fidelity(target, z_phases=z_phases), channel.leakage, result.corrected(), target,
                        qubits, result, fidelity, channel)
