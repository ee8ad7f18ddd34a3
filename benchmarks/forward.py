"""Forward hardware-efficient ansatz and per-call latency: qdl-llvm vs qdl's numpy reference.

    python benchmarks/forward.py [--sizes 12 16 20 22] [--layers 10] [--repeats 3] [--precision double|single|both]

Workloads (../shared/reference/perf_baselines.md): L layers of RY then RZ on
every qubit, then a CNOT ring i -> i+1 mod n; result <Z0>.  Per-call latency:
n=4, L=2, new parameters every call, through `CompiledCircuit.run`.
Peers (qulacs, pennylane-lightning, qiskit-aer) are timed only when importable;
they are never project dependencies.  Prints a markdown table; ratios, not seconds,
are what carry over between runs on this shared machine.  `--precision single`
times the complex64 kernel; `both` adds a table of double / single time ratios.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import time

import numpy as np

from qdl.compiler.expr import Arg
from qdl.compiler.ir import Argument, Circuit, ExpVal, GateOp, Observable, PauliTerm
from qdl.runtime import reference
from qdl.runtime.llvm import compile_circuit
from qdl.runtime.llvm import jit

Z0 = ExpVal(Observable((PauliTerm(1.0, ((0, "Z"),)),)))


def ansatz(n: int, layers: int) -> Circuit:
    ops: list[GateOp] = []
    for layer in range(layers):
        for q in range(n):
            ops.append(GateOp("ry", (q,), (Arg("theta", (layer, q, 0)),)))
            ops.append(GateOp("rz", (q,), (Arg("theta", (layer, q, 1)),)))
        ops.extend(GateOp("cx", (q, (q + 1) % n)) for q in range(n))
    return Circuit("ansatz", (Argument("theta", "float", (layers, n, 2), True),), n, tuple(ops), (Z0,))


def timed(fn, repeats: int) -> list[float]:
    fn()  # warm-up
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def fmt(seconds: list[float]) -> str:
    med = statistics.median(seconds)
    unit, scale = ("ms", 1e3) if med < 1 else ("s", 1.0)
    return f"{med * scale:.3g} {unit} ({min(seconds) * scale:.3g}–{max(seconds) * scale:.3g})"


def forward_row(n: int, layers: int, repeats: int, reference_max_n: int, precision: str = "double") -> str:
    c = ansatz(n, layers)
    args = {"theta": np.random.default_rng(n).uniform(-np.pi, np.pi, size=(1, layers, n, 2))}
    start = time.perf_counter()
    compiled = compile_circuit(c, precision=precision)
    compile_s = time.perf_counter() - start
    fast = timed(lambda: compiled.run(args), repeats)
    value = compiled.run(args)[0][0]
    gbs = len(c.ops) * 2 * 2**n * (16 if precision == "double" else 8) / statistics.median(fast) / 1e9
    row = f"| {n} | {len(c.ops)} | {compile_s * 1e3:.0f} ms | {fmt(fast)} | {gbs:.0f} |"
    if n > reference_max_n:
        return row + " skipped | — | — |"
    slow = timed(lambda: reference.simulate(c, args), max(1, repeats // 2))
    check = abs(reference.simulate(c, args)[0][0] - value)
    ratios = [s / f for s in slow for f in fast]
    return row + f" {fmt(slow)} | {statistics.median(ratios):.1f}× ({min(ratios):.1f}–{max(ratios):.1f}) | {check:.1e} |"


def precision_row(n: int, layers: int, repeats: int) -> str:
    """Double and single kernels of one ansatz, timed alternately (the machine's load hits both alike)."""
    c = ansatz(n, layers)
    args = {"theta": np.random.default_rng(n).uniform(-np.pi, np.pi, size=(1, layers, n, 2))}
    kernels = {p: compile_circuit(c, precision=p) for p in ("double", "single")}
    times: dict[str, list[float]] = {"double": [], "single": []}
    for _ in range(repeats):
        for p, compiled in kernels.items():
            times[p] += timed(lambda: compiled.run(args), 1)
    ratios = [d / s for d, s in zip(times["double"], times["single"])]
    diff = abs(kernels["double"].run(args)[0][0] - kernels["single"].run(args)[0][0])
    return (f"| {n} | {fmt(times['double'])} | {fmt(times['single'])} | {statistics.median(ratios):.2f}× "
            f"({min(ratios):.2f}–{max(ratios):.2f}) | {diff:.1e} |")


def bandwidth_probe(n: int = 24, repeats: int = 5) -> float:
    """numpy in-place `a *= s` on a 2^n complex128 array, read + write counted (GB/s, median)."""
    a = np.ones(2**n, dtype=np.complex128)
    times = timed(lambda: a.__imul__(1.0000001), repeats)
    return 2 * a.nbytes / statistics.median(times) / 1e9


def latency_row(calls: int) -> str:
    c = ansatz(4, 2)
    compiled = compile_circuit(c)
    rng = np.random.default_rng(0)
    params = [{"theta": rng.uniform(-np.pi, np.pi, size=(1, 2, 4, 2))} for _ in range(calls)]
    loops = []
    for _ in range(3):
        start = time.perf_counter()
        for p in params:
            compiled.run(p)
        loops.append((time.perf_counter() - start) / calls)
    ref = []
    for _ in range(3):
        start = time.perf_counter()
        for p in params[: calls // 10]:
            reference.simulate(c, p)
        ref.append((time.perf_counter() - start) / (calls // 10))
    us = [x * 1e6 for x in loops]
    ref_us = [x * 1e6 for x in ref]
    return (f"| per-call, n=4 L=2 | {statistics.median(us):.1f} µs ({min(us):.1f}–{max(us):.1f}) | "
            f"{statistics.median(ref_us):.0f} µs ({min(ref_us):.0f}–{max(ref_us):.0f}) | "
            f"{statistics.median(ref_us) / statistics.median(us):.1f}× |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[12, 16, 20, 22])
    parser.add_argument("--layers", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--reference-max-n", type=int, default=20)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--precision", choices=["double", "single", "both"], default="double")
    opts = parser.parse_args()
    peers = [m for m in ("qulacs", "pennylane_lightning", "qiskit_aer") if importlib.util.find_spec(m)]
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs, "
          f"host cpu {jit.target_machine() and __import__('llvmlite.binding').binding.get_host_cpu_name()}, "
          f"peers importable: {peers or 'none'}\n")
    print(f"numpy in-place bandwidth probe (2^24 complex128): {bandwidth_probe():.1f} GB/s\n")
    print("| n | ops | compile (cold or disk) | qdl-llvm | eff. GB/s | reference | reference / llvm | abs diff |")
    print("|---|---|---|---|---|---|---|---|")
    for n in opts.sizes:
        print(forward_row(n, opts.layers, opts.repeats, opts.reference_max_n,
                          "single" if opts.precision == "single" else "double"), flush=True)
    if opts.precision == "both":
        print("\n| n | double | single | double / single | abs diff |\n|---|---|---|---|---|")
        for n in opts.sizes:
            print(precision_row(n, opts.layers, opts.repeats), flush=True)
    print("\n| workload | qdl-llvm | reference | reference / llvm |\n|---|---|---|---|")
    print(latency_row(opts.calls), flush=True)


if __name__ == "__main__":
    main()
