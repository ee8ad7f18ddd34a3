"""The metric tensor against the exact Fubini–Study metric of the state, closed forms and the chain rule."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qdl

TRAINED = {1: ["rx", "ry", "rz", "phase", "ctrl @ rx", "negctrl @ ry", "rot", "u3", "ctrl @ u3", "gpi"],
           2: ["crx", "cry", "crz", "cphase", "rxx", "ryy", "rzz", "single_excitation"]}
FIXED = {1: ["h", "s", "sx", "t"], 2: ["cx", "cz", "swap"]}


def fubini_study(state, t: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Re(<∂iψ|∂jψ> - <∂iψ|ψ><ψ|∂jψ>) by central differences of `state(t)` (a reference back end's)."""
    psi = state(t)
    partials = []
    for k in range(t.size):
        step = np.zeros_like(t)
        step[k] = h
        partials.append((state(t + step) - state(t - step)) / (2 * h))
    d = np.array(partials)
    return np.real(d.conj() @ d.T - np.outer(d.conj() @ psi, psi.conj() @ d.T))


@st.composite
def layered_circuits(draw):
    """Source of a random circuit on 3 qubits whose k-th trained gate has angle t[k]."""
    lines, count = [], 0
    for _ in range(draw(st.integers(1, 9))):
        width = draw(st.sampled_from([1, 2]))
        qubits = draw(st.permutations(range(3)))[:width]
        operands = ", ".join(f"q[{q}]" for q in qubits)
        if draw(st.booleans()):
            gate = draw(st.sampled_from(TRAINED[width]))
            if gate.startswith(("ctrl", "negctrl")):
                operands = ", ".join(f"q[{q}]" for q in draw(st.permutations(range(3)))[:2])
            angles = 3 if gate.endswith(("rot", "u3")) else 1
            lines.append(f"    {gate}({', '.join(f't[{count + k}]' for k in range(angles))}) {operands};")
            count += angles
        else:
            lines.append(f"    {draw(st.sampled_from(FIXED[width]))} {operands};")
    if not count:
        lines.append("    ry(t[0]) q[0];")
        count = 1
    body = "\n".join(lines)
    source = f"circuit c(param t: float[{count}]) -> float {{\n    qubit q[3];\n{body}\n    return expval(Z[0]);\n}}\n"
    angles = draw(st.lists(st.floats(-np.pi, np.pi), min_size=count, max_size=count))
    return source, np.array(angles)


def _slots_of(program, size: int) -> list[set[tuple[int, int]]]:
    """Per element t[a]: the (block, slot) pairs whose angle depends on it (ctrl @ u3 has a phase on (φ+λ)/2)."""
    out: list[set[tuple[int, int]]] = [set() for _ in range(size)]
    for b, block in enumerate(program.blocks):
        for k, slot in enumerate(block.slots):
            for partial in slot.partials:
                out[partial.arg.index[0]].add((b, k))
    return out


@settings(max_examples=40, deadline=None)
@given(layered_circuits())
def test_within_layer_entries_are_the_fubini_study_metric_and_the_rest_is_zero(case):
    """Entry (a, b) is exact when every angle of t[a] and t[b] is in one layer, 0 when they share none."""
    source, t = case
    f = qdl.compile(source, backend="reference").c
    metric, exact = f.metric_tensor(t), fubini_study(f.state, t)
    slots = _slots_of(f.metric_program(), t.size)
    blocks = [{b for b, _ in s} for s in slots]
    pairs = [(a, b) for a in range(t.size) for b in range(t.size)]
    one_layer = [(a, b) for a, b in pairs if len(blocks[a] | blocks[b]) == 1]
    apart = [(a, b) for a, b in pairs if not blocks[a] & blocks[b]]
    assert one_layer  # every trained element has an angle
    np.testing.assert_allclose([metric[p] for p in one_layer], [exact[p] for p in one_layer], atol=1e-7)
    assert all(metric[p] == 0 for p in apart)
    diag = f.metric_tensor(t, approx="diag")
    single = [a for a in range(t.size) if len(slots[a]) == 1]
    np.testing.assert_allclose(diag[single, single], np.diag(exact)[single], atol=1e-7)
    assert all(diag[a, b] == 0 for a, b in pairs if not slots[a] & slots[b])


def test_single_qubit_closed_form():
    """rx(a) then ry(b) on one qubit: diag(1/4, cos²(a)/4) (Stokes et al., single-qubit example)."""
    f = qdl.compile("circuit f(param a: float, param b: float) -> float {\n qubit q;\n rx(a) q;\n ry(b) q;\n"
                    " return expval(Z[0]);\n}\n").f
    for a in (0.0, 0.4, 1.3):
        np.testing.assert_allclose(f.metric_tensor(a, 0.9), np.diag([0.25, np.cos(a) ** 2 / 4]), atol=1e-12)


def test_a_rotation_after_entanglement_sees_the_reduced_state():
    """ry(a) q0; cx; rz(b) q1: <Z1> = cos(a), so g_bb = sin²(a)/4."""
    f = qdl.compile("circuit f(param a: float, param b: float) -> float {\n qubit q[2];\n ry(a) q[0];\n"
                    " cx q[0], q[1];\n rz(b) q[1];\n return expval(X[1]);\n}\n").f
    np.testing.assert_allclose(f.metric_tensor(0.7, 0.2), np.diag([0.25, np.sin(0.7) ** 2 / 4]), atol=1e-12)


def test_expressions_and_shared_angles_go_through_the_chain_rule():
    """One layer is exact: the whole metric equals Fubini–Study in argument space."""
    f = qdl.compile("circuit f(param w: float[2]) -> float {\n qubit q[4];\n h q[2];\n rx(2 * w[0]) q[0];\n"
                    " ry(sin(w[1]) * w[0]) q[1];\n crz(w[1] ** 2) q[2], q[3];\n return expval(Z[0]);\n}\n",
                    backend="reference").f
    w = np.array([0.4, -1.1])
    assert f.metric_program().evaluations == 1
    np.testing.assert_allclose(f.metric_tensor(w), fubini_study(f.state, w), atol=1e-8)


def test_a_shared_angle_across_layers_sums_the_blocks():
    """rx(0.5); ry(t); rz(t): Var(Y/2) + Var(Z/2) = cos²(.5)/4 + (1 - cos²(.5) cos²(t))/4.

    The exact metric also has the cross term between the two layers, which the approximation drops.
    """
    f = qdl.compile("circuit f(param t: float) -> float {\n qubit q;\n rx(0.5) q;\n ry(t) q;\n rz(t) q;\n"
                    " return expval(Z[0]);\n}\n", backend="reference").f
    c = np.cos(0.5) ** 2
    assert f.metric_tensor(0.6)[0, 0] == pytest.approx(c / 4 + (1 - c * np.cos(0.6) ** 2) / 4, abs=1e-12)
    exact = fubini_study(lambda t: f.state(t[0]), np.array([0.6]))[0, 0]
    assert abs(f.metric_tensor(0.6)[0, 0] - exact) > 0.1


SEVERAL = """
circuit g(x: float, param a: float[2], param b: float) -> float {
    qubit q[2];
    ry(x) q[0];
    rx(a[0]) q[0];
    ry(a[1]) q[1];
    cx q[0], q[1];
    rxx(b * x) q[0], q[1];
    return expval(Z[0]);
}
"""


def test_llvm_and_reference_agree_and_batches_stack():
    llvm = qdl.compile(SEVERAL).g
    ref = qdl.compile(SEVERAL, backend="reference").g
    one = ref.metric_tensor(0.3, [0.2, 0.5], 0.8)
    assert one.shape == (3, 3)
    np.testing.assert_allclose(llvm.metric_tensor(0.3, [0.2, 0.5], 0.8), one, atol=1e-12)
    batch = llvm.metric_tensor(np.array([0.3, 1.0]), [0.2, 0.5], 0.8)
    assert batch.shape == (2, 3, 3)
    np.testing.assert_allclose(batch[0], one, atol=1e-12)
    np.testing.assert_allclose(batch[1], ref.metric_tensor(1.0, [0.2, 0.5], 0.8), atol=1e-12)


def test_wrt_picks_data_arguments_too():
    g = qdl.compile(SEVERAL, backend="reference").g
    metric = g.metric_tensor(0.3, [0.2, 0.5], 0.8, wrt="x")
    # x enters ry on |0> (1/4) and rxx(b x) in a later layer: b² Var(XX/2)
    assert metric.shape == (1, 1) and metric[0, 0] > 0.25
    with pytest.raises(qdl.errors.QdlError, match="no argument `y`"):
        g.metric_tensor(0.3, [0.2, 0.5], 0.8, wrt="y")


def test_phases_and_a_controlled_rot_on_both_back_ends():
    """Generators with identity terms ((Z - I)/2) and projectors; one angle per layer: the exact diagonal."""
    source = ("circuit f(param t: float[3]) -> float {\n qubit q[2];\n h q[0];\n h q[1];\n phase(t[0]) q[0];\n"
              " ry(0.3) q[1];\n cphase(t[1]) q[0], q[1];\n ctrl @ rot(t[2], 0.2, 0.5) q[1], q[0];\n"
              " return expval(Z[0]);\n}\n")
    llvm, ref = qdl.compile(source).f, qdl.compile(source, backend="reference").f
    t = np.array([0.3, 0.9, -0.4])
    metric = ref.metric_tensor(t)
    np.testing.assert_allclose(llvm.metric_tensor(t), metric, atol=1e-12)
    np.testing.assert_allclose(np.diag(metric), np.diag(fubini_study(ref.state, t)), atol=1e-7)
    assert metric[0, 0] == pytest.approx(0.25) and np.count_nonzero(metric - np.diag(np.diag(metric))) == 0


def test_a_gate_that_is_not_the_identity_at_zero_uses_its_generator_before_the_gate():
    """gpi(b) = RZ(2b)·X: after ry(a), g_bb = 1 - cos²(a) (the variance of Z on ry(a)|0>), not that of X."""
    f = qdl.compile("circuit f(param a: float, param b: float) -> float {\n qubit q;\n ry(a) q;\n gpi(b) q;\n"
                    " return expval(X[0]);\n}\n").f
    for a in (0.3, 1.1):
        exact = fubini_study(lambda t: f.state(t[0], t[1]), np.array([a, 0.4]))
        np.testing.assert_allclose(f.metric_tensor(a, 0.4), exact, atol=1e-8)
        assert f.metric_tensor(a, 0.4)[1, 1] == pytest.approx(np.sin(a) ** 2, abs=1e-12)
