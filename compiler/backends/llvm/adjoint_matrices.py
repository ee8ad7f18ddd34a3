"""The adjoint kernel's matrix work as tables: gate matrices, unit inverses, derivative contractions.

Before the backward sweep the kernel needs every unit's U†; after it, per
differentiated angle, 2 Re Σ_ab (D_j)_ab R_ab with D_j = P_j ∂g_j (P_j g_j)†
(see `adjoint`), where for a unit g_0 ... g_{L-1} (forward order)
P_j = g_{L-1} ... g_{j+1} ("after j") and T_j = P_j g_j ("through j"), so
U = T_0.  Everything is dense complex d x d in one scratch buffer of
`MatrixTables.size` complex entries per batch element (offsets below are
complex offsets into it):

* `gates`: per gate name and differentiated parameters (p_1, ...), rows
  [offset of g, offset of ∂g/∂θ_p for each p, slot of each parameter]: g
  from the gate table's trigonometric form (`fill.trig_form`), ∂g from its
  derivative (`fill.derivative_form`), exact, sharing g's sines and cosines;
* `identities` [d, offset]: P_{L-1} = I, one per dimension;
* `products` [d, out, left, right]: T_j = P_j g_j for j < L-1, in order
  (P_j = T_{j+1}; T_{L-1} is g_{L-1} itself, no copy);
* `inverses` [d, diagonal, T_0, unit.mat]: U† into the sweep's matrix buffer
  (only the diagonal when the unit is diagonal), at the plan's offsets, for
  every unit the sweep un-computes (a dead one is only reduced);
* `wanted` [d, P_j, T_j, ∂g_j, R offset, output column].

Slot numbers are columns of the forward kernel's slot row, so one slot row
serves both kernels.  Tables are plain tuples: their repr is part of the
kernel's cache key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qdl.compiler.backends.llvm.adjoint import AdjointPlan
from qdl.compiler.backends.llvm.adjoint_units import Gate
from qdl.compiler.expr import Expr

Rows = tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class MatrixTables:
    """The tables above, built by `matrix_tables`; `size` complex scratch entries, `outputs` gradient columns."""

    gates: tuple[tuple[str, tuple[int, ...], Rows], ...]
    identities: Rows
    products: Rows
    inverses: Rows
    wanted: Rows
    size: int
    outputs: int


@dataclass
class _Builder:
    """Allocates scratch and collects rows while walking the plan's units."""

    size: int = 0
    gates: dict[tuple[str, tuple[int, ...]], list[tuple[int, ...]]] = field(default_factory=dict)
    identity: dict[int, int] = field(default_factory=dict)  # dimension -> offset
    products: list[tuple[int, ...]] = field(default_factory=list)
    inverses: list[tuple[int, ...]] = field(default_factory=list)

    def alloc(self, d: int) -> int:
        offset, self.size = self.size, self.size + d * d
        return offset

    def identity_of(self, d: int) -> int:
        if d not in self.identity:
            self.identity[d] = self.alloc(d)
        return self.identity[d]


def matrix_tables(plan: AdjointPlan, keys: tuple[tuple[int, int], ...], slot_of: dict[Expr, int]) -> MatrixTables:
    """The tables of `plan` for the differentiated angles `keys` (output column = position in `keys`).

    `slot_of` maps every parameter expression to its column in the slot row;
    a KeyError means the forward kernel does not evaluate an angle the adjoint needs.
    """
    builder = _Builder()
    derived: dict[tuple[int, int], list[int]] = {}  # (unit, gate) -> its differentiated parameters
    for op, param in keys:
        derived.setdefault(plan.wanted[(op, param)], []).append(param)
    found: dict[tuple[int, int], int] = {}  # (op, param) -> offset of its ∂g
    around: dict[tuple[int, int], tuple[int, int]] = {}  # (unit, gate) -> (P_j, T_j)
    for number, unit in enumerate(plan.units):
        if unit.mat < 0 and unit.reduced < 0:
            continue  # X or SWAP (no matrix, no angle), or a dead unit without angles: not un-computed
        offsets = [_gate(builder, unit.dim, gate, sorted(derived.get((number, j), [])), slot_of, found)
                   for j, gate in enumerate(unit.gates)]
        after, through = builder.identity_of(unit.dim), offsets[-1]
        around[(number, len(offsets) - 1)] = (after, through)
        for j in range(len(offsets) - 2, -1, -1):
            after, through = through, builder.alloc(unit.dim)
            builder.products.append((unit.dim, through, after, offsets[j]))
            around[(number, j)] = (after, through)
        if unit.mat >= 0:  # a dead unit (`adjoint_units.live_units`) is only reduced, never un-computed
            builder.inverses.append((unit.dim, int(unit.diagonal), through, unit.mat))
    wanted = tuple(_wanted(plan, key, around, found, w) for w, key in enumerate(keys))
    return MatrixTables(tuple((name, params, tuple(rows)) for (name, params), rows in builder.gates.items()),
                        tuple((d, offset) for d, offset in builder.identity.items()), tuple(builder.products),
                        tuple(builder.inverses), wanted, builder.size, len(keys))


def _gate(builder: _Builder, d: int, gate: Gate, params: list[int], slot_of: dict[Expr, int],
          found: dict[tuple[int, int], int]) -> int:
    """Reserve g and its wanted derivatives, add the gate's row; -> the offset of g."""
    offset = builder.alloc(d)
    derivatives = [builder.alloc(d) for _ in params]
    found.update({(gate.op, p): at for p, at in zip(params, derivatives)})
    row = (offset, *derivatives, *(slot_of[p] for p in gate.params))
    builder.gates.setdefault((gate.spec.name, tuple(params)), []).append(row)
    return offset


def _wanted(plan: AdjointPlan, key: tuple[int, int], around: dict[tuple[int, int], tuple[int, int]],
            found: dict[tuple[int, int], int], output: int) -> tuple[int, ...]:
    number, j = plan.wanted[key]
    unit = plan.units[number]
    after, through = around[(number, j)]
    return (unit.dim, after, through, found[key], unit.reduced, output)
