"""Emit the gate-matrix fill of a `KernelPlan` as compiled code: `kernel_plan.fill_matrices` in LLVM.

Emitted ABI (C)::

    void <name>(const double *slots, int64_t batch, double *mats)

`slots` is (batch, len(plan.slots)) float64 and `mats` is
(batch, max(plan.num_entries, 1)) complex128 as interleaved re/im doubles (the
shape `fill_matrices` returns and the kernel reads); both C-contiguous, not
aliased.  Only the plan's entries are written.

Table-driven from the one gate table: no gate formula lives here.  Every
stored matrix entry of a gate is a trigonometric polynomial in its parameters
whose frequencies in parameter j are the |λ| of the generator spectrum
`spec.generator_eigenvalues[j]` (e^{-iλθ} = cos λθ - i sin λθ).  `trig_form`
recovers, once per (gate, diagonal) and cached, the complex coefficients of
each entry over the real basis {1 if λ = 0, cos |λ|θ, sin |λ|θ} by a least-squares
fit of `spec.matrix` on random points, snaps round-off to exact values, and
refuses (raises) unless the form reproduces the table at fresh random points
to 1e-12.  A parameterless gate is the degenerate case: constant entries.

IR size is independent of the op count: per gate group one function loops
over a constant table of rows [matrix offset, slot of each parameter]; the
fused 1-qubit blocks (`Product`s) are one loop per diagonal flag over a block
table [out, first member, member count] and a member-offset table, multiplying
`acc = member_j · acc` in the order of `fill_matrices`; the fused 2-qubit
blocks are a copy loop over members and their gather patterns (`Gather`) and the same product
loop on 4x4s.  Arithmetic carries
the kernel's `reassoc nsz contract` flags; sin and cos are the exact
`llvm.sin`/`llvm.cos` intrinsics (libm calls, resolved by the JIT from the
process), never `afn`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from llvmlite import ir

from qdl.compiler.backends.llvm.irbuild import (
    F64, FAST, I64, ONE, PTR, ZERO, Complex, at, cmul, function, load_c, loop, store_c, table,
)
from qdl.compiler.backends.llvm.fuse2 import ZERO as ZERO_CODE
from qdl.compiler.backends.llvm.plan import Gather, KernelPlan, MatrixGroup, Product
from qdl.compiler.gates import GATES, GateSpec

FILL_ABI = "void(const double *slots, int64_t batch, double *mats)"
FIT_TOLERANCE = 1e-12
Term = tuple[tuple[int, ...], complex]  # (basis function index per parameter, coefficient)


class NotATrigPolynomial(ValueError):
    """A gate's matrix is not reproduced by the trigonometric form its generator spectra imply."""


# --- trigonometric forms of the gate table ---------------------------------------------


@dataclass(frozen=True)
class TrigForm:
    """One gate's stored entries as Σ coefficient · Π_j basis_j(θ_j).

    `frequencies[j]` are the distinct |λ| of parameter j's spectrum; its basis
    functions are, per frequency f in order, `1` when f = 0 else `cos fθ, sin fθ`.
    `entries[e]` lists the non-zero terms of stored entry e (row-major, or the
    diagonal when the group is diagonal).
    """

    frequencies: tuple[tuple[float, ...], ...]
    entries: tuple[tuple[Term, ...], ...]


def _frequencies(spec: GateSpec, param: int) -> tuple[float, ...]:
    spectrum = spec.generator_eigenvalues[param]
    if spectrum is None:
        raise NotATrigPolynomial(f"gate `{spec.name}` has no generator spectrum for parameter {param}")
    return tuple(sorted({abs(round(float(x), 12)) for x in spectrum}))


def _basis(frequencies: tuple[float, ...], theta: np.ndarray) -> np.ndarray:
    """(points, functions): the real basis of one parameter at `theta`."""
    columns: list[np.ndarray] = []
    for f in frequencies:
        columns += [np.ones_like(theta)] if f == 0 else [np.cos(f * theta), np.sin(f * theta)]
    return np.stack(columns, axis=-1)


def _stored(spec: GateSpec, diagonal: bool, params: list[np.ndarray]) -> np.ndarray:
    """(..., stored entries) of `spec.matrix`, exactly as `fill_matrices` stores them."""
    matrix = spec.matrix(*params)
    entries = np.diagonal(matrix, axis1=-2, axis2=-1) if diagonal else matrix
    return entries.reshape(matrix.shape[:-2] + (-1,))


def _snap(values: np.ndarray) -> np.ndarray:
    """Round-off of the fit removed: parts within 1e-14 of a multiple of 2^-20 (0, ±1, ±1/2...) become it."""
    nice = np.round(values * 2**20) / 2**20
    return np.where(np.abs(values - nice) < 1e-14, nice, values)


def _fit(spec: GateSpec, diagonal: bool, frequencies: tuple[tuple[float, ...], ...]) -> np.ndarray:
    """Coefficients (functions_1, ..., functions_p, entries) by least squares on a random grid."""
    rng = np.random.default_rng(20261125)
    points = [rng.uniform(-4 * np.pi, 4 * np.pi, size=2 * _basis(f, np.zeros(1)).shape[-1] + 2)
              for f in frequencies]
    coeffs = _stored(spec, diagonal, list(np.meshgrid(*points, indexing="ij")))
    for axis, (f, theta) in enumerate(zip(frequencies, points)):
        inverse = np.linalg.pinv(_basis(f, theta))  # (functions, points)
        coeffs = np.moveaxis(np.tensordot(inverse, coeffs, axes=([1], [axis])), 0, axis)
    return _snap(coeffs.real) + 1j * _snap(coeffs.imag)


def _evaluate(coeffs: np.ndarray, frequencies: tuple[tuple[float, ...], ...], thetas: list[np.ndarray]) -> np.ndarray:
    """(points, entries): the trigonometric form at points `thetas[j]` (one array per parameter)."""
    out = np.broadcast_to(coeffs, (len(thetas[0]) if thetas else 1,) + coeffs.shape)
    for f, theta in zip(frequencies, thetas):
        basis = _basis(f, theta).reshape((len(theta), -1) + (1,) * (out.ndim - 2))
        out = (out * basis).sum(axis=1)
    return out


def _verify(spec: GateSpec, diagonal: bool, coeffs: np.ndarray, frequencies: tuple[tuple[float, ...], ...]) -> None:
    rng = np.random.default_rng(7)
    thetas = [rng.uniform(-10, 10, size=32) for _ in frequencies]
    want = _stored(spec, diagonal, thetas).reshape(-1, coeffs.shape[-1])
    error = float(np.max(np.abs(_evaluate(coeffs, frequencies, thetas) - want)))
    if error > FIT_TOLERANCE:
        raise NotATrigPolynomial(f"gate `{spec.name}`: its generator spectra do not reproduce its matrix "
                                 f"(error {error:.3g}); please report")


@cache
def trig_form(name: str, diagonal: bool) -> TrigForm:
    """The verified `TrigForm` of gate `name` (its diagonal only when `diagonal`)."""
    spec = GATES[name]
    frequencies = tuple(_frequencies(spec, j) for j in range(spec.num_params))
    coeffs = _fit(spec, diagonal, frequencies)
    _verify(spec, diagonal, coeffs, frequencies)
    entries = tuple(tuple((index, complex(coeffs[index + (e,)])) for index in np.ndindex(coeffs.shape[:-1])
                          if coeffs[index + (e,)] != 0) for e in range(coeffs.shape[-1]))
    return TrigForm(frequencies, entries)


# --- code: one loop per gate group ------------------------------------------------------


def _const(value: int) -> ir.Constant:
    return ir.Constant(I64, value)


def _offsets(columns: np.ndarray) -> list[int]:
    """First complex offset of every row of `columns`, which must be contiguous (the plan's layout)."""
    if columns.size and np.any(columns - columns[:, :1] != np.arange(columns.shape[1])):
        raise ValueError("matrix columns of a group are not contiguous; the fill needs contiguous rows")
    return [int(c) for c in columns[:, 0]]


def _basis_values(b: ir.IRBuilder, frequencies: tuple[float, ...], theta: ir.Value) -> list[ir.Value | None]:
    """The basis functions of one parameter; None stands for the constant 1."""
    cos, sin = (b.module.declare_intrinsic(f"llvm.{fn}", [F64]) for fn in ("cos", "sin"))
    values: list[ir.Value | None] = []
    for f in frequencies:
        if f == 0:
            values.append(None)
            continue
        angle = theta if f == 1 else b.fmul(theta, ir.Constant(F64, f))
        values += [b.call(cos, [angle]), b.call(sin, [angle])]
    return values


def _scaled(b: ir.IRBuilder, coefficient: float, value: ir.Value) -> list[ir.Value]:
    if coefficient == 0:
        return []
    if abs(coefficient) == 1:
        return [value if coefficient > 0 else b.fneg(value, flags=FAST)]
    return [b.fmul(ir.Constant(F64, coefficient), value, flags=FAST)]


def _sum(b: ir.IRBuilder, parts: list[ir.Value], constant: float) -> ir.Value:
    if not parts or constant != 0:
        parts = parts + [ir.Constant(F64, constant)]
    total = parts[0]
    for part in parts[1:]:
        total = b.fadd(total, part, flags=FAST)
    return total


def _entry(b: ir.IRBuilder, terms: tuple[Term, ...], basis: list[list[ir.Value | None]],
           products: dict[tuple[int, ...], ir.Value | None]) -> Complex:
    """Σ coefficient · Π basis: constant terms folded in Python, products shared across entries."""
    constant, re, im = 0j, [], []
    for index, coefficient in terms:
        if index not in products:
            factors = [v for v in (basis[j][k] for j, k in enumerate(index)) if v is not None]
            products[index] = factors[0] if factors else None
            for factor in factors[1:]:
                products[index] = b.fmul(products[index], factor, flags=FAST)
        value = products[index]
        if value is None:
            constant += coefficient
            continue
        re += _scaled(b, coefficient.real, value)
        im += _scaled(b, coefficient.imag, value)
    return _sum(b, re, constant.real), _sum(b, im, constant.imag)


def _emit_group(module: ir.Module, name: str, group: MatrixGroup) -> ir.Function:
    """(slots_row, mats_row): every op of one group, from table rows [offset, slot_1, ..., slot_p]."""
    form = trig_form(group.spec.name, group.diagonal)
    width = 1 + group.spec.num_params
    rows = [[offset, *map(int, slots)] for offset, slots in zip(_offsets(group.columns), group.params)]
    op_table = table(module, f"{name}.table", [v for row in rows for v in row])
    fn = function(module, name, [PTR, PTR])
    slots, mats = fn.args
    b = ir.IRBuilder(fn.entry_basic_block)

    def op(i: ir.Value) -> None:
        field = [b.load(at(b, op_table, b.add(b.mul(i, _const(width)), _const(f)), I64), typ=I64)
                 for f in range(width)]
        thetas = [b.load(at(b, slots, slot), typ=F64) for slot in field[1:]]
        basis = [_basis_values(b, f, theta) for f, theta in zip(form.frequencies, thetas)]
        products: dict[tuple[int, ...], ir.Value | None] = {}
        for e, terms in enumerate(form.entries):
            store_c(b, mats, b.add(field[0], _const(e)), _entry(b, terms, basis, products))

    loop(b, ZERO, _const(len(rows)), op)
    b.ret_void()
    return fn


# --- code: fused 1-qubit blocks -------------------------------------------------------


def _chains(products: tuple[Product, ...], diagonal: bool, dim: int) -> tuple[list[int], list[int]]:
    """Flat block table [out, first, count] per block and the flat member-offset table."""
    blocks: list[int] = []
    members: list[int] = []
    for product in (p for p in products if p.diagonal == diagonal and p.dim == dim):
        outs = _offsets(product.out)
        columns = [_offsets(m) for m in product.members]
        for block, out in enumerate(outs):
            blocks += [out, len(members), len(columns)]
            members += [c[block] for c in columns]
    return blocks, members


def _multiply(b: ir.IRBuilder, member: list[Complex], acc: list[Complex], diagonal: bool,
              dim: int = 2) -> list[Complex]:
    """member · acc for dim x dim matrices (row-major) or their diagonals."""
    if diagonal:
        return [cmul(b, m, a) for m, a in zip(member, acc)]
    out = []
    for r in range(dim):
        for c in range(dim):
            total = cmul(b, member[dim * r], acc[c])
            for k in range(1, dim):
                x = cmul(b, member[dim * r + k], acc[dim * k + c])
                total = (b.fadd(total[0], x[0], flags=FAST), b.fadd(total[1], x[1], flags=FAST))
            out.append(total)
    return out


def _emit_products(module: ir.Module, name: str, products: tuple[Product, ...], diagonal: bool,
                   dim: int = 2) -> ir.Function | None:
    """(slots_row, mats_row): out = members[-1] · ... · members[0] for every block of one diagonal flag and size."""
    blocks, members = _chains(products, diagonal, dim)
    if not blocks:
        return None
    block_table, member_table = table(module, f"{name}.blocks", blocks), table(module, f"{name}.members", members)
    fn = function(module, name, [PTR, PTR])
    mats = fn.args[1]
    b = ir.IRBuilder(fn.entry_basic_block)
    width = dim if diagonal else dim * dim
    acc = b.alloca(F64, size=_const(2 * width))  # constant indices only: SROA promotes it to registers

    def load(offset: ir.Value) -> list[Complex]:
        return [load_c(b, mats, b.add(offset, _const(e))) for e in range(width)]

    def keep(values: list[Complex]) -> None:
        store_c(b, acc, ZERO, values[0])
        for e, value in enumerate(values[1:], start=1):
            store_c(b, acc, _const(e), value)

    def member(k: ir.Value) -> None:
        offset = b.load(at(b, member_table, k, I64), typ=I64)
        keep(_multiply(b, load(offset), [load_c(b, acc, _const(e)) for e in range(width)], diagonal, dim))

    def block(i: ir.Value) -> None:
        out, first, count = (b.load(at(b, block_table, b.add(b.mul(i, _const(3)), _const(f)), I64), typ=I64)
                             for f in range(3))
        keep(load(b.load(at(b, member_table, first, I64), typ=I64)))
        loop(b, b.add(first, ONE), b.add(first, count), member)
        for e in range(width):
            store_c(b, mats, b.add(out, _const(e)), load_c(b, acc, _const(e)))

    loop(b, ZERO, _const(len(blocks) // 3), block)
    b.ret_void()
    return fn


def _emit_gathers(module: ir.Module, name: str, gather: Gather) -> ir.Function:
    """(slots_row, mats_row): the fused 2-qubit blocks' members as 4x4s, from rows [out, base, pattern]."""
    rows = [int(v) for row in zip(gather.out, gather.base, gather.pattern) for v in row]
    row_table, pattern_table = table(module, f"{name}.rows", rows), table(module, f"{name}.patterns",
                                                                         [int(c) for c in gather.patterns.ravel()])
    fn = function(module, name, [PTR, PTR])
    mats = fn.args[1]
    b = ir.IRBuilder(fn.entry_basic_block)
    zero, one = _const(gather.zero), _const(gather.one)

    def member(i: ir.Value) -> None:
        out, base, pattern = (b.load(at(b, row_table, b.add(b.mul(i, _const(3)), _const(f)), I64), typ=I64)
                              for f in range(3))

        def entry(e: ir.Value) -> None:
            code = b.load(at(b, pattern_table, b.add(b.mul(pattern, _const(16)), e), I64), typ=I64)
            constant = b.select(b.icmp_signed("==", code, _const(ZERO_CODE)), zero, one)
            src = b.select(b.icmp_signed(">=", code, ZERO), b.add(base, code), constant)
            store_c(b, mats, b.add(out, e), load_c(b, mats, src))

        loop(b, ZERO, _const(16), entry)

    loop(b, ZERO, _const(len(gather.out)), member)
    b.ret_void()
    return fn


# --- the exported function ------------------------------------------------------------


def emit_fill(module: ir.Module, plan: KernelPlan, name: str) -> ir.Function:
    """Add `name` (external, ABI above) computing `fill_matrices(plan, slots)` to `module`."""
    parts = [_emit_group(module, f"{name}.group{k}", group) for k, group in enumerate(plan.groups)]
    parts += [fn for diagonal in (True, False)
              if (fn := _emit_products(module, f"{name}.products{int(diagonal)}", plan.products, diagonal))]
    parts += [_emit_gathers(module, f"{name}.gathers{k}", gather) for k, gather in enumerate(plan.gathers)]
    if fn := _emit_products(module, f"{name}.blocks2", plan.blocks2, False, 4):
        parts.append(fn)
    fn = function(module, name, [PTR, I64, PTR], internal=False)
    slots, batch, mats = fn.args
    b = ir.IRBuilder(fn.entry_basic_block)
    slot_stride, mat_stride = _const(len(plan.slots)), _const(2 * max(plan.num_entries, 1))

    def element(e: ir.Value) -> None:
        rows = [at(b, slots, b.mul(e, slot_stride)), at(b, mats, b.mul(e, mat_stride))]
        for part in parts:
            b.call(part, rows)

    loop(b, ZERO, batch, element)
    b.ret_void()
    return fn


# --- helpers for other emitters (the adjoint's matrices and derivatives) ----------------


def form_entries(b: ir.IRBuilder, forms: list[TrigForm], thetas: list[ir.Value]) -> list[list[Complex]]:
    """The entries of every form at the angles `thetas` (one double per parameter), as IR values.

    The forms must share their frequencies (one gate's matrix and its
    derivatives), so they share one set of sines and cosines.  The same
    arithmetic as the fill's own group loops, so a gate matrix built by
    another kernel agrees with the forward kernel's bit for bit.
    """
    basis = [_basis_values(b, f, theta) for f, theta in zip(forms[0].frequencies, thetas)]
    products: dict[tuple[int, ...], ir.Value | None] = {}
    return [[_entry(b, terms, basis, products) for terms in form.entries] for form in forms]


@cache
def derivative_form(name: str, param: int) -> TrigForm:
    """∂/∂θ_param of gate `name`'s dense matrix as a `TrigForm` over the same basis.

    Differentiating the basis is exact: d/dθ cos fθ = -f sin fθ (the next
    function), d/dθ sin fθ = f cos fθ (the previous one), d/dθ 1 = 0.
    """
    form = trig_form(name, False)
    kinds = [k for f in form.frequencies[param] for k in ([(f, 0)] if f == 0 else [(f, 1), (f, 2)])]  # 1, cos, sin
    entries = []
    for terms in form.entries:
        derived: dict[tuple[int, ...], complex] = {}
        for index, coefficient in terms:
            frequency, kind = kinds[index[param]]
            if kind == 0:
                continue  # the constant basis function
            step, factor = (1, -frequency) if kind == 1 else (-1, frequency)
            moved = index[:param] + (index[param] + step,) + index[param + 1:]
            derived[moved] = derived.get(moved, 0j) + factor * coefficient
        entries.append(tuple((index, c) for index, c in derived.items() if c != 0))
    return TrigForm(form.frequencies, tuple(entries))
