"""Markdown for the peer benchmark: run header, validation, ratio and time tables, README section.

Ratios are qdl time / peer time (below 1: qdl is faster): the median of
medians, with the min–max over every pair of repeats.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

BEGIN, END = "<!-- peers:begin -->", "<!-- peers:end -->"
TOLERANCE = 1e-9
PACKAGES = ("qdl", "numpy", "scipy", "llvmlite", "qulacs", "pennylane", "pennylane-lightning", "qiskit", "qiskit-aer")
SUBJECTS = ("qdl-llvm", "qdl adjoint")  # the qdl path the ratios divide
BANDWIDTH_KINDS = ("forward", "qft")


@dataclass(frozen=True)
class Check:
    """The largest absolute difference of one library from qdl's reference on one instance."""

    library: str
    instance: str
    max_abs_diff: float
    error: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.max_abs_diff <= TOLERANCE)


@dataclass
class RunInfo:
    """Machine, load, versions and bandwidth at the start and the end of a run."""

    started: float
    bandwidth: list[float]
    load: list[tuple[float, float, float]]
    budget: float
    knobs: tuple[str, ...]
    threads: int = 1
    versions: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, bandwidth: float, budget: float, knobs: tuple[str, ...], threads: int = 1) -> "RunInfo":
        return cls(time.time(), [bandwidth], [os.getloadavg()], budget, knobs, threads)

    def finish(self, bandwidth: float) -> None:
        self.bandwidth.append(bandwidth)
        self.load.append(os.getloadavg())
        self.versions = package_versions()
        self.versions["qdl"] += f" ({git_revision()})"

    def header(self) -> str:
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(self.started))
        minutes = (time.time() - self.started) / 60
        loads = " → ".join("/".join(f"{x:.2f}" for x in load) for load in self.load)
        versions = ", ".join(f"{k} {v}" for k, v in self.versions.items())
        return "\n".join([
            f"Run of {stamp} ({minutes:.0f} min): {cpu_model()}, {os.cpu_count()} logical CPUs, "
            f"Python {platform.python_version()}; load average (1/5/15 min) {loads} at start → end.",
            self.thread_line(),
            f"Versions: {versions}.",
            f"numpy in-place bandwidth probe (`a *= s`, 256 MiB complex128): "
            f"{self.bandwidth[0]:.1f} GB/s at start, {self.bandwidth[-1]:.1f} GB/s at end.",
            f"Points estimated over {self.budget:.0f} s are skipped (listed below the tables).",
            *self.notes,
        ])


    def thread_line(self) -> str:
        knobs = f"{', '.join(self.knobs)} = {self.threads}, Aer `max_parallel_threads={self.threads}`"
        if self.threads == 1:
            return f"Single-threaded: {knobs}, qdl `threads=1`."
        return (f"{self.threads} threads: {knobs}, qdl `LocalExecutor(threads={self.threads})`; qdl splits "
                "batches (and a gradient's evaluations) across threads, never one state, so its forward and "
                "qft points are single-threaded.")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            return next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown cpu"


def git_revision() -> str:
    here = Path(__file__).parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=here, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "no git"
    return f"git {head}{' + local changes' if dirty else ''}"


def package_versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


# --- formatting --------------------------------------------------------------------------


def duration(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e3), ("µs", 1e6)):
        if seconds * scale >= 1 or unit == "µs":
            return f"{seconds * scale:.3g} {unit}"
    raise AssertionError("unreachable")


def spread(seconds: list[float]) -> str:
    return f"{duration(min(seconds))}–{duration(max(seconds))}"


def ratio_cell(subject, peer) -> str:
    if subject is None or peer is None or not subject.seconds or not peer.seconds:
        return "skipped" if peer is not None and not peer.seconds else "—"
    pairs = [s / p for s in subject.seconds for p in peer.seconds]
    return f"{subject.median / peer.median:.2f} ({min(pairs):.2f}–{max(pairs):.2f})"


def effective_gbs(point) -> float:
    w = point.workload
    return len(w.gates) * 2 * 2**w.n * 16 / point.median / 1e9


def progress_line(point) -> str:
    timing = f"{duration(point.median)} ({spread(point.seconds)})" if point.seconds else f"skipped ({point.note})"
    return f"  {point.workload.label:14} {point.contender:24} {timing}"


# --- tables ------------------------------------------------------------------------------


def verdict(c: Check) -> str:
    if c.ok:
        return "ok"
    return f"failed ({c.error}): left out" if c.error else "MISMATCH: left out"


def validation_table(checks: list[Check]) -> str:
    rows = [f"| {c.library} | {c.instance} | {c.max_abs_diff:.1e} | {verdict(c)} |" for c in checks]
    return "\n".join(["| library | instance | max abs diff vs qdl reference | |", "|---|---|---|---|", *rows])


def ratio_table(kind: str, points: list) -> str:
    mine = [p for p in points if p.workload.kind == kind]
    names = list(dict.fromkeys(p.contender for p in mine))
    subject = next(n for n in names if n in SUBJECTS)
    peers = [n for n in names if not n.startswith("qdl")]
    lines = [f"| {kind} | {subject} | " + " | ".join(f"qdl / {n}" for n in peers) + " |",
             "|---" * (2 + len(peers)) + "|"]
    for n in dict.fromkeys(p.workload.n for p in mine):
        at = {p.contender: p for p in mine if p.workload.n == n}
        mine_time = f"{duration(at[subject].median)}" if at[subject].seconds else "skipped"
        cells = [ratio_cell(at[subject], at.get(peer)) for peer in peers]
        lines.append(f"| n={n} | {mine_time} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def times_table(points: list) -> str:
    lines = ["| workload | contender | median | min–max | runs | setup | eff. GB/s |", "|---" * 7 + "|"]
    for p in points:
        if not p.seconds:
            continue
        gbs = f"{effective_gbs(p):.1f}" if p.workload.kind in BANDWIDTH_KINDS else ""
        setup = duration(p.setup) if p.setup else ""
        lines.append(f"| {p.workload.label} | {p.contender} | {duration(p.median)} | {spread(p.seconds)} | "
                     f"{len(p.seconds)} | {setup} | {gbs} |")
    return "\n".join(lines)


def bandwidth_note(run: RunInfo, points: list) -> str:
    forward = [p for p in points if p.workload.kind == "forward" and p.contender == "qdl-llvm" and p.seconds]
    if not forward:
        return ""
    largest = max(forward, key=lambda p: p.workload.n)
    gbs = effective_gbs(largest)
    probe = statistics.median(run.bandwidth)
    return (f"qdl-llvm forward n={largest.workload.n}: {gbs:.1f} GB/s effective (gates · 2 · 2^n · 16 B / time) "
            f"= {gbs / probe:.0%} of the bandwidth probe ({probe:.1f} GB/s, mean of start and end).")


def render(run: RunInfo, checks: list[Check], points: list) -> str:
    kinds = list(dict.fromkeys(p.workload.kind for p in points))
    skipped = [f"- {p.workload.label}, {p.contender}: {p.note}" for p in points if not p.seconds]
    parts = [run.header(), "Validation on small instances (states compared amplitude by amplitude):",
             validation_table(checks),
             "Ratios qdl / peer (below 1: qdl faster), median of medians (min–max over pairs of repeats); "
             "the second column is qdl's median time:"]
    parts += [ratio_table(kind, points) for kind in kinds]
    parts += [bandwidth_note(run, points), "All timings (setup: circuit construction; for qdl forward and qft "
              "the front end plus the JIT compilation or its disk-cache load, while qdl's adjoint kernel is "
              "compiled in the warm-up call):", times_table(points)]
    if skipped:
        parts.append("Skipped or failed:\n" + "\n".join(skipped))
    return "\n\n".join(p for p in parts if p)


def write_section(readme: Path, text: str, threads: int = 1) -> None:
    """Replace the text between the markers (appending a section with them if they are missing)."""
    old = readme.read_text()
    begin, end = (BEGIN, END) if threads == 1 else (BEGIN.replace("peers", f"peers-threads{threads}"),
                                                    END.replace("peers", f"peers-threads{threads}"))
    block = f"{begin}\n{text}\n{end}"
    if begin in old and end in old:
        head, rest = old.split(begin, 1)
        new = head + block + rest.split(end, 1)[1]
    else:
        title = "Side by side with peer simulators" + ("" if threads == 1 else f", {threads} threads")
        new = old.rstrip("\n") + f"\n\n## {title} (`peers.py`)\n\n" + block + "\n"
    readme.write_text(new)
    print(f"wrote {readme}")
