"""The invariants every front-end run must keep, whatever its input, and guards for checking them.

Shared by the fuzzer (`test_fuzz.py`) and the regression tests of the crashes
it found (`test_crash_regressions.py`).
"""

from __future__ import annotations

import resource
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qdl.compiler.diagnostics import Severity
from qdl.compiler.driver import CompileOptions, CompileResult, compile_source

# A program using most of the language (const, observable, shape variables, loops, measurement,
# conditions): the seed of the fuzzer's mutations and a parser test.
EXAMPLE = """\
const N = 3;
observable H = 0.5 * Z[0] Z[1] - 0.2 * X[2] + 0.1;
gate layer(w: float[n, 3]) q[n] { for i in 0..n { rot(w[i, 0], w[i, 1], w[i, 2]) q[i]; } for i in 0..n { cx q[i], q[(i + 1) % n]; } }
circuit f(x: float[N], param w: float[2, N, 3]) -> float {
    qubit q[N];
    bit c[1];
    for l in 0..2 { for i in 0..N { rx(x[i]) q[i]; } layer(w[l]) q; }
    c[0] = measure q[2];
    if (c[0] == 1) { x q[0]; }
    return expval(H);
}
"""

TIME_LIMIT_S = 2.0
MEMORY_HEADROOM = 2 << 30  # a runaway allocation fails with MemoryError instead of swapping
# Small limits keep every input cheap: 2**18 amplitudes, a few thousand ops.
OPTIONS = CompileOptions(max_ops=5_000, max_state_bytes=16 << 18)


class CompilerHang(Exception):
    """The compiler ran past the fuzzing time limit."""


# ---------------------------------------------------------------- the property


def check_compiles_cleanly(text: str, base_dir: Path) -> CompileResult:
    """Compile `text` and assert every front-end invariant a user relies on."""
    with time_limit(TIME_LIMIT_S):
        result = compile_source(text, "fuzz.qdl", OPTIONS, base_dir=base_dir)
        rich, short = result.render(), result.render("short")
    sources = result.sink.sources
    for diagnostic in result.sink.diagnostics:
        assert diagnostic.severity is not Severity.BUG, rich
        assert diagnostic.message and diagnostic.code, rich
        for label in diagnostic.labels:
            assert label.span.file in sources, f"span in an unknown file: {label.span}"
            size = len(sources.text(label.span.file))
            assert 0 <= label.span.start <= label.span.end <= size, f"span {label.span} outside 0..{size}"
    assert all("\n" not in d.message for d in result.sink.diagnostics), rich
    assert len(short.splitlines()) == len(result.sink.diagnostics), short
    assert result.ok == (not result.sink.has_errors)
    return result


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def expire(signum, frame):
        raise CompilerHang(f"compilation took more than {seconds} s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def memory_cap() -> Iterator[None]:
    """Cap the address space while fuzzing so that a huge allocation raises instead of thrashing."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = _current_vm_bytes() + MEMORY_HEADROOM
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _current_vm_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 4 << 30
