"""Benchmark the optimization passes (a script, not a test).

    python benchmarks/passes.py [--corpus DIR] [--sizes 1000,10000,100000]

1. For every OpenQASM 2 circuit of the corpus: two-qubit gate count and depth
   before and after `-O3` (and after Qiskit's `transpile(optimization_level=3)`
   to a cx + single-qubit basis, when Qiskit is importable), plus totals.
2. Wall time of `-O3` on random n-gate circuits (the 2 s budget is for 10k gates).

Counts: `2q` counts gates acting on exactly two qubits (controls included);
gates on three or more (`ccx`, `cswap`) are reported apart as `mq`, since qdl
does not lower them to `cx` yet while Qiskit does.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import qdl
from qdl.compiler.expr import Const
from qdl.compiler.ir import Circuit, GateOp, Module, Probs
from qdl.compiler.passes import PassManager, circuit_stats, pipeline_for

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "qasm2"


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
    return qc.count_ops().get("cx", 0), qc.depth()


def corpus_table(corpus: Path) -> None:
    rows, totals = [], [0, 0, 0, 0, 0, 0]
    for path in sorted(corpus.glob("*.qasm")):
        try:
            module = qdl.load(path).module
        except qdl.CompileError:
            continue
        out = PassManager(pipeline_for(3)).run(module)
        a, b = circuit_stats(module.circuits[0]), circuit_stats(out.circuits[0])
        q = qiskit_counts(path)
        rows.append((path.stem, a, b, q))
        for i, v in enumerate((a.two_qubit, b.two_qubit, a.depth, b.depth, a.multi_qubit, b.multi_qubit)):
            totals[i] += v
    print(f"{'circuit':<36} {'2q':>7} {'2q -O3':>7} {'depth':>7} {'-O3':>7} {'mq':>4} {'qiskit 2q/depth':>16}")
    for name, a, b, q in rows:
        qk = f"{q[0]}/{q[1]}" if q else "-"
        print(f"{name:<36} {a.two_qubit:>7} {b.two_qubit:>7} {a.depth:>7} {b.depth:>7} {b.multi_qubit:>4} {qk:>16}")
    print(f"{'TOTAL (' + str(len(rows)) + ' circuits)':<36} {totals[0]:>7} {totals[1]:>7} "
          f"{totals[2]:>7} {totals[3]:>7} {totals[5]:>4}")


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
    args = parser.parse_args(argv)
    corpus_table(args.corpus)
    scaling([int(s) for s in args.sizes.split(",")])


if __name__ == "__main__":
    main(sys.argv[1:])
