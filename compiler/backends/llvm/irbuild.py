"""Small llvmlite builders shared by the LLVM back end's emitters: loops, complex arithmetic, vectors.

Complex numbers are (re, im) pairs of reals, stored interleaved; a `Real`
names the floating type of states (double, or single for complex64 states)
and its vector: <8 x double> = 4 complex lanes, <16 x float> = 8 (the same
512 bits).  Builders take the real type where states are touched and default
to double.  Arithmetic carries `FAST` flags (`reassoc nsz contract`), never
nnan/ninf, so NaN and Inf keep their meaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from llvmlite import ir

F64, F32, I64, PTR = ir.DoubleType(), ir.FloatType(), ir.IntType(64), ir.PointerType()
FAST = ("reassoc", "nsz", "contract")  # no nnan/ninf: NaN and Inf keep their meaning
ZERO = ir.Constant(I64, 0)
ONE = ir.Constant(I64, 1)
Complex = tuple[ir.Value, ir.Value]


@dataclass(frozen=True)
class Real:
    """The floating type of a state's amplitudes (re and im) and its vector of `lanes` complex numbers."""

    name: str  # the precision's user-facing name: "double" or "single"
    typ: ir.Type
    lanes: int
    size: int  # bytes of one real

    @property
    def vector(self) -> ir.VectorType:
        return ir.VectorType(self.typ, 2 * self.lanes)


DOUBLE = Real("double", F64, 4, 8)
SINGLE = Real("single", F32, 8, 4)  # twice the lanes: one vector stays 512 bits
REALS = {real.name: real for real in (DOUBLE, SINGLE)}


I32 = ir.IntType(32)
I32_RANGE = range(-2**31, 2**31)


def table(module: ir.Module, name: str, values: list[int], narrow: bool = False) -> ir.GlobalVariable:
    """A constant i64 table; `narrow`: i32 entries when every value fits (read it with `field`).

    The op tables of long circuits are most of their object code: 32-bit
    entries halve what a warm load reads and links.  The initializer is
    written as text directly: llvmlite makes and formats one `Constant` per
    entry, which took seconds for the half million of a 100,000-op circuit.
    """
    values = [int(v) for v in values] or [0]
    fits = narrow and I32_RANGE.start <= min(values) and max(values) < I32_RANGE.stop
    element = I32 if fits else I64
    typ = ir.ArrayType(element, len(values))
    table = ir.GlobalVariable(module, typ, name=name)
    table.initializer = ir.FormattedConstant(typ, f"[{element} " + f", {element} ".join(map(str, values)) + "]")
    table.global_constant = True
    table.linkage = "internal"
    return table


def function(module: ir.Module, name: str, args: list[ir.Type], internal: bool = True) -> ir.Function:
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), args), name=name)
    if internal:
        fn.linkage = "internal"
    for arg in fn.args:
        if isinstance(arg.type, ir.PointerType):
            arg.add_attribute("noalias")
    fn.append_basic_block("entry")
    return fn


def loop(b: ir.IRBuilder, start: ir.Value, stop: ir.Value, body: Callable[[ir.Value], None],
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


def at(b: ir.IRBuilder, base: ir.Value, index: ir.Value, typ: ir.Type = F64) -> ir.Value:
    return b.gep(base, [index], source_etype=typ)


def load_c(b: ir.IRBuilder, base: ir.Value, index: ir.Value, typ: ir.Type = F64) -> Complex:
    two = b.shl(index, ONE)
    return (b.load(at(b, base, two, typ), typ=typ), b.load(at(b, base, b.or_(two, ONE), typ), typ=typ))


def store_c(b: ir.IRBuilder, base: ir.Value, index: ir.Value, value: Complex, typ: ir.Type = F64) -> None:
    two = b.shl(index, ONE)
    b.store(value[0], at(b, base, two, typ))
    b.store(value[1], at(b, base, b.or_(two, ONE), typ))


def load_wide(b: ir.IRBuilder, st: ir.Value, i: ir.Value, real: Real) -> Complex:
    """Amplitude i of a state of `real`s, widened to double (sums and products of reductions stay double)."""
    re, im = load_c(b, st, i, real.typ)
    return (re, im) if real == DOUBLE else (b.fpext(re, F64), b.fpext(im, F64))


def store_narrow(b: ir.IRBuilder, st: ir.Value, i: ir.Value, value: Complex, real: Real) -> None:
    """A double complex value stored as amplitude i of a state of `real`s (rounded in single precision)."""
    if real != DOUBLE:
        value = (b.fptrunc(value[0], real.typ), b.fptrunc(value[1], real.typ))
    store_c(b, st, i, value, real.typ)


def load_matrix_c(b: ir.IRBuilder, mat: ir.Value, index: ir.Value, real: Real) -> Complex:
    """A gate-matrix entry (always complex128: the fill computes in double) rounded to `real` once loaded."""
    re, im = load_c(b, mat, index)
    if real.typ == F64:
        return re, im
    return b.fptrunc(re, real.typ), b.fptrunc(im, real.typ)


def cmul(b: ir.IRBuilder, x: Complex, y: Complex) -> Complex:
    re = b.fsub(b.fmul(x[0], y[0], flags=FAST), b.fmul(x[1], y[1], flags=FAST), flags=FAST)
    im = b.fadd(b.fmul(x[0], y[1], flags=FAST), b.fmul(x[1], y[0], flags=FAST), flags=FAST)
    return re, im


def cadd(b: ir.IRBuilder, x: Complex, y: Complex) -> Complex:
    return b.fadd(x[0], y[0], flags=FAST), b.fadd(x[1], y[1], flags=FAST)


def matvec(b: ir.IRBuilder, mat: list[Complex], amps: list[Complex]) -> list[Complex]:
    d = len(amps)
    out = []
    for r in range(d):
        acc = cmul(b, mat[r * d], amps[0])
        for c in range(1, d):
            acc = cadd(b, acc, cmul(b, mat[r * d + c], amps[c]))
        out.append(acc)
    return out


def insert_zero(b: ir.IRBuilder, i: ir.Value, pos: ir.Value) -> ir.Value:
    """i with a 0 bit inserted at `pos`: ((i >> pos) << (pos + 1)) | (i & ((1 << pos) - 1))."""
    low = b.and_(i, b.sub(b.shl(ONE, pos), ONE))
    return b.or_(b.shl(b.lshr(i, pos), b.add(pos, ONE)), low)


def subspace_base(b: ir.IRBuilder, slot: ir.Value, i: ir.Value, sorted_pos: ir.Value, m: ir.Value,
                   cval: ir.Value) -> ir.Value:
    """The i-th index of the controlled subspace: zeros inserted at every position, controls set.

    `slot` is an i64 alloca from the entry block (an alloca in a loop would grow the stack).
    """
    b.store(i, slot)
    loop(b, ZERO, m, lambda j: b.store(insert_zero(b, b.load(slot, typ=I64),
                                                      b.load(at(b, sorted_pos, j, I64), typ=I64)), slot))
    return b.or_(b.load(slot, typ=I64), cval)


def involved_mask(b: ir.IRBuilder, sorted_pos: ir.Value, m: ir.Value) -> ir.Value:
    """OR of 1 << p over the m positions (controls and targets) of a row."""
    slot = b.alloca(I64)
    b.store(ZERO, slot)
    loop(b, ZERO, m, lambda j: b.store(b.or_(b.load(slot, typ=I64), b.shl(ONE, b.load(at(
        b, sorted_pos, j, I64), typ=I64))), slot))
    return b.load(slot, typ=I64)


def field(b: ir.IRBuilder, table: ir.GlobalVariable, row: ir.Value, width: int, f: int) -> ir.Value:
    """Column f of row `row` of a table of `width` columns, as i64 (sign-extended from a narrow table)."""
    element = table.value_type.element
    index = b.add(b.mul(row, ir.Constant(I64, width)), ir.Constant(I64, f))
    value = b.load(at(b, table, index, element), typ=element)
    return value if element == I64 else b.sext(value, I64)


def subsets(b: ir.IRBuilder, mask: ir.Value, body: Callable[[ir.Value], None]) -> None:
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


V8 = DOUBLE.vector
SWAP_RE_IM = ir.Constant(ir.VectorType(ir.IntType(32), 8), [1, 0, 3, 2, 5, 4, 7, 6])


def swap_re_im(vector: ir.VectorType) -> ir.Constant:
    """The shuffle mask exchanging re and im in every lane of `vector`."""
    return ir.Constant(ir.VectorType(ir.IntType(32), vector.count), [k ^ 1 for k in range(vector.count)])


def cvec(b: ir.IRBuilder, lanes: list[Complex]) -> tuple[ir.Value, ir.Value]:
    """Per-lane coefficients of complex lanes (4 doubles or 8 floats): ([re, re, ...], [-im, im, ...])."""
    vector = ir.VectorType(lanes[0][0].type, 2 * len(lanes))
    re, im = ir.Constant(vector, ir.Undefined), ir.Constant(vector, ir.Undefined)
    for j, (cr, ci) in enumerate(lanes):
        re = b.insert_element(b.insert_element(re, cr, ir.Constant(ir.IntType(32), 2 * j)), cr,
                              ir.Constant(ir.IntType(32), 2 * j + 1))
        im = b.insert_element(b.insert_element(im, b.fneg(ci), ir.Constant(ir.IntType(32), 2 * j)), ci,
                              ir.Constant(ir.IntType(32), 2 * j + 1))
    return re, im


def vmul(b: ir.IRBuilder, coeff: tuple[ir.Value, ir.Value], v: ir.Value) -> ir.Value:
    swapped = b.shuffle_vector(v, v, swap_re_im(v.type))
    return b.fadd(b.fmul(coeff[0], v, flags=FAST), b.fmul(coeff[1], swapped, flags=FAST), flags=FAST)


def vload(b: ir.IRBuilder, st: ir.Value, i: ir.Value, real: Real = DOUBLE) -> ir.Value:
    """`real.lanes` amplitudes from index i (aligned only to one real: chunks start anywhere)."""
    return b.load(at(b, st, b.shl(i, ONE), real.typ), typ=real.vector, align=real.size)


def vstore(b: ir.IRBuilder, st: ir.Value, i: ir.Value, v: ir.Value, real: Real = DOUBLE) -> None:
    b.store(v, at(b, st, b.shl(i, ONE), real.typ), align=real.size)


def vload_wide(b: ir.IRBuilder, st: ir.Value, i: ir.Value, real: Real) -> ir.Value:
    """Amplitudes i..i+3 of a state of `real`s as <8 x double>."""
    v = b.load(at(b, st, b.shl(i, ONE), real.typ), typ=ir.VectorType(real.typ, 8), align=real.size)
    return v if real == DOUBLE else b.fpext(v, V8)


def vstore_narrow(b: ir.IRBuilder, st: ir.Value, i: ir.Value, v: ir.Value, real: Real) -> None:
    """<8 x double> stored as amplitudes i..i+3 of a state of `real`s."""
    if real != DOUBLE:
        v = b.fptrunc(v, ir.VectorType(real.typ, 8))
    b.store(v, at(b, st, b.shl(i, ONE), real.typ), align=real.size)


def declare_like(module: ir.Module, definition: ir.Function) -> ir.Function:
    """A declaration in `module` of a function defined elsewhere (a shared library), argument attributes included."""
    fn = ir.Function(module, definition.function_type, name=definition.name)
    for arg, defined in zip(fn.args, definition.args):
        for attribute in sorted(defined.attributes):
            arg.add_attribute(attribute)
    return fn
