"""Benchmark layout and routing on falcon27 against Qiskit's SABRE (a script, not a test).

    python benchmarks/routing.py [--corpus DIR] [--trials N] [--markdown FILE]

For every OpenQASM 2 and 3 circuit of the corpus (`qasm2/`, `qasm3/`; the
parametric `gradients/` ones are left out) with at most 27 qubits, qdl runs
`layout{device=falcon27},route{device=falcon27}` (gates on 3+ qubits are
lowered first, as both passes do).  Qiskit (when importable; never a qdl
dependency) gets the *same* circuits, exported by qdl as OpenQASM 2:

* `SabreSwap(heuristic="decay", trials=20)` on the circuit as qdl's `layout`
  placed it: SWAP insertion alone, from the same initial layout (20 trials
  and the decay heuristic are what `transpile` uses at levels 2 and 3);
* `SabreLayout(max_iterations=4, layout_trials=20, swap_trials=20)` on the
  circuit before layout: Qiskit's own layout plus routing, against qdl's
  `layout` + `route`.

Counted: SWAPs added; after routing, two-qubit gates (a SWAP counts one) and
depth (measurements counted, barriers not), as in benchmarks/passes.py.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from passes import CORPUS, _ratio

import qdl
from qdl.compiler.ir import Module
from qdl.compiler.passes import PassContext, PassManager, circuit_stats
from qdl.compiler.passes.route import CouplingMap
from qdl.compiler.passes.route.coupling import device_and_map
from qdl.compiler.passes.route.common import prepare
from qdl.compiler.qasm.export import QasmExportError, to_qasm2

DEVICE = "falcon27"
QISKIT_TRIALS = 20
HEADER = """# Routing on falcon27: per-circuit table

Written by `/work/bench-venv/bin/python benchmarks/routing.py --markdown benchmarks/routing.md`
(qdl's defaults: `layout` 8 trials, `route` 20 trials; Qiskit 2.6.2 `SabreSwap(heuristic="decay", trials=20)` from
qdl's initial layout, and `SabreLayout(max_iterations=4, layout_trials=20, swap_trials=20)` from scratch, seed 0).
Every circuit gets its gates on 3+ qubits lowered by qdl first, and Qiskit reads that circuit as qdl exports it.
`2q` counts a SWAP as one gate; depth counts measurements, not barriers. benchmarks/README.md, "Routing (falcon27)",
has the summary.

"""


@dataclass(frozen=True)
class Row:
    """One circuit's numbers: qdl's, and Qiskit's (None without Qiskit)."""

    name: str
    qubits: int
    two_qubit_in: int
    swaps: int
    two_qubit: int
    depth: int
    seconds: float
    qiskit_swap: tuple[int, int, int] | None  # SabreSwap from qdl's layout: (swaps, 2q, depth)
    qiskit_full: int | None  # SabreLayout + routing: swaps


def _count(circuit: Any, names: set[str] | None = None) -> int:
    """Operations named in `names` (every two-qubit op if None), inside control-flow blocks too."""
    count = 0
    for instruction in circuit.data:
        op = instruction.operation
        blocks = getattr(op, "blocks", ())
        if blocks:
            count += sum(_count(block, names) for block in blocks)
        elif names is None:
            count += op.num_qubits == 2 and op.name not in ("barrier", "measure")
        else:
            count += op.name in names
    return count


def qiskit_routes(placed: str, lowered: str, cmap: CouplingMap) -> tuple[tuple[int, int, int], int] | None:
    """Qiskit's SabreSwap on `placed` and SabreLayout on `lowered` (OpenQASM 2), or None without Qiskit."""
    try:
        from qiskit import QuantumCircuit
        from qiskit.transpiler import CouplingMap as QiskitMap, PassManager as QiskitPM
        from qiskit.transpiler.passes import SabreLayout, SabreSwap
    except ImportError:
        return None
    edges = [list(e) for a, b in cmap.edges() for e in ((a, b), (b, a))]
    coupling = QiskitMap(edges)
    swap = QiskitPM([SabreSwap(coupling, heuristic="decay", seed=0, trials=QISKIT_TRIALS)])
    routed = swap.run(QuantumCircuit.from_qasm_str(placed))
    layout = QiskitPM([SabreLayout(coupling, seed=0, max_iterations=4, layout_trials=QISKIT_TRIALS,
                                   swap_trials=QISKIT_TRIALS)])
    full = layout.run(QuantumCircuit.from_qasm_str(lowered))
    return (_count(routed, {"swap"}), _count(routed), routed.depth()), _count(full, {"swap"})


def measure(path: Path, trials: int | None) -> Row | None:
    """One corpus circuit routed by qdl (and Qiskit); None if it does not load or fit."""
    try:
        module = qdl.load(path).module
    except qdl.CompileError:
        return None
    device, cmap = device_and_map(DEVICE)
    circuit = module.circuits[0]
    if circuit.num_qubits > device.num_qubits or circuit.arguments:
        return None
    lowered = prepare(circuit, device)
    ctx = PassContext()
    start = time.perf_counter()
    options = f",trials={trials}" if trials else ""
    placed = PassManager.from_text(f"layout{{device={DEVICE}{options}}}").run(Module((lowered,)), ctx)
    routed = PassManager.from_text(f"route{{device={DEVICE}{options}}}").run(placed, ctx)
    seconds = time.perf_counter() - start
    out = circuit_stats(routed.circuits[0])
    try:
        qiskit = qiskit_routes(to_qasm2(placed.circuits[0]), to_qasm2(lowered), cmap)
    except QasmExportError:  # reported as missing (OpenQASM 2 cannot say it)
        qiskit = None
    return Row(path.stem, circuit.num_qubits, circuit_stats(lowered).two_qubit,
               ctx.facts["layout"][circuit.name].swaps, out.two_qubit, out.depth, seconds,
               qiskit[0] if qiskit else None, qiskit[1] if qiskit else None)


def table(rows: list[Row]) -> str:
    """The per-circuit markdown table; totals over the circuits both sides ran."""
    lines = ["| circuit | qubits | 2q in | qdl swaps | SabreSwap swaps | ratio | qdl 2q | Qiskit 2q | qdl depth "
             "| Qiskit depth | SabreLayout+Swap swaps |",
             "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    t = [0] * 8
    for r in rows:
        if r.qiskit_swap is None or r.qiskit_full is None:
            lines.append(f"| {r.name} | {r.qubits} | {r.two_qubit_in} | {r.swaps} | - | - | {r.two_qubit} | - "
                         f"| {r.depth} | - | - |")
            continue
        qs, qf = r.qiskit_swap, r.qiskit_full
        lines.append(f"| {r.name} | {r.qubits} | {r.two_qubit_in} | {r.swaps} | {qs[0]} | {_ratio(r.swaps, qs[0])} "
                     f"| {r.two_qubit} | {qs[1]} | {r.depth} | {qs[2]} | {qf} |")
        for i, v in enumerate((r.swaps, qs[0], r.two_qubit, qs[1], r.depth, qs[2], qf, 1)):
            t[i] += v
    lines.append(f"| **total ({t[7]} circuits)** | | | {t[0]} | {t[1]} | {_ratio(t[0], t[1])} | {t[2]} | {t[3]} "
                 f"| {t[4]} | {t[5]} | {t[6]} |")
    return "\n".join(lines)


def worst(rows: list[Row], count: int = 5) -> str:
    """The circuits with the most SWAPs above SabreSwap's."""
    scored = sorted((r.swaps - r.qiskit_swap[0], r.name, r.swaps, r.qiskit_swap[0]) for r in rows if r.qiskit_swap)
    return "most swaps over SabreSwap: " + ", ".join(f"{n} {a} vs {b}" for _, n, a, b in scored[::-1][:count])


def main(argv: list[str]) -> None:
    """Route the corpus, print the table (and write it with --markdown)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS.parent, help="the corpus root (qasm2/, qasm3/)")
    parser.add_argument("--trials", type=int, default=None,
                        help="qdl's layout and route trials (default: the passes' defaults, 8 and 20)")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = parser.parse_args(argv)
    paths = sorted(args.corpus.glob("qasm[23]/*.qasm"))
    rows = [r for r in (measure(p, args.trials) for p in paths) if r is not None]
    text = table(rows)
    print(text)
    print(worst(rows))
    print(f"qdl ratio to SabreLayout+Swap: {_ratio(sum(r.swaps for r in rows if r.qiskit_full is not None), sum(r.qiskit_full or 0 for r in rows))}")
    print(f"qdl layout+route: {sum(r.seconds for r in rows):.2f} s over {len(rows)} circuits")
    if args.markdown:
        args.markdown.write_text(HEADER + text + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
