"""The LLVM kernel against the reference simulator: every gate, random circuits, examples, caches."""

from __future__ import annotations

import json
from dataclasses import replace
import os
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qdl.compiler.backends.llvm import lower
from qdl.compiler.driver import compile_file
from qdl.compiler.expr import Arg, Const
from qdl.compiler.gates import GATES
from qdl.compiler.ir import (
    Argument, Circuit, ExpVal, GateOp, MeasureOp, Observable, PauliTerm, Probs, State, Var,
)
from qdl.runtime import llvm as qdl_llvm
from qdl.runtime import reference
from qdl.runtime.llvm import cache, jit, kernel
from qdl.runtime.llvm import library as runtime_library

REPO = Path(__file__).resolve().parents[2]
TOL = 1e-12



def circuit(n: int, ops: list, results: tuple = (State(),), arguments: tuple[Argument, ...] = ()) -> Circuit:
    return Circuit("c", arguments, n, tuple(ops), results)


def prep(n: int, rng: np.random.Generator) -> list[GateOp]:
    """A fixed generic product state, so that every amplitude matters."""
    angles = rng.uniform(-np.pi, np.pi, size=(n, 2))
    return [op for q in range(n) for op in (GateOp("ry", (q,), (Const(angles[q, 0]),)),
                                             GateOp("rz", (q,), (Const(angles[q, 1]),)))]


def assert_same(c: Circuit, args: dict | None = None, threads: int = 1) -> None:
    args = args or {}
    got = qdl_llvm.run(c, args, threads=threads)
    want = reference.simulate(c, args)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=0, atol=TOL)


@pytest.mark.parametrize("name", sorted(GATES))
def test_every_gate_plain_controlled_and_negctrl(name: str) -> None:
    """One circuit per gate: plain, under `ctrl @` and under `negctrl @`, with batched parameters."""
    spec = GATES[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    k = spec.num_qubits
    n = k + 2
    targets = tuple(int(q) for q in rng.permutation(n)[:k])
    spare = [q for q in range(n) if q not in targets]
    params = tuple(Arg("p", (j,)) for j in range(spec.num_params))
    ops = prep(n, rng) + [
        GateOp(name, targets, params),
        GateOp(name, targets, params, controls=(spare[0],), control_values=(True,)),
        GateOp(name, targets, params, controls=(spare[1],), control_values=(False,)),
        GateOp(name, targets, params, controls=(spare[1], spare[0]), control_values=(True, False)),
    ]
    arguments = (Argument("p", "float", (max(spec.num_params, 1),), True),)
    values = rng.uniform(-np.pi, np.pi, size=(3, max(spec.num_params, 1)))
    assert_same(circuit(n, ops, (State(),), arguments), {"p": values})


# --- random circuits ---------------------------------------------------------------

GATE_NAMES = sorted(n for n in GATES if GATES[n].num_qubits <= 4)


@st.composite
def random_circuits(draw: st.DrawFn) -> tuple[Circuit, dict]:
    n = draw(st.integers(2, 6))
    ops: list[GateOp] = []
    for _ in range(30):
        spec = GATES[draw(st.sampled_from([g for g in GATE_NAMES if GATES[g].num_qubits <= n]))]
        qubits = draw(st.permutations(range(n)))
        k = spec.num_qubits
        free = qubits[k:]
        ctrls = tuple(free[: draw(st.integers(0, min(2, len(free))))])
        values = tuple(draw(st.booleans()) for _ in ctrls)
        params = tuple(Arg("theta", (draw(st.integers(0, 3)),)) * 1.5 if draw(st.booleans())
                       else Const(draw(st.floats(-4, 4))) for _ in range(spec.num_params))
        ops.append(GateOp(spec.name, tuple(qubits[:k]), params, ctrls, values))
    obs = Observable((PauliTerm(0.7, ((0, "X"), (1, "Z"))), PauliTerm(-0.3, ((n - 1, "Y"),))))
    results = (State(), Probs((1, 0)), ExpVal(obs), Var(obs))
    seed = draw(st.integers(0, 2**31))
    thetas = np.random.default_rng(seed).uniform(-np.pi, np.pi, size=(2, 4))
    return circuit(n, ops, results, (Argument("theta", "float", (4,), True),)), {"theta": thetas}


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_circuits())
def test_random_circuits_match_the_reference(case: tuple[Circuit, dict]) -> None:
    assert_same(*case)


def test_batches_split_across_threads_match() -> None:
    rng = np.random.default_rng(3)
    n = 5
    ops = prep(n, rng) + [GateOp("rx", (q,), (Arg("t", (q,)),)) for q in range(n)]
    ops += [GateOp("cx", (q, (q + 1) % n)) for q in range(n)]
    c = circuit(n, ops, (State(), ExpVal(Observable((PauliTerm(1.0, ((0, "Z"),)),)))),
                (Argument("t", "float", (n,), True),))
    args = {"t": rng.uniform(-3, 3, size=(7, n))}
    assert_same(c, args, threads=3)
    assert_same(c, {"t": args["t"][:1]})


def test_dynamic_circuits_raise_a_not_implemented_error() -> None:
    c = Circuit("c", (), 2, (GateOp("h", (0,)), MeasureOp(0, 0), GateOp("x", (0,))), (State(),), num_bits=1)
    with pytest.raises(NotImplementedError, match="reference simulator"):
        qdl_llvm.run(c, {})


# --- examples ----------------------------------------------------------------------


def example_args(c: Circuit, rng: np.random.Generator, batch: int = 2) -> dict:
    return {a.name: rng.uniform(-2, 2, size=(batch,) + a.shape) for a in c.arguments}


@pytest.mark.parametrize("path", sorted(p.name for p in (REPO / "examples").glob("*.qdl")))
def test_examples_match_the_reference(path: str) -> None:
    result = compile_file(REPO / "examples" / path)
    assert result.ok, result.render("short")
    ran = 0
    for c in result.module.circuits:
        if any(isinstance(op, MeasureOp) for op in c.ops):
            continue  # mid-circuit measurement is the next increment
        args = example_args(c, np.random.default_rng(0))
        shots = 50 if any(type(r).__name__ == "Sample" for r in c.results) else None
        got = qdl_llvm.run(c, args, shots=shots, seed=1)
        want = reference.simulate(c, args, shots=shots, seed=1)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=0, atol=TOL)
        ran += 1
    if path in {"classifier.qdl", "qaoa_maxcut.qdl", "vqe_h2.qdl"}:
        assert ran == len(result.module.circuits)


# --- the disk cache ----------------------------------------------------------------

CHILD = textwrap.dedent("""
    import json, sys
    import numpy as np
    import llvmlite.binding as llvm
    from qdl.compiler.expr import Arg
    from qdl.compiler.ir import Argument, Circuit, GateOp, State
    from qdl.runtime import llvm as qdl_llvm
    from qdl.runtime.llvm import jit
    if sys.argv[1] == "forbid-llvm":
        def forbidden(*a, **k):
            raise AssertionError("LLVM invoked on a warm cache")
        llvm.parse_assembly = forbidden
        llvm.create_pass_builder = forbidden
    ops = (GateOp("h", (0,)), GateOp("cry", (0, 1), (Arg("t"),)), GateOp("cx", (1, 2)))
    c = Circuit("c", (Argument("t", "float", (), True),), 3, ops, (State(),))
    (state,) = qdl_llvm.run(c, {"t": np.array([0.4])})
    print(json.dumps({"stats": jit.STATS, "state": [[z.real, z.imag] for z in state[0]]}))
""")


def run_child(cache_dir: Path, mode: str) -> dict:
    env = dict(os.environ, QDL_CACHE_DIR=str(cache_dir))
    done = subprocess.run([sys.executable, "-c", CHILD, mode], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_second_process_loads_from_disk_without_llvm(tmp_path: Path) -> None:
    cold = run_child(tmp_path, "allow")
    warm = run_child(tmp_path, "forbid-llvm")
    assert cold["stats"]["llvm_compiles"] == 2 and cold["stats"]["disk_hits"] == 0  # runtime library, kernel
    assert warm["stats"]["llvm_compiles"] == 0 and warm["stats"]["disk_hits"] == 2
    assert warm["state"] == cold["state"]
    assert len(list((tmp_path / "llvm").glob("*.o"))) == 2
    assert not list((tmp_path / "llvm").glob(".tmp-*"))


def test_a_corrupt_entry_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QDL_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(kernel, "_CIRCUITS", {})
    monkeypatch.setattr(kernel, "_KERNELS", {})
    monkeypatch.setattr(runtime_library, "_LINKED", {})  # so this cache directory holds the library too
    c = circuit(2, [GateOp("h", (0,)), GateOp("cx", (0, 1)), GateOp("t", (1,))])
    want = reference.simulate(c, {})[0]
    np.testing.assert_allclose(qdl_llvm.run(c, {})[0], want, atol=TOL)
    entry = cache.entry_path(qdl_llvm.compile_circuit(c).kernel.key)
    blob = bytearray(entry.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    entry.write_bytes(bytes(blob))
    assert cache.load(entry.stem) is None
    monkeypatch.setattr(kernel, "_CIRCUITS", {})
    monkeypatch.setattr(kernel, "_KERNELS", {})
    before = jit.STATS["llvm_compiles"]
    np.testing.assert_allclose(qdl_llvm.run(c, {})[0], want, atol=TOL)
    assert jit.STATS["llvm_compiles"] == before + 1
    assert cache.load(entry.stem) is not None  # rewritten whole


def test_truncated_entries_read_as_misses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QDL_CACHE_DIR", str(tmp_path))
    cache.store("k", b"object code")
    assert cache.load("k") == b"object code"
    path = cache.entry_path("k")
    path.write_bytes(path.read_bytes()[:20])
    assert cache.load("k") is None


@pytest.mark.parametrize("name", ["h", "rx", "rz", "u3", "x"])
def test_single_qubit_circuits_take_the_scalar_path(name: str) -> None:
    spec = GATES[name]
    params = tuple(Const(0.3 + j) for j in range(spec.num_params))
    assert_same(circuit(1, [GateOp("ry", (0,), (Const(0.7),)), GateOp(name, (0,), params)]))


def test_flips_on_high_qubits_take_the_vector_path() -> None:
    n = 7
    ops = prep(n, np.random.default_rng(5)) + [
        GateOp("x", (4,)), GateOp("cx", (2, 5)), GateOp("cx", (6, 3)), GateOp("ccx", (2, 6, 4)),
        GateOp("x", (3,), controls=(5, 2), control_values=(False, True)), GateOp("cx", (0, 4)),
    ]
    assert_same(circuit(n, ops))


@pytest.fixture
def one_qubit_fusion(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two-qubit fusion off (`fuse2`): these tests look at the 1-qubit blocks and multiplexed rows beneath it."""
    monkeypatch.setenv("QDL_FUSE_QUBITS", "1")


def test_single_qubit_runs_fuse_into_one_row_each(one_qubit_fusion: None) -> None:
    t = Arg("t", (0,))
    ops = [GateOp("h", (0,)), GateOp("ry", (1,), (t,)), GateOp("rz", (0,), (2 * t,)), GateOp("rz", (2,), (t,)),
           GateOp("t", (2,)), GateOp("phase", (2,), (t,)), GateOp("u3", (0,), (t, Const(0.1), t)),
           GateOp("cx", (0, 1)), GateOp("sx", (1,)), GateOp("rx", (0,), (t,)), GateOp("y", (1,)),
           GateOp("gphase", (), (t,)), GateOp("z", (0,))]
    c = circuit(3, ops, (State(),), (Argument("t", "float", (1,), True),))
    rows = lower(c).rows
    # {h rz u3} q0, {rz t phase} q2 (diagonal), {ry} q1 then cx as one multiplexed pass (two halves),
    # {sx y} q1, {rx z} q0, gphase
    assert [r.kind.name for r in rows] == ["DENSE1", "DIAG1", "CTRL1", "CTRL1", "DENSE1", "DENSE1", "SCALE"]
    assert_same(c, {"t": np.array([[0.4], [-1.3]])})


@pytest.mark.parametrize("value", [True, False])
def test_a_cnot_absorbs_the_block_on_its_target(value: bool, one_qubit_fusion: None) -> None:
    """ry·rz on q1, then (neg)ctrl-X from q0: U on one half, X·U on the other; no separate flip."""
    t = Arg("t", (0,))
    ops = prep(3, np.random.default_rng(5)) + [
        GateOp("ry", (1,), (t,)), GateOp("rz", (1,), (2 * t,)),
        GateOp("x", (1,), (), controls=(0,), control_values=(value,)), GateOp("cx", (2, 0))]
    c = circuit(3, ops, (State(),), (Argument("t", "float", (1,), True),))
    # cx(2, 0) stays a flip: q0, the selector, was touched after its block
    assert [r.kind.name for r in lower(c).rows[-3:]] == ["CTRL1", "CTRL1", "FLIP"]
    assert_same(c, {"t": np.array([[0.4], [-1.3]])})


def test_too_large_a_state_fails_before_allocating() -> None:
    c = circuit(40, [GateOp("h", (0,))])
    with pytest.raises(MemoryError, match="GiB"):
        qdl_llvm.run(c, {})


def test_controlled_one_qubit_gates_on_high_qubits_take_the_vector_path() -> None:
    n, t = 7, Arg("t", (0,))
    ops = prep(n, np.random.default_rng(6)) + [
        GateOp("crx", (2, 5), (t,)), GateOp("cphase", (6, 3), (t,)), GateOp("ch", (4, 2)),
        GateOp("u3", (3,), (t, t, Const(0.2)), controls=(5, 2), control_values=(False, True)),
        GateOp("rz", (6,), (t,), controls=(4,), control_values=(False,)), GateOp("cry", (0, 4), (t,)),
    ]
    assert_same(circuit(n, ops, (State(),), (Argument("t", "float", (1,), True),)), {"t": np.array([[0.9], [2.1]])})


def test_circuits_differing_only_in_gate_names_get_their_own_kernels() -> None:
    """The op table of rx and ry is the same; the compiled matrix fill is not, so neither is the kernel."""
    arguments = (Argument("t", "float", (1,), True),)
    for gate in ("rx", "ry", "rx"):
        assert_same(circuit(2, [GateOp(gate, (0,), (Arg("t", (0,)),)), GateOp("cx", (0, 1))], (State(),), arguments),
                    {"t": np.array([[0.3], [1.1]])})


def test_phase_gates_touch_only_their_one_part(one_qubit_fusion: None) -> None:
    """p, cp, t, s, z and their fused runs: the target joins the controls, the row is one scalar."""
    t = Arg("t", (0,))
    ops = prep(4, np.random.default_rng(8)) + [
        GateOp("cz", (0, 3)), GateOp("p", (0,), (t,)), GateOp("t", (0,)), GateOp("cp", (1, 2), (2 * t,)),
        GateOp("z", (3,), controls=(0,), control_values=(False,)), GateOp("rz", (1,), (t,))]
    c = circuit(4, ops, (State(),), (Argument("t", "float", (1,), True),))
    kinds = [r.kind.name for r in lower(c).rows]
    assert kinds[-5:] == ["SCALE"] * 4 + ["DIAG1"]  # cz, {p t} q0, cp, negctrl z; rz is not a phase gate
    assert_same(c, {"t": np.array([[0.4], [-1.3]])})


def test_swaps_become_relabellings_when_only_reduced_results_are_asked() -> None:
    """QFT-style final swaps and a swap mid-circuit: no flips, expval/var/probs follow the qubits."""
    rng = np.random.default_rng(11)
    obs = Observable((PauliTerm(0.6, ((0, "X"), (3, "Z"))), PauliTerm(-0.2, ((1, "Y"), (2, "Y")))))
    ops = prep(4, rng) + [GateOp("swap", (0, 3)), GateOp("cx", (0, 1)), GateOp("ry", (3,), (Const(0.4),)),
                          GateOp("swap", (1, 2)), GateOp("crz", (2, 0), (Const(0.8),)), GateOp("swap", (0, 2))]
    reduced = circuit(4, ops, (ExpVal(obs), Var(obs), Probs((2, 0, 3))))
    compiled = kernel.compile_circuit(reduced)
    assert compiled.plan.final_places != (0, 1, 2, 3)
    assert "FLIP" not in [r.kind.name for r in compiled.plan.rows]  # three swaps would be nine flips
    assert_same(reduced)
    with_state = circuit(4, ops, (State(), ExpVal(obs)))
    assert kernel.compile_circuit(with_state).plan.final_places in ((), (0, 1, 2, 3))
    assert_same(with_state)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_circuits())
def test_random_circuits_with_reduced_results_only_match_the_reference(case: tuple[Circuit, dict]) -> None:
    """Without a State result swaps are relabellings and every result is reduced in the kernel."""
    c, args = case
    reduced = replace(c, results=tuple(r for r in c.results if not isinstance(r, State)))
    assert_same(reduced, args)


def test_a_python_float_for_a_scalar_argument_takes_the_fast_path() -> None:
    """What an optimizer loop passes: `f(0.1)`, a Python or numpy float, runs without the general path."""
    import qdl
    f = qdl.compile("circuit e(param t: float, w: float[2]) -> float { qubit q[2]; ry(t) q[0]; rx(w[1]) q[1];"
                    " cx q[0], q[1]; return expval(Z[0] Z[1]); }").e
    w = np.array([0.0, 0.3])
    want = float(reference.simulate(f.circuit, {"t": np.array([0.4]), "w": w[None]})[0][0])
    kernel = f._compiled()
    for t in (0.4, np.float64(0.4)):
        assert kernel.call_unbatched(f.circuit.arguments, (t, w)) == pytest.approx((want,), abs=1e-12)
    for t in (True, 1, np.float32(0.4)):  # converted (or refused) by the general path only
        assert kernel.call_unbatched(f.circuit.arguments, (t, w)) is None
    assert f(0.4, w) == pytest.approx(want, abs=1e-12)
    with pytest.raises(qdl.ArgumentError, match="non-finite"):
        f(float("nan"), w)
