"""The compiled matrix fill against `plan.fill_matrices`: every gate, random circuits, IR size."""

from __future__ import annotations

import ctypes
import itertools
import zlib
from dataclasses import replace

import numpy as np
import pytest
from llvmlite import ir

from qdl.compiler.backends.llvm import KernelPlan, lower
from qdl.compiler.backends.llvm.fill import NotATrigPolynomial, emit_fill, trig_form
from qdl.compiler.backends.llvm.plan import MatrixGroup, fill_matrices
from qdl.compiler.expr import Arg, Const
from qdl.compiler.gates import GATES
from qdl.compiler.ir import Circuit, GateOp, State
from qdl.runtime.llvm import jit

TOL = 1e-12
FILL_PROTO = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p)
_NAMES = itertools.count()


class CompiledFill:
    """One plan's fill, JIT-compiled alone; `tracker` keeps the code alive."""

    def __init__(self, plan: KernelPlan) -> None:
        self.plan = plan
        name = f"qdl_fill_test_{next(_NAMES)}"
        module = ir.Module(name=name)
        emit_fill(module, plan, name)
        text = str(module)
        address, self.tracker = jit.link(jit.compile_object(text), name, jit.cache_key(text))
        self.fn = FILL_PROTO(address)

    def __call__(self, slots: np.ndarray) -> np.ndarray:
        slots = np.ascontiguousarray(slots, dtype=np.float64)
        out = np.full((slots.shape[0], max(self.plan.num_entries, 1)), np.nan, dtype=np.complex128)
        self.fn(slots.ctypes.data, slots.shape[0], out.ctypes.data)
        return out


def assert_fill_matches(plan: KernelPlan, rng: np.random.Generator) -> None:
    compiled = CompiledFill(plan)
    for batch in (1, 3):
        slots = rng.uniform(-2 * np.pi, 2 * np.pi, size=(batch, len(plan.slots)))
        got = compiled(slots)[:, : plan.num_entries]
        want = fill_matrices(plan, slots)[:, : plan.num_entries]
        np.testing.assert_allclose(got, want, rtol=0, atol=TOL)


# --- every gate of the table, as its own group ----------------------------------------


def group_plan(name: str, diagonal: bool, ops: int, rng: np.random.Generator) -> KernelPlan:
    """A plan holding only `ops` matrices of one gate, in shuffled slots and offsets."""
    spec = GATES[name]
    width = spec.dim if diagonal else spec.dim**2
    starts = rng.permutation(ops) * width
    columns = starts[:, None] + np.arange(width)
    params = rng.integers(0, 5, size=(ops, spec.num_params))
    fixed = None
    if not spec.num_params:
        matrix = spec.matrix()
        fixed = (np.diagonal(matrix) if diagonal else matrix).reshape(1, 1, -1)
    group = MatrixGroup(spec, diagonal, params, columns, fixed)
    return KernelPlan(1, (), (), ops * width, tuple(Const(float(j)) for j in range(5)), (group,))


GATE_CASES = [(name, diagonal) for name in sorted(GATES) for diagonal in (False, True)
              if diagonal <= GATES[name].diagonal]


@pytest.mark.parametrize(("name", "diagonal"), GATE_CASES)
def test_every_gate_fills_like_the_gate_table(name: str, diagonal: bool) -> None:
    rng = np.random.default_rng(zlib.crc32(f"{name}{diagonal}".encode()))
    assert_fill_matches(group_plan(name, diagonal, 4, rng), rng)


def test_a_spectrum_that_does_not_reproduce_the_matrix_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = replace(GATES["rx"], name="rx_wrong_spectrum", generator_eigenvalues=((-1.0, 1.0),))
    monkeypatch.setitem(GATES, wrong.name, wrong)
    with pytest.raises(NotATrigPolynomial):
        trig_form(wrong.name, False)


def test_forms_are_exact_where_the_table_is_exact() -> None:
    """rx's (0, 0) entry is cos(θ/2) itself: one term, coefficient exactly 1."""
    assert trig_form("rx", False).entries[0] == (((0,), 1 + 0j),)


# --- circuits through `plan.lower` ----------------------------------------------------

ONE_QUBIT = [n for n in sorted(GATES) if GATES[n].num_qubits == 1]


def random_op(n: int, rng: np.random.Generator) -> GateOp:
    """Half of the ops are 1-qubit gates, so fused blocks of every length and both flags appear."""
    pool = ONE_QUBIT if rng.random() < 0.5 else [g for g in sorted(GATES) if GATES[g].num_qubits <= n]
    spec = GATES[str(rng.choice(pool))]
    qubits = [int(q) for q in rng.permutation(n)]
    k = spec.num_qubits
    controls = tuple(qubits[k:k + int(rng.integers(0, min(2, n - k) + 1))]) if rng.random() < 0.3 else ()
    values = tuple(bool(v) for v in rng.integers(0, 2, size=len(controls)))
    params = tuple(Arg("theta", (int(rng.integers(0, 6)),)) if rng.random() < 0.7 else Const(float(rng.normal()))
                   for _ in range(spec.num_params))
    return GateOp(spec.name, tuple(qubits[:k]), params, controls, values)


@pytest.mark.parametrize("seed", range(12))
def test_random_circuits_fill_like_the_host(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 6))
    ops = tuple(random_op(n, rng) for _ in range(40))
    plan = lower(Circuit("c", (), n, ops, (State(),)))
    assert_fill_matches(plan, rng)


def test_long_fused_chains_multiply_in_order() -> None:
    """Single-qubit runs of several lengths: dense and diagonal blocks, no other gate."""
    rng = np.random.default_rng(11)
    dense = [GateOp(g, (0,), (Arg("theta", (j % 4,)),)) for j, g in enumerate(["rx", "ry", "rz"] * 7)]
    diagonal = [GateOp(g, (1,), (Arg("theta", (j % 4,)),)) for j, g in enumerate(["rz", "phase"] * 5)]
    fixed = [GateOp(g, (2,)) for g in ["h", "s", "t", "sx", "y"]]
    assert_fill_matches(lower(Circuit("c", (), 3, tuple(dense + diagonal + fixed), (State(),))), rng)


def test_a_plan_without_matrices_writes_nothing() -> None:
    plan = lower(Circuit("c", (), 2, (GateOp("cx", (0, 1)),), (State(),)))
    assert CompiledFill(plan)(np.zeros((2, 0))).shape == (2, 1)


# --- IR size ---------------------------------------------------------------------------

SIZE_GATES = ["rx", "ry", "rz", "u3", "rot", "h", "cx", "crz", "rzz", "cphase", "single_excitation"]


def module_text(plan: KernelPlan) -> tuple[str, str]:
    """(code, tables): the functions' text and the constant tables' text of the fill's module."""
    module = ir.Module(name="size")
    emit_fill(module, plan, "fill")
    lines = str(module).splitlines()
    tables = [line for line in lines if line.startswith("@")]
    return "\n".join(line for line in lines if not line.startswith("@")), "\n".join(tables)


def cycling_plan(count: int, qubits: int = 4) -> KernelPlan:
    ops = []
    for j in range(count):
        spec = GATES[SIZE_GATES[j % len(SIZE_GATES)]]
        targets = tuple((j + t) % qubits for t in range(spec.num_qubits))
        ops.append(GateOp(spec.name, targets, tuple(Arg("theta", ((j + p) % 8,)) for p in range(spec.num_params))))
    return lower(Circuit("c", (), qubits, tuple(ops), (State(),)))


def test_code_size_does_not_grow_with_the_op_count() -> None:
    small_code, _ = module_text(cycling_plan(110))
    large_code, large_tables = module_text(cycling_plan(11_000))
    assert len(large_code) <= 1.05 * len(small_code)
    assert len(large_tables) < 11_000 * 60  # a few i64s per op


def test_one_long_fused_block_is_a_loop_not_straight_line_code() -> None:
    def chain(count: int) -> KernelPlan:
        ops = tuple(GateOp("ry" if j % 2 else "rz", (0,), (Arg("theta", (j % 3,)),)) for j in range(count))
        return lower(Circuit("c", (), 1, ops, (State(),)))

    assert len(module_text(chain(10_000))[0]) <= 1.05 * len(module_text(chain(10))[0])
