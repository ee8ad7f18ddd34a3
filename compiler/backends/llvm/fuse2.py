"""Two-qubit fusion: runs of steps within one pair of qubits become one dense 4x4 step where that is cheaper.

Inside a cache-blocked stage the kernel is bound by arithmetic and by L2
traffic, not by memory, so fusing is not free: a dense 4x4 costs four
complex products per amplitude where a 1-qubit gate costs two.  Blocks are
therefore fused by cost.  `_cost` holds the measured time of each kind of
row relative to a dense 1-qubit row (`benchmarks/fusion.py`, 2^20 amplitudes,
one thread, quiet machine, 2026-11-26): a dense 4x4 costs 1.74 rows (2.14
with a qubit inside one vector), while a 1-qubit block plus the CNOT onto it
(a multiplexed row) costs 1.81 on high positions, 1.24 with only its target
inside a vector (the packed path) but 3.95 with its selector there, where
the path is scalar; a diagonal 4x4 (`rzz`) takes the generic path at ~3.
So `U0 U1 CX(0,1)` (4.95) becomes one 4x4 (2.14) and a lone `rzz` a dense
4x4, while a CNOT ladder on high qubits is left to the multiplexed rows.  Blocks stop at two qubits: a dense 8x8 costs eight
complex products per amplitude (about three dense 1-qubit rows, if its path
were as fast), so a 3-qubit block pays only where it replaces three or more
rows that 2-qubit blocks cannot merge, which the benchmark workloads (ansatz
ring, QAOA, brickwork, QFT) do not have; QDL_FUSE_QUBITS=1 turns fusion off
to compare.

Blocks are grown greedily in program order.  A step whose qubits fit in a
pair joins the open blocks on its qubits when their union is still a pair;
any other step closes the blocks it touches.  A closed block moves its
members later, past steps on other qubits only, so the order is legal.  A
fused block must not make its stage need more qubits in the chunk than its
members did (except the qubits that are always in it): that would add
sweeps over memory.

The fused matrix is built on the host: each member is first gathered into a
4x4 from the stored entries (and a stored identity's 1 and 0), then the
members are multiplied, like the 1-qubit blocks.  A gather is a pattern of 16
codes (an offset from the member's matrix, or `ZERO`/`ONE`) shared by every
member of the same shape, so the fill's tables stay a few integers a member.
The fused step's first target is the pair's higher qubit (the matrix's most
significant bit).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from qdl.compiler.backends.llvm.blocking import Step

ZERO, ONE = -1, -2  # gather codes of the stored constants
FUSE_MARGIN = 0.1  # fuse only when the estimate saves more than this (noise in the measured costs)
DENSE2_COST = (1.74, 2.14)  # (high positions, a position below one vector) in dense-1-qubit rows


class Allocator(Protocol):
    """The plan builder's matrix buffer, as fusion needs it."""

    def reserve(self, count: int) -> int:
        """Offset of `count` fresh complex entries."""


@dataclass
class FusedMatrices:
    """What the host computes for the fused steps: `gathers` then `products`.

    A gather (destination, member matrix offset, pattern index) writes the
    4x4 `patterns[index]` read from the member's entries.
    """

    gathers: list[tuple[int, int, int]] = field(default_factory=list)
    patterns: dict[tuple[int, ...], int] = field(default_factory=dict)  # 16 codes -> index
    products: list[tuple[int, list[int]]] = field(default_factory=list)  # (out, member offsets in order)

    def pattern(self, codes: tuple[int, ...]) -> int:
        return self.patterns.setdefault(codes, len(self.patterns))


@dataclass
class _Block:
    qubits: frozenset[int]
    members: list[Step]


def fusion_enabled() -> bool:
    """QDL_FUSE_QUBITS=1 turns two-qubit fusion off (a tuning and benchmarking knob); 2, the default, on.

    Another value is named in a warning and the default used, as `QDL_BLOCK_QUBITS` does.
    """
    text = os.environ.get("QDL_FUSE_QUBITS", "").strip()
    if text not in ("", "1", "2"):
        warnings.warn(f"QDL_FUSE_QUBITS={text!r} is not 1 or 2 (the largest fused block, in qubits); using 2",
                      stacklevel=2)
    return text != "1"


def fuse_pairs(steps: list[Step], alloc: Allocator, vector_bits: int,
               always_local: frozenset[int]) -> tuple[list[Step], FusedMatrices]:
    """`steps` with cheaper 4x4 steps for runs on one pair; `vector_bits` = log2 of the vector's amplitudes."""
    fuser = _Fuser(alloc, vector_bits, always_local)
    for step in steps:
        fuser.add(step)
    fuser.close_all()
    return fuser.out, fuser.matrices


class _Fuser:
    def __init__(self, alloc: Allocator, vector_bits: int, always_local: frozenset[int]) -> None:
        self.alloc = alloc
        self.low = frozenset(range(vector_bits))
        self.always_local = always_local
        self.out: list[Step] = []
        self.open: dict[int, _Block] = {}
        self.matrices = FusedMatrices()
        self.facts: dict[tuple, tuple[float, frozenset[int]]] = {}  # `_facts` by step shape

    def add(self, step: Step) -> None:
        qubits = step.qubits
        if not qubits:  # a scalar commutes with everything
            self.out.append(step)
            return
        touching = self._touching(qubits)
        fusable = 1 <= len(step.targets) <= 2 and len(qubits) <= 2
        union = qubits.union(*[b.qubits for b in touching])
        if fusable and len(union) <= 2:
            members = [m for b in touching for m in b.members] + [step]
            self._open(_Block(union, members), touching)
            return
        for block in touching:
            self._close(block)
        if fusable:
            self._open(_Block(qubits, [step]), [])
        else:
            self.out.append(step)

    def _touching(self, qubits: frozenset[int]) -> list[_Block]:
        """The open blocks on `qubits`, each once, in the order of the qubits."""
        blocks = [self.open[q] for q in qubits if q in self.open]
        if len(blocks) > 1:
            blocks = list({id(b): b for b in blocks}.values())
        return blocks

    def close_all(self) -> None:
        for block in list({id(b): b for b in self.open.values()}.values()):
            self._close(block)

    def _open(self, block: _Block, replaced: list[_Block]) -> None:
        for old in replaced:
            for q in old.qubits:
                del self.open[q]
        for q in block.qubits:
            self.open[q] = block

    def _close(self, block: _Block) -> None:
        for q in block.qubits:
            del self.open[q]
        self.out.extend([self._fused(block)] if self._worth_fusing(block) else block.members)

    def _worth_fusing(self, block: _Block) -> bool:
        if len(block.qubits) != 2:
            return False
        facts = [self._facts(m) for m in block.members]
        needs = frozenset().union(*[n for _, n in facts])
        if not block.qubits - needs <= self.always_local:
            return False
        fused = DENSE2_COST[bool(block.qubits & self.low)]
        return sum(cost for cost, _ in facts) > fused + FUSE_MARGIN

    def _facts(self, step: Step) -> tuple[float, frozenset[int]]:
        """(`_cost`, `needs_chunk`) of a step, cached by its shape: they do not depend on its matrix."""
        key = step.shape()
        facts = self.facts.get(key)
        if facts is None:
            facts = self.facts[key] = (self._cost(step), step.needs_chunk)
        return facts

    def _cost(self, step: Step) -> float:
        """The measured cost of the row(s) a step becomes, at its positions (module docstring)."""
        low = bool(step.qubits & self.low)
        controls_low = bool(set(step.controls + ((step.select,) if step.select >= 0 else ())) & self.low)
        target_low = bool(set(step.targets) & self.low)
        if step.select >= 0:
            return 3.95 if controls_low else 1.24 if target_low else 1.81
        if step.flip:
            return 0.99 if controls_low else 0.6 if target_low and step.controls else 0.93
        if len(step.targets) == 2:
            return (2.68 if low else 3.03) if step.diagonal else DENSE2_COST[low]
        if step.controls:
            return 1.02 if controls_low else 0.54 if target_low else 0.89
        return 0.44 if step.phase and not low else 1.0

    def _fused(self, block: _Block) -> Step:
        high, low = sorted(block.qubits, reverse=True)
        offsets = []
        for member in block.members:
            offsets.append(self.alloc.reserve(16))
            pattern = self.matrices.pattern(embed(member, high, low))
            self.matrices.gathers.append((offsets[-1], member.mat, pattern))
        out = offsets[0]
        if len(offsets) > 1:
            out = self.alloc.reserve(16)
            self.matrices.products.append((out, offsets))
        return Step(False, False, (high, low), (), (), out)


def embed(step: Step, high: int, low: int) -> tuple[int, ...]:
    """The 16 gather codes of `step` as a 4x4 on (high, low), row-major, high the most significant bit.

    A code >= 0 is an offset from `step.mat`; `ZERO` and `ONE` the constants.
    The codes depend on the step's shape only, not on its matrix: cached.
    """
    return _embed(step.shape(), high, low)


@lru_cache(maxsize=4096)
def _embed(shape: tuple, high: int, low: int) -> tuple[int, ...]:
    """`embed` of a step of that shape.  Qubits the step does not target keep their value; unmet controls act as
    the identity; a selector picks the step's second matrix.
    """
    diagonal, flip, targets, controls, values, select, phase = shape  # `Step.shape`
    step = Step(diagonal, flip, targets, controls, values, 0, select, phase)

    def bit(index: int, qubit: int) -> int:
        return (index >> 1) & 1 if qubit == high else index & 1

    def sub(index: int) -> int:  # the step's own matrix index: its first target most significant
        k = len(step.targets)
        return sum(bit(index, t) << (k - 1 - p) for p, t in enumerate(step.targets))

    entries = []
    for row in range(4):
        for col in range(4):
            if any(bit(row, q) != bit(col, q) for q in (high, low) if q not in step.targets):
                entries.append(ZERO)
            elif any(bit(col, c) != v for c, v in zip(step.controls, step.values)):
                entries.append(ONE if row == col else ZERO)
            else:
                entries.append(_code(step, sub(row), sub(col), bit(col, step.select)))
    return tuple(entries)


def _code(step: Step, r: int, c: int, selected: int) -> int:
    if step.flip:
        return ONE if r != c else ZERO
    base = 4 * selected if step.select >= 0 else 0
    if step.diagonal:
        return base + r if r == c else ZERO
    return base + r * (1 << len(step.targets)) + c
