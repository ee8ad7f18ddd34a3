"""Application functions: one generic LLVM function per `OpKind`, working on any contiguous chunk.

Each takes the chunk (`st`, complex interleaved in the builder's `Real`:
complex128, or complex64 in single precision) and its length `dim` first,
then the row's fields: `dense1`/`diag1` (uncontrolled 1-qubit, explicitly
vectorised on `real.lanes` amplitudes), `dense2` (uncontrolled 4x4, vectorised: `apply_dense2`),
`ctrl1_{flip,dense,diag}` (1-qubit on the controlled subspace; X as swaps;
vectorised when every involved position is >= 2) and `gen_{dense,diag}`
(k <= 4 targets on the controlled subspace, through the aux table's
offsets; k = 0 is a scalar: gphase, or a diagonal target outside the chunk).
Matrices are always complex128 (`mat`, from the fill); entries are rounded
to the state's real type as they are loaded (`load_matrix_c`).
"""

from __future__ import annotations

from typing import Callable

from llvmlite import ir

from qdl.compiler.backends.llvm.irbuild import (
    FAST, I64, ONE, PTR, ZERO, Complex, Real, at, cadd, cmul, cvec, function,
    involved_mask, load_c, load_matrix_c, loop, matvec, store_c, subsets, vload, vmul, vstore,
)
from qdl.compiler.backends.llvm.apply_dense2 import build_dense2
from qdl.compiler.backends.llvm.plan import OpKind


def _build_1q(module: ir.Module, name: str, diagonal: bool, r: Real) -> ir.Function:
    """(st, dim, t, mat): a 1-qubit gate, explicitly vectorised on L = `r.lanes` amplitudes.

    2^t >= L: pairs of contiguous L-amplitude vectors 2^t apart; 2^t < L: both
    halves of each pair sit in one vector, exchanged by a shuffle; a state
    shorter than a vector falls back to scalar code.  Complex products use the swap trick
    (c * v = re(c) v + im(c) [-1, 1] swap(v)), so there are no gathers.
    """
    fn = function(module, name, [PTR, I64, I64, PTR])
    st, dim, t, mat = fn.args
    b = ir.IRBuilder(fn.entry_basic_block)
    entries = [load_matrix_c(b, mat, ir.Constant(I64, e), r) for e in range(2 if diagonal else 4)]
    stride = b.shl(ONE, t)
    lanes = ir.Constant(I64, r.lanes)
    with b.if_else(b.icmp_unsigned(">=", stride, lanes)) as (wide, narrow):
        with wide:
            _1q_wide(b, st, dim, stride, entries, diagonal, r)
        with narrow:
            with b.if_else(b.icmp_unsigned(">=", dim, lanes)) as (packed, scalar):
                with packed:
                    for bit in range(r.lanes.bit_length() - 1):  # 2^t < L here; one specialised loop each
                        with b.if_then(b.icmp_unsigned("==", t, ir.Constant(I64, bit))):
                            _1q_packed(b, st, dim, bit, entries, diagonal, r)
                with scalar:
                    _1q_scalar(b, st, dim, stride, entries, diagonal, r)
    b.ret_void()
    return fn


def _1q_wide(b: ir.IRBuilder, st: ir.Value, dim: ir.Value, stride: ir.Value, entries: list[Complex],
             diagonal: bool, r: Real) -> None:
    coeffs = [cvec(b, [e] * r.lanes) for e in entries]

    def pair(i0: ir.Value) -> None:
        i1 = b.add(i0, stride)
        v0, v1 = vload(b, st, i0, r), vload(b, st, i1, r)
        if diagonal:
            o0, o1 = vmul(b, coeffs[0], v0), vmul(b, coeffs[1], v1)
        else:
            o0 = b.fadd(vmul(b, coeffs[0], v0), vmul(b, coeffs[1], v1), flags=FAST)
            o1 = b.fadd(vmul(b, coeffs[2], v0), vmul(b, coeffs[3], v1), flags=FAST)
        vstore(b, st, i0, o0, r)
        vstore(b, st, i1, o1, r)

    lanes = ir.Constant(I64, r.lanes)
    loop(b, ZERO, dim, lambda hi: loop(b, ZERO, stride, lambda lo: pair(b.add(hi, lo)), lanes),
          b.shl(stride, ONE))


def _1q_packed(b: ir.IRBuilder, st: ir.Value, dim: ir.Value, t: int, entries: list[Complex],
               diagonal: bool, r: Real) -> None:
    bits = [(j >> t) & 1 for j in range(r.lanes)]
    partner = [x for j in range(r.lanes) for x in (2 * (j ^ (1 << t)), 2 * (j ^ (1 << t)) + 1)]
    mask = ir.Constant(ir.VectorType(ir.IntType(32), 2 * r.lanes), partner)
    if diagonal:
        own = cvec(b, [entries[bit] for bit in bits])
    else:
        own = cvec(b, [entries[3 * bit] for bit in bits])
        other = cvec(b, [entries[2 * bit + 1 - bit] for bit in bits])

    def quad(i: ir.Value) -> None:
        v = vload(b, st, i, r)
        out = vmul(b, own, v)
        if not diagonal:
            out = b.fadd(out, vmul(b, other, b.shuffle_vector(v, v, mask)), flags=FAST)
        vstore(b, st, i, out, r)

    loop(b, ZERO, dim, quad, ir.Constant(I64, r.lanes))


def _1q_scalar(b: ir.IRBuilder, st: ir.Value, dim: ir.Value, stride: ir.Value, entries: list[Complex],
               diagonal: bool, r: Real) -> None:
    def pair(i0: ir.Value) -> None:
        i1 = b.add(i0, stride)
        a = [load_c(b, st, i0, r.typ), load_c(b, st, i1, r.typ)]
        out = [cmul(b, entries[0], a[0]), cmul(b, entries[1], a[1])] if diagonal else matvec(b, entries, a)
        store_c(b, st, i0, out[0], r.typ)
        store_c(b, st, i1, out[1], r.typ)

    loop(b, ZERO, dim, lambda hi: loop(b, ZERO, stride, lambda lo: pair(b.add(hi, lo))), b.shl(stride, ONE))


def _build_ctrl1(module: ir.Module, mode: str, r: Real) -> ir.Function:
    """(st, dim, sorted, m, cval, t, mat): a 1-qubit gate on target t in the controlled subspace.

    `mode` is "flip" (X: a swap, no multiplications, `mat` unused), "dense" or
    "diag".  The subspace is walked in runs of 2^p contiguous pairs (p the
    lowest involved position), run starts enumerated as subsets of the free
    bits above p, so no index is rebuilt bit by bit; with p >= 2 each run goes
    `r.lanes` pairs per vector step.  A target inside one vector (t < log2
    lanes) with every control above it takes the packed path instead: both
    halves of each pair in one vector, exchanged by a shuffle (a CNOT onto
    qubit 0 or 1 was otherwise scalar, pair by pair: 3-13x slower).
    """
    fn = function(module, f"qdl_apply_ctrl1_{mode}", [PTR, I64, PTR, I64, I64, I64, PTR])
    st, dim, sorted_pos, m, cval, t, mat = fn.args
    b = ir.IRBuilder(fn.entry_basic_block)
    stride = b.shl(ONE, t)
    entries = [] if mode == "flip" else [load_matrix_c(b, mat, ir.Constant(I64, e), r)
                                         for e in range(2 if mode == "diag" else 4)]
    coeffs = [cvec(b, [e] * r.lanes) for e in entries]
    run = b.shl(ONE, b.load(sorted_pos, typ=I64))
    involved = involved_mask(b, sorted_pos, m)
    free_high = b.and_(b.and_(b.sub(dim, ONE), b.not_(involved)), b.not_(b.sub(run, ONE)))

    def pair(i0: ir.Value, wide: bool) -> None:
        i1 = b.or_(i0, stride)
        kind = r if wide else r.typ
        load, store = (vload, vstore) if wide else (load_c, store_c)
        a0, a1 = load(b, st, i0, kind), load(b, st, i1, kind)
        o0, o1 = (a1, a0) if mode == "flip" else _transform(b, coeffs if wide else entries, a0, a1, wide)
        store(b, st, i0, o0, kind)
        store(b, st, i1, o1, kind)

    bits = r.lanes.bit_length() - 1
    vector_bits = ir.Constant(I64, r.lanes - 1)
    packable = b.and_(b.icmp_unsigned("<", t, ir.Constant(I64, bits)), b.and_(
        b.icmp_unsigned(">=", dim, ir.Constant(I64, r.lanes)),
        b.icmp_unsigned("==", b.and_(involved, vector_bits), b.shl(ONE, t))))  # no control inside a vector
    with b.if_else(packable) as (packed, general):
        with packed:
            for bit in range(bits):
                with b.if_then(b.icmp_unsigned("==", t, ir.Constant(I64, bit))):
                    _ctrl1_packed(b, st, dim, involved, cval, bit, entries, mode, r)
        with general:
            _walk_runs(b, free_high, run, cval, pair, r.lanes)
    b.ret_void()
    return fn


def _ctrl1_packed(b: ir.IRBuilder, st: ir.Value, dim: ir.Value, involved: ir.Value, cval: ir.Value, t: int,
                  entries: list[Complex], mode: str, r: Real) -> None:
    """A 1-qubit gate on target t < log2 lanes, controls all above the vector: one vector per step."""
    bits = [(j >> t) & 1 for j in range(r.lanes)]
    partner = [x for j in range(r.lanes) for x in (2 * (j ^ (1 << t)), 2 * (j ^ (1 << t)) + 1)]
    mask = ir.Constant(ir.VectorType(ir.IntType(32), 2 * r.lanes), partner)
    if mode == "dense":
        own, other = cvec(b, [entries[3 * x] for x in bits]), cvec(b, [entries[x + 1] for x in bits])
    elif mode == "diag":
        own = cvec(b, [entries[x] for x in bits])
    controls = b.and_(involved, b.not_(ir.Constant(I64, r.lanes - 1)))
    lowest = b.and_(controls, b.sub(ZERO, controls))
    run = b.select(b.icmp_unsigned("==", controls, ZERO), dim, lowest)  # contiguous up to the lowest control
    free = b.and_(b.and_(b.sub(dim, ONE), b.not_(involved)), b.not_(b.sub(run, ONE)))

    def vector(i: ir.Value) -> None:
        v = vload(b, st, i, r)
        swapped = b.shuffle_vector(v, v, mask)
        if mode == "flip":
            out = swapped
        elif mode == "diag":
            out = vmul(b, own, v)
        else:
            out = b.fadd(vmul(b, own, v), vmul(b, other, swapped), flags=FAST)
        vstore(b, st, i, out, r)

    step = ir.Constant(I64, r.lanes)
    subsets(b, free, lambda x: loop(b, ZERO, run, lambda j: vector(b.or_(b.or_(x, cval), j)), step))


def _walk_runs(b: ir.IRBuilder, free_high: ir.Value, run: ir.Value, cval: ir.Value,
               visit: Callable[[ir.Value, bool], None], lanes: int) -> None:
    """visit(x | cval | j, wide) over runs of `run` contiguous indices j starting at each subset x of `free_high`.

    `lanes` indices per visit (one vector) when a run holds at least that
    many, else one: the choice is made once per call, outside the loops.
    """
    def runs(wide: bool) -> None:
        step = ir.Constant(I64, lanes if wide else 1)
        subsets(b, free_high, lambda x: loop(b, ZERO, run, lambda j: visit(b.or_(b.or_(x, cval), j), wide), step))

    with b.if_else(b.icmp_unsigned(">=", run, ir.Constant(I64, lanes))) as (wide, narrow):
        with wide:
            runs(True)
        with narrow:
            runs(False)


def _build_scale(module: ir.Module, r: Real) -> ir.Function:
    """(st, dim, sorted, m, cval, mat): multiply the amplitudes whose m involved bits equal `cval` by mat[0].

    A phase gate (first diagonal entry 1) touches only its |1> part, so with its
    target counted as a control it is a scalar on a subspace: one complex
    multiply per touched amplitude, a quarter of the state for a controlled
    phase.  Runs of 2^p contiguous amplitudes (p the lowest involved bit;
    the whole chunk when m = 0), vectorised when p >= 2.
    """
    fn = function(module, "qdl_apply_scale", [PTR, I64, PTR, I64, I64, PTR])
    st, dim, sorted_pos, m, cval, mat = fn.args
    b = ir.IRBuilder(fn.entry_basic_block)
    factor = load_matrix_c(b, mat, ZERO, r)
    coeff = cvec(b, [factor] * r.lanes)
    involved = involved_mask(b, sorted_pos, m)
    lowest = b.and_(involved, b.sub(ZERO, involved))
    run = b.select(b.icmp_unsigned("==", involved, ZERO), dim, lowest)
    free_high = b.and_(b.and_(b.sub(dim, ONE), b.not_(involved)), b.not_(b.sub(run, ONE)))

    def amplitude(i: ir.Value, wide: bool) -> None:
        if wide:
            vstore(b, st, i, vmul(b, coeff, vload(b, st, i, r)), r)
        else:
            store_c(b, st, i, cmul(b, factor, load_c(b, st, i, r.typ)), r.typ)

    _walk_runs(b, free_high, run, cval, amplitude, r.lanes)
    b.ret_void()
    return fn


def _transform(b: ir.IRBuilder, coeffs: list, a0: object, a1: object, wide: bool) -> tuple:
    """(M a)_0, (M a)_1 for a 2x2 matrix (4 coefficients) or a diagonal (2), vector or scalar."""
    mul = (lambda c, v: vmul(b, c, v)) if wide else (lambda c, v: cmul(b, c, v))
    add = (lambda x, y: b.fadd(x, y, flags=FAST)) if wide else (lambda x, y: cadd(b, x, y))
    if len(coeffs) == 2:
        return mul(coeffs[0], a0), mul(coeffs[1], a1)
    return add(mul(coeffs[0], a0), mul(coeffs[1], a1)), add(mul(coeffs[2], a0), mul(coeffs[3], a1))


def _build_general(module: ir.Module, diagonal: bool, r: Real) -> ir.Function:
    """(st, dim, sorted, m, offsets, k2, cval, mat): a k-qubit gate on the controlled subspace."""
    name = "qdl_apply_gen_diag" if diagonal else "qdl_apply_gen_dense"
    fn = function(module, name, [PTR, I64, PTR, I64, PTR, I64, I64, PTR])
    st, dim, sorted_pos, m, offsets, k2, cval, mat = fn.args
    b = ir.IRBuilder(fn.entry_basic_block)
    tmp = b.alloca(r.typ, size=32)
    acc = b.alloca(r.typ, size=2)
    t = r.typ
    free = b.and_(b.sub(dim, ONE), b.not_(involved_mask(b, sorted_pos, m)))

    def offset(base: ir.Value, j: ir.Value) -> ir.Value:
        return b.or_(base, b.load(at(b, offsets, j, I64), typ=I64))

    def diag(base: ir.Value) -> None:
        loop(b, ZERO, k2, lambda j: store_c(b, st, offset(base, j), cmul(
            b, load_matrix_c(b, mat, j, r), load_c(b, st, offset(base, j), t)), t))

    def row(base: ir.Value, i: ir.Value) -> None:
        store_c(b, acc, ZERO, (ir.Constant(t, 0.0), ir.Constant(t, 0.0)), t)
        loop(b, ZERO, k2, lambda c: store_c(b, acc, ZERO, cadd(b, load_c(b, acc, ZERO, t), cmul(
            b, load_matrix_c(b, mat, b.add(b.mul(i, k2), c), r), load_c(b, tmp, c, t))), t))
        store_c(b, st, offset(base, i), load_c(b, acc, ZERO, t), t)

    def dense(base: ir.Value) -> None:
        loop(b, ZERO, k2, lambda j: store_c(b, tmp, j, load_c(b, st, offset(base, j), t), t))
        loop(b, ZERO, k2, lambda i: row(base, i))

    subsets(b, free, lambda x: (diag if diagonal else dense)(b.or_(x, cval)))
    b.ret_void()
    return fn


APPLY: dict[OpKind, Callable[[ir.Module, Real], ir.Function]] = {
    OpKind.DENSE1: lambda m, r: _build_1q(m, "qdl_apply_dense1", False, r),
    OpKind.DIAG1: lambda m, r: _build_1q(m, "qdl_apply_diag1", True, r),
    OpKind.DENSE2: build_dense2,
    OpKind.FLIP: lambda m, r: _build_ctrl1(m, "flip", r),
    OpKind.CTRL1: lambda m, r: _build_ctrl1(m, "dense", r),
    OpKind.CTRL1_DIAG: lambda m, r: _build_ctrl1(m, "diag", r),
    OpKind.GEN_DENSE: lambda m, r: _build_general(m, False, r),
    OpKind.GEN_DIAG: lambda m, r: _build_general(m, True, r),
    OpKind.SCALE: _build_scale,
}
