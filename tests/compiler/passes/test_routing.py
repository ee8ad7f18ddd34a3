"""`layout` and `route`: every routed circuit equals the original up to the reported qubit permutation."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pass_strategies import STATE, arg_values, circuit, dynamic_ops, readouts, unitary_ops
from qdl.compiler.expr import Const
from qdl.compiler.ir import Circuit, GateOp, MeasureOp, Module, Probs, State
from qdl.compiler.passes import PassContext, PassManager
from qdl.compiler.passes.optimize.elide_swaps import relabel_op, relabel_result
from qdl.compiler.passes.optimize.peephole import op_qubits
from qdl.compiler.passes.route import CouplingMap, LayoutReport, place_and_route, route_circuit
from qdl.compiler.passes.route.common import narrowed
from qdl.compiler.passes.route.coupling import device_and_map
from qdl.runtime import reference

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = "trials=3"


def routed(c: Circuit, device: str, options: str = FEW) -> tuple[Circuit, LayoutReport]:
    """`layout` then `route` on `device`; the routed circuit and what `route` reported."""
    ctx = PassContext()
    manager = PassManager.from_text(f"layout{{device={device},{options}}},route{{device={device},{options}}}",
                                    verify_each=True)
    out = manager.run(Module((c,)), ctx).circuits[0]
    report = ctx.facts["layout"][c.name]
    assert manager.records[-1].notes == (report.summary(),)
    return out, report


def assert_coupled(c: Circuit, cmap: CouplingMap) -> None:
    """Every gate on two or more qubits is a two-qubit gate on an edge of `cmap`."""
    for op in c.ops:
        if isinstance(op, GateOp) and len(op.all_qubits) > 1:
            assert len(op.all_qubits) == 2 and cmap.coupled(*op.all_qubits), op


def basis_indices(layout: tuple[int, ...]) -> np.ndarray:
    """Physical basis index of each logical basis index, logical qubit i on `layout[i]`, other qubits |0>."""
    logical = np.arange(2 ** len(layout))
    out = np.zeros_like(logical)
    for i, p in enumerate(layout):
        out |= ((logical >> i) & 1) << p
    return out


def assert_same_unitary(before: Circuit, after: Circuit, report: LayoutReport, args: dict) -> None:
    """after · P_initial = P_final · before, on every input with the ancillas in |0> (phase included)."""
    u = reference.unitary(before, before.num_qubits, args)
    v = reference.unitary(after, after.num_qubits, args)
    block = v[np.ix_(basis_indices(report.final), basis_indices(report.initial))]
    np.testing.assert_allclose(block, u, atol=1e-8)


def swaps(c: Circuit) -> int:
    return sum(isinstance(op, GateOp) and op.gate == "swap" for op in c.ops)


# --- unitary equivalence on t5 and on small coupling maps ---------------------------------------


@SETTINGS
@given(n=st.integers(1, 5), data=st.data(), seed=st.integers(0, 2**16))
def test_random_circuits_on_t5_equal_the_original_up_to_the_permutation(n, data, seed):
    before = circuit(n, data.draw(unitary_ops(n)), STATE)
    after, report = routed(before, "t5", f"{FEW},seed={seed % 7}")
    assert after.num_qubits == 5 and len(report.initial) == len(report.final) == n
    assert_coupled(after, device_and_map("t5")[1])
    assert_same_unitary(before, after, report, arg_values(seed))
    assert report.swaps == swaps(after) - swaps(routed_input(before))


def routed_input(c: Circuit) -> Circuit:
    """What routing starts from: gates on 3+ qubits lowered (their pieces may include `swap`)."""
    return narrowed(c)


MAPS = {"line5": (5, [(0, 1), (1, 2), (2, 3), (3, 4)]),
        "ring6": (6, [(i, (i + 1) % 6) for i in range(6)]),
        "grid2x3": (6, [(0, 1), (1, 2), (3, 4), (4, 5), (0, 3), (1, 4), (2, 5)]),
        "star4": (4, [(0, 1), (0, 2), (0, 3)])}


@pytest.mark.parametrize("name", sorted(MAPS))
@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_random_circuits_on_small_maps(name, data, seed):
    size, edges = MAPS[name]
    cmap = CouplingMap.from_edges(size, edges)
    n = data.draw(st.integers(2, size))
    before = circuit(n, data.draw(unitary_ops(n)), STATE)
    after, report = place_and_route(before, cmap, seed=seed, trials=2)
    assert_coupled(after, cmap)
    assert_same_unitary(before, after, report, arg_values(seed))


def test_the_star_needs_swaps_for_a_triangle():
    cmap = CouplingMap.from_edges(4, MAPS["star4"][1])
    before = Circuit("tri", (), 3, (GateOp("cx", (0, 1)), GateOp("cx", (1, 2)), GateOp("cx", (2, 0))), STATE)
    after, report = place_and_route(before, cmap, trials=2)
    assert report.swaps == swaps(after) == 1  # a triangle does not embed in a star: one SWAP is the least
    assert_same_unitary(before, after, report, {})


# --- results: measurements, bits, probs and observables stay with their logical qubits ----------


@pytest.mark.parametrize("device", ["t5", "falcon27"])
@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_outputs_with_measurements_and_conditions(device, data, seed):
    n = data.draw(st.integers(1, 5))
    before = circuit(n, data.draw(dynamic_ops(n, bits=2)), data.draw(readouts(n)), num_bits=2)
    after, report = routed(before, device)
    assert_coupled(after, device_and_map(device)[1])
    if device == "falcon27":  # simulate only the qubits the routed circuit touches
        after = compressed(after, report)[0]
    values = {k: v.reshape(1) for k, v in arg_values(seed).items()}
    for x, y in zip(reference.simulate(before, values), reference.simulate(after, values)):
        np.testing.assert_allclose(y, x, atol=1e-8)
    assert_same_outcomes(before, after, {k: v[0] for k, v in values.items()})


def assert_same_outcomes(before: Circuit, after: Circuit, args: dict) -> None:
    """The distributions of the classical bits are equal (outcomes of probability ~0 ignored)."""
    p = {k: v for k, v in reference.outcome_probabilities(before, args).items() if v > 1e-12}
    q = {k: v for k, v in reference.outcome_probabilities(after, args).items() if v > 1e-12}
    assert p.keys() == q.keys()
    assert [q[k] for k in p] == pytest.approx(list(p.values()), abs=1e-8)


def test_a_measured_bit_follows_its_qubit():
    ops = (GateOp("x", (0,)), GateOp("cx", (0, 4)), GateOp("cx", (4, 2)), GateOp("cx", (2, 0)),
           MeasureOp(0, 0), MeasureOp(2, 1), MeasureOp(4, 2))
    before = Circuit("m", (), 5, ops, (Probs((0, 2, 4)),), num_bits=3)
    after, report = routed(before, "t5")
    assert report.swaps > 0
    where = list(report.initial)  # logical -> physical, replayed through the SWAPs
    measured = {}
    for op in after.ops:
        if isinstance(op, GateOp) and op.gate == "swap":
            a, b = op.qubits
            where = [b if p == a else a if p == b else p for p in where]
        elif isinstance(op, MeasureOp):
            measured[op.bit] = where.index(op.qubit)
    assert measured == {0: 0, 1: 2, 2: 4} and tuple(where) == report.final
    assert_same_outcomes(before, after, {})
    assert after.results == (Probs(tuple(report.final[q] for q in (0, 2, 4))),)


# --- falcon27: coupling validity and state vectors of 10-14-qubit circuits -----------------------


def random_circuit(n: int, gates: int, seed: int) -> Circuit:
    """Random cx/cz/rzz/h/t/ry/ccx gates on n qubits, returning the state."""
    rng = random.Random(seed)
    ops: list[GateOp] = []
    for _ in range(gates):
        kind = rng.choice(["cx", "cx", "cz", "rzz", "h", "t", "ry", "ccx"])
        if kind in ("cx", "cz"):
            ops.append(GateOp(kind, tuple(rng.sample(range(n), 2))))
        elif kind == "rzz":
            ops.append(GateOp(kind, tuple(rng.sample(range(n), 2)), (Const(rng.uniform(-3, 3)),)))
        elif kind == "ccx":
            ops.append(GateOp(kind, tuple(rng.sample(range(n), 3))))
        elif kind == "ry":
            ops.append(GateOp(kind, (rng.randrange(n),), (Const(rng.uniform(-3, 3)),)))
        else:
            ops.append(GateOp(kind, (rng.randrange(n),)))
    return Circuit(f"r{seed}", (), n, tuple(ops), (State(),))


def compressed(c: Circuit, report: LayoutReport) -> tuple[Circuit, LayoutReport]:
    """`c` on only the physical qubits it touches (renumbered in order) and the report in those numbers."""
    used = sorted({q for op in c.ops for q in op_qubits(op)} | set(report.initial) | set(report.final))
    where = {p: i for i, p in enumerate(used)}
    table = [where.get(p, 0) for p in range(c.num_qubits)]
    ops = tuple(relabel_op(op, table) for op in c.ops)
    results = tuple(r if isinstance(r, State) else relabel_result(r, table) for r in c.results)
    small = Circuit(c.name, c.arguments, len(used), ops, results, num_bits=c.num_bits)
    return small, LayoutReport(report.circuit, report.device, tuple(where[p] for p in report.initial),
                               tuple(where[p] for p in report.final), report.swaps)


@pytest.mark.parametrize("n,seed", [(10, 1), (12, 2), (14, 3), (13, 4)])
def test_falcon27_state_vectors_equal_up_to_the_permutation(n, seed):
    before = random_circuit(n, 60, seed)
    after, report = routed(before, "falcon27", "trials=4")
    assert_coupled(after, device_and_map("falcon27")[1])
    assert report.swaps > 0 and sorted(set(report.final)) == sorted(report.final)
    small, where = compressed(after, report)
    assert small.num_qubits <= 20, "routing should stay near the circuit's qubits"
    psi = reference.simulate(before, {})[0][0]
    phi = reference.simulate(small, {})[0][0]
    np.testing.assert_allclose(phi[basis_indices(where.final)], psi, atol=1e-8)
    assert np.linalg.norm(phi[basis_indices(where.final)]) == pytest.approx(1.0)


# --- trivial cases -------------------------------------------------------------------------------


def test_gates_on_coupled_pairs_add_no_swap_and_keep_the_numbering():
    ops = (GateOp("h", (0,)), GateOp("cx", (0, 1)), GateOp("cx", (1, 2)), GateOp("cz", (3, 1)),
           GateOp("cx", (4, 3)), MeasureOp(4, 0))
    before = Circuit("ok", (), 5, ops, (Probs((0, 1, 2)),), num_bits=1)
    after, report = routed(before, "t5")
    assert report == LayoutReport("ok", "t5", (0, 1, 2, 3, 4), (0, 1, 2, 3, 4), 0)
    assert after.ops == ops and after.results == before.results


def test_route_alone_starts_from_the_trivial_layout():
    near = Circuit("near", (), 3, (GateOp("cx", (0, 1)), GateOp("cx", (2, 1))), STATE)
    out = route_circuit(near, device_and_map("t5")[1], trials=2)
    assert out.swaps == 0 and out.circuit.ops == near.ops and out.final == (0, 1, 2)
    ctx = PassContext()
    far = Circuit("far", (), 5, (GateOp("cx", (0, 4)),), STATE)
    after = PassManager.from_text("route{device=t5}").run(Module((far,)), ctx).circuits[0]
    report = ctx.facts["layout"]["far"]
    assert report.initial == (0, 1, 2, 3, 4) and report.swaps == swaps(after) == 2  # path 0-1-3-4
    assert_same_unitary(far, after, report, {})


def test_an_all_to_all_device_adds_no_swaps():
    before = random_circuit(8, 40, 5)
    after, report = routed(before, "ion11")
    assert report.swaps == 0 and report.initial == report.final == tuple(range(8))


def test_the_release_valve_routes_along_shortest_paths(monkeypatch):
    from qdl.compiler.passes.route import sabre
    monkeypatch.setattr(sabre, "STALL_LIMIT", 0)  # every stuck front layer goes through the valve
    cmap = device_and_map("falcon27")[1]
    before = random_circuit(8, 40, 11)
    out = route_circuit(narrowed(before), cmap, trials=1)
    assert_coupled(out.circuit, cmap)
    report = LayoutReport("r", "falcon27", tuple(range(8)), out.final, out.swaps)
    small, where = compressed(out.circuit, report)
    phi = reference.simulate(small, {})[0][0]
    np.testing.assert_allclose(phi[basis_indices(where.final)], reference.simulate(before, {})[0][0], atol=1e-8)
