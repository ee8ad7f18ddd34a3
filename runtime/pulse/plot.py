"""Draw a JSON pulse schedule (`qdl.pulse_schedule` v0.1) as a timeline: one row per frame.

    from qdl.runtime.pulse.plot import plot_timeline
    plot_timeline(doc, "schedule.png")      # or .svg

Each row shows the I (real) and Q (imaginary) parts of the samples every
`play` sends on that frame, with the frame's phase applied (the axis a
pulse drives, reference note §4.3), parameters bound to their `value`s
(or `values=`); plays longer than 2000 samples are drawn from every k-th
sample.  Markers: ▲ `shift_phase` (Δφ) / `set_phase` (φ), labelled with the
angle in rad, ◆ frequency changes, a shaded span for an `acquire` and a hatched one
for a `delay`, dashed vertical lines across the rows of a `barrier`.  The
bottom axis is in dt, the top one in ns.  Needs matplotlib (`pip install 'qdl[plot]'`).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from qdl.compiler.pulse import export_common as common
from qdl.compiler.pulse.expr_json import evaluate
from qdl.errors import QdlError

SUFFIXES = (".png", ".svg")
MAX_STEPS = 2000  # samples drawn per play at most


class PlotExtraError(QdlError, ImportError):
    """matplotlib, needed for plots, is not installed."""


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise PlotExtraError("plotting needs matplotlib: pip install 'qdl[plot]'") from None
    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt
    return plt


def plot_timeline(doc: Mapping, path: str, *, values: Mapping[str, float] | None = None,
                  window: tuple[int, int] | None = None) -> None:
    """Write the timeline of schedule `doc` to `path` (PNG or SVG, chosen by the suffix).

    `values` overrides parameter values; `window=(start, stop)` (in dt) zooms in.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise QdlError(f"cannot write a timeline to `{path}`: use a .png or .svg file name")
    _save(doc, path, suffix[1:], values, window)


def timeline_svg(doc: Mapping, *, values: Mapping[str, float] | None = None) -> str | None:
    """The timeline as SVG text (a notebook's display), or None without matplotlib."""
    buffer = io.StringIO()
    try:
        _save(doc, buffer, "svg", values, None)
    except PlotExtraError:
        return None
    return buffer.getvalue()


def _save(doc: Mapping, target: Any, fmt: str, values: Mapping[str, float] | None,
          window: tuple[int, int] | None) -> None:
    common.validate(doc)
    bound = {**common.parameter_values(doc), **(values or {})}
    plt = _pyplot()
    frames = [f["name"] for f in doc["frames"]]
    fig, axes = plt.subplots(len(frames), 1, sharex=True, squeeze=False,
                             figsize=(11, 1.0 + 1.25 * len(frames)))
    rows = dict(zip(frames, axes[:, 0]))
    phases = {f["name"]: evaluate(f.get("phase", 0.0), bound) for f in doc["frames"]}
    peaks = dict.fromkeys(frames, 0.0)
    labels: dict[str, list[int]] = {}
    for step in common.walk(doc):
        _draw(step.inst, doc, rows, phases, peaks, bound, labels, window)
    for name, ax in rows.items():
        port = next(f["port"] for f in doc["frames"] if f["name"] == name)
        ax.set_ylabel(f"{name}\n({port})", rotation=0, ha="right", va="center", fontsize=8)
        ax.axhline(0, color="0.8", lw=0.5)
        peak = peaks[name] or 1.0
        ax.set_ylim(-1.3 * peak, 1.3 * peak)
        ax.tick_params(labelsize=7)
    _axes_labels(fig, axes, doc, window)
    fig.savefig(target, format=fmt, dpi=110)
    plt.close(fig)


def _draw(inst: Mapping, doc: Mapping, rows: Mapping, phases: dict, peaks: dict, bound: Mapping,
          labels: dict, window: tuple[int, int] | None) -> None:
    op, t0 = inst["op"], inst["t0"]
    if op == "conditional":  # drawn as taken, on a tinted band as long as the block
        for name in inst["frames"]:
            rows[name].axvspan(t0, t0 + max(inst["duration"], 1), color="tab:green", alpha=0.12, lw=0)
        for sub in inst["body"]:
            _draw(sub, doc, rows, phases, peaks, bound, labels, window)
        return
    if op == "barrier":
        for name in inst["frames"]:
            rows[name].axvline(t0, color="0.35", ls="--", lw=0.8)
        return
    ax = rows[inst["frame"]]
    if op == "play":
        samples = common.sample(doc["waveforms"][inst["waveform"]], bound) * np.exp(1j * phases[inst["frame"]])
        t = t0 + np.arange(len(samples) + 1)
        if window is not None:  # draw only what is seen, at full resolution where possible
            keep = (t[:-1] + 1 > window[0]) & (t[:-1] < window[1])
            if not keep.any():
                return
            first, last = np.flatnonzero(keep)[[0, -1]]
            samples, t = samples[first:last + 1], t[first:last + 2]
        if len(samples) > MAX_STEPS:  # long readout pulses: every k-th sample draws the same picture, faster
            k = -(-len(samples) // MAX_STEPS)
            samples, t = samples[::k], np.append(t[:-1:k], t[-1])
        ax.stairs(samples.real, t, color="tab:blue", lw=1.0, label="I", baseline=None)
        ax.stairs(samples.imag, t, color="tab:orange", lw=1.0, label="Q", baseline=None)
        peaks[inst["frame"]] = max(peaks[inst["frame"]], float(np.max(np.abs([samples.real, samples.imag]))))
    elif op in ("shift_phase", "set_phase"):
        value = evaluate(inst["phase"], bound)
        phases[inst["frame"]] = value + (phases[inst["frame"]] if op == "shift_phase" else 0.0)
        label = "Δφ" if op == "shift_phase" else "φ"
        stack = labels.setdefault(inst["frame"], [])
        stack[:] = [t for t in stack if t == t0] + [t0]  # frame changes at one t0 are stacked upwards
        ax.plot([t0], [0], marker="^", color="tab:purple", ms=7, zorder=5)
        ax.annotate(f"{label}={value:.3g}", (t0, 0), xytext=(3, 4 + 9 * (len(stack) - 1)),
                    textcoords="offset points", fontsize=7, color="tab:purple")
    elif op in ("shift_frequency", "set_frequency"):
        ax.plot([t0], [0], marker="D", color="tab:green", ms=5, zorder=5)
    elif op == "acquire":
        ax.axvspan(t0, t0 + inst["duration"], color="tab:red", alpha=0.15, lw=0)
        ax.annotate(f"acquire → c[{inst['memory_slot']}]", (t0, 0), xytext=(3, 3), textcoords="offset points",
                    fontsize=7, color="tab:red")
    elif op == "delay":
        ax.axvspan(t0, t0 + inst["duration"], facecolor="none", edgecolor="0.7", hatch="///", lw=0)


def _axes_labels(fig, axes, doc: Mapping, window: tuple[int, int] | None) -> None:
    dt_ns = doc["device"]["dt"] * 1e9
    bottom, top = axes[-1, 0], axes[0, 0]
    bottom.set_xlabel("time (dt)", fontsize=8)
    ns_axis = top.secondary_xaxis("top", functions=(lambda x: x * dt_ns, lambda x: x / dt_ns))
    ns_axis.set_xlabel(f"time (ns; dt = {dt_ns:.4g} ns)", fontsize=8)
    ns_axis.tick_params(labelsize=7)
    end = max((i["t0"] + common.duration(i, doc) for i in doc["instructions"]), default=1)
    bottom.set_xlim(*(window or (0, max(end, 1))))
    from matplotlib.lines import Line2D
    handles = [Line2D([], [], color="tab:blue", label="I"), Line2D([], [], color="tab:orange", label="Q"),
               Line2D([], [], color="tab:purple", marker="^", ls="", label="phase"),
               Line2D([], [], color="tab:green", marker="D", ls="", label="frequency"),
               Line2D([], [], color="0.35", ls="--", label="barrier")]
    fig.legend(handles=handles, loc="lower center", ncol=5, fontsize=7, frameon=False)
    fig.suptitle(f"{doc['device']['name']}: {len(doc['instructions'])} instructions, {end} dt", fontsize=9)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
