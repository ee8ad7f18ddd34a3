"""The adjoint library's fused passes: a 1-qubit run reduced and un-computed in one pass over φ and a λ.

    qdl_reduce_apply1_{dense,diag}      (lam, phi, dim, t, mat, out, last, pre, pre_value)
    qdl_reduce_apply1_mux_{dense,diag}  (lam, phi, dim, t, mat, out, last, c, value, pre, pre_value)
    qdl_reduce1_mux                     (lam, phi, dim, t, out, last, c, value, pre, pre_value)

R of target t into `out` (`adjoint_reductions`, summed over the pass), then
U† (`mat`, 2x2 or its diagonal) on lam, and on phi when `last` (φ goes with
the last observable).  `_mux`: first a CNOT's X on target t where bit c of
the index is `value` (un-computed on the way, so the CNOT costs no pass of
its own); `qdl_reduce1_mux` is the X and R only, for a unit whose
un-compute nobody reads (`adjoint_units.live_units`).  `pre` = 1 + u (0: none),
wide path only: before all that, a CNOT from the target t (where it is
`pre_value`) onto qubit u < 2, whose lanes it exchanges (`adjoint._Tables.fold_flips`).

Paths: wide (t >= 2: pairs of 4-amplitude vectors 2^t apart), packed
(t < 2, dim >= 4: both amplitudes of a pair in one vector) and scalar (a
1-qubit state; no X there: a CNOT needs two qubits).  The X exchanges a
pair's halves where its condition holds: with c >= 2 one index bit decides
for a whole vector (a select on a scalar condition); with c < 2 the
condition is a constant lane mask, computed once per call.  Each condition
and each value of `last` gets its own loop.
"""

from __future__ import annotations

from typing import Callable

from llvmlite import ir

from qdl.compiler.backends.llvm.adjoint_reductions import (
    Decide, _packed_store, _reduce1_packed, _reduce1_store, _reduce1_wide, _zeroed_sums,
)
from qdl.compiler.backends.llvm.apply import _transform
from qdl.compiler.backends.llvm.irbuild import (
    DOUBLE, I64, ONE, PTR, ZERO, Complex, Real, cvec, function, load_c, load_wide, loop, store_narrow,
)

TWO, FOUR = ir.Constant(I64, 2), ir.Constant(I64, 4)
MASK = ir.VectorType(ir.IntType(1), 8)


def build_fused(module: ir.Module, reduce1: ir.Function, diagonal: bool | None, mux: bool,
                real: Real = DOUBLE) -> ir.Function:
    """One of the functions above: `diagonal` None is `qdl_reduce1_mux` (no U†, `mux` must be set)."""
    name = "qdl_reduce1_mux" if diagonal is None else \
        f"qdl_reduce_apply1_{'mux_' if mux else ''}{'diag' if diagonal else 'dense'}"
    matrix = [] if diagonal is None else [PTR]
    fn = function(module, name, [PTR, PTR, I64, I64] + matrix + [PTR, I64] + ([I64, I64] if mux else []) + [I64, I64])
    lam, phi, dim, t = fn.args[:4]
    mat = fn.args[4] if matrix else None
    out, last = fn.args[4 + len(matrix):6 + len(matrix)]
    b = ir.IRBuilder(fn.entry_basic_block)
    sums = _zeroed_sums(b)
    entries = None if mat is None else [load_c(b, mat, ir.Constant(I64, e)) for e in range(2 if diagonal else 4)]
    stride = b.shl(ONE, t)
    states = (lam, phi, real)

    def swaps(body: Callable[[Decide | None], None]) -> None:
        if mux:
            _by_control(b, fn.args[-4], fn.args[-3], body)
        else:
            body(None)

    with b.if_else(b.icmp_unsigned(">=", stride, FOUR)) as (wide, narrow):
        with wide:
            coeffs = None if entries is None else [cvec(b, [e] * 4) for e in entries]
            _by_pre(b, fn.args[-2], fn.args[-1], lambda pre: swaps(lambda swap: _by_last(
                b, last, lambda on_phi: _reduce1_wide(b, states, dim, stride, sums, coeffs, on_phi, swap, pre))))
            _reduce1_store(b, sums, out)
        with narrow:
            with b.if_else(b.icmp_unsigned(">=", dim, FOUR)) as (packed, scalar):
                with packed:
                    for bit in (0, 1):  # t is 0 or 1 here; one specialised loop each
                        with b.if_then(b.icmp_unsigned("==", t, ir.Constant(I64, bit))):
                            swaps(lambda swap, k=bit: _by_last(b, last, lambda on_phi: _reduce1_packed(
                                b, states, dim, k, sums, entries, on_phi, swap)))
                            _packed_store(b, sums, out, bit)
                with scalar:
                    if not mux:
                        b.call(reduce1, [lam, phi, dim, t, out])
                        _apply_scalar(b, (lam, real), dim, stride, entries)
                        with b.if_then(b.icmp_unsigned("!=", last, ZERO)):
                            _apply_scalar(b, (phi, real), dim, stride, entries)
    b.ret_void()
    return fn


def _by_last(b: ir.IRBuilder, last: ir.Value, body: Callable[[bool], None]) -> None:
    """body(True) when `last` (φ too), else body(False): one loop each."""
    with b.if_else(b.icmp_unsigned("!=", last, ZERO)) as (both, lam_only):
        with both:
            body(True)
        with lam_only:
            body(False)


def _by_pre(b: ir.IRBuilder, pre: ir.Value, value: ir.Value, body: Callable[[tuple[int, int] | None], None]) -> None:
    """body(None) without a folded CNOT (pre = 0), else body((u, v)) for pre = 1 + u and value v, each once."""
    with b.if_else(b.icmp_unsigned("==", pre, ZERO)) as (plain, folded):
        with plain:
            body(None)
        with folded:
            for u in (0, 1):
                for v in (0, 1):
                    which = b.and_(b.icmp_unsigned("==", pre, ir.Constant(I64, 1 + u)),
                                   b.icmp_unsigned("==", value, ir.Constant(I64, v)))
                    with b.if_then(which):
                        body((u, v))


def _by_control(b: ir.IRBuilder, c: ir.Value, value: ir.Value, body: Callable[[Decide], None]) -> None:
    """body(swap) for c >= 2 (bit c of the vector's first index) and for c < 2 (a lane mask), each once."""
    with b.if_else(b.icmp_unsigned(">=", c, TWO)) as (high, low):
        with high:
            body(lambda i: b.icmp_unsigned("==", b.and_(b.lshr(i, c), ONE), value))
        with low:
            masks = [[ir.Constant(MASK, [((j // 2) >> bit & 1) == v for j in range(8)]) for v in (0, 1)]
                     for bit in (0, 1)]  # lane j holds amplitude j // 2 of the vector
            is_one = b.icmp_unsigned("!=", value, ZERO)
            mask = b.select(b.icmp_unsigned("==", c, ZERO), b.select(is_one, masks[0][1], masks[0][0]),
                            b.select(is_one, masks[1][1], masks[1][0]))
            body(lambda i: mask)


def _apply_scalar(b: ir.IRBuilder, buffer: tuple[ir.Value, Real], dim: ir.Value, stride: ir.Value,
                  entries: list[Complex]) -> None:
    """The 2x2 (or diagonal) `entries` on every pair (i, i + stride) of the state, one amplitude at a time."""
    state, real = buffer

    def pair(i0: ir.Value) -> None:
        index = (i0, b.add(i0, stride))
        out = _transform(b, entries, load_wide(b, state, index[0], real), load_wide(b, state, index[1], real), False)
        for i, value in zip(index, out):
            store_narrow(b, state, i, value, real)

    loop(b, ZERO, dim, lambda hi: loop(b, ZERO, stride, lambda lo: pair(b.add(hi, lo))), b.shl(stride, ONE))
