"""qdl -> OpenQASM -> qdl: the re-imported circuit gives the same results.

OpenQASM 3 round trips are exact, global phase included (the state vectors
agree, not just the probabilities); OpenQASM 2 ones agree up to a global phase.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import qdl
from qdl.compiler.driver import compile_file
from qdl.compiler.ir import MeasureOp, Probs, ResetOp
from qdl.compiler.qasm.export import QasmExportError, bind, to_qasm2, to_qasm3
from qdl.compiler.qasm.export_names import allocate
from qdl.runtime.reference import simulate, unitary

try:
    from .test_export import circuit_of, gate_ops, values
except ImportError:  # tests/ is not a package: pytest put this directory on sys.path
    from test_export import circuit_of, gate_ops, values  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[3]
EXAMPLE_CIRCUITS = [(path, circuit) for path in sorted((REPO / "examples").glob("*.qdl"))
                    for circuit in compile_file(path).module.circuits]


def random_args(circuit, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {a.name: (rng.uniform(-2, 2, a.shape) if a.dtype == "float" else
                     rng.integers(0, 2, a.shape).astype(bool if a.dtype == "bool" else int))
            for a in circuit.arguments}


def exported_inputs(circuit, args: dict[str, np.ndarray]) -> dict[str, object]:
    """Flattened input values under the exporter's names (`w[1, 2]` -> `w_1_2`)."""
    return {name: np.asarray(args[element.name])[element.index].item()
            for element, name, _ in allocate(circuit, 3).inputs}


def all_probs(circuit, args: dict[str, np.ndarray]) -> np.ndarray:
    probe = replace(circuit, results=(Probs(tuple(range(circuit.num_qubits))),), returns_tuple=False)
    return simulate(probe, {k: np.asarray(v)[None] for k, v in args.items()})[0][0]


@pytest.mark.parametrize("path, circuit", EXAMPLE_CIRCUITS,
                         ids=[f"{p.stem}:{c.name}" for p, c in EXAMPLE_CIRCUITS])
def test_examples_round_trip_through_openqasm3(path: Path, circuit) -> None:
    args = random_args(circuit, np.random.default_rng(7))
    imported = qdl.compile(to_qasm3(circuit), f"{circuit.name}.qasm").main
    inputs = exported_inputs(circuit, args)
    if any(isinstance(op, (MeasureOp, ResetOp)) for op in circuit.ops):
        np.testing.assert_allclose(imported(**inputs), all_probs(circuit, args), atol=1e-10)
        return
    original = qdl.CircuitFunction(circuit).state(**args)
    np.testing.assert_allclose(imported.state(**inputs), original, atol=1e-10)


@pytest.mark.parametrize("path, circuit", EXAMPLE_CIRCUITS,
                         ids=[f"{p.stem}:{c.name}" for p, c in EXAMPLE_CIRCUITS])
def test_examples_round_trip_through_openqasm2(path: Path, circuit) -> None:
    args = random_args(circuit, np.random.default_rng(11))
    bound = bind(circuit, args)
    if any(getattr(op, "condition", None) and not _whole_register(circuit, op.condition.bits)
           for op in circuit.ops):
        with pytest.raises(QasmExportError, match="whole classical register"):
            to_qasm2(bound)
        return
    imported = qdl.compile(to_qasm2(bound), f"{circuit.name}.qasm").main
    np.testing.assert_allclose(imported(), all_probs(circuit, args), atol=1e-10)


def _whole_register(circuit, bits: tuple[int, ...]) -> bool:
    return any(bits == tuple(range(r.start, r.start + r.size)) for r in circuit.bit_registers)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(gate_ops(4, 2), min_size=1, max_size=6), st.integers(0, 2**32 - 1))
def test_random_circuits_round_trip_exactly(ops, seed: int) -> None:
    circuit = circuit_of(ops)
    args = values(np.random.default_rng(seed))
    imported = qdl.compile(to_qasm3(circuit), "random.qasm").main.circuit
    inputs = {name: np.asarray(value) for name, value in exported_inputs(circuit, args).items()}
    np.testing.assert_allclose(unitary(imported, 4, inputs), unitary(circuit, 4, args), atol=1e-10)
