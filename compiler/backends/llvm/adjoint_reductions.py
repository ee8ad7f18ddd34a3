"""The adjoint library's functions: reductions R = Σ conj(λ) φ, and Pauli strings.

Compiled once per machine as the adjoint library (`adjoint_library`); the
application functions of the sweep are the runtime library's (`library`).  The
reductions compute R_ab = Σ conj(λ[base|a]) φ[base|b] over a unit's
controlled subspace (a, b its target values): `qdl_reduce1` for one
uncontrolled target (vectorised on <8 x double>, its sums kept in registers;
its passes are also those of the fused functions, `adjoint_fused`), and
`qdl_reduce` for k <= 4 targets through the aux table.
`qdl_pauli_acc` adds c P φ to λ for a Pauli string P (a signed permutation).
Reductions ADD to `out` (zeroed by the kernel per batch element), so a state walked in chunks sums up.

Every builder takes the `Real` of the states (λ, φ): in single precision
(complex64) amplitudes are widened to double as they are loaded and rounded
back as they are stored, so sums and matrix products stay double and the
vector code is the same 4 complex lanes (`irbuild.load_wide` and relatives).
"""

from __future__ import annotations

from typing import Callable

from llvmlite import ir

from qdl.compiler.backends.llvm.apply import _transform
from qdl.compiler.backends.llvm.irbuild import (
    DOUBLE, F64, FAST, I64, ONE, PTR, SWAP_RE_IM, V8, ZERO, Real, at, cadd, cmul, cvec, function, load_c, load_wide,
    loop, store_c, store_narrow, subspace_base, vload_wide, vmul, vstore_narrow,
)

Complex = tuple[ir.Value, ir.Value]
Decide = Callable[[ir.Value], ir.Value]  # a quad's first index -> where its pairs are exchanged (i1 or <8 x i1>)


def _conj_mul_add(b: ir.IRBuilder, acc: Complex, x: Complex, y: Complex) -> Complex:
    """acc + conj(x) y."""
    re = b.fadd(b.fmul(x[0], y[0], flags=FAST), b.fmul(x[1], y[1], flags=FAST), flags=FAST)
    im = b.fsub(b.fmul(x[0], y[1], flags=FAST), b.fmul(x[1], y[0], flags=FAST), flags=FAST)
    return cadd(b, acc, (re, im))


def build_reduce1(module: ir.Module, real: Real = DOUBLE) -> ir.Function:
    """(lam, phi, dim, t, out): the 2x2 R of an uncontrolled target t.

    t >= 2: explicitly vectorised on 4 amplitudes (<8 x double>) like `apply`'s
    `dense1`, the anti-Hermitian part of R only (`_reduce1_store`); t < 2: the
    packed pass without its stores; a 1-qubit state: scalar.
    """
    fn = function(module, "qdl_reduce1", [PTR, PTR, I64, I64, PTR])
    lam, phi, dim, t, out = fn.args
    b = ir.IRBuilder(fn.entry_basic_block)
    sums = _zeroed_sums(b)
    stride = b.shl(ONE, t)
    four = ir.Constant(I64, 4)
    with b.if_else(b.icmp_unsigned(">=", stride, four)) as (wide, narrow):
        with wide:
            _reduce1_wide(b, (lam, phi, real), dim, stride, sums)
            _reduce1_store(b, sums, out)
        with narrow:
            with b.if_else(b.icmp_unsigned(">=", dim, four)) as (packed, scalar):
                with packed:
                    for bit in (0, 1):  # t is 0 or 1 here; one specialised loop each
                        with b.if_then(b.icmp_unsigned("==", t, ir.Constant(I64, bit))):
                            _reduce1_packed(b, (lam, phi, real), dim, bit, sums, None, False)
                            _packed_store(b, sums, out, bit)
                with scalar:
                    _reduce1_scalar(b, (lam, phi, real), dim, stride, out)
    b.ret_void()
    return fn


def _zeroed_sums(b: ir.IRBuilder) -> ir.Value:
    """Four zeroed <8 x double> sums (promoted to registers: every index is a constant)."""
    sums = b.alloca(V8, size=4)
    for e in range(4):
        b.store(ir.Constant(V8, [0.0] * 8), at(b, sums, ir.Constant(I64, e), V8))
    return sums


def _reduce1_wide(b: ir.IRBuilder, states: tuple[ir.Value, ir.Value, Real], dim: ir.Value, stride: ir.Value,
                  sums: ir.Value, coeffs: list | None = None, on_phi: bool = False, swap: Decide | None = None,
                  pre: tuple[int, int] | None = None) -> None:
    """Accumulate the vector sums; with `coeffs` also store U† lam (and U† phi when `on_phi`).

    `states` = (lam, phi, their real type).  `swap(i0)` (a CNOT's X un-computed
    on the way, `adjoint_fused`): where it holds (the vector's condition, or a
    lane mask), the pair's two vectors are exchanged; before that, `pre` =
    (u, v) exchanges the lanes of bit u in the pair's vector v (a CNOT from
    the target onto qubit u < 2).  Without `coeffs` the exchanged pairs
    themselves are stored.
    """
    lam, phi, real = states

    def quad(i0: ir.Value) -> None:
        index = (i0, b.add(i0, stride))
        ls = [vload_wide(b, lam, i, real) for i in index]
        ps = [vload_wide(b, phi, i, real) for i in index]
        if pre is not None:
            flip, v = lane_exchange(1 << pre[0]), pre[1]
            ls[v], ps[v] = (b.shuffle_vector(x[v], x[v], flip) for x in (ls, ps))
        if swap is not None:
            where = swap(i0)
            ls = [b.select(where, ls[1], ls[0]), b.select(where, ls[0], ls[1])]
            ps = [b.select(where, ps[1], ps[0]), b.select(where, ps[0], ps[1])]
        _accumulate(b, sums, ls, ps)
        stored = ((lam, ls), (phi, ps))[: 2 if on_phi else 1]
        if coeffs is not None:
            for state, pair in stored:
                for i, v in zip(index, _transform(b, coeffs, pair[0], pair[1], True)):
                    vstore_narrow(b, state, i, v, real)
        elif swap is not None or pre is not None:
            store_where(b, None if pre is not None else where, lambda: [
                vstore_narrow(b, state, i, v, real) for state, pair in stored for i, v in zip(index, pair)])

    loop(b, ZERO, dim, lambda hi: loop(b, ZERO, stride, lambda lo: quad(b.add(hi, lo)), ir.Constant(I64, 4)),
          b.shl(stride, ONE))


def lane_exchange(flip: int) -> ir.Constant:
    """The shuffle mask giving amplitude j of a 4-amplitude vector the amplitude j ^ flip."""
    return ir.Constant(ir.VectorType(ir.IntType(32), 8), [2 * (j ^ flip) + part for j in range(4) for part in (0, 1)])


def store_where(b: ir.IRBuilder, where: ir.Value | None, stores: Callable[[], object]) -> None:
    """`stores()` only where a vector's condition holds; under a lane mask or None, always."""
    if where is None or isinstance(where.type, ir.VectorType):
        stores()
        return
    with b.if_then(where):  # the other vectors stay as they are
        stores()


def _accumulate(b: ir.IRBuilder, sums: ir.Value, ls: list[ir.Value], ps: list[ir.Value]) -> None:
    """The vector sums of `_reduce1_store`: 6 products a pair where the whole R takes 8.

    Sum 0 gets l_0 swap(p_0), 1 gets l_1 swap(p_1), 2 gets l_0 p_1 - l_1 p_0
    and 3 gets l_0 swap(p_1) + l_1 swap(p_0) (swap: re and im exchanged).
    """
    swapped = [b.shuffle_vector(p, p, SWAP_RE_IM) for p in ps]
    terms = (((ls[0], swapped[0], 1),), ((ls[1], swapped[1], 1),), ((ls[0], ps[1], 1), (ls[1], ps[0], -1)),
             ((ls[0], swapped[1], 1), (ls[1], swapped[0], 1)))
    for cell, products in enumerate(terms):
        slot = at(b, sums, ir.Constant(I64, cell), V8)
        total = b.load(slot, typ=V8)
        for left, right, sign in products:
            product = b.fmul(left, right, flags=FAST)
            total = b.fadd(total, product, flags=FAST) if sign > 0 else b.fsub(total, product, flags=FAST)
        b.store(total, slot)


def _reduce1_store(b: ir.IRBuilder, sums: ir.Value, out: ir.Value) -> None:
    """out += R', the part of R that an anti-Hermitian D reads: 2 Re Σ D_ab R'_ab = 2 Re Σ D_ab R_ab.

    Every D_j = P_j (∂g_j g_j†) P_j† is anti-Hermitian (g_j unitary for every
    angle), so Re D_aa R_aa = -Im D_aa Im R_aa and, with D_10 = -conj(D_01),
    Re(D_01 R_01 + D_10 R_10) = Re D_01 (R_01 - conj(R_10)): R'_00 = i Im R_00,
    R'_11 = i Im R_11, R'_01 = R_01 - conj(R_10), R'_10 = 0.  From the sums
    of `_accumulate`: Im parts are Σ_even - Σ_odd lanes, Re parts Σ lanes.
    """
    lanes = [[b.extract_element(b.load(at(b, sums, ir.Constant(I64, s), V8), typ=V8),
                                ir.Constant(ir.IntType(32), j)) for j in range(8)] for s in range(4)]

    def total(values: list[ir.Value]) -> ir.Value:
        acc = values[0]
        for x in values[1:]:
            acc = b.fadd(acc, x, flags=FAST)
        return acc

    def alternating(values: list[ir.Value]) -> ir.Value:
        return total([b.fsub(values[j], values[j + 1], flags=FAST) for j in range(0, 8, 2)])

    parts = ((1, alternating(lanes[0])), (2, total(lanes[2])), (3, alternating(lanes[3])),
             (7, alternating(lanes[1])))  # doubles of out: Im R'_00, Re R'_01, Im R'_01, Im R'_11
    for index, value in parts:
        cell = at(b, out, ir.Constant(I64, index))
        b.store(b.fadd(b.load(cell, typ=F64), value, flags=FAST), cell)


def _reduce1_scalar(b: ir.IRBuilder, states: tuple[ir.Value, ir.Value, Real], dim: ir.Value, stride: ir.Value,
                    out: ir.Value) -> None:
    lam, phi, real = states

    def pair(i0: ir.Value) -> None:
        index = (i0, b.add(i0, stride))
        ls = [load_wide(b, lam, i, real) for i in index]
        ps = [load_wide(b, phi, i, real) for i in index]
        for a in range(2):
            for c in range(2):
                cell = ir.Constant(I64, 2 * a + c)
                store_c(b, out, cell, _conj_mul_add(b, load_c(b, out, cell), ls[a], ps[c]))

    loop(b, ZERO, dim, lambda hi: loop(b, ZERO, stride, lambda lo: pair(b.add(hi, lo))), b.shl(stride, ONE))


def _reduce1_packed(b: ir.IRBuilder, states: tuple[ir.Value, ir.Value, Real], dim: ir.Value, t: int, sums: ir.Value,
                    entries: list[Complex] | None, on_phi: bool, swap: Decide | None = None) -> None:
    """R of target t < 2 and U† on lam (and phi; neither without `entries`), 4 amplitudes per <8 x double>.

    `swap` as in `_reduce1_wide`, here exchanging the partner lanes of a vector.

    With Q = phi's vector with every amplitude exchanged for its partner
    (index ^ 2^t), lane j of L·P sums conj(λ_j) φ_j (R_00 or R_11 by the
    lane's bit t) and lane j of L·Q sums conj(λ_j) φ_partner (R_01 or R_10);
    the swapped products give the imaginary parts, as in `_reduce1_wide`.
    """
    lam, phi, real = states
    bits = [(j >> t) & 1 for j in range(4)]
    partner = lane_exchange(1 << t)

    def transformed(v: ir.Value, exchanged: ir.Value) -> ir.Value:
        mine = vmul(b, own, v)
        return mine if other is None else b.fadd(mine, vmul(b, other, exchanged), flags=FAST)

    if entries is not None:
        diagonal = len(entries) == 2
        own = cvec(b, [entries[bit] if diagonal else entries[3 * bit] for bit in bits])
        other = None if diagonal else cvec(b, [entries[1 + bit] for bit in bits])

    def quad(i: ir.Value) -> None:
        lv, pv = vload_wide(b, lam, i, real), vload_wide(b, phi, i, real)
        if swap is not None:
            where = swap(i)
            lv, pv = (b.select(where, b.shuffle_vector(v, v, partner), v) for v in (lv, pv))
            if entries is None:
                store_where(b, where, lambda: [vstore_narrow(b, state, i, v, real)
                                               for state, v in ((lam, lv), (phi, pv))[: 2 if on_phi else 1]])
        qv = b.shuffle_vector(pv, pv, partner)
        for cell, right in enumerate((pv, b.shuffle_vector(pv, pv, SWAP_RE_IM), qv,
                                      b.shuffle_vector(qv, qv, SWAP_RE_IM))):
            slot = at(b, sums, ir.Constant(I64, cell), V8)
            b.store(b.fadd(b.load(slot, typ=V8), b.fmul(lv, right, flags=FAST), flags=FAST), slot)
        if entries is None:
            return
        vstore_narrow(b, lam, i, transformed(lv, b.shuffle_vector(lv, lv, partner)), real)
        if on_phi:
            vstore_narrow(b, phi, i, transformed(pv, qv), real)

    loop(b, ZERO, dim, quad, ir.Constant(I64, 4))


def _packed_store(b: ir.IRBuilder, sums: ir.Value, out: ir.Value, t: int) -> None:
    """out[2a + c] += the lanes of `_reduce1_packed`'s sums: lane j has a = bit t of j; c = a (L·P) or not a (L·Q)."""
    index = [ir.Constant(ir.IntType(32), k) for k in range(8)]
    lanes = [[b.extract_element(b.load(at(b, sums, ir.Constant(I64, s), V8), typ=V8), index[k]) for k in range(8)]
             for s in range(4)]
    parts: dict[int, list[Complex]] = {0: [], 1: [], 2: [], 3: []}
    for j in range(4):
        a = (j >> t) & 1
        for first, c in ((0, a), (2, 1 - a)):
            re = b.fadd(lanes[first][2 * j], lanes[first][2 * j + 1], flags=FAST)
            im = b.fsub(lanes[first + 1][2 * j], lanes[first + 1][2 * j + 1], flags=FAST)
            parts[2 * a + c].append((re, im))
    for cell, terms in parts.items():
        total = load_c(b, out, ir.Constant(I64, cell))
        for term in terms:
            total = cadd(b, total, term)
        store_c(b, out, ir.Constant(I64, cell), total)


def build_reduce(module: ir.Module, real: Real = DOUBLE) -> ir.Function:
    """(lam, phi, dim, sorted, m, offsets, k2, cval, out): the k2 x k2 R on the controlled subspace."""
    fn = function(module, "qdl_reduce", [PTR, PTR, I64, PTR, I64, PTR, I64, I64, PTR])
    lam, phi, dim, sorted_pos, m, offsets, k2, cval, out = fn.args
    b = ir.IRBuilder(fn.entry_basic_block)
    slot = b.alloca(I64)

    def amp(base: ir.Value, state: ir.Value, j: ir.Value) -> Complex:
        return load_wide(b, state, b.or_(base, b.load(at(b, offsets, j, I64), typ=I64)), real)

    def entry(base: ir.Value, a: ir.Value, c: ir.Value) -> None:
        cell = b.add(b.mul(a, k2), c)
        store_c(b, out, cell, _conj_mul_add(b, load_c(b, out, cell), amp(base, lam, a), amp(base, phi, c)))

    def element(i: ir.Value) -> None:
        base = subspace_base(b, slot, i, sorted_pos, m, cval)
        loop(b, ZERO, k2, lambda a: loop(b, ZERO, k2, lambda c: entry(base, a, c)))

    loop(b, ZERO, b.lshr(dim, m), element)
    b.ret_void()
    return fn


def build_pauli_acc(module: ir.Module, real: Real = DOUBLE) -> ir.Function:
    """(lam, phi, dim, flip, sign, coeff): lam[i ^ flip] += coeff (-1)^popcount(i & sign) phi[i]."""
    fn = function(module, "qdl_pauli_acc", [PTR, PTR, I64, I64, I64, PTR])
    lam, phi, dim, flip, sign, coeff = fn.args
    b = ir.IRBuilder(fn.entry_basic_block)
    ctpop = module.declare_intrinsic("llvm.ctpop", [I64])
    c = load_c(b, coeff, ZERO)
    minus = (b.fneg(c[0]), b.fneg(c[1]))

    def element(i: ir.Value) -> None:
        odd = b.trunc(b.call(ctpop, [b.and_(i, sign)]), ir.IntType(1))
        factor = (b.select(odd, minus[0], c[0]), b.select(odd, minus[1], c[1]))
        j = b.xor(i, flip)
        store_narrow(b, lam, j, cadd(b, load_wide(b, lam, j, real), cmul(b, factor, load_wide(b, phi, i, real))), real)

    loop(b, ZERO, dim, element)
    b.ret_void()
    return fn
