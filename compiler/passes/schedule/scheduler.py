"""Place blocks in time over resources = frames: ASAP, ALAP, and the timing grid (reference note §6).

* ASAP puts each block at the earliest time all its frames are free.
* ALAP schedules the reversed program as early as possible and mirrors it,
  so qubits idle in |0⟩ at the start rather than between gates.
* Alignment (Qiskit's `ConstrainedReschedule`): a block's start is then
  rounded up to its alignment (`pulse_alignment` for pulses, the lcm with
  `acquire_alignment` for measurements), pushing later blocks as needed; a
  delay directly before a pushed block grows to fill the gap, so
  `x; delay(100); measure` becomes `delay(112)` on a grid of 16.
"""

from __future__ import annotations

from dataclasses import replace

from qdl.compiler.passes.schedule.lower import Block
from qdl.compiler.pulse.schedule import Delay

METHODS = ("asap", "alap")


def align_up(t: int, alignment: int) -> int:
    """The first multiple of `alignment` at or after t."""
    return -(-t // alignment) * alignment


def ready_time(block: Block, clock: dict[str, int]) -> int:
    """When everything the block holds or waits for is free."""
    return max((clock.get(r, 0) for r in block.resources + block.reads), default=0)


def occupy(block: Block, clock: dict[str, int], start: int) -> None:
    """Hold the block's resources until its end; push its marks to at least its end."""
    for r in block.resources:
        clock[r] = start + block.duration
    for r in block.marks:
        clock[r] = max(clock.get(r, 0), start + block.duration)


def alap_starts(blocks: list[Block]) -> list[int]:
    """Latest start of every block keeping the order on shared frames and the ASAP total length.

    Reversing the program swaps the roles of a bit's writer and its readers,
    which `reads`/`marks` express symmetrically (each side waits for the other).
    """
    clock: dict[str, int] = {}
    ends: list[int] = []
    for block in reversed(blocks):
        start = ready_time(block, clock)
        occupy(block, clock, start)
        ends.append(start + block.duration)
    total = max(clock.values(), default=0)
    return [total - end for end in reversed(ends)]


def place(blocks: list[Block], method: str = "alap") -> tuple[list[Block], list[int]]:
    """Start times of `blocks` (program order) by `method`, aligned; the blocks with stretched delays."""
    if method not in METHODS:
        raise ValueError(f"unknown scheduling method {method!r}; choose one of {', '.join(METHODS)}")
    earliest = alap_starts(blocks) if method == "alap" else [0] * len(blocks)
    blocks = list(blocks)
    clock: dict[str, int] = {}
    last: dict[str, int] = {}  # frame -> index of the block that ended there
    starts: list[int] = []
    for i, block in enumerate(blocks):
        ready = ready_time(block, clock)
        start = align_up(max(ready, earliest[i]), block.alignment)
        if start > ready and start - ready < block.alignment:
            _stretch_delays(blocks, starts, block, last, clock, ready, start)
        occupy(block, clock, start)
        for r in block.resources:
            last[r] = i
        starts.append(start)
    return blocks, starts


def _stretch_delays(blocks: list[Block], starts: list[int], block: Block, last: dict[str, int],
                    clock: dict[str, int], ready: int, start: int) -> None:
    """Grow the delays that end at `ready` on the block's frames so they end at `start`."""
    for r in block.resources:
        k = last.get(r)
        if k is None or not blocks[k].stretchable or starts[k] + blocks[k].duration != ready:
            continue
        grown = blocks[k].duration + start - ready
        insts = tuple(replace(i, duration=grown) if isinstance(i, Delay) else i for i in blocks[k].instructions)
        blocks[k] = replace(blocks[k], instructions=insts, duration=grown)
        for frame in blocks[k].resources:
            if last.get(frame) == k:
                clock[frame] = start
