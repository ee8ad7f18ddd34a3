"""The models of the training benchmark, built the same way in qdl and in PennyLane.

* Classifier (`examples/classifier.qdl` with L layers): per layer, the
  angle embedding rx(x[i]) on every qubit, then one strongly entangling
  layer (rot(w[l, i, 0..2]) on every qubit, CNOT ring q[i] -> q[(i + 1) % N]);
  the result is <Z0>.  PennyLane: `qml.AngleEmbedding(rotation="X")` and
  `qml.StronglyEntanglingLayers` on the one-layer slice w[l:l+1] (its range
  for a single layer is 1: the same ring), inside a `qml.qnn.TorchLayer`.
* VQE H2 (`examples/vqe_h2.qdl`): X on qubits 0 and 1 (Hartree-Fock), one
  double excitation, <H> of the 15-term Hamiltonian of
  `../shared/reference/h2_sto3g.md`, here read from the example's own source.

Every side trains in float64 on the CPU.  The peers are imported here only:
qdl never depends on them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pennylane as qml
import torch

import qdl
import qdl.torch

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
QUBITS = 4
PENNYLANE = (("default.qubit", "backprop"), ("lightning.qubit", "adjoint"))


# --- classifier ----------------------------------------------------------------------------


def qdl_classifier(layers: int, weights: np.ndarray) -> torch.nn.Module:
    """`examples/classifier.qdl` with `layers` layers, as a `qdl.torch.QuantumLayer` (float64)."""
    source = (EXAMPLES / "classifier.qdl").read_text()
    if "const L = 2;" not in source:
        raise SystemExit("examples/classifier.qdl no longer declares `const L = 2;`: update training_models.py")
    program = qdl.compile(source.replace("const L = 2;", f"const L = {layers};"), base_dir=EXAMPLES)
    return qdl.torch.QuantumLayer(program.classify, init={"w": weights}, dtype=torch.float64)


def pennylane_classifier(device: str, diff_method: str, layers: int, weights: np.ndarray) -> torch.nn.Module:
    """The same model as a `qml.qnn.TorchLayer` on `device` with `diff_method` (float64 weights)."""
    dev = qml.device(device, wires=QUBITS)

    @qml.qnode(dev, interface="torch", diff_method=diff_method)
    def classify(inputs, w):
        for layer in range(layers):
            qml.AngleEmbedding(inputs, wires=range(QUBITS), rotation="X")
            qml.StronglyEntanglingLayers(w[layer:layer + 1], wires=range(QUBITS))
        return qml.expval(qml.PauliZ(0))

    module = qml.qnn.TorchLayer(classify, {"w": (layers, QUBITS, 3)}).double()
    with torch.no_grad():
        module.qnode_weights["w"].copy_(torch.from_numpy(weights))
    return module


def classifier_data(batch: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of the docs' toy task: x uniform in [0, π)^4, label +1 when x[0] > π/2 else -1."""
    x = torch.from_numpy(np.random.default_rng(seed).uniform(0, np.pi, (batch, QUBITS)))
    return x, torch.where(x[:, 0] > np.pi / 2, 1.0, -1.0).to(torch.float64)


class Trainer:
    """One model with its own `torch.optim.Adam`: `step()` is forward + loss + backward + optimizer step."""

    def __init__(self, name: str, module: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, lr: float = 0.05):
        self.name, self.module, self.x, self.y = name, module, x, y
        self.optimizer = torch.optim.Adam(module.parameters(), lr=lr)

    def step(self) -> tuple[torch.Tensor, torch.Tensor]:
        """One training step (what the benchmark times); returns the loss and the outputs before the update."""
        self.optimizer.zero_grad()
        outputs = self.module(self.x)
        loss = ((outputs - self.y) ** 2).mean()
        loss.backward()
        self.optimizer.step()
        return loss, outputs

    def checked_step(self) -> tuple[float, np.ndarray, np.ndarray]:
        """`step`, returning (loss, outputs, weight gradient) as numpy values for the comparison."""
        loss, outputs = self.step()
        return loss.item(), outputs.detach().numpy().copy(), self.weights().grad.detach().numpy().copy()

    def weights(self) -> torch.nn.Parameter:
        return next(self.module.parameters())


def classifier_trainers(layers: int, batch: int, seed: int = 0) -> list[Trainer]:
    """qdl and every PennyLane configuration from the same initial weights, on the same batch."""
    weights = np.random.default_rng(seed + layers).uniform(0, 2 * np.pi, (layers, QUBITS, 3))
    x, y = classifier_data(batch, seed)
    trainers = [Trainer("qdl", qdl_classifier(layers, weights), x, y)]
    for device, method in PENNYLANE:
        trainers.append(Trainer(f"{device} {method}", pennylane_classifier(device, method, layers, weights), x, y))
    return trainers


# lightning.qubit under the torch interface agrees with qdl and default.qubit to about 1e-8 only (the same
# QNode with the autograd or numpy interface agrees to 1e-16): its own rounding, not another circuit,
# whose outputs would differ by O(1).  Everyone else must agree to TOLERANCE: Adam divides by
# sqrt(v) + 1e-8, so gradient components at rounding level (1e-16) move a weight by up to lr · 1e-8.
TOLERANCE = 1e-8
TOLERANCES = {"lightning.qubit adjoint": 1e-6}


def check_classifiers(trainers: list[Trainer], steps: int = 3) -> dict[str, float]:
    """Train every model `steps` steps side by side; outputs, loss, gradients and weights must agree with qdl's.

    Returns each peer's largest difference from qdl; raises SystemExit (the
    benchmark must not time models that differ) when one exceeds its tolerance.
    """
    worst = {t.name: 0.0 for t in trainers[1:]}
    for step in range(steps):
        records = [(t.name, t.checked_step(), t.weights().detach().numpy()) for t in trainers]
        (_, (loss, out, grad), weights), others = records[0], records[1:]
        for name, (other_loss, other_out, other_grad), other_weights in others:
            diffs = {"outputs": np.abs(out - other_out).max(), "loss": abs(loss - other_loss),
                     "gradient": np.abs(grad - other_grad).max(), "weights": np.abs(weights - other_weights).max()}
            tol = TOLERANCES.get(name, TOLERANCE)
            for what, diff in diffs.items():
                if not diff <= tol:
                    raise SystemExit(f"qdl and {name} differ at training step {step}: {what} by {diff:.3g} "
                                     f"(tolerance {tol:g}); the models are not the same circuit")
                worst[name] = max(worst[name], float(diff))
    return worst


# --- VQE H2 ---------------------------------------------------------------------------------


def h2_terms() -> list[tuple[float, str]]:
    """(coefficient, "Y0 X1 X2 Y3") pairs of the observable `H` in `examples/vqe_h2.qdl` ("" is I)."""
    source = (EXAMPLES / "vqe_h2.qdl").read_text()
    body = source.split("observable H =", 1)[1].split(";", 1)[0]
    terms = []
    for sign, coeff, paulis in re.findall(r"([+-]?)\s*(\d+\.\d+(?:e-?\d+)?)((?:\s*\*(?:\s*[XYZ]\[\d\])+)?)", body):
        value = float(coeff) * (-1 if sign == "-" else 1)
        terms.append((value, " ".join(f"{p}{q}" for p, q in re.findall(r"([XYZ])\[(\d)\]", paulis))))
    if len(terms) != 15:
        raise SystemExit(f"read {len(terms)} terms of H from examples/vqe_h2.qdl, expected 15")
    return terms


def pennylane_hamiltonian() -> Any:
    paulis = {"X": qml.PauliX, "Y": qml.PauliY, "Z": qml.PauliZ}
    coeffs, ops = [], []
    for coeff, word in h2_terms():
        factors = [paulis[p[0]](int(p[1:])) for p in word.split()]
        ops.append(qml.prod(*factors) if len(factors) > 1 else factors[0] if factors else qml.Identity(0))
        coeffs.append(coeff)
    return qml.Hamiltonian(coeffs, ops)


def exact_ground_energy() -> float:
    """The lowest eigenvalue of the 16 x 16 matrix of H (full configuration interaction)."""
    return float(np.linalg.eigvalsh(qml.matrix(pennylane_hamiltonian(), wire_order=range(QUBITS)))[0])


def qdl_energy() -> Callable[[float], tuple[float, float]]:
    """theta -> (energy, dE/dtheta) by `value_and_grad` (the compiled adjoint), as a user calls it."""
    energy = qdl.load(EXAMPLES / "vqe_h2.qdl").energy
    return lambda theta: energy.value_and_grad(theta)


def pennylane_energy(device: str, diff_method: str) -> tuple[Callable[[float], tuple[float, float]], Any]:
    """theta -> (energy, gradient) through `qml.grad` (autograd interface), and the device to track."""
    dev = qml.device(device, wires=QUBITS)
    hamiltonian = pennylane_hamiltonian()

    @qml.qnode(dev, interface="autograd", diff_method=diff_method)
    def energy(theta):
        qml.PauliX(0)
        qml.PauliX(1)
        qml.DoubleExcitation(theta, wires=[0, 1, 2, 3])
        return qml.expval(hamiltonian)

    gradient = qml.grad(energy)

    def value_and_grad(theta: float) -> tuple[float, float]:
        g = gradient(qml.numpy.array(theta, requires_grad=True))
        return float(gradient.forward), float(g)

    return value_and_grad, dev
