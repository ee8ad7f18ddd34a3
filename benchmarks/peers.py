"""Side-by-side peer benchmark: qdl's LLVM back end against qulacs, lightning.qubit and qiskit-aer.

    bash benchmarks/setup_peers.sh                  # once: the separate venv /work/bench-venv
    /work/bench-venv/bin/python benchmarks/peers.py [--quick] [--sizes N ...]
        [--workloads forward qft grad overhead] [--budget SECONDS] [--threads N] [--write]

Workloads of ../shared/reference/perf_baselines.md, all in one process and one
thread: forward (ansatz L=10), qft, grad (ansatz L=5, <Z0> and its gradient)
and overhead (n=4, L=2, 1,000 calls with new parameters), plus the numpy
in-place bandwidth probe at the start and the end.  Every library is first
validated against qdl's reference simulator on small instances.  A point is
a warm-up call (left out above WARMUP_LIMIT seconds) and the median of 5, 3,
2 or 1 repeats; points estimated over the budget (from the same library's
previous size) are skipped.  `--sizes` replaces the sizes of forward, qft and
grad; `--write` rewrites the section of benchmarks/README.md between
`<!-- peers:begin -->` and `<!-- peers:end -->`.  `--threads N` gives every
library N threads instead (OpenMP knobs, Aer's `max_parallel_threads`, qdl's
executor) and writes between `<!-- peers-threadsN:begin -->` and
`<!-- peers-threadsN:end -->`.
"""

from __future__ import annotations

import os
import sys


def _threads_in_argv() -> int:
    """`--threads N` read before argparse: the thread knobs must be set before numpy and the peers load."""
    for k, arg in enumerate(sys.argv):
        text = arg.split("=", 1)[1] if arg.startswith("--threads=") else \
            sys.argv[k + 1] if arg == "--threads" and k + 1 < len(sys.argv) else None
        if text is not None:
            return int(text) if text.isdigit() and int(text) > 0 else 1  # argparse reports a bad value
    return 1


THREADS = _threads_in_argv()
THREAD_KNOBS = ("OMP_NUM_THREADS", "QULACS_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMEXPR_NUM_THREADS")
for _knob in THREAD_KNOBS:  # before numpy and the peers are imported
    os.environ[_knob] = str(THREADS)

import argparse  # noqa: E402
import gc  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field, replace  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Callable  # noqa: E402

import numpy as np  # noqa: E402

import peer_libraries as libs  # noqa: E402
import peer_report as report  # noqa: E402
from peer_workloads import Workload, ansatz, qft  # noqa: E402

WORKLOADS = ("forward", "qft", "grad", "overhead")
FULL_SIZES = {"forward": [12, 16, 20, 22, 24], "qft": [20, 22], "grad": [8, 12, 16]}
QUICK_SIZES = {"forward": [8, 12], "qft": [8, 12], "grad": [6, 8]}
WARMUP_LIMIT = 10.0  # seconds: a longer call is its own warm-up
OVERHEAD_QUBITS, OVERHEAD_LAYERS = 4, 2


@dataclass(frozen=True)
class Contender:
    """One library (or one qdl path) on one workload: `make(w)` prepares a callable params -> result."""

    name: str
    make: Callable[[Workload], Callable[[np.ndarray], object]]
    per_param: bool = False  # cost grows with the number of parameters (parameter shift)


@dataclass
class Point:
    """The timings of one contender on one workload (seconds; empty when skipped)."""

    contender: str
    workload: Workload
    seconds: list[float] = field(default_factory=list)
    setup: float = 0.0
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


class Estimator:
    """Predicts a point's time from the same contender's last point, scaled by 2^n · gates (· P)."""

    def __init__(self) -> None:
        self.last: dict[tuple[str, str], tuple[float, float]] = {}

    def work(self, c: Contender, w: Workload) -> float:
        return 2.0**w.n * len(w.gates) * (w.num_params if c.per_param else 1)

    def estimate(self, c: Contender, w: Workload) -> float | None:
        previous = self.last.get((c.name, w.kind))
        return None if previous is None else previous[1] * self.work(c, w) / previous[0]

    def record(self, c: Contender, w: Workload, seconds: float) -> None:
        self.last[(c.name, w.kind)] = (self.work(c, w), seconds)


def repeats_for(seconds: float, most: int) -> int:
    for limit, count in ((1.0, 5), (5.0, 3), (20.0, 2)):
        if seconds < limit:
            return min(count, most)
    return 1


def clock(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def time_point(c: Contender, w: Workload, estimator: Estimator, budget: float, most: int) -> Point:
    """One point, or a skipped one when its estimate is over `budget` or the library raised."""
    estimate = estimator.estimate(c, w)
    if estimate is not None and estimate > budget:
        return Point(c.name, w, note=f"est. {estimate:.0f} s > {budget:.0f} s budget")
    try:
        point = measure(c, w, estimate, most)
    except Exception as exc:  # a broken path (the tree may change mid-run) must not end a long run
        return Point(c.name, w, note=f"failed: {type(exc).__name__}: {exc}"[:200])
    estimator.record(c, w, point.median)
    return point


def measure(c: Contender, w: Workload, estimate: float | None, most: int) -> Point:
    """Prepare, warm up (unless the call is expected to be long) and time the repeats."""
    params = np.random.default_rng(w.n).uniform(-np.pi, np.pi, w.num_params)
    start = time.perf_counter()
    call = c.make(w)
    setup = time.perf_counter() - start
    warm_up = estimate is None or estimate < WARMUP_LIMIT
    guess = clock(lambda: call(params)) if warm_up else estimate
    seconds = [clock(lambda: call(params)) for _ in range(repeats_for(guess, most))]
    return Point(c.name, w, seconds, setup)


# --- contenders per workload -------------------------------------------------------------


def forward_contenders(peers: dict[str, object]) -> list[Contender]:
    qdl = libs.Qdl("llvm", THREADS)
    return [Contender(qdl.name, qdl.forward)] + [Contender(p.name, p.forward) for p in peers.values()]


def grad_contenders(peers: dict[str, object]) -> list[Contender]:
    qdl = libs.Qdl("llvm", THREADS)
    out = [Contender("qdl adjoint", qdl.value_and_grad),
           Contender("qdl parameter-shift", lambda w: qdl.value_and_grad(w, "parameter-shift"), per_param=True)]
    for name in ("lightning.qubit", "qulacs"):
        if name in peers:
            label = "lightning.qubit adjoint" if name == "lightning.qubit" else "qulacs backprop"
            out.append(Contender(label, peers[name].value_and_grad))
    return out


def overhead_contenders(peers: dict[str, object]) -> list[Contender]:
    """forward's contenders plus qdl's kernel called directly, to show what the API layer costs."""
    api, *others = forward_contenders(peers)
    kernel = libs.QdlKernel()
    return [api, Contender(kernel.name, kernel.forward), *others]


def sized_workloads(kind: str, sizes: list[int]) -> list[Workload]:
    if kind == "forward":
        return [ansatz(n, 10) for n in sizes]
    if kind == "qft":
        return [qft(n) for n in sizes]
    return [replace(ansatz(n, 5), kind="grad") for n in sizes]


def run_sized(kind: str, sizes: list[int], contenders: list[Contender], budget: float, most: int) -> list[Point]:
    estimator = Estimator()
    points = []
    for w in sized_workloads(kind, sizes):
        for c in contenders:
            point = time_point(c, w, estimator, budget, most)
            gc.collect()  # free the contender's state vectors before the next one allocates its own
            print(report.progress_line(point), flush=True)
            points.append(point)
    return points


def run_overhead(contenders: list[Contender], calls: int) -> list[Point]:
    """Per-call seconds over `calls` calls with new parameters each, three loops after a warm-up."""
    w = replace(ansatz(OVERHEAD_QUBITS, OVERHEAD_LAYERS), kind="overhead")
    batches = np.random.default_rng(0).uniform(-np.pi, np.pi, (calls, w.num_params))
    points = []
    for c in contenders:
        try:
            points.append(Point(c.name, w, per_call_seconds(c.make(w), batches)))
        except Exception as exc:  # as in `time_point`
            points.append(Point(c.name, w, note=f"failed: {type(exc).__name__}: {exc}"[:200]))
        print(report.progress_line(points[-1]), flush=True)
    return points


def per_call_seconds(call: Callable[[np.ndarray], object], batches: np.ndarray) -> list[float]:
    for params in batches[:20]:
        call(params)
    return [clock(lambda: [call(p) for p in batches]) / len(batches) for _ in range(3)]


# --- validation --------------------------------------------------------------------------


def validate(peers: dict[str, object]) -> tuple[list[report.Check], dict[str, object]]:
    """Compare states and gradients with qdl's reference simulator; drop peers that disagree or fail."""
    reference = libs.Qdl("reference")
    circuit = ansatz(5, 2).then(qft(5))
    params = np.random.default_rng(5).uniform(-np.pi, np.pi, circuit.num_params)
    expected = reference.state(circuit, params)
    checks = [check(lib.name, circuit.label, lambda: np.max(np.abs(lib.state(circuit, params) - expected)))
              for lib in [libs.Qdl("llvm"), *peers.values()]]
    small = ansatz(4, 2)
    params = np.random.default_rng(4).uniform(-np.pi, np.pi, small.num_params)
    value, grad = reference.value_and_grad(small)(params)

    def gradient_error(lib) -> float:
        v, g = lib.value_and_grad(small)(params)
        return max(abs(v - value), np.max(np.abs(g - grad)))
    checks += [check(lib.name, "value+grad n=4", lambda: gradient_error(lib))
               for lib in [libs.Qdl("llvm"), *peers.values()] if hasattr(lib, "value_and_grad")]
    bad = {c.library for c in checks if not c.ok}
    return checks, {name: p for name, p in peers.items() if name not in bad}


def check(library: str, instance: str, max_abs_diff: Callable[[], float]) -> report.Check:
    try:
        return report.Check(library, instance, float(max_abs_diff()))
    except Exception as exc:  # reported in the table; the library is then left out
        return report.Check(library, instance, float("nan"), f"{type(exc).__name__}: {exc}"[:120])


def load_peers() -> dict[str, object]:
    peers = {}
    for adapter in (libs.Qulacs, libs.Lightning, libs.Aer):
        try:
            lib = adapter(THREADS) if adapter is libs.Aer else adapter()
        except ImportError as exc:
            print(f"peer {adapter.name} not importable ({exc}); skipped", flush=True)
            continue
        peers[lib.name] = lib
    return peers


def bandwidth_probe(repeats: int = 5) -> float:
    """numpy in-place `a *= s` on 256 MiB of complex128, read + write counted (GB/s, median)."""
    a = np.ones(2**24, dtype=np.complex128)
    times = [clock(lambda: a.__imul__(1.0000001)) for _ in range(repeats + 1)][1:]
    return 2 * a.nbytes / statistics.median(times) / 1e9


# --- driver ------------------------------------------------------------------------------


def _positive(text: str) -> int:
    if not (text.isdigit() and int(text) > 0):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (under 2 minutes)")
    parser.add_argument("--sizes", type=int, nargs="+", help="qubit counts for forward, qft and grad")
    parser.add_argument("--workloads", nargs="+", choices=WORKLOADS, default=list(WORKLOADS))
    parser.add_argument("--budget", type=float, help="skip points estimated over this many seconds "
                        "(default 60, --quick 5)")
    parser.add_argument("--calls", type=int, help="overhead calls per loop (default 1000, --quick 200)")
    parser.add_argument("--threads", type=_positive, default=1, help="threads for every library (default 1)")
    parser.add_argument("--write", action="store_true", help="rewrite the peers section of benchmarks/README.md")
    return parser.parse_args()


def main() -> None:
    opts = parse_args()
    budget = opts.budget or (5.0 if opts.quick else 60.0)
    most = 3 if opts.quick else 5
    sizes = {k: opts.sizes or v for k, v in (QUICK_SIZES if opts.quick else FULL_SIZES).items()}
    run = report.RunInfo.start(bandwidth_probe(), budget, THREAD_KNOBS, THREADS)
    checks, peers = validate(load_peers())
    print(report.validation_table(checks), flush=True)
    points: list[Point] = []
    contenders = {"forward": forward_contenders, "qft": forward_contenders, "grad": grad_contenders}
    for kind in [k for k in WORKLOADS[:3] if k in opts.workloads]:
        points += run_sized(kind, sizes[kind], contenders[kind](peers), budget, most)
    if "overhead" in opts.workloads:
        points += run_overhead(overhead_contenders(peers), opts.calls or (200 if opts.quick else 1000))
    if "grad" in opts.workloads:
        run.notes.append(f"qdl's gradients (`value_and_grad(method=...)`) ran on {libs.qdl_adjoint_path()}.")
    run.finish(bandwidth_probe())
    text = report.render(run, checks, points)
    print("\n" + text)
    if opts.write:
        report.write_section(Path(__file__).with_name("README.md"), text, THREADS)


if __name__ == "__main__":
    main()
