"""Check a schedule against the device timing grid and the no-overlap rule (reference note §6, §8d item 2-3)."""

from __future__ import annotations

from collections import defaultdict

from qdl.compiler.pulse.schedule import Acquire, Conditional, Play, PulseSchedule


def timing_violations(schedule: PulseSchedule) -> list[str]:
    """Every broken constraint, as a message: grid (granularity, min_length, alignments) and overlaps.

    Plays inside conditional blocks are checked against the grid; the block
    itself occupies its frames for its whole duration.
    """
    timing = dict(schedule.timing or {})
    granularity = timing.get("granularity", 1)
    min_length = timing.get("min_length", 1)
    pulse_alignment = timing.get("pulse_alignment", 1)
    acquire_alignment = timing.get("acquire_alignment", 1)
    problems: list[str] = []
    spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for block in (i for i in schedule.instructions if isinstance(i, Conditional) and i.duration):
        for frame in block.frames:  # either branch holds the block's frames for its whole duration
            spans[frame].append((block.t0, block.t0 + block.duration))
    nested = [(i, True) for block in schedule.instructions if isinstance(block, Conditional) for i in block.body]
    for inst, inside in [(i, False) for i in schedule.instructions] + nested:
        if isinstance(inst, Play):
            n = inst.waveform.duration
            if n % granularity or n < min_length:
                problems.append(f"play `{inst.name}` on `{inst.frame}` lasts {n} dt: not a multiple of "
                                f"{granularity} of at least {min_length}")
            if inst.t0 % pulse_alignment:
                problems.append(f"play `{inst.name}` on `{inst.frame}` starts at {inst.t0}, "
                                f"off the pulse alignment {pulse_alignment}")
            if not inside:
                spans[inst.frame].append((inst.t0, inst.t0 + n))
        elif isinstance(inst, Acquire):
            if inst.t0 % acquire_alignment:
                problems.append(f"acquire on `{inst.frame}` starts at {inst.t0}, "
                                f"off the acquire alignment {acquire_alignment}")
            spans[inst.frame].append((inst.t0, inst.t0 + inst.duration))
    for frame, intervals in spans.items():
        intervals.sort()
        for (a0, a1), (b0, _) in zip(intervals, intervals[1:]):
            if b0 < a1:
                problems.append(f"overlapping instructions on frame `{frame}`: [{a0}, {a1}) and one from {b0}")
    return problems
