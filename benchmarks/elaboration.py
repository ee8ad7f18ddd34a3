"""Elaboration time (AST -> IR, after parsing) of long programs of one statement shape each.

    python benchmarks/elaboration.py [--ops 100000] [--repeats 3]

Each program is parsed once; then `ModuleLoader.compile_program` (what
`compile_source` runs after the parser) is timed on a deep-stack thread with
the collector paused, as in production.  The time is that thread's CPU time,
best of the repeats, so other load on the machine disturbs it little.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from qdl.compiler.deep_stack import run_deep
from qdl.compiler.diagnostics import DiagnosticSink
from qdl.compiler.frontend.modules import ModuleLoader
from qdl.compiler.frontend.parser import parse
from qdl.compiler.frontend.statements import CompileOptions

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compile_time import program_text  # noqa: E402  (the benchmark's straight-line circuit)

HEAD = "gate pair(a) x, y { rx(a) x; cx x, y; }\ncircuit c(param t: float[64]) -> float {\n qubit q[16];\n"
SHAPES = {  # shape -> body of about n ops
    "ctrl": lambda n: "\n".join(f" ctrl @ rx(t[{k % 64}]) q[{k % 16}], q[{(k + 3) % 16}];" for k in range(n)),
    "inv negctrl": lambda n: "\n".join(f" inv @ negctrl @ s q[{k % 16}], q[{(k + 3) % 16}];" for k in range(n)),
    "user gate in a loop": lambda n: f" for i in 0..{n // 2} {{ pair(t[i % 64]) q[i % 16], q[(i + 1) % 16]; }}",
    "for loops": lambda n: "\n".join(" for i in 0..15 { cx q[i], q[i + 1]; rz(t[i]) q[i]; }" for _ in range(n // 30)),
    "broadcast": lambda n: "\n".join(" h q; rx(t[0]) q;" for _ in range(n // 32)),
    "angle expressions": lambda n: "\n".join(f" rx(2 * t[{k % 64}] + 0.5) q[{k % 16}];" for k in range(n)),
}


def elaboration_time(text: str, repeats: int) -> tuple[float, int]:
    """Best thread CPU time of elaborating `text`, and the number of ops it gives."""
    program = run_deep(parse, text, "bench.qdl", DiagnosticSink())

    def once() -> tuple[float, int]:
        sink = DiagnosticSink()
        start = time.thread_time()
        module = ModuleLoader(sink, CompileOptions()).compile_program(program, Path.cwd(), None)
        elapsed = time.thread_time() - start
        assert not sink.has_errors, sink.diagnostics[0]
        return elapsed, len(module.circuits[0].ops)

    runs = [run_deep(once) for _ in range(repeats)]
    return min(t for t, _ in runs), runs[0][1]


def main() -> None:
    """Print one table row per shape: ops, seconds, microseconds an op."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    texts = {"straight line (compile_time.py)": program_text(args.ops)}
    texts.update({shape: HEAD + body(args.ops) + "\n return expval(Z[0]);\n}\n" for shape, body in SHAPES.items()})
    print("| shape | ops | elaboration (CPU) | per op |")
    print("|---|---|---|---|")
    for shape, text in texts.items():
        seconds, ops = elaboration_time(text, args.repeats)
        print(f"| {shape} | {ops:,} | {seconds:.2f} s | {seconds / ops * 1e6:.1f} µs |", flush=True)


if __name__ == "__main__":
    main()
