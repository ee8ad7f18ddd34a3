"""Scale-out: LocalExecutor threads and a 2-worker Dask LocalCluster against one thread.

    python benchmarks/scaling.py [--qubits 16] [--params 200] [--points 4096] [--data-qubits 10]
                                 [--repeats 3] [--workers 2]

Workloads (docs/scaling.md says what each executor does with them):

* "shift gradient": the parameter-shift gradient of one point of an
  n-qubit circuit with P parameters (RY layers and a CNOT chain, ⟨Z0 Z(n-1)⟩):
  1 + 2P evaluations, sharing their prefixes; on Dask cut into parts of the
  shifted evaluations (each part continues its own unshifted evaluation);
* "forward batch": a data-encoding classifier (`--data-qubits`, angles from
  a data row, two trained RY layers) at `--points` data points, one
  `expval` each; on Dask cut into row chunks.

Each is timed with `LocalExecutor(threads=1)`, `LocalExecutor(threads=2)` and
a `DaskExecutor` on a `LocalCluster` of `--workers` one-thread worker
processes (loopback only), after one untimed call that compiles the kernels
(on the workers too).  The median of `--repeats` timed calls, the three
executors interleaved; speedup = one thread's time / the executor's.  The
results of every executor are checked identical to one thread's.

Dask's dispatch cost per task: a 2-qubit circuit over 400 rows with
`chunk_size=1` (400 tasks of ~1 µs of kernel work), wall time per task, set
against the kernel time of one task of each workload at the default
chunking (one thread's time / tasks), to show the chunking amortizes it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

import qdl
from qdl.runtime.executors import DaskExecutor, LocalExecutor


def gradient_source(n: int, params: int) -> str:
    """RY on every qubit then a CNOT chain, layer after layer, until `params` angles are placed."""
    body = []
    for k in range(params):
        body.append(f"ry(w[{k}]) q[{k % n}];")
        if k % n == n - 1:
            body += [f"cx q[{q}], q[{q + 1}];" for q in range(n - 1)]
    return (f"circuit grad_f(param w: float[{params}]) -> float {{ qubit q[{n}]; " + " ".join(body)
            + f" return expval(Z[0] Z[{n - 1}]); }}")


def forward_source(n: int) -> str:
    """Angle encoding of a data row, two trained RY layers with CNOT chains, one expectation."""
    body = [f"ry(x[{q}]) q[{q}];" for q in range(n)]
    for layer in range(2):
        body += [f"ry(w[{layer}, {q}]) q[{q}];" for q in range(n)]
        body += [f"cx q[{q}], q[{q + 1}];" for q in range(n - 1)]
    return (f"circuit forward_f(x: float[{n}], param w: float[2, {n}]) -> float {{ qubit q[{n}]; "
            + " ".join(body) + " return expval(Z[0]); }")


def timed(calls: dict, repeats: int) -> dict[str, list[float]]:
    """Seconds of each call, interleaved, `repeats` times each."""
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
    return times


def same(left, right) -> bool:
    left, right = (left, right) if isinstance(left, tuple) else ((left,), (right,))
    return all(np.array_equal(a, b) for a, b in zip(left, right))


def workload(name: str, run, executors: dict, repeats: int) -> dict[str, float]:
    """Warm every executor, check its result against one thread's, then time them interleaved."""
    reference = run(executors["local, 1 thread"])
    for label, chosen in executors.items():
        if not same(run(chosen), reference):
            raise SystemExit(f"{name}: {label} computed other bits than one thread")
    times = timed({label: (lambda c=chosen: run(c)) for label, chosen in executors.items()}, repeats)
    return {label: statistics.median(ts) for label, ts in times.items()}


def dispatch_per_task(client, rows: int = 400) -> float:
    """Seconds of wall time per task of a tiny circuit with one row per task."""
    tiny = qdl.compile("circuit tiny(t: float) -> float { qubit q[2]; ry(t) q[0]; cx q[0], q[1]; "
                       "return expval(Z[1]); }").tiny
    dask = DaskExecutor(client, chunk_size=1)
    t = np.linspace(0, 1, rows)
    tiny(t, executor=dask)
    return statistics.median(timed({"d": lambda: tiny(t, executor=dask)}, 3)["d"]) / rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qubits", type=int, default=16)
    parser.add_argument("--params", type=int, default=200)
    parser.add_argument("--points", type=int, default=4096)
    parser.add_argument("--data-qubits", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    opts = parser.parse_args()
    from distributed import Client, LocalCluster
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (a loaded machine shares its cores: "
          "speedups above then measure the CPU share granted as much as the executors)\n")
    cluster = LocalCluster(n_workers=opts.workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None)
    client = Client(cluster, set_as_default=False)
    try:
        dask = DaskExecutor(client)
        executors = {"local, 1 thread": LocalExecutor(1), "local, 2 threads": LocalExecutor(2),
                     f"Dask, {opts.workers} workers": dask}
        grad_f = qdl.compile(gradient_source(opts.qubits, opts.params)).grad_f
        w = np.random.default_rng(0).uniform(-np.pi, np.pi, opts.params)
        forward_f = qdl.compile(forward_source(opts.data_qubits)).forward_f
        rng = np.random.default_rng(1)
        x, w2 = rng.uniform(0, np.pi, (opts.points, opts.data_qubits)), rng.uniform(-1, 1, (2, opts.data_qubits))
        rows = {
            f"shift gradient, n={opts.qubits}, P={opts.params} ({1 + 2 * opts.params} evaluations)":
                (lambda e: grad_f.grad(w, method="parameter-shift", executor=e), 1 + 2 * opts.params),
            f"forward batch, n={opts.data_qubits}, {opts.points} points":
                (lambda e: forward_f(x, w2, executor=e), opts.points),
        }
        per_task = dispatch_per_task(client)
        tasks = 2 * sum(client.nthreads().values())  # the default: CHUNKS_PER_WORKER tasks per worker thread
        print("| workload | " + " | ".join(executors) + " | Dask tasks | kernel time per task |")
        print("|---|" + "---|" * (len(executors) + 2))
        for name, (run, _) in rows.items():
            medians = workload(name, run, executors, opts.repeats)
            one = medians["local, 1 thread"]
            cells = [f"{one * 1e3:.0f} ms (1.00×)"] + [f"{m * 1e3:.0f} ms ({one / m:.2f}×)"
                                                       for label, m in medians.items() if label != "local, 1 thread"]
            print(f"| {name} | " + " | ".join(cells) + f" | {tasks} | {one / tasks * 1e6:,.0f} µs |")
        print(f"\nDask dispatch: {per_task * 1e6:,.0f} µs of wall time per task (400 one-row tasks of a 2-qubit "
              f"circuit, {opts.workers} workers)")
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":
    main()
