"""Lower a circuit's backward sweep to an adjoint plan: un-compute rows and reduction rows.

Adjoint differentiation (see `qdl.runtime.adjoint` for the maths) needs, per
observable H_o, the final state φ = ψ and λ_o = H_o ψ, then walks the ops
backwards applying U† to φ and to every λ_o.  The walk un-computes the
ops by *units* (`adjoint_units`: a run of 1-qubit gates on one qubit, or one
other gate as its base gate plus controls).  Per unit the table holds

* a reduction row, when a differentiated angle sits in the unit: before the
  unit is un-computed, R_ab = Σ conj(λ_o[base|a]) φ[base|b] over the unit's
  controlled subspace (a, b its target values, first target = most
  significant), per observable;
* one apply row (U_unit† on φ and each λ_o, through the runtime library's
  application functions).

With P_j the gates of the unit after gate j, ⟨λ|∂g_j|φ_before⟩ equals
⟨λ|D_j|φ⟩ for D_j = P_j (∂g_j g_j†) P_j†, so one R serves every angle of the
unit: ∂<H_o>/∂θ = 2 Re Σ_ab (D_j)_ab R_ab (the kernel builds D_j: `adjoint_fill`).  Outside the
controlled subspace the derivative is 0, which the restricted sum encodes.

Invariants: qubit indices are global (little-endian state); apply rows use
`plan.Row`'s fields and `OpKind`'s application paths, reduction rows the
same fields with `REDUCE1` (uncontrolled, one target) or `REDUCE` (general).
A 1-qubit run (the common case: RY RZ on every qubit) takes one fused row,
`REDUCE_APPLY1[_DIAG]`, that reduces and un-computes in one pass per λ_o
(φ is un-computed with the last observable's), saving a read of both vectors;
a CNOT on the run's target just before it in the table joins that pass too
(`REDUCE_APPLY1_MUX`: the X on one half of the pairs, as the forward plan
absorbs CNOTs into 1-qubit blocks), whatever its control and target: whole
vectors or lanes are exchanged (`adjoint_fused`).  A CNOT onto qubit 0 or 1
from the target of the fused row just after it joins that row's pass as a
lane exchange (`_Tables.fold_flips`; a ring's closing CNOT), so a CNOT ring
costs no passes of its own.  1-qubit reductions keep only R's anti-Hermitian
part (`adjoint_reductions._reduce1_store`: every D_j is anti-Hermitian).

Dead units: a unit whose un-compute no later reduction reads (`adjoint_units.live_units`:
a reduction is blind to unitaries on qubits outside its unit) is left out,
and a dead run is only reduced (`REDUCE1`, or `REDUCE1_MUX` after its CNOT's
X), e.g. the circuit's first layer.  So the sweep leaves φ and the λ's partly
un-computed: nobody reads them after it.

Locality: runs of rows whose qubits all lie below `chunk_qubits` form chunked
segments, applied chunk by chunk (φ's and the λ's chunks stay in cache: L1
while the states fit in L2, else L2), so a large state streams once per
segment, not once per row; other rows walk the whole state.  Reductions add
up over chunks.
"""

from __future__ import annotations

from dataclasses import dataclass

from qdl.compiler.backends.llvm.adjoint_units import Unit, absorptions, backward_units, is_run, live_units
from qdl.compiler.backends.llvm.plan import OpKind, subspace_entries
from qdl.compiler.ir import Circuit, Observable

REDUCE1 = 100  # R over pairs of one uncontrolled target
REDUCE = 101  # R over the controlled subspace of k targets
REDUCE_APPLY1 = 102  # REDUCE1, then the unit's dense U† in the same pass over the amplitudes
REDUCE_APPLY1_DIAG = 103  # the same with a diagonal U†
REDUCE_APPLY1_MUX = 104  # a CNOT's X on the target (q1 = its control, cval = its value), then REDUCE_APPLY1
REDUCE_APPLY1_MUX_DIAG = 105
REDUCE1_MUX = 106  # a CNOT's X on the target (q1, cval as in REDUCE_APPLY1_MUX), then REDUCE1: a dead unit's run
FUSED = (REDUCE_APPLY1, REDUCE_APPLY1_DIAG, REDUCE_APPLY1_MUX, REDUCE_APPLY1_MUX_DIAG, REDUCE1_MUX)
ROW_FIELDS = 9  # kind, q0, q1, m, aux, k2, cval, mat, red
SEGMENT_FIELDS = 3  # chunked (0/1), first row, end row
CHUNK_BYTES = 1 << 18  # φ's and every λ_o's chunk together stay in L2
L1_CHUNK_BYTES = 1 << 15  # ... or in L1, when the whole sweep's states fit in L2 anyway
L2_BYTES = 1 << 21


@dataclass(frozen=True)
class PauliString:
    """One Pauli term as the kernel applies it: λ[i ^ flip] += coeff (-1)^|i & sign| φ[i]."""

    observable: int
    flip: int
    sign: int
    coeff: complex


@dataclass(frozen=True)
class AdjointPlan:
    """Everything the adjoint code generator and its host need for one circuit.

    `units` are in backward (table) order; `wanted[(op, param)]` = (unit
    index, gate position in the unit) for every differentiated angle.
    """

    num_qubits: int
    rows: tuple[tuple[int, ...], ...]
    aux: tuple[int, ...]
    num_entries: int  # complex apply-matrix entries per batch element
    num_reduced: int  # complex reduction entries per observable
    strings: tuple[PauliString, ...]
    num_observables: int
    units: tuple[Unit, ...]
    wanted: dict[tuple[int, int], tuple[int, int]]
    chunk_qubits: int = 0
    segments: tuple[tuple[int, int, int], ...] = ()
    precision: str = "double"  # of φ and the λ's: complex128 ("double") or complex64 ("single")

    def table(self) -> list[int]:
        return [int(v) for row in self.rows for v in row]

    def segment_table(self) -> list[int]:
        return [int(v) for segment in self.segments for v in segment]


def pauli_strings(observables: tuple[Observable, ...]) -> tuple[PauliString, ...]:
    """Each observable's terms as bit masks: Y|b> = i(-1)^b |1-b>, Z|b> = (-1)^b |b>."""
    out = []
    for index, observable in enumerate(observables):
        for term in observable.terms:
            letters = dict(term.paulis)
            flip = sum(1 << q for q, p in letters.items() if p in "XY")
            sign = sum(1 << q for q, p in letters.items() if p in "YZ")
            phase = 1j ** sum(p == "Y" for p in letters.values())
            out.append(PauliString(index, flip, sign, complex(term.coeff) * phase))
    return tuple(out)


def lower_adjoint(circuit: Circuit, observables: tuple[Observable, ...],
                  wanted: set[tuple[int, int]], precision: str = "double") -> AdjointPlan:
    """The adjoint plan of `circuit`'s gate ops; terminal measurements must already be harmless."""
    units = backward_units(circuit)
    hits = [_hits(number, unit, wanted) for number, unit in enumerate(units)]
    fusable = [bool(h) and is_run(unit) and bool(observables) for h, unit in zip(hits, units)]
    absorbs = absorptions(units, fusable)
    live = live_units(units, [bool(h) for h in hits])
    builder = _Tables(circuit.num_qubits)
    found: dict[tuple[int, int], tuple[int, int]] = {}
    for number, unit in enumerate(units):
        found.update(hits[number])
        if number in absorbs:
            builder.fused(units[absorbs[number]], unit, live[absorbs[number]])
        elif number in absorbs.values():
            continue  # un-computed together with its CNOT, above
        elif fusable[number]:
            builder.fused(unit, None, live[number])
        else:
            if hits[number]:
                builder.reduction(unit)
            if live[number]:
                builder.apply(unit)
    builder.fold_flips()
    chunk = chunk_qubits(circuit.num_qubits, len(observables), 16 if precision == "double" else 8)
    return AdjointPlan(circuit.num_qubits, tuple(builder.rows), tuple(builder.aux), builder.entries,
                       builder.reduced, pauli_strings(observables), len(observables), tuple(units), found,
                       chunk, segments(builder.reach, chunk), precision)


def chunk_qubits(num_qubits: int, observables: int, amplitude_bytes: int = 16) -> int:
    """The largest c with (1 + observables) chunks of 2^c amplitudes within the chunk budget.

    The budget is `CHUNK_BYTES` (L2), or `L1_CHUNK_BYTES` when φ and the λ's
    together fit in `L2_BYTES`: rows on qubits between the two chunk sizes
    then walk the whole state, but from L2, while the chunked rows (most of
    them) work from L1; with larger states those rows would stream from
    memory instead (measured: 8 % faster at n = 12, 3 % slower at n = 18).
    """
    states = amplitude_bytes * (1 + observables) << num_qubits
    budget = min(CHUNK_BYTES, L1_CHUNK_BYTES) if states <= L2_BYTES else CHUNK_BYTES
    fits = (budget // (amplitude_bytes * (1 + observables))).bit_length() - 1
    return max(0, min(num_qubits, fits))


def segments(reach: list[int], chunk: int) -> tuple[tuple[int, int, int], ...]:
    """Runs of rows: (1, first, end) when every row's qubits lie below `chunk`, else (0, first, end).

    A chunked run walks the state in contiguous chunks of 2^chunk amplitudes
    and applies all its rows to a chunk before the next one: each row sees
    its chunk as a whole state, since no involved bit lies outside it.
    """
    out: list[tuple[int, int, int]] = []
    for row, top in enumerate(reach):
        local = int(top <= chunk)
        if out and out[-1][0] == local:
            out[-1] = (local, out[-1][1], row + 1)
        else:
            out.append((local, row, row + 1))
    return tuple(out)


def _hits(number: int, unit: Unit, wanted: set[tuple[int, int]]) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The unit's differentiated angles: ((op, param), (unit number, gate position))."""
    angles = [((g.op, p), (number, j)) for j, g in enumerate(unit.gates) for p in range(len(g.params))]
    return [(key, where) for key, where in angles if key in wanted]


class _Tables:
    """Accumulates rows, the aux table, the matrix layout and the reduction layout."""

    def __init__(self, num_qubits: int) -> None:
        self.n = num_qubits
        self.rows: list[tuple[int, ...]] = []
        self.aux: list[int] = []
        self.entries = 0
        self.reduced = 0
        self.reach: list[int] = []  # per row: 1 + its highest involved qubit (0: none)
        self.lone: dict[int, tuple[int, int, int]] = {}  # CNOT row onto qubit 0 or 1 -> (target, control, value)

    def _add(self, row: tuple[int, ...], qubits: tuple[int, ...]) -> None:
        self.rows.append(row)
        self.reach.append(1 + max(qubits, default=-1))

    def reduction(self, unit: Unit) -> None:
        unit.reduced = self.reduced
        self.reduced += unit.dim**2
        if not unit.controls and len(unit.targets) == 1:
            self._add((REDUCE1, unit.targets[0], 0, 0, 0, 2, 0, 0, unit.reduced), unit.targets)
            return
        m, aux = self._subspace(unit.controls + unit.targets, unit.targets)
        self._add((REDUCE, 0, 0, m, aux, unit.dim, _cval(unit), 0, unit.reduced), unit.controls + unit.targets)

    def fused(self, unit: Unit, cnot: Unit | None, live: bool) -> None:
        """One pass: R, then U† (after `cnot`'s X when given: its control goes in q1, its value in cval).

        A dead unit (`adjoint_units.live_units`) is only reduced: `REDUCE1`, or `REDUCE1_MUX` after its CNOT's X.
        """
        if not live and cnot is None:
            self.reduction(unit)
            return
        unit.reduced = self.reduced
        self.reduced += 4
        if not live:
            control, value = cnot.controls[0], int(cnot.values[0])
            self._add((REDUCE1_MUX, unit.targets[0], control, 0, 0, 2, value, 0, unit.reduced),
                      unit.targets + (control,))
            return
        unit.mat = self.entries
        self.entries += 2 if unit.diagonal else 4
        if cnot is None:
            kind = REDUCE_APPLY1_DIAG if unit.diagonal else REDUCE_APPLY1
            self._add((kind, unit.targets[0], 0, 0, 0, 2, 0, unit.mat, unit.reduced), unit.targets)
            return
        kind = REDUCE_APPLY1_MUX_DIAG if unit.diagonal else REDUCE_APPLY1_MUX
        control, value = cnot.controls[0], int(cnot.values[0])
        self._add((kind, unit.targets[0], control, 0, 0, 2, value, unit.mat, unit.reduced), unit.targets + (control,))

    def apply(self, unit: Unit) -> None:
        if unit.flips:
            self._flips(unit)
            return
        unit.mat = self.entries
        self.entries += unit.dim if unit.diagonal else unit.dim**2
        self._add(self._apply_row(unit) + (0,), unit.controls + unit.targets)

    def _apply_row(self, unit: Unit) -> tuple[int, ...]:
        targets, diagonal, mat = unit.targets, unit.diagonal, unit.mat
        if not unit.controls and len(targets) == 1:
            return (OpKind.DIAG1 if diagonal else OpKind.DENSE1, targets[0], 0, 0, 0, 2, 0, mat)
        if not unit.controls and len(targets) == 2 and not diagonal:
            return (OpKind.DENSE2, targets[0], targets[1], 0, 0, 4, 0, mat)
        m, aux = self._subspace(unit.controls + targets, targets)
        if len(targets) == 1:
            return (OpKind.CTRL1_DIAG if diagonal else OpKind.CTRL1, targets[0], 0, m, aux, 2, _cval(unit), mat)
        return (OpKind.GEN_DIAG if diagonal else OpKind.GEN_DENSE, 0, 0, m, aux, unit.dim, _cval(unit), mat)

    def fold_flips(self) -> None:
        """A CNOT onto qubit 0 or 1 just before a fused row on its control (>= 2) joins that row's pass.

        The row's m field is 1 + the CNOT's target and aux its control value:
        the fused pass first exchanges that bit's lanes in the half of each
        pair where the control (the row's target) has that value (`adjoint_fused`).
        """
        for at in sorted(self.lone, reverse=True):
            target, control, value = self.lone[at]
            row = self.rows[at + 1] if at + 1 < len(self.rows) else None
            if row is None or row[0] not in FUSED or row[1] != control or control < 2 or row[3]:
                continue
            self.rows[at + 1] = row[:3] + (1 + target, value) + row[5:]
            self.reach[at + 1] = max(self.reach[at], self.reach[at + 1])
            del self.rows[at], self.reach[at]

    def _flips(self, unit: Unit) -> None:
        """X is its own inverse; SWAP is three controlled flips, a palindrome, so also its own."""
        if len(unit.targets) == 1 and len(unit.controls) == 1 and unit.targets[0] < 2:
            self.lone[len(self.rows)] = (unit.targets[0], unit.controls[0], int(unit.values[0]))
        pairs = [(None, unit.targets[0])] if len(unit.targets) == 1 else [
            (unit.targets[0], unit.targets[1]), (unit.targets[1], unit.targets[0]),
            (unit.targets[0], unit.targets[1])]
        for control, target in pairs:
            extra = () if control is None else (control,)
            m, aux = self._subspace(unit.controls + extra + (target,), ())
            cval = _cval(unit) | (0 if control is None else 1 << control)
            self._add((OpKind.FLIP, target, 0, m, aux, 2, cval, 0, 0), unit.controls + unit.targets)

    def _subspace(self, qubits: tuple[int, ...], targets: tuple[int, ...]) -> tuple[int, int]:
        """Store the subspace's aux entries as the forward plan does (`plan.subspace_entries`)."""
        start = len(self.aux)
        self.aux.extend(subspace_entries(qubits, targets))
        return len(qubits), start


def _cval(unit: Unit) -> int:
    return sum(1 << c for c, v in zip(unit.controls, unit.values) if v)
