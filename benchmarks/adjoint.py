"""Value and gradient by the compiled adjoint vs qdl-llvm's own forward, and vs the numpy adjoint.

    python benchmarks/adjoint.py [--sizes 8 12 16] [--layers 5] [--repeats 7]

Workload: the hardware-efficient ansatz of `forward.py` (RY, RZ on every qubit
and a CNOT ring per layer), result <Z0>, one set of parameters.  All timings
go through the public API (`CircuitFunction`), so host work is included:
forward = `f(theta)` on backend "llvm"; value+gradient =
`f.value_and_grad(theta, method="adjoint")` on "llvm" and on "reference".
A plain unbatched float64 `theta` takes both kernels' fast paths (buffers
allocated once; every matrix and derivative built in compiled code), so the
llvm value+gradient is two kernel calls and a little host work; the issue's
target is value+gradient <= 3x forward at n = 8, 12, 16.
Prints a markdown table; ratios, not seconds, carry over on a shared machine.
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np

from forward import ansatz, fmt, timed
from qdl.api import CircuitFunction


def row(n: int, layers: int, repeats: int) -> str:
    circuit = ansatz(n, layers)
    theta = np.random.default_rng(n).uniform(-np.pi, np.pi, size=(layers, n, 2))
    fast, slow = CircuitFunction(circuit, "llvm"), CircuitFunction(circuit, "reference")
    forward = timed(lambda: fast(theta), repeats)
    compiled = timed(lambda: fast.value_and_grad(theta, method="adjoint"), repeats)
    numpy_adjoint = timed(lambda: slow.value_and_grad(theta, method="adjoint"), max(1, repeats // 3))
    _, got = fast.value_and_grad(theta, method="adjoint")
    _, want = slow.value_and_grad(theta, method="adjoint")
    ratio = statistics.median(compiled) / statistics.median(forward)
    speedup = statistics.median(numpy_adjoint) / statistics.median(compiled)
    return (f"| {n} | {fmt(forward)} | {fmt(compiled)} | {ratio:.2f}× | {fmt(numpy_adjoint)} | "
            f"{speedup:.0f}× | {np.abs(got - want).max():.1e} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[8, 12, 16])
    parser.add_argument("--layers", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=7)
    opts = parser.parse_args()
    print("| n | llvm forward | llvm value+grad (adjoint) | / forward | numpy adjoint | numpy / llvm | max |Δgrad| |")
    print("|---|---|---|---|---|---|---|")
    for n in opts.sizes:
        print(row(n, opts.layers, opts.repeats), flush=True)


if __name__ == "__main__":
    main()
