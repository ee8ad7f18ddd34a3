"""Every OpenQASM circuit of the shared corpus imports and matches its reference results.

References (see the corpus README): state vectors and probabilities are for
the program with every measurement and barrier removed; dynamic circuits have
the exact distribution of their final classical register instead.  Both use
qdl's own convention (bit i of a basis index is qubit i), so no reordering.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

import qdl
from qdl.compiler.ir import BarrierOp, MeasureOp
from qdl.runtime.reference import outcome_probabilities
from tests_corpus import corpus_dir, entries, ids

CIRCUITS = [e for e in entries() if e["dir"] in ("qasm2", "qasm3", "") and
            e["reference"] in ("statevector", "statevector+outcomes", "outcomes", None)]
EXPECT_ERROR = [e for e in entries() if e["reference"] == "expect-error"]


def load_entry(entry: dict):
    root = corpus_dir()
    meta = json.loads((root / entry["dir"] / f"{entry['id']}.json").read_text())
    program = qdl.load(root / entry["dir"] / meta["file"])
    arrays_file = root / entry["dir"] / f"{entry['id']}.npz"
    return meta, program.main, (np.load(arrays_file) if arrays_file.is_file() else {})


def final_state(function) -> np.ndarray:
    """The state of the program with its measurements and barriers removed."""
    ops = tuple(op for op in function.circuit.ops if not isinstance(op, (MeasureOp, BarrierOp)))
    stripped = qdl.CircuitFunction(replace(function.circuit, ops=ops))
    return stripped.state()


@pytest.mark.parametrize("entry", CIRCUITS, ids=ids(CIRCUITS))
def test_state_matches_reference(entry: dict) -> None:
    meta, main, ref = load_entry(entry)
    if "statevector" not in entry["reference"]:
        pytest.skip("dynamic circuit: checked by its outcome distribution")
    psi = final_state(main)
    probs = np.abs(psi) ** 2
    if "statevector" in ref:
        expected = ref["statevector"]
        overlap = np.vdot(expected, psi)  # equal up to a global phase: align by the overlap
        np.testing.assert_allclose(psi * np.conj(overlap) / abs(overlap), expected, atol=1e-8)
    if "probs" in ref:
        np.testing.assert_allclose(probs, ref["probs"], atol=1e-9)
    else:
        np.testing.assert_allclose(probs[ref["top_indices"]], ref["top_probs"], atol=1e-9)
        np.testing.assert_allclose(np.sort(probs)[::-1][:64], ref["top_probs"], atol=1e-9)
    z = [np.sum(probs * (1 - 2 * ((np.arange(len(probs)) >> q) & 1))) for q in range(meta["n_qubits"])]
    np.testing.assert_allclose(z, ref["z_expect"], atol=1e-9)


@pytest.mark.parametrize("entry", [e for e in CIRCUITS if "outcomes" in str(e["reference"])],
                         ids=ids([e for e in CIRCUITS if "outcomes" in str(e["reference"])]))
def test_outcomes_match_reference(entry: dict) -> None:
    meta, main, ref = load_entry(entry)
    got = outcome_probabilities(main.circuit)
    expected = dict(zip(ref["outcome_indices"].tolist(), ref["outcome_probs"].tolist()))
    keys = set(got) | set(expected)
    assert max(abs(got.get(k, 0.0) - expected.get(k, 0.0)) for k in keys) < 1e-9


@pytest.mark.parametrize("entry", EXPECT_ERROR, ids=ids(EXPECT_ERROR))
def test_invalid_programs_are_rejected_with_a_located_error(entry: dict) -> None:
    root = corpus_dir()
    meta = json.loads((root / entry["dir"] / f"{entry['id']}.json").read_text())
    path = root / entry["dir"] / meta["file"]
    if "may accept" in meta["reference"]["description"]:
        # an OpenQASM 3 header on an OpenQASM 2 body: accepted, it must mean the same
        text = path.read_text()
        as_qasm2 = qdl.compile(text.replace("OPENQASM 3;", "OPENQASM 2.0;"), "v2.qasm").main()
        np.testing.assert_allclose(qdl.load(path).main(), as_qasm2, atol=1e-12)
        return
    with pytest.raises(qdl.CompileError) as info:
        qdl.load(path)
    assert "error[E" in str(info.value) and "-->" in str(info.value)


GRADIENTS = entries("gradients")
PARSE_ONLY = [e for e in entries() if e["reference"] == "parse-only"]


@pytest.mark.parametrize("entry", GRADIENTS, ids=ids(GRADIENTS))
def test_parametric_circuits_match_their_expectation_values(entry: dict) -> None:
    root = corpus_dir()
    meta = json.loads((root / "gradients" / f"{entry['id']}.json").read_text())
    program = qdl.load(root / "gradients" / meta["file"], observable=meta["observable"]["text"])
    inputs = {item["name"]: item["value"] for item in meta["inputs"]}
    assert [a.name for a in program.main.circuit.arguments] == list(inputs)
    assert all(a.trainable for a in program.main.circuit.arguments)
    assert abs(program.main(**inputs) - meta["expval"]) < 1e-9
    # until the AD pass exists: the reference gradient against central differences of qdl's values
    for name, expected in meta["gradient"].items():
        h = 1e-6
        plus = program.main(**{**inputs, name: inputs[name] + h})
        minus = program.main(**{**inputs, name: inputs[name] - h})
        assert abs((plus - minus) / (2 * h) - expected) < 1e-6


@pytest.mark.parametrize("entry", PARSE_ONLY, ids=ids(PARSE_ONLY))
def test_programs_beyond_the_subset_get_located_diagnostics(entry: dict) -> None:
    """Timing, pulses, subroutines, ...: a clear error at the construct, never a wrong circuit."""
    from qdl.compiler.driver import compile_file

    root = corpus_dir()
    meta = json.loads((root / entry["dir"] / f"{entry['id']}.json").read_text())
    result = compile_file(root / entry["dir"] / meta["file"])
    assert not result.ok, f"{entry['id']} uses constructs qdl cannot simulate but compiled"
    for diagnostic in result.sink.errors:
        assert diagnostic.span is not None, diagnostic
    rendered = result.render()
    assert "internal compiler error" not in rendered
