"""Emit the adjoint kernel's matrix work (`adjoint_matrices.MatrixTables`) as two functions.

    prepare(slots_row, scratch, mats)          gate matrices and their ∂g, T_j products, U† into `mats`
    gradients(scratch, reduced, out, observables)
                                               out[o, w] = 2 Re Σ_ab (P ∂g T†)_ab R_o,ab

`slots_row` is one batch element's slot values (the forward kernel's columns),
`scratch` holds `size` complex entries, `reduced` the R matrices of every
observable (stride `red_stride` doubles), `out` (observables, outputs) doubles.
Gate matrices and derivatives are evaluated by `fill.form_entries`, the
forward fill's own arithmetic, from one gate table; the rest are generic
loops over d (d <= 16), cheap next to the sweep: they touch d² numbers per
gate where the sweep touches 2^n.
"""

from __future__ import annotations

from llvmlite import ir

from qdl.compiler.backends.llvm.adjoint_matrices import MatrixTables, Rows
from qdl.compiler.backends.llvm.fill import TrigForm, derivative_form, form_entries, trig_form
from qdl.compiler.backends.llvm.irbuild import (
    F64, FAST, I64, ONE, PTR, ZERO, Complex, at, cadd, cmul, field, function, load_c, loop, store_c, table,
)

ZERO_C = (ir.Constant(F64, 0.0), ir.Constant(F64, 0.0))
UNROLLED = (2, 4)  # dimensions given code of their own, with constant trip counts (fully unrolled)


def _by_dimension(b: ir.IRBuilder, d: ir.Value, present: frozenset[int], body) -> None:
    """`body(d)`, with d a constant in a branch of its own for every unrolled dimension present.

    A 2x2 product in generic loops costs tens of loads, stores and branches
    through memory; with d constant LLVM unrolls it into registers.  When
    one dimension is all there is, no branch at all.
    """
    unrolled = sorted(present & set(UNROLLED))
    if not unrolled:
        if present:
            body(d)  # generic: 1, 8, 16
        return
    value = ir.Constant(I64, unrolled[0])
    if present == {unrolled[0]}:
        body(value)
        return
    with b.if_else(b.icmp_unsigned("==", d, value)) as (fixed, other):
        with fixed:
            body(value)
        with other:
            _by_dimension(b, d, present - {unrolled[0]}, body)


def _dimensions(rows: Rows) -> frozenset[int]:
    """The dimensions (first field) the rows use."""
    return frozenset(row[0] for row in rows)


def emit_prepare(module: ir.Module, tables: MatrixTables, name: str) -> ir.Function:
    """(slots_row, scratch, mats): every gate matrix, identity, product T_j and unit inverse."""
    groups = [_emit_forms(module, f"{name}.gate{k}", _forms(gate, params), rows)
              for k, (gate, params, rows) in enumerate(tables.gates)]
    fn = function(module, name, [PTR, PTR, PTR])
    slots, scratch, mats = fn.args
    b = ir.IRBuilder(fn.entry_basic_block)
    acc = b.alloca(F64, size=2)
    for group in groups:
        b.call(group, [slots, scratch])
    _rows(b, module, f"{name}.identities", tables.identities, lambda r: _identity(b, scratch, *r))
    _rows(b, module, f"{name}.products", tables.products, lambda r: _by_dimension(
        b, r[0], _dimensions(tables.products), lambda d: _product(b, acc, scratch, d, *r[1:])))
    _rows(b, module, f"{name}.inverses", tables.inverses, lambda r: _by_dimension(
        b, r[0], _dimensions(tables.inverses), lambda d: _inverse(b, scratch, mats, d, *r[1:])))
    b.ret_void()
    return fn


def _forms(gate: str, params: tuple[int, ...]) -> list[TrigForm]:
    """The gate's dense matrix, then its derivative in each differentiated parameter."""
    return [trig_form(gate, False)] + [derivative_form(gate, p) for p in params]


def emit_gradients(module: ir.Module, tables: MatrixTables, name: str, red_stride: int) -> ir.Function:
    """(scratch, reduced, out, observables): every wanted angle's derivative of every observable."""
    fn = function(module, name, [PTR, PTR, PTR, I64])
    scratch, reduced, out, count = fn.args
    b = ir.IRBuilder(fn.entry_basic_block)
    acc = b.alloca(F64, size=2)
    work = b.alloca(F64, size=2 * 2 * 16 * 16)  # P ∂g, then D: two d x d complex matrices, d <= 16
    env = (acc, work, scratch, reduced, out, count, ir.Constant(I64, red_stride), ir.Constant(I64, tables.outputs))
    _rows(b, module, f"{name}.wanted", tables.wanted, lambda r: _by_dimension(
        b, r[0], _dimensions(tables.wanted), lambda d: _contract(b, env, d, *r[1:])))
    b.ret_void()
    return fn


def _rows(b: ir.IRBuilder, module: ir.Module, name: str, rows: Rows, body) -> None:
    """`body(fields)` for every row of `rows`, read from a constant table (IR size independent of the count)."""
    if not rows:
        return
    width = len(rows[0])
    flat = table(module, name, [v for row in rows for v in row])
    loop(b, ZERO, ir.Constant(I64, len(rows)), lambda i: body([field(b, flat, i, width, f) for f in range(width)]))


def _emit_forms(module: ir.Module, name: str, forms: list[TrigForm], rows: Rows) -> ir.Function:
    """(slots_row, scratch): the dense entries of every form at every row [offset per form, slot...]."""
    fn = function(module, name, [PTR, PTR])
    slots, scratch = fn.args
    b = ir.IRBuilder(fn.entry_basic_block)

    def one(fields: list[ir.Value]) -> None:
        thetas = [b.load(at(b, slots, slot), typ=F64) for slot in fields[len(forms):]]
        for offset, entries in zip(fields, form_entries(b, forms, thetas)):
            for e, value in enumerate(entries):
                store_c(b, scratch, b.add(offset, ir.Constant(I64, e)), value)

    _rows(b, module, f"{name}.rows", rows, one)
    b.ret_void()
    return fn


def _identity(b: ir.IRBuilder, scratch: ir.Value, d: ir.Value, offset: ir.Value) -> None:
    one = (ir.Constant(F64, 1.0), ir.Constant(F64, 0.0))
    diagonal_step = b.add(d, ONE)

    def entry(i: ir.Value) -> None:
        on_diagonal = b.icmp_unsigned("==", b.urem(i, diagonal_step), ZERO)
        store_c(b, scratch, b.add(offset, i), (b.select(on_diagonal, one[0], ZERO_C[0]), ZERO_C[1]))

    loop(b, ZERO, b.mul(d, d), entry)


def _matmul(b: ir.IRBuilder, acc: ir.Value, d: ir.Value, left: tuple[ir.Value, ir.Value],
            right: tuple[ir.Value, ir.Value], out: tuple[ir.Value, ir.Value], dagger: bool) -> None:
    """out = left · right (or left · right† when `dagger`); each a (buffer, complex offset) pair."""
    def cell(r: ir.Value, c: ir.Value) -> None:
        store_c(b, acc, ZERO, ZERO_C)

        def term(k: ir.Value) -> None:
            x = load_c(b, left[0], b.add(left[1], b.add(b.mul(r, d), k)))
            if dagger:
                y = load_c(b, right[0], b.add(right[1], b.add(b.mul(c, d), k)))
                y = (y[0], b.fneg(y[1], flags=FAST))
            else:
                y = load_c(b, right[0], b.add(right[1], b.add(b.mul(k, d), c)))
            store_c(b, acc, ZERO, cadd(b, load_c(b, acc, ZERO), cmul(b, x, y)))

        loop(b, ZERO, d, term)
        store_c(b, out[0], b.add(out[1], b.add(b.mul(r, d), c)), load_c(b, acc, ZERO))

    loop(b, ZERO, d, lambda r: loop(b, ZERO, d, lambda c: cell(r, c)))


def _product(b: ir.IRBuilder, acc: ir.Value, scratch: ir.Value, d: ir.Value, out: ir.Value, left: ir.Value,
             right: ir.Value) -> None:
    _matmul(b, acc, d, (scratch, left), (scratch, right), (scratch, out), False)


def _inverse(b: ir.IRBuilder, scratch: ir.Value, mats: ir.Value, d: ir.Value, diagonal: ir.Value, src: ir.Value,
             mat: ir.Value) -> None:
    """mats[mat...] = src† (dense, row-major) or the conjugated diagonal of src."""
    def conj(value: Complex) -> Complex:
        return value[0], b.fneg(value[1], flags=FAST)

    with b.if_else(b.icmp_unsigned("!=", diagonal, ZERO)) as (diag, dense):
        with diag:
            loop(b, ZERO, d, lambda i: store_c(b, mats, b.add(mat, i),
                                                conj(load_c(b, scratch, b.add(src, b.mul(i, b.add(d, ONE)))))))
        with dense:
            loop(b, ZERO, d, lambda r: loop(b, ZERO, d, lambda c: store_c(
                b, mats, b.add(mat, b.add(b.mul(r, d), c)), conj(load_c(b, scratch, b.add(src, b.add(b.mul(c, d), r)))))))


def _contract(b: ir.IRBuilder, env: tuple, d: ir.Value, after: ir.Value, through: ir.Value, derivative: ir.Value,
              red: ir.Value, output: ir.Value) -> None:
    """D = P ∂g T† into work, then out[o, output] = 2 Re Σ_k D_k R_o[red + k] for every observable o."""
    acc, work, scratch, reduced, out, count, red_stride, outputs = env
    size = b.mul(d, d)
    _matmul(b, acc, d, (scratch, after), (scratch, derivative), (work, ZERO), False)
    _matmul(b, acc, d, (work, ZERO), (scratch, through), (work, size), True)

    def observable(o: ir.Value) -> None:
        r_at = at(b, reduced, b.add(b.mul(o, red_stride), b.shl(red, ONE)))
        b.store(ir.Constant(F64, 0.0), acc)

        def term(k: ir.Value) -> None:
            x, y = load_c(b, work, b.add(size, k)), load_c(b, r_at, k)
            real = b.fsub(b.fmul(x[0], y[0], flags=FAST), b.fmul(x[1], y[1], flags=FAST), flags=FAST)
            b.store(b.fadd(b.load(acc, typ=F64), real, flags=FAST), acc)

        loop(b, ZERO, size, term)
        total = b.fmul(ir.Constant(F64, 2.0), b.load(acc, typ=F64), flags=FAST)
        b.store(total, at(b, out, b.add(b.mul(o, outputs), output)))

    loop(b, ZERO, count, observable)
