"""The LLVM kernel in single precision (complex64 states) against the reference simulator.

Every gate kind, the fused and multiplexed rows, blocked stages, every
reduced result, memory checks and caches.  Tolerance 1e-5: complex64 rounds
each amplitude to ~6e-8 and a circuit of a few dozen gates accumulates that.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qdl.compiler.backends.llvm import library, lower
from qdl.compiler.backends.llvm.irbuild import DOUBLE, SINGLE
from qdl.compiler.backends.llvm.plan import default_block
from qdl.compiler.expr import Arg, Const
from qdl.compiler.gates import GATES
from qdl.compiler.ir import Argument, Circuit, ExpVal, GateOp, Observable, PauliTerm, Probs, State, Var
from qdl.runtime import reference
from qdl.runtime.llvm import kernel
from qdl.runtime.llvm.kernel import compile_circuit
from qdl.runtime.llvm.library import runtime_library

TOL = 1e-5


def circuit(n: int, ops: list, results: tuple = (State(),), arguments: tuple[Argument, ...] = ()) -> Circuit:
    return Circuit("c", arguments, n, tuple(ops), results)


def prep(n: int, rng: np.random.Generator) -> list[GateOp]:
    angles = rng.uniform(-np.pi, np.pi, size=(n, 2))
    return [op for q in range(n) for op in (GateOp("ry", (q,), (Const(angles[q, 0]),)),
                                             GateOp("rz", (q,), (Const(angles[q, 1]),)))]


def assert_single(c: Circuit, args: dict | None = None, block: int | None = None) -> tuple[np.ndarray, ...]:
    """Run `c` in single precision; every result within TOL of the reference, states complex64, the rest float64."""
    args = args or {}
    got = compile_circuit(c, block=block, precision="single").run(args)
    want = reference.simulate(c, args)
    for result, g, w in zip(c.results, got, want):
        assert g.shape == w.shape
        assert g.dtype == (np.complex64 if isinstance(result, State) else np.float64)
        np.testing.assert_allclose(g, w, rtol=0, atol=TOL)
    return got


@pytest.mark.parametrize("name", sorted(GATES))
def test_every_gate_plain_controlled_and_negctrl(name: str) -> None:
    spec = GATES[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    n = spec.num_qubits + 2
    targets = tuple(int(q) for q in rng.permutation(n)[:spec.num_qubits])
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
    assert_single(circuit(n, ops, (State(),), arguments), {"p": values})


GATE_NAMES = sorted(n for n in GATES if GATES[n].num_qubits <= 4)


@st.composite
def random_circuits(draw: st.DrawFn, with_state: bool) -> tuple[Circuit, dict]:
    """Up to 9 qubits: 1-qubit targets below, inside and above one <16 x float> vector (8 amplitudes)."""
    n = draw(st.integers(2, 9))
    ops: list[GateOp] = []
    for _ in range(30):
        spec = GATES[draw(st.sampled_from([g for g in GATE_NAMES if GATES[g].num_qubits <= n]))]
        qubits = draw(st.permutations(range(n)))
        free = qubits[spec.num_qubits:]
        ctrls = tuple(free[: draw(st.integers(0, min(2, len(free))))])
        values = tuple(draw(st.booleans()) for _ in ctrls)
        params = tuple(Arg("theta", (draw(st.integers(0, 3)),)) * 1.5 if draw(st.booleans())
                       else Const(draw(st.floats(-4, 4))) for _ in range(spec.num_params))
        ops.append(GateOp(spec.name, tuple(qubits[:spec.num_qubits]), params, ctrls, values))
    obs = Observable((PauliTerm(0.7, ((0, "X"), (1, "Z"))), PauliTerm(-0.3, ((n - 1, "Y"),))))
    results = (Probs((1, 0)), ExpVal(obs), Var(obs)) + ((State(),) if with_state else ())
    thetas = np.random.default_rng(draw(st.integers(0, 2**31))).uniform(-np.pi, np.pi, size=(2, 4))
    return circuit(n, ops, results, (Argument("theta", "float", (4,), True),)), {"theta": thetas}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_circuits(with_state=True))
def test_random_circuits_match_the_reference(case: tuple[Circuit, dict]) -> None:
    assert_single(*case)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_circuits(with_state=False))
def test_random_circuits_with_reduced_results_only_match_the_reference(case: tuple[Circuit, dict]) -> None:
    """Reduced results only: SWAPs become relabellings and every result is reduced from complex64 in double."""
    assert_single(*case)


def ansatz(n: int, layers: int) -> Circuit:
    """RY and RZ on every qubit, then a CNOT ring, per layer: fused 1-qubit blocks and CNOTs absorbing them."""
    t = [Arg("t", (k,)) for k in range(2 * n)]
    ops = []
    for _ in range(layers):
        ops += [GateOp(g, (q,), (t[2 * q + (g == "rz")],)) for q in range(n) for g in ("ry", "rz")]
        ops += [GateOp("cx", (q, (q + 1) % n)) for q in range(n)]
    obs = Observable(tuple(PauliTerm(1.0, ((q, "Z"), ((q + 1) % n, "Z"))) for q in range(n)))
    return circuit(n, ops, (ExpVal(obs), Probs((0, n - 1)), State()), (Argument("t", "float", (2 * n,), True),))


@pytest.mark.parametrize("block", [7, 8, None])
def test_blocked_stages_match_the_reference(block: int | None) -> None:
    c = ansatz(11, 3)
    compiled = compile_circuit(c, block=block, precision="single")
    assert compiled.plan.blocked == (block is not None)
    assert any(r.kind.name in ("DENSE1", "CTRL1") for r in compiled.plan.rows)  # the fused and multiplexed rows
    assert_single(c, {"t": np.random.default_rng(4).uniform(-2, 2, size=(2, 22))}, block)


def test_the_default_chunk_keeps_its_bytes() -> None:
    """2^16 complex64 amplitudes are the 512 KiB of 2^15 complex128 ones."""
    c = ansatz(18, 1)
    assert lower(c, precision="single").chunk_qubits == default_block("double") + 1 == default_block("single")
    assert lower(c).chunk_qubits == default_block("double")


def test_single_precision_is_rounded_not_exact() -> None:
    """The kernel really computes in float32: its state differs from the double kernel's, within TOL."""
    c = ansatz(6, 4)
    args = {"t": np.random.default_rng(2).uniform(-2, 2, size=(1, 12))}
    single = compile_circuit(c, precision="single").run(args)[2]
    double = compile_circuit(c).run(args)[2]
    assert single.dtype == np.complex64 and double.dtype == np.complex128
    assert 1e-9 < np.abs(single - double).max() < TOL


def test_the_runtime_check_counts_eight_bytes_an_amplitude() -> None:
    with pytest.raises(MemoryError, match=r"need 8192\.0 GiB"):  # 2^40 complex64 = 8 TiB
        compile_circuit(circuit(40, [GateOp("h", (0,))]), precision="single").run({})
    with pytest.raises(MemoryError, match=r"need 16384\.0 GiB"):
        compile_circuit(circuit(40, [GateOp("h", (0,))])).run({})


def test_double_and_single_kernels_of_one_circuit_coexist() -> None:
    c = ansatz(5, 2)
    args = {"t": np.linspace(-1, 1, 10)[None]}
    double, single = compile_circuit(c), compile_circuit(c, precision="single")
    assert double is not single and double.kernel.key != single.kernel.key
    assert double.kernel.runtime.name != single.kernel.runtime.name
    assert double.kernel.runtime.key != single.kernel.runtime.key
    assert single.kernel.runtime is runtime_library("single") and double.kernel.runtime is runtime_library()
    assert compile_circuit(c, precision="single") is single  # the memory cache keys on the precision
    for _ in range(2):  # alternate: neither kernel binds the other's library
        assert double.run(args)[2].dtype == np.complex128
        assert single.run(args)[2].dtype == np.complex64


def test_the_libraries_define_distinct_symbols() -> None:
    assert set(library.symbols(DOUBLE)).isdisjoint(library.symbols(SINGLE))
    assert library.library_name(SINGLE) != library.library_name(DOUBLE)


def test_an_unknown_precision_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown precision 'half'; choose one of 'double', 'single'"):
        compile_circuit(circuit(1, [GateOp("h", (0,))]), precision="half")


def test_the_memory_check_is_asked_for_the_right_size(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[int] = []
    monkeypatch.setattr(kernel, "check_memory", asked.append)
    c = circuit(10, [GateOp("h", (0,))])
    compile_circuit(c, precision="single").execute({}, 3)
    compile_circuit(c).execute({}, 3)
    assert asked == [3 * 8 * 2**10, 3 * 16 * 2**10]


def test_host_results_are_computed_from_the_state_in_double() -> None:
    """The `var` of a long sum stays on the host and `sample` is drawn by the compiled sampler: both from the
    complex64 state widened to complex128 (these 64 shots fall far from any boundary: the reference's)."""
    import itertools

    from qdl.compiler.ir import Sample
    strings = [s for s in itertools.product("IXYZ", repeat=5) if set(s) != {"I"}][:600]
    long_sum = Observable(tuple(PauliTerm(1.0 / (1 + k), tuple((q, p) for q, p in enumerate(s) if p != "I"))
                                for k, s in enumerate(strings)))
    c = circuit(5, prep(5, np.random.default_rng(8)) + [GateOp("cx", (0, 4))],
                (Sample((0, 1, 4)), Var(long_sum), Probs((0, 4))))
    compiled = compile_circuit(c, precision="single")
    assert compiled.plan.results.host == (1,)
    got = compiled.run({}, shots=64, seed=3)
    want = reference.simulate(c, {}, shots=64, seed=3)
    np.testing.assert_array_equal(got[0], want[0])
    for g, w in zip(got[1:], want[1:]):
        assert g.dtype == np.float64
        np.testing.assert_allclose(g, w, rtol=0, atol=TOL)
