"""The dense 4x4 application (`OpKind.DENSE2`), explicitly vectorised: fused 2-qubit blocks run through it.

(st, dim, qa, qb, mat): the matrix is row-major with qa the most significant
bit.  It is first re-indexed by (high, low) position once per call (16
selects), so the loops only know `high > low`.  Three vector paths, chosen
once per call outside the loops, each 4 complex products per amplitude:

* wide (`low` >= log2 lanes): four vectors of `lanes` contiguous amplitudes,
  one per value of the two bits, runs of 2^low enumerated as subsets;
* one packed (`low` < log2 lanes <= `high`): both values of the low bit sit
  in one vector; two vectors (high bit 0 and 1), each also taken with its
  lanes exchanged across the low bit;
* both packed (`high` < log2 lanes): one vector holds all four amplitudes
  of each group; four lane permutations of it.

Per-lane coefficients come from `cvec`; a state shorter than one vector
falls back to scalar code.
"""

from __future__ import annotations

from llvmlite import ir

from qdl.compiler.backends.llvm.irbuild import (
    FAST, I64, ONE, PTR, ZERO, Complex, Real, cvec, function, insert_zero, load_c, load_matrix_c, loop, matvec,
    store_c, subsets, vload, vmul, vstore,
)

I32 = ir.IntType(32)


def build_dense2(module: ir.Module, r: Real) -> ir.Function:
    """Emit `qdl_apply_dense2` for states of `r` (signature above)."""
    fn = function(module, "qdl_apply_dense2", [PTR, I64, I64, I64, PTR])
    st, dim, qa, qb, mat = fn.args
    b = ir.IRBuilder(fn.entry_basic_block)
    raw = [load_matrix_c(b, mat, ir.Constant(I64, e), r) for e in range(16)]
    swapped = b.icmp_unsigned("<", qa, qb)
    entries = [_pick(b, swapped, raw[4 * _exchange(row) + _exchange(col)], raw[4 * row + col])
               for row in range(4) for col in range(4)]
    high, low = b.select(swapped, qb, qa), b.select(swapped, qa, qb)
    bits = r.lanes.bit_length() - 1
    lanes = ir.Constant(I64, r.lanes)
    with b.if_else(b.icmp_unsigned(">=", low, ir.Constant(I64, bits))) as (wide, narrow):
        with wide:
            _wide(b, st, dim, high, low, entries, r)
        with narrow:
            with b.if_else(b.icmp_unsigned(">=", dim, lanes)) as (packed, scalar):
                with packed:
                    _packed(b, st, dim, high, low, entries, r)
                with scalar:
                    _scalar(b, st, dim, high, low, entries, r)
    b.ret_void()
    return fn


def _exchange(index: int) -> int:
    """A 2-bit matrix index with its two bits exchanged."""
    return ((index & 1) << 1) | (index >> 1)


def _pick(b: ir.IRBuilder, flag: ir.Value, yes: Complex, no: Complex) -> Complex:
    return b.select(flag, yes[0], no[0]), b.select(flag, yes[1], no[1])


def _wide(b: ir.IRBuilder, st: ir.Value, dim: ir.Value, high: ir.Value, low: ir.Value,
          entries: list[Complex], r: Real) -> None:
    coeffs = [cvec(b, [e] * r.lanes) for e in entries]
    sh, sl = b.shl(ONE, high), b.shl(ONE, low)
    free = b.and_(b.and_(b.sub(dim, ONE), b.not_(b.or_(sh, sl))), b.not_(b.sub(sl, ONE)))

    def group(base: ir.Value) -> None:
        index = [base, b.or_(base, sl), b.or_(base, sh), b.or_(base, b.or_(sh, sl))]
        v = [vload(b, st, i, r) for i in index]
        for row, i in enumerate(index):
            acc = vmul(b, coeffs[4 * row], v[0])
            for col in range(1, 4):
                acc = b.fadd(acc, vmul(b, coeffs[4 * row + col], v[col]), flags=FAST)
            vstore(b, st, i, acc, r)

    step = ir.Constant(I64, r.lanes)
    subsets(b, free, lambda x: loop(b, ZERO, sl, lambda j: group(b.or_(x, j)), step))


def _packed(b: ir.IRBuilder, st: ir.Value, dim: ir.Value, high: ir.Value, low: ir.Value,
            entries: list[Complex], r: Real) -> None:
    """One loop specialised per (high, low) below log2 lanes: the lane permutations are constants."""
    bits = r.lanes.bit_length() - 1
    for lo in range(bits):
        with b.if_then(b.icmp_unsigned("==", low, ir.Constant(I64, lo))):
            with b.if_else(b.icmp_unsigned(">=", high, ir.Constant(I64, bits))) as (one, both):
                with one:
                    _one_packed(b, st, dim, high, lo, entries, r)
                with both:
                    for hi in range(lo + 1, bits):
                        with b.if_then(b.icmp_unsigned("==", high, ir.Constant(I64, hi))):
                            _both_packed(b, st, dim, hi, lo, entries, r)


def _permutation(r: Real, flip: int) -> ir.Constant:
    """The shuffle mask giving lane j the amplitude of lane j ^ flip."""
    return ir.Constant(ir.VectorType(I32, 2 * r.lanes), [2 * (j ^ flip) + part for j in range(r.lanes)
                                                            for part in (0, 1)])


def _one_packed(b: ir.IRBuilder, st: ir.Value, dim: ir.Value, high: ir.Value, lo: int,
                entries: list[Complex], r: Real) -> None:
    bit = [(j >> lo) & 1 for j in range(r.lanes)]
    own = [[cvec(b, [entries[4 * (2 * h + bit[j]) + 2 * g + bit[j]] for j in range(r.lanes)]) for g in range(2)]
           for h in range(2)]
    other = [[cvec(b, [entries[4 * (2 * h + bit[j]) + 2 * g + 1 - bit[j]] for j in range(r.lanes)])
              for g in range(2)] for h in range(2)]
    mask = _permutation(r, 1 << lo)
    sh = b.shl(ONE, high)
    free = b.and_(b.and_(b.sub(dim, ONE), b.not_(sh)), b.not_(ir.Constant(I64, r.lanes - 1)))

    def pair(base: ir.Value) -> None:
        index = [base, b.or_(base, sh)]
        v = [vload(b, st, i, r) for i in index]
        moved = [b.shuffle_vector(x, x, mask) for x in v]
        for h, i in enumerate(index):
            parts = [vmul(b, own[h][g], v[g]) for g in range(2)] + [vmul(b, other[h][g], moved[g]) for g in range(2)]
            vstore(b, st, i, _total(b, parts), r)

    subsets(b, free, pair)


def _both_packed(b: ir.IRBuilder, st: ir.Value, dim: ir.Value, hi: int, lo: int,
                 entries: list[Complex], r: Real) -> None:
    def index(j: int) -> int:
        return 2 * ((j >> hi) & 1) + ((j >> lo) & 1)

    flips = (0, 1 << lo, 1 << hi, (1 << hi) | (1 << lo))
    coeffs = [cvec(b, [entries[4 * index(j) + index(j ^ f)] for j in range(r.lanes)]) for f in flips]
    masks = [_permutation(r, f) for f in flips]

    def group(i: ir.Value) -> None:
        v = vload(b, st, i, r)
        parts = [vmul(b, coeffs[0], v)] + [vmul(b, c, b.shuffle_vector(v, v, m)) for c, m in zip(coeffs[1:], masks[1:])]
        vstore(b, st, i, _total(b, parts), r)

    loop(b, ZERO, dim, group, ir.Constant(I64, r.lanes))


def _total(b: ir.IRBuilder, parts: list[ir.Value]) -> ir.Value:
    acc = parts[0]
    for part in parts[1:]:
        acc = b.fadd(acc, part, flags=FAST)
    return acc


def _scalar(b: ir.IRBuilder, st: ir.Value, dim: ir.Value, high: ir.Value, low: ir.Value,
            entries: list[Complex], r: Real) -> None:
    sh, sl = b.shl(ONE, high), b.shl(ONE, low)

    def quad(i: ir.Value) -> None:
        base = insert_zero(b, insert_zero(b, i, low), high)
        index = [base, b.or_(base, sl), b.or_(base, sh), b.or_(base, b.or_(sh, sl))]
        out = matvec(b, entries, [load_c(b, st, k, r.typ) for k in index])
        for k, value in zip(index, out):
            store_c(b, st, k, value, r.typ)

    loop(b, ZERO, b.lshr(dim, ir.Constant(I64, 2)), quad)
