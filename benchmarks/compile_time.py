"""Compile time, cold and from the disk caches, for circuits of 1,000 to 100,000 ops.

    python benchmarks/compile_time.py [--sizes 1000 10000 100000] [--only kernel|program]

Each measurement runs in a fresh process against a fresh cache directory:
"cold" compiles everything, "warm" is a second process loading the same
thing from disk.  Circuits are random 1- and 2-qubit gates with symbolic
angles on 16 qubits.

* kernel: the circuit is built directly as IR (the front end's time is not
  part of it); "lower" is building the plan in Python, "load" the rest (key,
  disk or LLVM, linking).
* program: the same circuit as a `.qdl` file through `qdl.load` (front end,
  program cache, kernel): "import" is `import qdl` and its LLVM runtime
  (which `load` and calls need), "load" is `qdl.load(path)`, "kernel" what
  the first call does before it evaluates (link the kernel from disk, or
  compile it), "run" one evaluation (16 qubits: simulation, not compiling).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

KERNEL_CHILD = r"""
import json, sys, time
import numpy as np
from qdl.compiler.expr import Arg
from qdl.compiler.ir import Argument, Circuit, ExpVal, GateOp, Observable, PauliTerm
from qdl.compiler.backends.llvm import lower
from qdl.runtime.llvm import compile_circuit, jit

ops, n = int(sys.argv[1]), 16
rng = np.random.default_rng(ops)
gates = []
for k in range(ops):
    q = [int(x) for x in rng.permutation(n)[:2]]
    kind = rng.integers(4)
    if kind == 0:
        gates.append(GateOp("cx", (q[0], q[1])))
    else:
        gates.append(GateOp(("rx", "ry", "rz")[kind - 1], (q[0],), (Arg("t", (k % 64,)),)))
circuit = Circuit("c", (Argument("t", "float", (64,), True),), n, tuple(gates),
                  (ExpVal(Observable((PauliTerm(1.0, ((0, "Z"),)),))),))
start = time.perf_counter()
lower(circuit)
lowered = time.perf_counter() - start
start = time.perf_counter()
compile_circuit(circuit)
total = time.perf_counter() - start
print(json.dumps({"lower": lowered, "total": total, "llvm": jit.STATS["llvm_compiles"]}))
"""

PROGRAM_CHILD = r"""
import json, sys, time
start = time.perf_counter()
import numpy as np
import qdl
import qdl.runtime.llvm  # what `load` and a call need besides `import qdl` (llvmlite, the code generator)
from qdl.runtime.llvm import jit, lazy_program, program_cache
imported = time.perf_counter()
program = qdl.load(sys.argv[1])
loaded = time.perf_counter()
program.c._compiled()  # the kernel linked (from disk) or compiled: what a first call does before running
linked = time.perf_counter()
t = np.linspace(0.0, 1.0, 64)
program.c(t)
first = time.perf_counter()
program.c(t)
second = time.perf_counter()
print(json.dumps({"import": imported - start, "load": loaded - imported, "link": linked - loaded,
                  "first": first - loaded, "run": second - first, "llvm": jit.STATS["llvm_compiles"],
                  "front_end": program_cache.STATS["front_end_runs"] + lazy_program.STATS["materialized"]}))
"""


def program_text(ops: int, n: int = 16) -> str:
    """The kernel benchmark's random circuit as a `.qdl` program (same seed, same gates)."""
    rng = np.random.default_rng(ops)
    lines = ["circuit c(param t: float[64]) -> float {", f"    qubit q[{n}];"]
    for k in range(ops):
        q = [int(x) for x in rng.permutation(n)[:2]]
        kind = rng.integers(4)
        if kind == 0:
            lines.append(f"    cx q[{q[0]}], q[{q[1]}];")
        else:
            lines.append(f"    {('rx', 'ry', 'rz')[kind - 1]}(t[{k % 64}]) q[{q[0]}];")
    return "\n".join(lines + ["    return expval(Z[0]);", "}", ""])


def measure(child: str, argument: str, cache: str) -> dict:
    env = {"QDL_CACHE_DIR": cache, "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", child, argument], capture_output=True, text=True, env=env,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def kernel_table(sizes: list[int]) -> None:
    print("| ops | cold: total (LLVM compiles) | warm: total | warm: lower | warm: load |")
    print("|---|---|---|---|---|")
    for ops in sizes:
        with tempfile.TemporaryDirectory() as cache:
            cold, warm = measure(KERNEL_CHILD, str(ops), cache), measure(KERNEL_CHILD, str(ops), cache)
        print(f"| {ops:,} | {cold['total']:.2f} s ({cold['llvm']}) | {warm['total'] * 1e3:.0f} ms "
              f"({warm['llvm']}) | {warm['lower'] * 1e3:.0f} ms | {(warm['total'] - warm['lower']) * 1e3:.0f} ms |",
              flush=True)


def program_table(sizes: list[int]) -> None:
    print("| ops | cold: load | cold: kernel | warm: load | warm: kernel | warm: load + kernel | warm: run "
          "| warm: LLVM, front end | import |")
    print("|---|---|---|---|---|---|---|---|---|")
    for ops in sizes:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"random{ops}.qdl"
            path.write_text(program_text(ops))
            cache = str(Path(folder) / "cache")
            cold, warm = measure(PROGRAM_CHILD, str(path), cache), measure(PROGRAM_CHILD, str(path), cache)
        ms = (lambda seconds: f"{seconds * 1e3:.0f} ms")
        print(f"| {ops:,} | {cold['load']:.2f} s | {cold['link']:.2f} s | {ms(warm['load'])} | {ms(warm['link'])} "
              f"| {ms(warm['load'] + warm['link'])} | {ms(warm['run'])} | {warm['llvm']}, {warm['front_end']} "
              f"| {ms(warm['import'])} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--only", choices=("kernel", "program"))
    opts = parser.parse_args()
    if opts.only != "program":
        kernel_table(opts.sizes)
    if opts.only != "kernel":
        print()
        program_table(opts.sizes)


if __name__ == "__main__":
    main()
