"""Cache blocking: group a circuit's steps into stages that each fit in an L2-sized chunk.

A state of 24 qubits is 256 MiB; applying its gates one by one streams it
through memory once per gate, so the kernel is memory bound long before its
arithmetic is.  A stage instead names `block` qubits (its chunk) and a run
of steps that act on the rest of the state only through controls and
1-qubit diagonal targets (constant within a chunk); the kernel then streams
the state once per stage and applies the whole run to each chunk while it
sits in cache.

Stages are built greedily in program order: a step joins the current stage
when no step it depends on was deferred (no shared qubit with a deferred
step: steps on disjoint qubits commute) and the qubits it needs in the chunk
still fit; otherwise it is deferred to a later stage.  The scan stops once
every qubit is blocked, so building is linear in practice.  The lowest
`RUN_QUBITS` qubits are always in the chunk, so chunks are gathered in
contiguous runs of at least 2**RUN_QUBITS amplitudes (two cache lines).
"""

from __future__ import annotations

from dataclasses import dataclass, field

RUN_QUBITS = 3


@dataclass(frozen=True, slots=True)
class Step:
    """One application on global qubits, before it is placed in a stage.

    `flip`: X (a permutation, no matrix); otherwise `mat` is the complex
    offset of the matrix (only its diagonal when `diagonal`), whose first
    target is the most significant bit.  `select` >= 0 makes a multiplexed
    1-qubit gate: the matrix at `mat + 4 * bit(select)` (a 1-qubit block
    followed by a CNOT onto its qubit, in one pass).
    """

    diagonal: bool
    flip: bool
    targets: tuple[int, ...]
    controls: tuple[int, ...]
    values: tuple[bool, ...]
    mat: int
    select: int = -1
    phase: bool = False  # diagonal, 1-qubit, first entry exactly 1: only the target's |1> part changes
    # Every qubit the step touches; computed once, since fusion and blocking ask for it many times per step.
    qubits: frozenset[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        extra = (self.select,) if self.select >= 0 else ()
        object.__setattr__(self, "qubits", frozenset(self.targets + self.controls + extra))

    def shape(self) -> tuple:
        """All fields but `mat`: steps of one shape differ only in where their matrix is."""
        return (self.diagonal, self.flip, self.targets, self.controls, self.values, self.select, self.phase)

    @property
    def needs_chunk(self) -> frozenset[int]:
        """Qubits that must be in the chunk: all but controls and a lone diagonal target."""
        if self.diagonal and len(self.targets) == 1:
            return frozenset()
        return frozenset(self.targets)


@dataclass(frozen=True, slots=True)
class Stage:
    """`steps` (indices, in application order) applied to chunks of the qubits `local` (ascending)."""

    steps: tuple[int, ...]
    local: tuple[int, ...]


def stages(steps: list[Step], num_qubits: int, block: int) -> list[Stage]:
    """Partition `steps` into stages of `block`-qubit chunks; one stage when the state fits."""
    if num_qubits <= block:
        return [Stage(tuple(range(len(steps))), tuple(range(num_qubits)))]
    if block < RUN_QUBITS + 4:
        raise ValueError(f"a chunk of {block} qubits cannot hold a 4-qubit gate beside the contiguous run")
    out = []
    remaining = list(range(len(steps)))
    while remaining:
        chosen, remaining, local = _one_stage(steps, remaining, num_qubits, block)
        out.append(Stage(tuple(chosen), _padded(local, num_qubits, block)))
    return out


def _one_stage(steps: list[Step], remaining: list[int], num_qubits: int,
               block: int) -> tuple[list[int], list[int], set[int]]:
    local = set(range(RUN_QUBITS))
    chosen: list[int] = []
    deferred: list[int] = []
    blocked: set[int] = set()
    for position, index in enumerate(remaining):
        step = steps[index]
        needs = step.needs_chunk
        if not (blocked & step.qubits) and len(local | needs) <= block:
            local |= needs
            chosen.append(index)
            continue
        deferred.append(index)
        blocked |= step.qubits
        if len(blocked) == num_qubits:  # nothing later can move ahead of the deferred steps
            deferred.extend(remaining[position + 1:])
            break
    return chosen, deferred, local


def _padded(local: set[int], num_qubits: int, block: int) -> tuple[int, ...]:
    """`local` filled up to `block` qubits with the lowest others: longer contiguous runs, same cost."""
    spare = (q for q in range(num_qubits) if q not in local)
    filled = set(local)
    while len(filled) < block:
        filled.add(next(spare))
    return tuple(sorted(filled))
