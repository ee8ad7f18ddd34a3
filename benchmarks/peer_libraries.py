"""Adapters that run a `peer_workloads.Workload` on qdl and on each peer simulator.

Every adapter has `name`, `version`, `forward(w)` (a callable params -> <Z0>,
prepared once, so the timed calls include only what a user pays per call)
and `state(w, params)` (qdl's little-endian order, for validation); those
with a native gradient also have `value_and_grad(w)` (params -> (value,
gradient)).  Conventions handled here: qulacs rotations are exp(+iθP/2)
(angles and gradients negated); PennyLane's `state()` is big-endian (wire 0
most significant); Qiskit's Pauli labels put qubit 0 rightmost.
The peers are imported lazily: only the benchmark venv has them.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Callable

import numpy as np

from peer_workloads import Gate, Workload

Forward = Callable[[np.ndarray], float]
ValueAndGrad = Callable[[np.ndarray], tuple[float, np.ndarray]]


# --- qdl ---------------------------------------------------------------------------------

QDL_NAMES = {"cp": "cphase"}


def qdl_source(w: Workload) -> str:
    """The workload as a qdl program with one circuit, `bench(param theta: float[P]) -> float`."""
    arguments = f"param theta: float[{w.num_params}]" if w.num_params else ""
    body = [f"    {_qdl_statement(g)}" for g in w.gates]
    return "\n".join([f"circuit bench({arguments}) -> float {{", f"    qubit q[{w.n}];", *body,
                      "    return expval(Z[0]);", "}", ""])


def _qdl_statement(g: Gate) -> str:
    name = QDL_NAMES.get(g.name, g.name)
    operands = ", ".join(f"q[{q}]" for q in g.qubits)
    if g.param is not None:
        return f"{name}(theta[{g.param}]) {operands};"
    if g.name == "cp":
        return f"{name}({g.angle!r}) {operands};"
    return f"{name} {operands};"


class Qdl:
    """qdl through its public API: `qdl.compile(source, backend=...)`, then the circuit function."""

    def __init__(self, backend: str = "llvm", threads: int = 1) -> None:
        import qdl
        self.qdl = qdl
        self.backend = backend
        self.executor = qdl.LocalExecutor(threads=threads) if threads > 1 else None  # gradients split across threads
        self.name = f"qdl-{backend}"
        self.version = qdl.__version__

    def function(self, w: Workload, backend: str | None = None):
        return self.qdl.compile(qdl_source(w), backend=backend or self.backend).bench

    def forward(self, w: Workload) -> Forward:
        bench = self.function(w)
        if self.backend == "llvm":  # JIT now, so that setup time holds the whole compilation
            from qdl.runtime.llvm import compile_circuit
            compile_circuit(bench.circuit)
        if not w.num_params:
            return lambda params: bench()
        return lambda params: bench(params)

    def state(self, w: Workload, params: np.ndarray) -> np.ndarray:
        bench = self.function(w)
        return bench.state(params) if w.num_params else bench.state()

    def value_and_grad(self, w: Workload, method: str = "adjoint") -> ValueAndGrad:
        bench = self.function(w)
        if self.executor is None:
            return lambda params: bench.value_and_grad(params, method=method)
        return lambda params: bench.value_and_grad(params, method=method, executor=self.executor)


def qdl_adjoint_path() -> str:
    """Which adjoint sweep qdl's API has run so far: the LLVM one is imported only when first used."""
    import sys
    if "qdl.runtime.llvm.adjoint" in sys.modules:
        return "qdl's LLVM adjoint kernel (`runtime.llvm.adjoint`)"
    return "qdl's numpy reference adjoint sweep (`runtime.adjoint`)"


class QdlKernel(Qdl):
    """qdl's compiled kernel called directly (`CompiledCircuit.run`): the API layer left out."""

    def __init__(self) -> None:
        super().__init__("llvm")
        self.name = "qdl-llvm kernel.run"

    def forward(self, w: Workload) -> Forward:
        from qdl.runtime.llvm import compile_circuit
        compiled = compile_circuit(self.function(w).circuit)
        return lambda params: compiled.run({"theta": params[None]})[0][0]


# --- qulacs ------------------------------------------------------------------------------


class Qulacs:
    """qulacs `ParametricQuantumCircuit`, parameters set in place before each call."""

    name = "qulacs"

    def __init__(self) -> None:
        import qulacs
        self.qulacs = qulacs
        self.version = version("qulacs")

    def _circuit(self, w: Workload):
        from qulacs import gate
        circuit = self.qulacs.ParametricQuantumCircuit(w.n)
        add = {"ry": circuit.add_parametric_RY_gate, "rz": circuit.add_parametric_RZ_gate,
               "cx": circuit.add_CNOT_gate, "h": circuit.add_H_gate, "swap": circuit.add_SWAP_gate}
        for g in w.gates:
            if g.name == "cp":
                phase = gate.U1(g.qubits[1], g.angle)
                phase.add_control_qubit(g.qubits[0], 1)
                circuit.add_gate(phase)
            elif g.param is not None:
                add[g.name](g.qubits[0], 0.0)
            else:
                add[g.name](*g.qubits)
        order = [g.param for g in w.gates if g.param is not None]  # qulacs numbers parameters by position
        return circuit, order

    def _z0(self, n: int):
        observable = self.qulacs.Observable(n)
        observable.add_operator(1.0, "Z 0")
        return observable

    def _evolve(self, w: Workload):
        circuit, order = self._circuit(w)
        state = self.qulacs.QuantumState(w.n)

        def evolve(params: np.ndarray):
            for position, index in enumerate(order):
                circuit.set_parameter(position, -params[index])  # qulacs: exp(+iθP/2)
            state.set_zero_state()
            circuit.update_quantum_state(state)
            return state
        return evolve, circuit, order

    def forward(self, w: Workload) -> Forward:
        evolve, _, _ = self._evolve(w)
        observable = self._z0(w.n)
        return lambda params: observable.get_expectation_value(evolve(params))

    def state(self, w: Workload, params: np.ndarray) -> np.ndarray:
        evolve, _, _ = self._evolve(w)
        return evolve(params).get_vector()

    def value_and_grad(self, w: Workload) -> ValueAndGrad:
        """Backprop (qulacs' C++ reverse sweep) plus one forward pass for the value."""
        evolve, circuit, order = self._evolve(w)
        observable = self._z0(w.n)

        def value_and_grad(params: np.ndarray) -> tuple[float, np.ndarray]:
            value = observable.get_expectation_value(evolve(params))
            grad = np.zeros(w.num_params)
            grad[order] = -np.asarray(circuit.backprop(observable))
            return value, grad
        return value_and_grad


# --- PennyLane lightning.qubit -----------------------------------------------------------


class Lightning:
    """PennyLane QNode on `lightning.qubit` (its C++ kernels; adjoint differentiation)."""

    name = "lightning.qubit"

    def __init__(self) -> None:
        import pennylane
        self.qml = pennylane
        self.version = f"{version('pennylane-lightning')} (pennylane {version('pennylane')})"

    def _apply(self, w: Workload, params) -> None:
        qml = self.qml
        for g in w.gates:
            wires = list(g.qubits)
            if g.name == "ry":
                qml.RY(params[g.param], wires=wires)
            elif g.name == "rz":
                qml.RZ(params[g.param], wires=wires)
            elif g.name == "cp":
                qml.ControlledPhaseShift(g.angle, wires=wires)
            else:
                {"cx": qml.CNOT, "h": qml.Hadamard, "swap": qml.SWAP}[g.name](wires=wires)

    def _qnode(self, w: Workload, measure: Callable[[], object], diff_method: str | None = None):
        qml = self.qml
        device = qml.device("lightning.qubit", wires=w.n)

        def circuit(params):
            self._apply(w, params)
            return measure()
        return qml.QNode(circuit, device, diff_method=diff_method)

    def forward(self, w: Workload) -> Forward:
        return self._qnode(w, lambda: self.qml.expval(self.qml.PauliZ(0)))

    def state(self, w: Workload, params: np.ndarray) -> np.ndarray:
        big_endian = np.asarray(self._qnode(w, self.qml.state)(params))
        return big_endian.reshape((2,) * w.n).transpose().reshape(-1)

    def value_and_grad(self, w: Workload) -> ValueAndGrad:
        qnode = self._qnode(w, lambda: self.qml.expval(self.qml.PauliZ(0)), diff_method="adjoint")
        grad = self.qml.grad(qnode)

        def value_and_grad(params: np.ndarray) -> tuple[float, np.ndarray]:
            gradient = grad(self.qml.numpy.array(params, requires_grad=True))
            return float(grad.forward), np.asarray(gradient)
        return value_and_grad


# --- Qiskit Aer --------------------------------------------------------------------------


class Aer:
    """qiskit-aer `AerSimulator` (statevector, default fusion), parameters bound per run."""

    name = "qiskit-aer"

    def __init__(self, threads: int = 1) -> None:
        from qiskit_aer import AerSimulator
        self.simulator = AerSimulator(method="statevector", max_parallel_threads=threads)
        self.version = f"{version('qiskit-aer')} (qiskit {version('qiskit')})"

    def _circuit(self, w: Workload):
        import qiskit_aer  # noqa: F401  (adds the save_* instructions to QuantumCircuit)
        from qiskit import QuantumCircuit
        from qiskit.circuit import ParameterVector
        theta = ParameterVector("theta", w.num_params)
        circuit = QuantumCircuit(w.n)
        for g in w.gates:
            if g.param is not None:
                getattr(circuit, g.name)(theta[g.param], *g.qubits)
            elif g.name == "cp":
                circuit.cp(g.angle, *g.qubits)
            else:
                getattr(circuit, g.name)(*g.qubits)
        return circuit, theta

    def _runner(self, circuit, theta) -> Callable[[np.ndarray], object]:
        if not len(theta):
            return lambda params: self.simulator.run(circuit).result()
        return lambda params: self.simulator.run(
            circuit, parameter_binds=[{p: [v] for p, v in zip(theta, params)}]).result()

    def forward(self, w: Workload) -> Forward:
        from qiskit.quantum_info import SparsePauliOp
        circuit, theta = self._circuit(w)
        circuit.save_expectation_value(SparsePauliOp("I" * (w.n - 1) + "Z"), list(range(w.n)))
        run = self._runner(circuit, theta)
        return lambda params: run(params).data(0)["expectation_value"]

    def state(self, w: Workload, params: np.ndarray) -> np.ndarray:
        circuit, theta = self._circuit(w)
        circuit.save_statevector()
        return np.asarray(self._runner(circuit, theta)(params).get_statevector())
