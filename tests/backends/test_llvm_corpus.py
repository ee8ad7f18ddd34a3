"""The whole statevector corpus on the LLVM kernel, unblocked and with small chunks (cache blocking)."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import qdl
from qdl.compiler.backends.llvm import Unsupported
from qdl.compiler.ir import BarrierOp, MeasureOp, ResetOp, State
from qdl.runtime.llvm import compile_circuit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "compiler" / "qasm"))
from tests_corpus import corpus_dir, entries, ids  # noqa: E402  (the corpus skip/fail rules)

STATEVECTORS = [e for e in entries() if "statevector" in str(e["reference"])]


def stripped_circuit(entry: dict):
    root = corpus_dir()
    meta = json.loads((root / entry["dir"] / f"{entry['id']}.json").read_text())
    main = qdl.load(root / entry["dir"] / meta["file"]).main
    ops = tuple(op for op in main.circuit.ops if not isinstance(op, (MeasureOp, BarrierOp)))
    circuit = replace(main.circuit, ops=ops, results=(State(),), returns_tuple=False)
    return circuit, np.load(root / entry["dir"] / f"{entry['id']}.npz")


def assert_matches(psi: np.ndarray, ref) -> None:
    probs = np.abs(psi) ** 2
    if "statevector" in ref:
        expected = ref["statevector"]
        overlap = np.vdot(expected, psi)  # equal up to a global phase
        np.testing.assert_allclose(psi * np.conj(overlap) / abs(overlap), expected, atol=1e-8)
    if "probs" in ref:
        np.testing.assert_allclose(probs, ref["probs"], atol=1e-9)
    elif "top_indices" in ref:
        np.testing.assert_allclose(probs[ref["top_indices"]], ref["top_probs"], atol=1e-9)


@pytest.mark.parametrize("entry", STATEVECTORS, ids=ids(STATEVECTORS))
def test_corpus_state_on_the_llvm_kernel(entry: dict) -> None:
    circuit, ref = stripped_circuit(entry)
    if any(isinstance(op, ResetOp) for op in circuit.ops):  # not in the kernel yet: the API falls back
        with pytest.raises(Unsupported):
            compile_circuit(circuit)
        assert_matches(qdl.CircuitFunction(circuit, "llvm")(), ref)
        return
    psi = compile_circuit(circuit).run({})[0][0]
    assert_matches(psi, ref)
    if circuit.num_qubits >= 10:  # the same circuit in chunks of 8 qubits: gathered stages, outside controls
        blocked = compile_circuit(circuit, block=8)
        assert blocked.plan.blocked
        assert_matches(blocked.run({})[0][0], ref)
