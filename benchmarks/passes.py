"""Benchmark the optimization passes (a script, not a test).

    python benchmarks/passes.py [--corpus DIR] [--sizes 1000,10000,100000] [--markdown FILE]

1. For every OpenQASM 2 circuit of the corpus: two-qubit count and depth
   before and after qdl, side by side with Qiskit's
   `transpile(optimization_level=3)` to a `cx` + `u` basis without a coupling
   map (when Qiskit is importable; it is never a qdl dependency).
2. Wall time of `-O3` on random n-gate circuits (the 2 s budget is for 10k gates).

qdl's side of the comparison runs `CX_PIPELINE`: `-O3`, then `lower-to-cx`
(every two-qubit gate as `cx`: `cz`, `cphase`, `swap` ... count what they
cost in `cx`), then `-O3` again to clean up what the lowering exposed.  Both
sides count `cx` (Qiskit's inside `if_else` blocks too) and depth with
measurements and without barriers.  `2q -O3` is plain `-O3` (any two-qubit
gate counts one).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import qdl
from qdl.compiler.expr import Const
from qdl.compiler.ir import Circuit, GateOp, Module, Probs
from qdl.compiler.passes import PRESETS, PassManager, circuit_stats, pipeline_for

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "qasm2"
CX_PIPELINE = ",".join(PRESETS[3] + ["lower-to-cx"] + PRESETS[3])


@dataclass(frozen=True)
class Row:
    name: str
    two_qubit_in: int
    two_qubit_o3: int
    cx: int
    depth: int
    seconds: float
    qiskit: tuple[int, int] | None  # (cx, depth)


def _cx_in(circuit: Any) -> int:
    """`cx` in a Qiskit circuit, counting inside control-flow blocks (`if_else` bodies)."""
    count = 0
    for instruction in circuit.data:
        count += instruction.operation.name == "cx"
        count += sum(_cx_in(block) for block in getattr(instruction.operation, "blocks", ()))
    return count


def qiskit_counts(path: Path) -> tuple[int, int] | None:
    """(cx count, depth) after Qiskit's level-3 transpile, or None without Qiskit."""
    try:
        from qiskit import QuantumCircuit, transpile
    except ImportError:
        return None
    try:
        qc = transpile(QuantumCircuit.from_qasm_file(str(path)), basis_gates=["cx", "u"],
                       optimization_level=3, seed_transpiler=0)
    except Exception:  # noqa: BLE001 - a circuit Qiskit cannot read is reported as missing
        return None
    return _cx_in(qc), qc.depth()


def measure(path: Path) -> Row | None:
    try:
        module = qdl.load(path).module
    except qdl.CompileError:
        return None
    o3 = PassManager(pipeline_for(3)).run(module)
    start = time.perf_counter()
    cx = PassManager(pipeline_for(passes=CX_PIPELINE)).run(module)
    seconds = time.perf_counter() - start
    a, b, c = (circuit_stats(m.circuits[0]) for m in (module, o3, cx))
    assert c.two_qubit == c.by_kind.get("cx", 0) and not c.multi_qubit, f"{path.stem}: not in the cx basis"
    return Row(path.stem, a.two_qubit + a.multi_qubit, b.two_qubit + b.multi_qubit, c.two_qubit, c.depth,
               seconds, qiskit_counts(path))


def _ratio(ours: int, theirs: int) -> str:
    return f"{ours / theirs:.2f}" if theirs else ("1.00" if ours == 0 else "inf")


def table(rows: list[Row]) -> str:
    """The per-circuit markdown table, totals over the circuits both sides ran."""
    lines = ["| circuit | 2q in | 2q `-O3` | qdl cx | Qiskit cx | cx ratio | qdl depth | Qiskit depth | depth ratio |",
             "|---|--:|--:|--:|--:|--:|--:|--:|--:|"]
    totals = [0] * 7
    for r in rows:
        qk = r.qiskit
        cells = [str(qk[0]), _ratio(r.cx, qk[0]), str(r.depth), str(qk[1]), _ratio(r.depth, qk[1])] if qk \
            else ["-", "-", str(r.depth), "-", "-"]
        lines.append(f"| {r.name} | {r.two_qubit_in} | {r.two_qubit_o3} | {r.cx} | " + " | ".join(cells) + " |")
        if qk:
            for i, v in enumerate((r.two_qubit_in, r.two_qubit_o3, r.cx, qk[0], r.depth, qk[1], 1)):
                totals[i] += v
    t = totals
    lines.append(f"| **total ({t[6]} circuits)** | {t[0]} | {t[1]} | {t[2]} | {t[3]} | {_ratio(t[2], t[3])} "
                 f"| {t[4]} | {t[5]} | {_ratio(t[4], t[5])} |")
    return "\n".join(lines)


def worst(rows: list[Row], count: int = 5) -> str:
    scored = sorted((r.cx / max(r.qiskit[0], 1), r.name) for r in rows if r.qiskit)
    return "worst cx ratios: " + ", ".join(f"{name} {ratio:.2f}" for ratio, name in scored[::-1][:count])


def qdl_totals(rows: list[Row]) -> str:
    """qdl's totals over every circuit it ran (the table's totals need Qiskit's rows)."""
    sums = [sum(getattr(r, f) for r in rows) for f in ("two_qubit_in", "two_qubit_o3", "cx", "depth")]
    return f"qdl totals over {len(rows)} circuits: 2q in {sums[0]}, 2q -O3 {sums[1]}, cx {sums[2]}, depth {sums[3]}"


def random_circuit(num_gates: int, num_qubits: int = 16, seed: int = 0) -> Module:
    """Random cx/h/t/rz/x gates: enough structure for every pass to find work."""
    rng = random.Random(seed)
    ops = []
    for _ in range(num_gates):
        kind = rng.choice(["cx", "cx", "h", "t", "tdg", "rz", "x", "s"])
        if kind == "cx":
            ops.append(GateOp("cx", tuple(rng.sample(range(num_qubits), 2))))
        elif kind == "rz":
            ops.append(GateOp("rz", (rng.randrange(num_qubits),), (Const(rng.uniform(-3, 3)),)))
        else:
            ops.append(GateOp(kind, (rng.randrange(num_qubits),)))
    circuit = Circuit("r", (), num_qubits, tuple(ops), (Probs(tuple(range(num_qubits))),))
    return Module((circuit,))


def scaling(sizes: list[int]) -> None:
    print(f"\n{'gates':>8} {'-O3 seconds':>12} {'gates after':>12}")
    for n in sizes:
        module = random_circuit(n)
        start = time.perf_counter()
        out = PassManager(pipeline_for(3)).run(module)
        seconds = time.perf_counter() - start
        print(f"{n:>8} {seconds:>12.3f} {circuit_stats(out.circuits[0]).gates:>12}")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--markdown", type=Path, help="also write the corpus table to this file")
    args = parser.parse_args(argv)
    rows = [r for r in map(measure, sorted(args.corpus.glob("*.qasm"))) if r is not None]
    text = table(rows)
    print(text)
    print(worst(rows))
    print(qdl_totals(rows))
    print(f"qdl cx pipeline: {sum(r.seconds for r in rows):.2f} s over {len(rows)} circuits")
    if args.markdown:
        args.markdown.write_text(text + "\n")
    if args.sizes:
        scaling([int(s) for s in args.sizes.split(",")])


if __name__ == "__main__":
    main(sys.argv[1:])
