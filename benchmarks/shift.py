"""Parameter shift on the LLVM kernel: shared prefixes against re-simulating every shifted circuit.

    python benchmarks/shift.py [--sizes 8 12 16] [--layers 5] [--repeats 5]

The workload is the peers' grad ansatz (RY+RZ on every qubit, CNOT ring, L
layers, ⟨Z0⟩).  "shared" is qdl's parameter shift as shipped: each angle's
shifted evaluations continue from the state at its gate.  "from |0>" runs
the same evaluations from the start (every evaluation in one batch, the
behaviour before prefix sharing), obtained by making a kernel call look
too expensive to save anything.  The two are interleaved; the ratio is
shared / from |0>.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import qdl
from qdl.runtime.llvm import shift


def ansatz_source(n: int, layers: int) -> str:
    body = []
    for layer in range(layers):
        body += [f"ry(t[{layer}, {q}, 0]) q[{q}]; rz(t[{layer}, {q}, 1]) q[{q}];" for q in range(n)]
        body += [f"cx q[{q}], q[{(q + 1) % n}];" for q in range(n)]
    return (f"circuit f(param t: float[{layers}, {n}, 2]) -> float {{ qubit q[{n}]; "
            + " ".join(body) + " return expval(Z[0]); }")


def timed(call, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[8, 12, 16])
    parser.add_argument("--layers", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    opts = parser.parse_args()
    print("| n | params | shared | from \\|0> | shared / from \\|0> |\n|---|---|---|---|---|")
    for n in opts.sizes:
        f = qdl.compile(ansatz_source(n, opts.layers), backend="llvm").f
        t = np.random.default_rng(n).uniform(-np.pi, np.pi, (opts.layers, n, 2))
        grad = (lambda: f.grad(t, method="parameter-shift"))
        cost = shift.CALL_COST
        shared, whole = [], []
        for _ in range(opts.repeats):
            shift.CALL_COST = cost
            grad()
            shared += timed(grad, 1)
            shift.CALL_COST = 1 << 62
            whole += timed(grad, 1)
        shift.CALL_COST = cost
        a, b = statistics.median(shared), statistics.median(whole)
        print(f"| {n} | {t.size} | {a * 1e3:.1f} ms | {b * 1e3:.1f} ms | {a / b:.2f} |", flush=True)


if __name__ == "__main__":
    main()
