"""Emit the LLVM module of a `KernelPlan`: fixed application functions plus a table walk.

The IR size is bounded by the op count only through two constant integer
tables (`qdl_ops`, `qdl_aux`); the code is the same handful of functions for
every circuit, so long circuits compile in roughly constant time.  The
kernel's loop reads one `OP_FIELDS` row per op and switches on its `OpKind`
to one of: `dense1`/`diag1` (uncontrolled 1-qubit, explicitly vectorised on
<8 x double>), `dense2` (uncontrolled 4x4, scalar), `ctrl1_{flip,dense,diag}`
(1-qubit on the controlled subspace; X as swaps; vectorised when every
involved qubit is >= 2) and `gen_{dense,diag}` (k <= 4 targets on the
controlled subspace, gathered through the aux table's offsets; also gphase).
Arithmetic carries `reassoc nsz contract` fast-math flags, never nnan/ninf.

The kernel walks the stage table (see `plan.StageRow`): for each stage and
each chunk of the state it gathers the chunk into scratch (unless the chunk
is contiguous: then in place), runs the stage's rows on it, and scatters it
back, so a large state is streamed once per stage instead of once per gate.

Kernel ABI (C, see `KERNEL_ABI`)::

    void qdl_kernel_<tag>(const double *mats, int64_t batch, double *states, double *scratch)

`mats` is (batch, num_entries) complex128 as interleaved re/im doubles (the
gate matrices the host built from the gate table); `states` is
(batch, 2**n) complex128, written by the kernel, which starts every element
from |0...0>; `scratch` holds 2**chunk_qubits complex128 (unused when the
plan is not blocked).  Buffers are C-contiguous and must not alias.
"""

from __future__ import annotations

from typing import Callable

from llvmlite import ir

from qdl.compiler.backends.llvm.plan import OP_FIELDS, STAGE_FIELDS, KernelPlan, OpKind

KERNEL_ABI = "void(const double *mats, int64_t batch, double *states, double *scratch)"
F64, I64, PTR = ir.DoubleType(), ir.IntType(64), ir.PointerType()
FAST = ("reassoc", "nsz", "contract")  # no nnan/ninf: NaN and Inf keep their meaning
ZERO = ir.Constant(I64, 0)
ONE = ir.Constant(I64, 1)
Complex = tuple[ir.Value, ir.Value]


def kernel_symbol(tag: str) -> str:
    return f"qdl_kernel_{tag}"


def emit(plan: KernelPlan, tag: str) -> ir.Module:
    """The LLVM module of `plan`, exporting `kernel_symbol(tag)` with the ABI above."""
    module = ir.Module(name=f"qdl_{tag}")
    tables = {"ops": _table(module, "qdl_ops", plan.table()), "aux": _table(module, "qdl_aux", list(plan.aux)),
              "stages": _table(module, "qdl_stages", plan.stage_table())}
    apply = {kind: build(module) for kind, build in _APPLY.items()}
    _kernel(module, kernel_symbol(tag), plan, tables, apply)
    return module


def _table(module: ir.Module, name: str, values: list[int]) -> ir.GlobalVariable:
    typ = ir.ArrayType(I64, max(len(values), 1))
    table = ir.GlobalVariable(module, typ, name=name)
    table.initializer = ir.Constant(typ, values or [0])
    table.global_constant = True
    table.linkage = "internal"
    return table


# --- small builders ------------------------------------------------------------------


def _function(module: ir.Module, name: str, args: list[ir.Type], internal: bool = True) -> ir.Function:
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), args), name=name)
    if internal:
        fn.linkage = "internal"
    for arg in fn.args:
        if isinstance(arg.type, ir.PointerType):
            arg.add_attribute("noalias")
    fn.append_basic_block("entry")
    return fn


def _loop(b: ir.IRBuilder, start: ir.Value, stop: ir.Value, body: Callable[[ir.Value], None],
          step: ir.Value = ONE) -> None:
    """`for i in range(start, stop, step): body(i)` (unsigned, step > 0)."""
    fn = b.function
    head, inner, done = (fn.append_basic_block(s) for s in ("loop", "body", "done"))
    before = b.block
    b.branch(head)
    b.position_at_end(head)
    i = b.phi(I64)
    i.add_incoming(start, before)
    b.cbranch(b.icmp_unsigned("<", i, stop), inner, done)
    b.position_at_end(inner)
    body(i)
    i.add_incoming(b.add(i, step), b.block)
    b.branch(head)
    b.position_at_end(done)


def _at(b: ir.IRBuilder, base: ir.Value, index: ir.Value, typ: ir.Type = F64) -> ir.Value:
    return b.gep(base, [index], source_etype=typ)


def _load_c(b: ir.IRBuilder, base: ir.Value, index: ir.Value) -> Complex:
    two = b.shl(index, ONE)
    return (b.load(_at(b, base, two), typ=F64), b.load(_at(b, base, b.or_(two, ONE)), typ=F64))


def _store_c(b: ir.IRBuilder, base: ir.Value, index: ir.Value, value: Complex) -> None:
    two = b.shl(index, ONE)
    b.store(value[0], _at(b, base, two))
    b.store(value[1], _at(b, base, b.or_(two, ONE)))


def _cmul(b: ir.IRBuilder, x: Complex, y: Complex) -> Complex:
    re = b.fsub(b.fmul(x[0], y[0], flags=FAST), b.fmul(x[1], y[1], flags=FAST), flags=FAST)
    im = b.fadd(b.fmul(x[0], y[1], flags=FAST), b.fmul(x[1], y[0], flags=FAST), flags=FAST)
    return re, im


def _cadd(b: ir.IRBuilder, x: Complex, y: Complex) -> Complex:
    return b.fadd(x[0], y[0], flags=FAST), b.fadd(x[1], y[1], flags=FAST)


def _matvec(b: ir.IRBuilder, mat: list[Complex], amps: list[Complex]) -> list[Complex]:
    d = len(amps)
    out = []
    for r in range(d):
        acc = _cmul(b, mat[r * d], amps[0])
        for c in range(1, d):
            acc = _cadd(b, acc, _cmul(b, mat[r * d + c], amps[c]))
        out.append(acc)
    return out


def _insert_zero(b: ir.IRBuilder, i: ir.Value, pos: ir.Value) -> ir.Value:
    """i with a 0 bit inserted at `pos`: ((i >> pos) << (pos + 1)) | (i & ((1 << pos) - 1))."""
    low = b.and_(i, b.sub(b.shl(ONE, pos), ONE))
    return b.or_(b.shl(b.lshr(i, pos), b.add(pos, ONE)), low)


def _subspace_base(b: ir.IRBuilder, slot: ir.Value, i: ir.Value, sorted_pos: ir.Value, m: ir.Value,
                   cval: ir.Value) -> ir.Value:
    """The i-th index of the controlled subspace: zeros inserted at every position, controls set.

    `slot` is an i64 alloca from the entry block (an alloca in a loop would grow the stack).
    """
    b.store(i, slot)
    _loop(b, ZERO, m, lambda j: b.store(_insert_zero(b, b.load(slot, typ=I64),
                                                      b.load(_at(b, sorted_pos, j, I64), typ=I64)), slot))
    return b.or_(b.load(slot, typ=I64), cval)


# --- application functions (state, dim, ...) ---------------------------------------


def _build_1q(module: ir.Module, name: str, diagonal: bool) -> ir.Function:
    """(st, dim, t, mat): a 1-qubit gate, explicitly vectorised on 4 amplitudes (<8 x double>).

    t >= 2: pairs of contiguous 4-amplitude vectors 2^t apart; t < 2: both
    halves of each pair sit in one vector, exchanged by a shuffle; n = 1 falls
    back to scalar code.  Complex products use the swap trick
    (c * v = re(c) v + im(c) [-1, 1] swap(v)), so there are no gathers.
    """
    fn = _function(module, name, [PTR, I64, I64, PTR])
    st, dim, t, mat = fn.args
    b = ir.IRBuilder(fn.entry_basic_block)
    entries = [_load_c(b, mat, ir.Constant(I64, e)) for e in range(2 if diagonal else 4)]
    stride = b.shl(ONE, t)
    four = ir.Constant(I64, 4)
    with b.if_else(b.icmp_unsigned(">=", stride, four)) as (wide, narrow):
        with wide:
            _1q_wide(b, st, dim, stride, entries, diagonal)
        with narrow:
            with b.if_else(b.icmp_unsigned(">=", dim, four)) as (packed, scalar):
                with packed:
                    for bit in (0, 1):  # t is 0 or 1 here; one specialised loop each
                        with b.if_then(b.icmp_unsigned("==", t, ir.Constant(I64, bit))):
                            _1q_packed(b, st, dim, bit, entries, diagonal)
                with scalar:
                    _1q_scalar(b, st, dim, stride, entries, diagonal)
    b.ret_void()
    return fn


V8 = ir.VectorType(F64, 8)
_SWAP_RE_IM = ir.Constant(ir.VectorType(ir.IntType(32), 8), [1, 0, 3, 2, 5, 4, 7, 6])


def _cvec(b: ir.IRBuilder, lanes: list[Complex]) -> tuple[ir.Value, ir.Value]:
    """Per-lane coefficients of 4 complex lanes: ([re, re, ...], [-im, im, ...])."""
    re, im = ir.Constant(V8, ir.Undefined), ir.Constant(V8, ir.Undefined)
    for j, (cr, ci) in enumerate(lanes):
        re = b.insert_element(b.insert_element(re, cr, ir.Constant(ir.IntType(32), 2 * j)), cr,
                              ir.Constant(ir.IntType(32), 2 * j + 1))
        im = b.insert_element(b.insert_element(im, b.fneg(ci), ir.Constant(ir.IntType(32), 2 * j)), ci,
                              ir.Constant(ir.IntType(32), 2 * j + 1))
    return re, im


def _vmul(b: ir.IRBuilder, coeff: tuple[ir.Value, ir.Value], v: ir.Value) -> ir.Value:
    swapped = b.shuffle_vector(v, v, _SWAP_RE_IM)
    return b.fadd(b.fmul(coeff[0], v, flags=FAST), b.fmul(coeff[1], swapped, flags=FAST), flags=FAST)


def _vload(b: ir.IRBuilder, st: ir.Value, i: ir.Value) -> ir.Value:
    return b.load(_at(b, st, b.shl(i, ONE)), typ=V8, align=8)


def _vstore(b: ir.IRBuilder, st: ir.Value, i: ir.Value, v: ir.Value) -> None:
    b.store(v, _at(b, st, b.shl(i, ONE)), align=8)


def _1q_wide(b: ir.IRBuilder, st: ir.Value, dim: ir.Value, stride: ir.Value, entries: list[Complex],
             diagonal: bool) -> None:
    coeffs = [_cvec(b, [e] * 4) for e in entries]

    def pair(i0: ir.Value) -> None:
        i1 = b.add(i0, stride)
        v0, v1 = _vload(b, st, i0), _vload(b, st, i1)
        if diagonal:
            o0, o1 = _vmul(b, coeffs[0], v0), _vmul(b, coeffs[1], v1)
        else:
            o0 = b.fadd(_vmul(b, coeffs[0], v0), _vmul(b, coeffs[1], v1), flags=FAST)
            o1 = b.fadd(_vmul(b, coeffs[2], v0), _vmul(b, coeffs[3], v1), flags=FAST)
        _vstore(b, st, i0, o0)
        _vstore(b, st, i1, o1)

    four = ir.Constant(I64, 4)
    _loop(b, ZERO, dim, lambda hi: _loop(b, ZERO, stride, lambda lo: pair(b.add(hi, lo)), four),
          b.shl(stride, ONE))


def _1q_packed(b: ir.IRBuilder, st: ir.Value, dim: ir.Value, t: int, entries: list[Complex],
               diagonal: bool) -> None:
    bits = [(j >> t) & 1 for j in range(4)]
    partner = [x for j in range(4) for x in (2 * (j ^ (1 << t)), 2 * (j ^ (1 << t)) + 1)]
    mask = ir.Constant(ir.VectorType(ir.IntType(32), 8), partner)
    if diagonal:
        own = _cvec(b, [entries[bit] for bit in bits])
    else:
        own = _cvec(b, [entries[3 * bit] for bit in bits])
        other = _cvec(b, [entries[2 * bit + 1 - bit] for bit in bits])

    def quad(i: ir.Value) -> None:
        v = _vload(b, st, i)
        out = _vmul(b, own, v)
        if not diagonal:
            out = b.fadd(out, _vmul(b, other, b.shuffle_vector(v, v, mask)), flags=FAST)
        _vstore(b, st, i, out)

    _loop(b, ZERO, dim, quad, ir.Constant(I64, 4))


def _1q_scalar(b: ir.IRBuilder, st: ir.Value, dim: ir.Value, stride: ir.Value, entries: list[Complex],
               diagonal: bool) -> None:
    def pair(i0: ir.Value) -> None:
        i1 = b.add(i0, stride)
        a = [_load_c(b, st, i0), _load_c(b, st, i1)]
        out = [_cmul(b, entries[0], a[0]), _cmul(b, entries[1], a[1])] if diagonal else _matvec(b, entries, a)
        _store_c(b, st, i0, out[0])
        _store_c(b, st, i1, out[1])

    _loop(b, ZERO, dim, lambda hi: _loop(b, ZERO, stride, lambda lo: pair(b.add(hi, lo))), b.shl(stride, ONE))


def _build_dense2(module: ir.Module) -> ir.Function:
    """(st, dim, qa, qb, mat): a dense 4x4 with qa the most significant local bit."""
    fn = _function(module, "qdl_apply_dense2", [PTR, I64, I64, I64, PTR])
    st, dim, qa, qb, mat = fn.args
    b = ir.IRBuilder(fn.entry_basic_block)
    entries = [_load_c(b, mat, ir.Constant(I64, e)) for e in range(16)]
    sa, sb = b.shl(ONE, qa), b.shl(ONE, qb)
    low = b.select(b.icmp_unsigned("<", qa, qb), qa, qb)
    high = b.select(b.icmp_unsigned("<", qa, qb), qb, qa)

    def quad(i: ir.Value) -> None:
        base = _insert_zero(b, _insert_zero(b, i, low), high)
        index = [base, b.or_(base, sb), b.or_(base, sa), b.or_(base, b.or_(sa, sb))]
        out = _matvec(b, entries, [_load_c(b, st, k) for k in index])
        for k, value in zip(index, out):
            _store_c(b, st, k, value)

    _loop(b, ZERO, b.lshr(dim, ir.Constant(I64, 2)), quad)
    b.ret_void()
    return fn


def _involved_mask(b: ir.IRBuilder, sorted_pos: ir.Value, m: ir.Value) -> ir.Value:
    """OR of 1 << p over the m positions (controls and targets) of a row."""
    slot = b.alloca(I64)
    b.store(ZERO, slot)
    _loop(b, ZERO, m, lambda j: b.store(b.or_(b.load(slot, typ=I64), b.shl(ONE, b.load(_at(
        b, sorted_pos, j, I64), typ=I64))), slot))
    return b.load(slot, typ=I64)


def _build_ctrl1(module: ir.Module, mode: str) -> ir.Function:
    """(st, dim, sorted, m, cval, t, mat): a 1-qubit gate on target t in the controlled subspace.

    `mode` is "flip" (X: a swap, no multiplications, `mat` unused), "dense" or
    "diag".  The subspace is walked in runs of 2^p contiguous pairs (p the
    lowest involved position), run starts enumerated as subsets of the free
    bits above p, so no index is rebuilt bit by bit; with p >= 2 each run goes
    4 pairs per <8 x double> step.
    """
    fn = _function(module, f"qdl_apply_ctrl1_{mode}", [PTR, I64, PTR, I64, I64, I64, PTR])
    st, dim, sorted_pos, m, cval, t, mat = fn.args
    b = ir.IRBuilder(fn.entry_basic_block)
    stride = b.shl(ONE, t)
    entries = [] if mode == "flip" else [_load_c(b, mat, ir.Constant(I64, e)) for e in range(2 if mode == "diag" else 4)]
    coeffs = [_cvec(b, [e] * 4) for e in entries]
    run = b.shl(ONE, b.load(sorted_pos, typ=I64))
    free_high = b.and_(b.and_(b.sub(dim, ONE), b.not_(_involved_mask(b, sorted_pos, m))), b.not_(b.sub(run, ONE)))

    def pair(i0: ir.Value, wide: bool) -> None:
        i1 = b.or_(i0, stride)
        load, store = (_vload, _vstore) if wide else (_load_c, _store_c)
        a0, a1 = load(b, st, i0), load(b, st, i1)
        o0, o1 = (a1, a0) if mode == "flip" else _transform(b, coeffs if wide else entries, a0, a1, wide)
        store(b, st, i0, o0)
        store(b, st, i1, o1)

    def runs(wide: bool) -> None:
        step = ir.Constant(I64, 4 if wide else 1)
        _subsets(b, free_high, lambda x: _loop(b, ZERO, run, lambda j: pair(b.or_(b.or_(x, cval), j), wide), step))

    with b.if_else(b.icmp_unsigned(">=", run, ir.Constant(I64, 4))) as (wide, narrow):
        with wide:
            runs(True)
        with narrow:
            runs(False)
    b.ret_void()
    return fn


def _transform(b: ir.IRBuilder, coeffs: list, a0: object, a1: object, wide: bool) -> tuple:
    """(M a)_0, (M a)_1 for a 2x2 matrix (4 coefficients) or a diagonal (2), vector or scalar."""
    mul = (lambda c, v: _vmul(b, c, v)) if wide else (lambda c, v: _cmul(b, c, v))
    add = (lambda x, y: b.fadd(x, y, flags=FAST)) if wide else (lambda x, y: _cadd(b, x, y))
    if len(coeffs) == 2:
        return mul(coeffs[0], a0), mul(coeffs[1], a1)
    return add(mul(coeffs[0], a0), mul(coeffs[1], a1)), add(mul(coeffs[2], a0), mul(coeffs[3], a1))


def _build_general(module: ir.Module, diagonal: bool) -> ir.Function:
    """(st, dim, sorted, m, offsets, k2, cval, mat): a k-qubit gate on the controlled subspace."""
    name = "qdl_apply_gen_diag" if diagonal else "qdl_apply_gen_dense"
    fn = _function(module, name, [PTR, I64, PTR, I64, PTR, I64, I64, PTR])
    st, dim, sorted_pos, m, offsets, k2, cval, mat = fn.args
    b = ir.IRBuilder(fn.entry_basic_block)
    tmp = b.alloca(F64, size=32)
    acc = b.alloca(F64, size=2)
    free = b.and_(b.sub(dim, ONE), b.not_(_involved_mask(b, sorted_pos, m)))

    def offset(base: ir.Value, j: ir.Value) -> ir.Value:
        return b.or_(base, b.load(_at(b, offsets, j, I64), typ=I64))

    def diag(base: ir.Value) -> None:
        _loop(b, ZERO, k2, lambda j: _store_c(b, st, offset(base, j),
                                              _cmul(b, _load_c(b, mat, j), _load_c(b, st, offset(base, j)))))

    def row(base: ir.Value, r: ir.Value) -> None:
        _store_c(b, acc, ZERO, (ir.Constant(F64, 0.0), ir.Constant(F64, 0.0)))
        _loop(b, ZERO, k2, lambda c: _store_c(b, acc, ZERO, _cadd(b, _load_c(b, acc, ZERO), _cmul(
            b, _load_c(b, mat, b.add(b.mul(r, k2), c)), _load_c(b, tmp, c)))))
        _store_c(b, st, offset(base, r), _load_c(b, acc, ZERO))

    def dense(base: ir.Value) -> None:
        _loop(b, ZERO, k2, lambda j: _store_c(b, tmp, j, _load_c(b, st, offset(base, j))))
        _loop(b, ZERO, k2, lambda r: row(base, r))

    _subsets(b, free, lambda x: (diag if diagonal else dense)(b.or_(x, cval)))
    b.ret_void()
    return fn


_APPLY: dict[OpKind, Callable[[ir.Module], ir.Function]] = {
    OpKind.DENSE1: lambda m: _build_1q(m, "qdl_apply_dense1", False),
    OpKind.DIAG1: lambda m: _build_1q(m, "qdl_apply_diag1", True),
    OpKind.DENSE2: _build_dense2,
    OpKind.FLIP: lambda m: _build_ctrl1(m, "flip"),
    OpKind.CTRL1: lambda m: _build_ctrl1(m, "dense"),
    OpKind.CTRL1_DIAG: lambda m: _build_ctrl1(m, "diag"),
    OpKind.GEN_DENSE: lambda m: _build_general(m, False),
    OpKind.GEN_DIAG: lambda m: _build_general(m, True),
}


# --- the kernel --------------------------------------------------------------------


def _kernel(module: ir.Module, name: str, plan: KernelPlan, tables: dict[str, ir.GlobalVariable],
            apply: dict[OpKind, ir.Function]) -> None:
    fn = _function(module, name, [PTR, I64, PTR, PTR], internal=False)
    mats, batch, states, scratch = fn.args
    b = ir.IRBuilder(fn.entry_basic_block)
    dim = ir.Constant(I64, 2**plan.num_qubits)
    chunk_dim = ir.Constant(I64, 2**plan.chunk_qubits)
    mat_stride = ir.Constant(I64, 2 * max(plan.num_entries, 1))
    copy = {True: _build_copy(module, True), False: _build_copy(module, False)}

    def element(e: ir.Value) -> None:
        st = _at(b, states, b.mul(e, b.shl(dim, ONE)))
        mp = _at(b, mats, b.mul(e, mat_stride))
        _loop(b, ZERO, b.shl(dim, ONE), lambda i: b.store(ir.Constant(F64, 0.0), _at(b, st, i)))
        b.store(ir.Constant(F64, 1.0), st)
        env = _Env(st, chunk_dim, mp, scratch, tables, apply, copy)
        _loop(b, ZERO, ir.Constant(I64, len(plan.stages)), lambda s: _stage(b, s, env))

    _loop(b, ZERO, batch, element)
    b.ret_void()


class _Env:
    """What every stage of one batch element reads: its state, matrices, scratch, tables and functions."""

    def __init__(self, st, chunk_dim, mp, scratch, tables, apply, copy) -> None:
        self.st, self.chunk_dim, self.mp, self.scratch = st, chunk_dim, mp, scratch
        self.tables, self.apply, self.copy = tables, apply, copy


def _field(b: ir.IRBuilder, table: ir.GlobalVariable, row: ir.Value, width: int, f: int) -> ir.Value:
    return b.load(_at(b, table, b.add(b.mul(row, ir.Constant(I64, width)), ir.Constant(I64, f)), I64), typ=I64)


def _subsets(b: ir.IRBuilder, mask: ir.Value, body: Callable[[ir.Value], None]) -> None:
    """`body(x)` for every x whose bits lie in `mask`, ascending (x = 0 first; once when mask = 0)."""
    fn = b.function
    head, done = fn.append_basic_block("subset"), fn.append_basic_block("subsets_done")
    before = b.block
    b.branch(head)
    b.position_at_end(head)
    x = b.phi(I64)
    x.add_incoming(ZERO, before)
    body(x)
    following = b.and_(b.add(b.or_(x, b.not_(mask)), ONE), mask)
    x.add_incoming(following, b.block)
    b.cbranch(b.icmp_unsigned("==", following, ZERO), done, head)
    b.position_at_end(done)


def _stage(b: ir.IRBuilder, s: ir.Value, env: _Env) -> None:
    """Stage s: for every chunk, gather it (unless in place), apply the stage's rows, scatter it back."""
    table = env.tables["stages"]
    first, end, inplace, outer_mask, high_mask, run = (_field(b, table, s, STAGE_FIELDS, f)
                                                       for f in range(STAGE_FIELDS))
    in_place = b.icmp_unsigned("!=", inplace, ZERO)

    def chunk(outer: ir.Value) -> None:
        buf = b.select(in_place, _at(b, env.st, b.shl(outer, ONE)), env.scratch)
        with b.if_then(b.not_(in_place)):
            b.call(env.copy[True], [env.st, outer, high_mask, run, env.scratch])
        _loop(b, first, end, lambda k: _dispatch(b, k, buf, outer, env))
        with b.if_then(b.not_(in_place)):
            b.call(env.copy[False], [env.st, outer, high_mask, run, env.scratch])

    _subsets(b, outer_mask, chunk)


def _build_copy(module: ir.Module, gather: bool) -> ir.Function:
    """(st, outer, high, run, buf): copy a chunk between the state and contiguous scratch.

    The chunk's runs of `run` (>= 4, a power of two) contiguous amplitudes
    start at outer | x for x over the subsets of `high`, in order.
    """
    fn = _function(module, "qdl_gather" if gather else "qdl_scatter", [PTR, I64, I64, I64, PTR])
    st, outer, high, run, buf = fn.args
    b = ir.IRBuilder(fn.entry_basic_block)
    pos = b.alloca(I64)
    b.store(ZERO, pos)

    def one_run(x: ir.Value) -> None:
        start = b.or_(outer, x)
        at = b.load(pos, typ=I64)

        def quad(j: ir.Value) -> None:
            src, dst = (st, buf) if gather else (buf, st)
            i_src, i_dst = (b.add(start, j), b.add(at, j)) if gather else (b.add(at, j), b.add(start, j))
            _vstore(b, dst, i_dst, _vload(b, src, i_src))

        _loop(b, ZERO, run, quad, ir.Constant(I64, 4))
        b.store(b.add(at, run), pos)

    _subsets(b, high, one_run)
    b.ret_void()
    return fn


def _dispatch(b: ir.IRBuilder, k: ir.Value, st: ir.Value, outer: ir.Value, env: _Env) -> None:
    """Row k on the chunk at `st` (chunk base `outer`): skip it or call its application function."""
    ops, aux = env.tables["ops"], env.tables["aux"]
    kind, q0, q1, m, at, k2, cval, mat, nl_mask, nl_val, sel = (_field(b, ops, k, OP_FIELDS, f)
                                                                for f in range(OP_FIELDS))
    applies = b.icmp_unsigned("==", b.and_(outer, nl_mask), nl_val)
    done = b.function.append_basic_block("next")
    run = b.function.append_basic_block("apply")
    b.cbranch(applies, run, done)
    b.position_at_end(run)
    picked = b.zext(b.icmp_unsigned("!=", b.and_(outer, sel), ZERO), I64)
    matp = _at(b, env.mp, b.shl(b.add(mat, picked), ONE))
    sorted_pos = _at(b, aux, at, I64)
    offsets = _at(b, aux, b.add(at, m), I64)
    dim = env.chunk_dim
    calls = {
        OpKind.DENSE1: (st, dim, q0, matp), OpKind.DIAG1: (st, dim, q0, matp),
        OpKind.DENSE2: (st, dim, q0, q1, matp), OpKind.FLIP: (st, dim, sorted_pos, m, cval, q0, matp),
        OpKind.CTRL1: (st, dim, sorted_pos, m, cval, q0, matp),
        OpKind.CTRL1_DIAG: (st, dim, sorted_pos, m, cval, q0, matp),
        OpKind.GEN_DENSE: (st, dim, sorted_pos, m, offsets, k2, cval, matp),
        OpKind.GEN_DIAG: (st, dim, sorted_pos, m, offsets, k2, cval, matp),
    }
    switch = b.switch(kind, done)
    for op_kind, args in calls.items():
        case = b.function.append_basic_block(op_kind.name.lower())
        switch.add_case(ir.Constant(I64, int(op_kind)), case)
        b.position_at_end(case)
        b.call(env.apply[op_kind], args)
        b.branch(done)
    b.position_at_end(done)
