"""Emit the reduction of final states to a circuit's results: `reference_results.results` in LLVM.

Emitted ABI (C)::

    void <name>(const double *states, int64_t batch, double *out)

`states` is (batch, 2**n) complex128 as interleaved re/im doubles (what the
kernel writes), or complex64 for a single-precision kernel: amplitudes are
widened to double as they are loaded, so every sum accumulates in double;
`out` is (batch, layout.width) float64, every entry written.  Both
C-contiguous, not aliased.  `ReductionLayout.unpack` turns `out` (and the
states, for `State`) into exactly the arrays `reference_results.results` returns.

Reduced in compiled code: `ExpVal`, `Var` (while H†H stays a modest Pauli
sum) and `Probs` over distinct qubits; `State` is the state itself; the rest
stays on the host.  The layout and the Pauli-string algebra behind it are in
`results_layout.py`: the code computes Re S and Im S of every distinct
string (x, z) once, then every result as a fixed real combination of them.

Loop order: the state is walked in chunks of 2**CHUNK_BITS amplitudes (L1
resident); each chunk feeds every string and every Probs, so the state streams
from memory once.  Strings are grouped by x: the products conj(a_{i^x}) a_i of
a chunk are formed once per x (in an L1 scratch when several strings share
it, as all Z-only strings do), and each string is then a signed sum.  A pair
(i, i^x) contributes equally from both ends, so when x reaches above the chunk
only the lower chunk of each pair is visited and the sum doubled: the partner
chunk is read once per pair, not twice.  Within a chunk, runs of min(lowest
bit of x, chunk) amplitudes have i and i^x both stepping by one, so the inner
loops vectorise on plain loads; X/Y on the lowest three qubits gather instead.
IR size does not depend on the results: a few loops over constant tables.
Arithmetic carries `reassoc nsz contract`, never nnan/ninf.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from llvmlite import ir

from qdl.compiler.backends.llvm.irbuild import (
    DOUBLE, F64, FAST, I64, ONE, PTR, ZERO, Real, at, function, load_wide, loop, table,
)
from qdl.compiler.backends.llvm.results_layout import ReductionLayout

REDUCE_ABI = "void(const double *states, int64_t batch, double *out)"
CHUNK_BITS = 11  # 2**11 complex128 = 32 KiB: one chunk stays in L1 while every string reads it
MIN_RUN = 8  # shorter runs of contiguous partners cost more in loop overhead than gathers


def _const(value: int) -> ir.Constant:
    return ir.Constant(I64, value)


def _f64_table(module: ir.Module, name: str, values: list[float]) -> ir.GlobalVariable:
    typ = ir.ArrayType(F64, max(len(values), 1))
    table = ir.GlobalVariable(module, typ, name=name)
    table.initializer = ir.Constant(typ, values or [0.0])
    table.global_constant = True
    table.linkage = "internal"
    return table


def _field(b: ir.IRBuilder, table: ir.Value, row: ir.Value, width: int, column: int) -> ir.Value:
    return b.load(at(b, table, b.add(b.mul(row, _const(width)), _const(column)), I64), typ=I64)


def _accumulate(b: ir.IRBuilder, slot: ir.Value, value: ir.Value) -> None:
    b.store(b.fadd(b.load(slot, typ=F64), value, flags=FAST), slot)


def _flip(b: ir.IRBuilder, value: ir.Value, sign: ir.Value) -> ir.Value:
    """value with its sign bit xor-ed with bit 63 of `sign`: an exact, branch-free ±value."""
    return b.bitcast(b.xor(b.bitcast(value, I64), sign), F64)


def _groups(strings: tuple[tuple[int, int], ...]) -> tuple[list[int], list[int]]:
    """Strings grouped by x: group rows [x, first member, member count] and member rows [z, string index]."""
    groups: list[int] = []
    members: list[int] = []
    for x, keys in itertools.groupby(sorted(range(len(strings)), key=strings.__getitem__), lambda k: strings[k][0]):
        keys = list(keys)
        groups += [x, len(members) // 2, len(keys)]
        members += [v for k in keys for v in (strings[k][1], k)]
    return groups, members


def _emit_strings(module: ir.Module, name: str, strings: tuple[tuple[int, int], ...], chunk: int,
                  real: Real) -> ir.Function:
    """(st, start, sums): sums[2k], sums[2k+1] += Re, Im of S(x_k, z_k) over amplitudes [start, start + chunk).

    A lone string of its x is one fused loop.  Several strings of one x share the products
    conj(a_{i^x}) a_i of the chunk, kept in an L1 scratch (re, then im unless x = 0, where it
    vanishes); each string is then one cheap contiguous signed sum over it.
    """
    group_rows, member_rows = _groups(strings)
    groups, members = table(module, f"{name}.groups", group_rows), table(module, f"{name}.members", member_rows)
    fn = function(module, name, [PTR, I64, PTR])
    st, start, sums = fn.args
    b = ir.IRBuilder(fn.entry_basic_block)
    code = _StringCode(b, st, start, sums, chunk, b.alloca(F64, size=_const(2 * chunk)), b.alloca(F64, size=_const(2)),
                       real)

    def group(g: ir.Value) -> None:
        x, first, count = (_field(b, groups, g, 3, c) for c in range(3))
        far = b.and_(x, _const(-chunk))  # the partner chunk is start ^ far
        factor = b.select(b.icmp_unsigned("==", far, ZERO), ir.Constant(F64, 1.0), ir.Constant(F64, 2.0))
        with b.if_then(b.icmp_unsigned("<=", start, b.xor(start, far))):  # each chunk pair once, doubled
            with b.if_else(b.icmp_unsigned("==", count, ONE)) as (lone, shared):
                with lone:
                    code.fused(x, _field(b, members, first, 2, 0), _field(b, members, first, 2, 1), factor)
                with shared:
                    with b.if_else(b.icmp_unsigned("==", x, ZERO)) as (diagonal, general):
                        with diagonal:
                            code.shared(x, first, count, members, 1, factor)
                        with general:
                            code.shared(x, first, count, members, 2, factor)

    loop(b, ZERO, _const(len(group_rows) // 3), group)
    b.ret_void()
    return fn


@dataclass(frozen=True)
class _StringCode:
    """The loops of `_emit_strings`; `acc` is a 2-double alloca that SROA turns into reduction phis."""

    b: ir.IRBuilder
    st: ir.Value
    start: ir.Value
    sums: ir.Value
    chunk: int
    scratch: ir.Value
    acc: ir.Value
    real: Real  # of the state's amplitudes

    def pairs(self, x: ir.Value, visit) -> None:
        """visit(i, i ^ x) for every i of the chunk, in runs where both step by one when they are long enough."""
        b, size = self.b, _const(self.chunk)
        low = b.and_(x, b.sub(ZERO, x))  # the run length: lowest bit of x, at most a chunk
        run = b.select(b.icmp_unsigned(">", b.sub(low, ONE), _const(self.chunk - 1)), size, low)
        end = b.add(self.start, size)
        with b.if_else(b.icmp_unsigned(">=", run, _const(MIN_RUN))) as (runs, flat):
            with runs:  # contiguous partners: plain vector loads
                loop(b, self.start, end,
                      lambda r: loop(b, ZERO, run, lambda o: visit(b.add(r, o), b.add(b.xor(r, x), o))), run)
            with flat:  # X/Y on the lowest qubits: one loop, partners gathered
                loop(b, self.start, end, lambda i: visit(i, b.xor(i, x)))

    def product(self, i: ir.Value, j: ir.Value) -> tuple[ir.Value, ir.Value]:
        """conj(a_j) a_i = (br ar + bi ai) + i (br ai - bi ar)."""
        b = self.b
        (ar, ai), (br, bi) = load_wide(b, self.st, i, self.real), load_wide(b, self.st, j, self.real)
        return (b.fadd(b.fmul(br, ar, flags=FAST), b.fmul(bi, ai, flags=FAST), flags=FAST),
                b.fsub(b.fmul(br, ai, flags=FAST), b.fmul(bi, ar, flags=FAST), flags=FAST))

    def sign(self, i: ir.Value, z: ir.Value) -> ir.Value:
        """The parity of |i & z| in bit 63."""
        ctpop = self.b.module.declare_intrinsic("llvm.ctpop", [I64])
        return self.b.shl(self.b.call(ctpop, [self.b.and_(i, z)]), _const(63))

    def accumulate(self, values: list[ir.Value], sign: ir.Value) -> None:
        for part, value in enumerate(values):
            _accumulate(self.b, at(self.b, self.acc, _const(part)), _flip(self.b, value, sign))

    def summed(self, k: ir.Value, parts: int, body, factor: ir.Value) -> None:
        """sums[2k + part] += factor · the acc parts after body() ran on zeroed accumulators."""
        b = self.b
        for part in range(parts):
            b.store(ir.Constant(F64, 0.0), at(b, self.acc, _const(part)))
        body()
        for part in range(parts):
            total = b.fmul(factor, b.load(at(b, self.acc, _const(part)), typ=F64), flags=FAST)
            _accumulate(b, at(b, self.sums, b.add(b.shl(k, ONE), _const(part))), total)

    def fused(self, x: ir.Value, z: ir.Value, k: ir.Value, factor: ir.Value) -> None:
        def visit(i: ir.Value, j: ir.Value) -> None:
            self.accumulate(list(self.product(i, j)), self.sign(i, z))

        self.summed(k, 2, lambda: self.pairs(x, visit), factor)

    def shared(self, x: ir.Value, first: ir.Value, count: ir.Value, members: ir.Value, parts: int,
               factor: ir.Value) -> None:
        b, size = self.b, _const(self.chunk)

        def keep(i: ir.Value, j: ir.Value) -> None:
            o = b.sub(i, self.start)
            for part, value in enumerate(self.product(i, j)[:parts]):
                b.store(value, at(b, self.scratch, b.add(o, _const(part * self.chunk))))

        def signed(o: ir.Value, z: ir.Value) -> None:
            values = [b.load(at(b, self.scratch, b.add(o, _const(part * self.chunk))), typ=F64)
                      for part in range(parts)]
            self.accumulate(values, self.sign(b.add(self.start, o), z))

        def member(m: ir.Value) -> None:
            z, k = _field(b, members, m, 2, 0), _field(b, members, m, 2, 1)
            self.summed(k, parts, lambda: loop(b, ZERO, size, lambda o: signed(o, z)), factor)

        self.pairs(x, keep)
        loop(b, first, b.add(first, count), member)


def _lookup(qubits: tuple[int, ...], num_bytes: int) -> list[int]:
    """Per byte of a basis index, 256 partial Probs indices: bit j of the sum is qubit qubits[j]."""
    return [sum((((value << 8 * byte) >> q) & 1) << j for j, q in enumerate(qubits))
            for byte in range(num_bytes) for value in range(256)]


def _emit_probs(module: ir.Module, name: str, probs: tuple[tuple[int, tuple[int, ...]], ...], num_qubits: int,
                chunk: int, real: Real) -> ir.Function:
    """(st, start, out): every Probs histogram += |a_i|² over amplitudes [start, start + chunk)."""
    num_bytes = (num_qubits + 7) // 8
    rows: list[int] = []
    for k, (offset, qubits) in enumerate(probs):
        rows += [offset, k * 256 * num_bytes]
    lut = table(module, f"{name}.lut", [v for _, qubits in probs for v in _lookup(qubits, num_bytes)])
    rows_table = table(module, f"{name}.table", rows)
    fn = function(module, name, [PTR, I64, PTR])
    st, start, out = fn.args
    b = ir.IRBuilder(fn.entry_basic_block)

    def amplitude(i: ir.Value, offset: ir.Value, base: ir.Value) -> None:
        index = offset
        for byte in range(num_bytes):
            value = b.and_(b.lshr(i, _const(8 * byte)), _const(255))
            index = b.add(index, b.load(at(b, lut, b.add(base, b.add(value, _const(256 * byte))), I64), typ=I64))
        re, im = load_wide(b, st, i, real)  # widened: every sum in double
        _accumulate(b, at(b, out, index), b.fadd(b.fmul(re, re, flags=FAST), b.fmul(im, im, flags=FAST), flags=FAST))

    def histogram(k: ir.Value) -> None:
        offset, base = _field(b, rows_table, k, 2, 0), _field(b, rows_table, k, 2, 1)
        loop(b, start, b.add(start, _const(chunk)), lambda i: amplitude(i, offset, base))

    loop(b, ZERO, _const(len(probs)), histogram)
    b.ret_void()
    return fn


def _emit_combine(b: ir.IRBuilder, module: ir.Module, name: str, layout: ReductionLayout, out: ir.Value) -> None:
    """out[dest] += coefficient · out[source] per term row, then every Var: <H†H> - <H>²."""
    terms = table(module, f"{name}.terms", [v for dest, source, _ in layout.terms for v in (dest, source)])
    coefficients = _f64_table(module, f"{name}.coefficients", [c for _, _, c in layout.terms])
    variances = table(module, f"{name}.variances", [v for row in layout.variances for v in row])

    def term(k: ir.Value) -> None:
        dest, source = _field(b, terms, k, 2, 0), _field(b, terms, k, 2, 1)
        coefficient = b.load(at(b, coefficients, k), typ=F64)
        _accumulate(b, at(b, out, dest), b.fmul(coefficient, b.load(at(b, out, source), typ=F64), flags=FAST))

    def variance(k: ir.Value) -> None:
        var, mean, square = (_field(b, variances, k, 3, c) for c in range(3))
        m = b.load(at(b, out, mean), typ=F64)
        value = b.fsub(b.load(at(b, out, square), typ=F64), b.fmul(m, m, flags=FAST), flags=FAST)
        b.store(value, at(b, out, var))

    loop(b, ZERO, _const(len(layout.terms)), term)
    loop(b, ZERO, _const(len(layout.variances)), variance)


def _emit_element(module: ir.Module, layout: ReductionLayout, num_qubits: int, name: str, real: Real) -> ir.Function:
    """(st, out): one batch element: zero the row, stream the chunks through every reducer, combine."""
    dim = 2**num_qubits
    chunk = min(dim, 2**CHUNK_BITS)
    reducers = []
    if layout.strings:
        reducers.append((_emit_strings(module, f"{name}.strings", layout.strings, chunk, real), layout.strings_offset))
    if layout.probs:
        reducers.append((_emit_probs(module, f"{name}.probs", layout.probs, num_qubits, chunk, real), 0))
    fn = function(module, name, [PTR, PTR])
    st, out = fn.args
    b = ir.IRBuilder(fn.entry_basic_block)
    loop(b, ZERO, _const(layout.width), lambda k: b.store(ir.Constant(F64, 0.0), at(b, out, k)))

    def one_chunk(start: ir.Value) -> None:
        for reducer, offset in reducers:
            b.call(reducer, [st, start, at(b, out, _const(offset))])

    loop(b, ZERO, _const(dim), one_chunk, _const(chunk))
    _emit_combine(b, module, name, layout, out)
    b.ret_void()
    return fn


def emit_reduce(module: ir.Module, layout: ReductionLayout, num_qubits: int, name: str,
                real: Real = DOUBLE) -> ir.Function:
    """Add `name` (external, ABI above) computing the reduced results of `layout` on n-qubit states of `real`s."""
    element = _emit_element(module, layout, num_qubits, f"{name}.element", real)
    fn = function(module, name, [PTR, I64, PTR], internal=False)
    states, batch, out = fn.args
    b = ir.IRBuilder(fn.entry_basic_block)
    state_stride, out_stride = _const(2 * 2**num_qubits), _const(layout.width)

    def one(e: ir.Value) -> None:
        b.call(element, [at(b, states, b.mul(e, state_stride), real.typ), at(b, out, b.mul(e, out_stride))])

    loop(b, ZERO, batch, one)
    b.ret_void()
    return fn
