"""Which op-table row first reads each slot: where a shifted evaluation stops sharing the prefix.

A slot's value reaches the state only through matrix entries: the entries of
the gates whose parameters use it (`plan.groups`) and of the fused blocks
built from those (`plan.products`).  A row reads the entries
[mat, mat + extent) (plus its alternative matrix `sel_step` further on when
it has a selector), so the rows before a slot's first reading row do not
depend on its value: every evaluation that differs from another only in
that slot shares the state up to that row.
"""

from __future__ import annotations

import numpy as np

from qdl.compiler.backends.llvm.plan import KernelPlan, OpKind, Row


def first_rows(plan: KernelPlan) -> np.ndarray:
    """Per slot, the first row that reads an entry depending on it (len(plan.rows) if none does)."""
    owner = _entry_slots(plan)
    first = np.full(len(plan.slots), len(plan.rows), dtype=np.int64)
    for index, row in enumerate(plan.rows):
        for lo, hi in _spans(row):
            for entry in range(lo, hi):
                for slot in owner.get(entry, ()):
                    first[slot] = min(first[slot], index)
    return first


def _entry_slots(plan: KernelPlan) -> dict[int, set[int]]:
    """complex matrix entry -> the slots its value depends on."""
    owner: dict[int, set[int]] = {}
    for group in plan.groups:
        for params, columns in zip(group.params, group.columns):
            for entry in columns:
                owner.setdefault(int(entry), set()).update(int(p) for p in params)
    _products_read(owner, plan.products)  # members are gate matrices
    for gather in plan.gathers:  # fused 2-qubit members: gate matrices and 1-qubit blocks
        for out, sources in zip(gather.out, gather.sources()):
            for e, src in enumerate(sources):
                owner[int(out) + e] = set(owner.get(int(src), ()))
    _products_read(owner, plan.blocks2)
    return owner


def _products_read(owner: dict[int, set[int]], products: tuple) -> None:
    for product in products:
        for b, outs in enumerate(product.out):
            used = set().union(*(owner.get(int(e), set()) for m in product.members for e in m[b]))
            for entry in outs:
                owner[int(entry)] = set(used)


_WIDTH = {OpKind.DENSE1: lambda k2: 4, OpKind.DIAG1: lambda k2: 2, OpKind.DENSE2: lambda k2: 16,
          OpKind.FLIP: lambda k2: 0, OpKind.CTRL1: lambda k2: 4, OpKind.CTRL1_DIAG: lambda k2: 2,
          OpKind.GEN_DENSE: lambda k2: k2 * k2, OpKind.GEN_DIAG: lambda k2: k2, OpKind.SCALE: lambda k2: 1}


def _spans(row: Row) -> list[tuple[int, int]]:
    """The complex entry ranges `row` may read."""
    width = _WIDTH[row.kind](row.k2)
    if not width:
        return []
    spans = [(row.mat, row.mat + width)]
    if row.sel:
        spans.append((row.mat + row.sel_step, row.mat + row.sel_step + width))
    return spans
