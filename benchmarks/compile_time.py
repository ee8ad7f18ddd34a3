"""Kernel compile time, cold and from the disk cache, for circuits of 1,000 to 100,000 ops.

    python benchmarks/compile_time.py [--sizes 1000 10000 100000]

Each measurement runs in a fresh process (so nothing is linked yet) against
a fresh cache directory: "cold" compiles the runtime library and the kernel,
"warm" is a second process loading the same circuit from disk.  Circuits are
random 1- and 2-qubit gates with symbolic angles on 16 qubits, built directly
as IR (the front end's time is not part of this).  "lower" is building the
plan in Python, "load" the rest (key, disk or LLVM, linking).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

CHILD = r"""
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


def measure(ops: int, cache: str) -> dict:
    env = {"QDL_CACHE_DIR": cache, "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", CHILD, str(ops)], capture_output=True, text=True, env=env,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    opts = parser.parse_args()
    print("| ops | cold: total (LLVM compiles) | warm: total | warm: lower | warm: load |")
    print("|---|---|---|---|---|")
    for ops in opts.sizes:
        with tempfile.TemporaryDirectory() as cache:
            cold, warm = measure(ops, cache), measure(ops, cache)
        print(f"| {ops:,} | {cold['total']:.2f} s ({cold['llvm']}) | {warm['total'] * 1e3:.0f} ms "
              f"({warm['llvm']}) | {warm['lower'] * 1e3:.0f} ms | {(warm['total'] - warm['lower']) * 1e3:.0f} ms |",
              flush=True)


if __name__ == "__main__":
    main()
