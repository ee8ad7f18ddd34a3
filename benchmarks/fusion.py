"""Two-qubit fusion: the row costs its model uses, and fused against unfused kernels on whole circuits.

    python benchmarks/fusion.py [--qubits 20] [--sizes 12 20 22] [--repeats 5]

Part 1 times each kind of kernel row on a 2^n state (n = 20 by default; one
stage, so every row runs on L2-resident chunks, as inside a blocked kernel)
at high positions (3, 5), at the two lowest (0, 1) and with the target low
and the control high (5, 0: a controlled gate's packed path), as the mean time of
100 rows minus a baseline, relative to a dense 1-qubit row: the numbers
`compiler/backends/llvm/fuse2.py` uses.  Part 2 compiles each workload twice
(`QDL_FUSE_QUBITS=2`, the default, and `=1`) and times the two kernels
alternately, so that load on a shared machine hits both alike; the ratio
is fused / unfused (below 1: fusion helps).  One thread.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from qdl.compiler.expr import Const
from qdl.compiler.ir import Circuit, ExpVal, GateOp, Observable, PauliTerm
from qdl.runtime.llvm import kernel
from qdl.runtime.llvm.kernel import compile_circuit

REPS = 100
Z0 = (ExpVal(Observable((PauliTerm(1.0, ((0, "Z"),)),))),)


def gate(name: str, qubits: tuple[int, ...], *angles: float) -> GateOp:
    return GateOp(name, qubits, tuple(Const(a) for a in angles))


def best_time(ops: list[GateOp], n: int, repeats: int) -> float:
    compiled = compile_circuit(Circuit("c", (), n, tuple(ops), Z0))
    compiled.run({})
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        compiled.run({})
        times.append(time.perf_counter() - start)
    return min(times)


def row_cases(a: int, b: int) -> dict[str, list[GateOp]]:
    """Each case: REPS copies of one row kind (dense1 and diag1 need a flip or scale between them)."""
    return {
        "scale (cz)": [gate("cz", (a, b)) for _ in range(REPS)],
        "flip (cx)": [gate("cx", (a, b)) for _ in range(REPS)],
        "dense1 + flip": [g for i in range(REPS) for g in (gate("ry", (a,), 0.1 * i), gate("cx", (a, b)))],
        "multiplexed (ry, cx)": [g for i in range(REPS) for g in (gate("ry", (b,), 0.1 * i), gate("cx", (a, b)))],
        "controlled (crz)": [gate("crz", (a, b), 0.1 * i) for i in range(REPS)],
        "diagonal 4x4 (rzz)": [gate("rzz", (a, b), 0.1 * i) for i in range(REPS)],
        "dense 4x4 (rxx)": [gate("rxx", (a, b), 0.1 * i) for i in range(REPS)],
    }


def row_costs(n: int, repeats: int) -> None:
    os.environ["QDL_FUSE_QUBITS"] = "1"  # rows as written, not fused
    base_ops = [gate("h", (q,)) for q in range(n)]
    print(f"\n## Row costs, 2^{n} amplitudes, relative to a dense 1-qubit row\n")
    print("| row | qubits 3, 5 | qubits 0, 1 | qubits 5, 0 |\n|---|---|---|---|")
    columns = []
    for a, b in ((3, 5), (0, 1), (5, 0)):
        base = best_time(base_ops, n, repeats)
        per = {name: (best_time(base_ops + ops, n, repeats) - base) / REPS for name, ops in row_cases(a, b).items()}
        per["dense1"] = per.pop("dense1 + flip") - per["flip (cx)"]
        columns.append({name: value / per["dense1"] for name, value in per.items()})
    for name in columns[0]:
        print(f"| {name} | " + " | ".join(f"{c[name]:.2f}" for c in columns) + " |")
    os.environ.pop("QDL_FUSE_QUBITS")


def ansatz(n: int, layers: int = 10) -> list[GateOp]:
    rng = np.random.default_rng(n)
    ops = []
    for _ in range(layers):
        ops += [gate(g, (q,), rng.uniform(-3, 3)) for q in range(n) for g in ("ry", "rz")]
        ops += [gate("cx", (q, (q + 1) % n)) for q in range(n)]
    return ops


def qaoa(n: int, layers: int = 4) -> list[GateOp]:
    """MaxCut QAOA on a ring: rzz on every edge, then rx on every qubit."""
    ops = [gate("h", (q,)) for q in range(n)]
    for layer in range(layers):
        ops += [gate("rzz", (q, (q + 1) % n), 0.3 + layer) for q in range(n)]
        ops += [gate("rx", (q,), 0.7 - layer) for q in range(n)]
    return ops


def brickwork(n: int, layers: int = 10) -> list[GateOp]:
    """Random 2-qubit unitaries as KAK-style cx/ry/rz sequences on alternating pairs."""
    rng = np.random.default_rng(n)
    ops = []
    for layer in range(layers):
        for q in range(layer % 2, n - 1, 2):
            for _ in range(3):
                ops += [gate("ry", (q,), rng.uniform(-3, 3)), gate("rz", (q + 1,), rng.uniform(-3, 3)),
                        gate("cx", (q, q + 1))]
    return ops


def qft(n: int) -> list[GateOp]:
    ops = []
    for target in range(n):
        ops.append(gate("h", (target,)))
        ops += [gate("cp", (c, target), np.pi / 2 ** (c - target)) for c in range(target + 1, n)]
    return ops + [gate("swap", (q, n - 1 - q)) for q in range(n // 2)]


def compiled(ops: list[GateOp], n: int, fuse: bool):
    os.environ["QDL_FUSE_QUBITS"] = "2" if fuse else "1"
    kernel._CIRCUITS.clear()  # the in-process cache is keyed by circuit, not by the knob
    out = compile_circuit(Circuit("c", (), n, tuple(ops), Z0))
    os.environ.pop("QDL_FUSE_QUBITS")
    return out


def whole_circuits(sizes: list[int], repeats: int) -> None:
    print("\n## Fused / unfused, whole circuits (alternate calls; median and min–max of per-pair ratios)\n")
    print("| workload | n | rows fused / unfused | fused | ratio |\n|---|---|---|---|---|")
    for name, build in (("ansatz L=10", ansatz), ("qaoa ring p=4", qaoa), ("brickwork L=10", brickwork),
                        ("qft", qft)):
        for n in sizes:
            ops = build(n)
            fused, plain = compiled(ops, n, True), compiled(ops, n, False)
            assert abs(fused.run({})[0] - plain.run({})[0]).max() < 1e-9
            pairs = []
            for _ in range(repeats):
                times = []
                for k in (fused, plain):
                    start = time.perf_counter()
                    k.run({})
                    times.append(time.perf_counter() - start)
                pairs.append(times)
            t = np.array(pairs)
            ratio = t[:, 0] / t[:, 1]
            print(f"| {name} | {n} | {len(fused.plan.rows)} / {len(plain.plan.rows)} | {np.median(t[:, 0]) * 1e3:.1f} ms "
                  f"| {np.median(ratio):.2f} ({ratio.min():.2f}–{ratio.max():.2f}) |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qubits", type=int, default=20, help="state size of the row-cost part")
    parser.add_argument("--sizes", type=int, nargs="+", default=[12, 20, 22])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    row_costs(args.qubits, args.repeats)
    whole_circuits(args.sizes, args.repeats)


if __name__ == "__main__":
    main()
