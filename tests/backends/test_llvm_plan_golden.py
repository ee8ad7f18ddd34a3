"""Kernel plans of many random circuits, pinned: a faster planner must build the very same plans.

The digests in `golden/plan_fingerprints.txt` were made by the planner as it
was before its speed-ups; `pytest --update-goldens` rewrites them (only do
that for a change that is meant to change plans, and say so in the commit).

A digest is `kernel.fingerprint` (everything the code generator reads; it
keys the on-disk kernel cache) with the generator's source digest held
fixed, since editing the planner's source changes that part by design, plus
what the host reads besides: the slot expressions, occurrences, final places
and the fixed gates' entries.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from qdl.compiler.backends.llvm import lower
from qdl.compiler.backends.llvm.plan import KernelPlan
from qdl.compiler.expr import Arg, Const, Expr, apply, mul, neg
from qdl.compiler.gates import GATES
from qdl.compiler.ir import (
    Argument, BarrierOp, Circuit, ExpVal, GateOp, Observable, PauliTerm, Probs, Result,
)
from qdl.runtime.llvm import kernel

GOLDEN = Path(__file__).parent / "golden" / "plan_fingerprints.txt"
CIRCUITS = 120  # per configuration; sizes cycle through 1..20 qubits
CONFIGS = [  # (fusion env value, precision, distinct slots, relabel swaps, block)
    ("2", "double", False, False, None),
    ("1", "double", False, False, None),
    ("2", "single", False, True, None),
    ("1", "single", True, False, None),
    ("2", "double", True, True, 7),
    ("1", "double", False, True, 8),
    ("2", "single", False, False, 9),
]
NAMES = sorted(GATES)


def _param(rng: np.random.Generator) -> Expr:
    """A repeated argument element (shared slots), a constant or a small expression of an argument."""
    kind = int(rng.integers(5))
    arg = Arg("t", (int(rng.integers(6)),))
    if kind == 0:
        return Const(round(float(rng.uniform(-4, 4)), 3))
    if kind == 1:
        return mul(arg, 2.0)
    if kind == 2:
        return neg(apply("sin", arg))
    return arg


def _gate(rng: np.random.Generator, n: int) -> GateOp | BarrierOp | None:
    """A random op on `n` qubits: any table gate, with extra `ctrl`/`negctrl` controls where they fit."""
    if rng.random() < 0.03:
        return BarrierOp(tuple(range(n)))
    spec = GATES[NAMES[int(rng.integers(len(NAMES)))]]
    if spec.num_qubits > n:
        return None
    extra = int(rng.integers(0, min(n - spec.num_qubits, 3) + 1)) if rng.random() < 0.25 else 0
    qubits = [int(q) for q in rng.permutation(n)[:spec.num_qubits + extra]]
    values = tuple(bool(v) for v in rng.random(extra) < 0.7)
    params = tuple(_param(rng) for _ in range(spec.num_params))
    return GateOp(spec.name, tuple(qubits[extra:]), params, tuple(qubits[:extra]), values)


def _circuit(seed: int) -> Circuit:
    """Circuit `seed`: 1..20 qubits, mostly short, now and then long enough to fill many stages."""
    rng = np.random.default_rng(seed)
    n = 1 + seed % 20
    length = int(rng.integers(1, 40)) if seed % 7 else int(rng.integers(200, 600))
    mix = rng.random() < 0.5  # half the circuits are mostly rotations and CNOTs: long fusable runs
    ops = []
    while len(ops) < length:
        if mix and n >= 2 and rng.random() < 0.8:
            q = [int(x) for x in rng.permutation(n)[:2]]
            gate = "cx" if rng.random() < 0.3 else ("rx", "ry", "rz", "h", "t")[int(rng.integers(5))]
            params = (Arg("t", (int(rng.integers(6)),)),) if gate.startswith("r") else ()
            ops.append(GateOp(gate, (q[0], q[1]) if gate == "cx" else (q[0],), params))
            continue
        op = _gate(rng, n)
        if op is not None:
            ops.append(op)
    results: tuple[Result, ...] = (ExpVal(Observable((PauliTerm(0.5, ((n - 1, "Z"),)),))),
                                   Probs(tuple(range(min(n, 3)))))
    return Circuit("c", (Argument("t", "float", (6,), True),), n, tuple(ops), results)


def benchmark_circuit(length: int, n: int = 16) -> Circuit:
    """`benchmarks/compile_time.py`'s circuit: random rotations with symbolic angles and CNOTs."""
    rng = np.random.default_rng(length)
    ops = []
    for k in range(length):
        q = [int(x) for x in rng.permutation(n)[:2]]
        kind = rng.integers(4)
        if kind == 0:
            ops.append(GateOp("cx", (q[0], q[1])))
        else:
            ops.append(GateOp(("rx", "ry", "rz")[kind - 1], (q[0],), (Arg("t", (k % 64,)),)))
    return Circuit("c", (Argument("t", "float", (64,), True),), n, tuple(ops),
                   (ExpVal(Observable((PauliTerm(1.0, ((0, "Z"),)),))),))


def plan_digest(plan: KernelPlan, monkeypatch: pytest.MonkeyPatch) -> str:
    """`fingerprint` without the generator source, and the host's tables besides."""
    monkeypatch.setattr(kernel, "_GENERATOR_DIGEST", b"plan-golden")
    digest = hashlib.sha256(kernel.fingerprint(plan).encode())
    digest.update(repr((plan.slots, plan.occurrences, plan.final_places)).encode())
    for group in plan.groups:
        if group.fixed is not None:
            digest.update(np.ascontiguousarray(group.fixed).tobytes())
    return digest.hexdigest()


def _digests(monkeypatch: pytest.MonkeyPatch) -> str:
    lines = []
    for index, (fuse, precision, distinct, relabel, block) in enumerate(CONFIGS):
        monkeypatch.setenv("QDL_FUSE_QUBITS", fuse)
        for seed in range(CIRCUITS):
            circuit = _circuit(1000 * index + seed)
            plan = lower(circuit, block=block, distinct_slots=distinct, relabel_swaps=relabel, precision=precision)
            lines.append(f"{index} {seed} {plan_digest(plan, monkeypatch)}")
    for fuse in ("1", "2"):
        monkeypatch.setenv("QDL_FUSE_QUBITS", fuse)
        lines.append(f"benchmark fuse={fuse} {plan_digest(lower(benchmark_circuit(20000)), monkeypatch)}")
    return "\n".join(lines) + "\n"


def test_plans_match_the_goldens(monkeypatch: pytest.MonkeyPatch, golden) -> None:
    golden(GOLDEN, _digests(monkeypatch))


def test_the_circuits_cover_the_gate_table() -> None:
    seen = {op.gate for seed in range(CIRCUITS) for op in _circuit(seed).ops if isinstance(op, GateOp)}
    assert seen == set(GATES)


def test_the_digest_sees_a_changed_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    plan = lower(_circuit(3))
    moved = KernelPlan(**{**{f: getattr(plan, f) for f in plan.__dataclass_fields__}, "aux": plan.aux + (0,)})
    assert plan_digest(plan, monkeypatch) != plan_digest(moved, monkeypatch)
