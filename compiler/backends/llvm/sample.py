"""The compiled sampler: shots of final states from the seeded counter-based generator, in the runtime library.

What it computes is specified in `qdl.runtime.sampling` (the numpy twin the
reference simulator uses); this is the same function in O(2**n + shots) time
without a copy of the state:

1. the shot uniforms u_i as 53-bit integers, paired with their shot number i;
2. an LSD radix sort of the pairs (5 passes of 11 bits: 53-bit keys, stable);
3. the total T = Σ p_x, one pass over the state;
4. one walk of the running sum C[x] over the state, emitting x for every
   sorted threshold u·T < C[x] and stopping when every shot has its index;
5. each index written at its shot number, so shot i is the i-th draw of the
   stream: the shots come out in the generator's (random) order.

Bit-identity with the twin needs the same roundings: p = re·re + im·im and
C accumulated in index order, with no fast-math flags here (a fused
multiply-add or a reassociated sum would round differently); T is the same
sequence of additions as C's last entry.

ABI (C)::

    void qdl_sample_<version>(const double *states, int64_t dim, int64_t batch, int64_t first, uint64_t seed,
                              int64_t shots, int64_t *out, int64_t *work)

`states` (batch, dim) complex128; `out` (batch, shots) int64; element e
draws from the stream key(seed, first + e); `work` holds 4·shots + RADIX
int64 (two key and two shot-number buffers, the histogram), reused by every
element, so one call per thread.
"""

from __future__ import annotations

from llvmlite import ir

from qdl.compiler.backends.llvm.irbuild import F64, I64, ONE, PTR, ZERO, at, function, loop
from qdl.runtime.sampling import GAMMA, MIX1, MIX2, UNIT

SAMPLE = "qdl_sample"
DIGIT_BITS = 11
RADIX = 1 << DIGIT_BITS
PASSES = 5  # 5 · 11 >= 53 key bits


def _c(value: int) -> ir.Constant:
    return ir.Constant(I64, value - (1 << 64) if value >= 1 << 63 else value)


def mix(b: ir.IRBuilder, z: ir.Value) -> ir.Value:
    """splitmix64's finaliser (wrapping i64 arithmetic)."""
    z = b.mul(b.xor(z, b.lshr(z, _c(30))), _c(MIX1))
    z = b.mul(b.xor(z, b.lshr(z, _c(27))), _c(MIX2))
    return b.xor(z, b.lshr(z, _c(31)))


def word(b: ir.IRBuilder, key: ir.Value, counter: ir.Value) -> ir.Value:
    """mix(key + γ·(counter + 1)): the stream's `counter`-th 64-bit word."""
    return mix(b, b.add(key, b.mul(_c(GAMMA), b.add(counter, ONE))))


def _slot(b: ir.IRBuilder, typ: ir.Type) -> ir.AllocaInstr:
    """A stack slot in the entry block (where mem2reg promotes it), wherever the builder is."""
    with b.goto_block(b.function.entry_basic_block):
        return b.alloca(typ)


def build_sample(module: ir.Module) -> ir.Function:
    """The exported function (ABI above): per element, its stream key, then `_emit_state`."""
    fn = function(module, SAMPLE, [PTR, I64, I64, I64, I64, I64, PTR, PTR])
    states, dim, batch, first, seed, shots, out, work = fn.args
    b = ir.IRBuilder(fn.entry_basic_block)
    mixed_seed = mix(b, seed)

    def element(e: ir.Value) -> None:
        key = word(b, mixed_seed, b.add(first, e))  # key(seed, b) = mix(mix(seed) + γ·(b + 1))
        st = at(b, states, b.mul(e, b.shl(dim, ONE)))
        _emit_state(b, st, dim, key, shots, at(b, out, b.mul(e, shots), I64), work)

    loop(b, ZERO, batch, element)
    b.ret_void()
    return fn


def _emit_state(b: ir.IRBuilder, st: ir.Value, dim: ir.Value, key: ir.Value, shots: ir.Value, out: ir.Value,
                work: ir.Value) -> None:
    """The shots of one state (steps 1-5 of the module docstring) into its row `out`."""
    buffers = [(at(b, work, b.mul(shots, ir.Constant(I64, 2 * k)), I64),
                at(b, work, b.mul(shots, ir.Constant(I64, 2 * k + 1)), I64)) for k in (0, 1)]
    hist = at(b, work, b.mul(shots, ir.Constant(I64, 4)), I64)

    def draw(i: ir.Value) -> None:
        b.store(b.lshr(word(b, key, i), _c(11)), at(b, buffers[0][0], i, I64))
        b.store(i, at(b, buffers[0][1], i, I64))

    loop(b, ZERO, shots, draw)
    for p in range(PASSES):
        _radix_pass(b, buffers[p % 2], buffers[1 - p % 2], hist, shots, DIGIT_BITS * p)
    keys, order = buffers[PASSES % 2]
    total = _total(b, st, dim)
    valid = b.and_(b.fcmp_ordered(">", total, ir.Constant(F64, 0.0)),
                   b.fcmp_ordered("<", total, ir.Constant(F64, float("inf"))))
    with b.if_else(valid) as (then, otherwise):
        with then:
            _walk(b, st, dim, shots, keys, order, total, out)
        with otherwise:
            loop(b, ZERO, shots, lambda i: b.store(ZERO, at(b, out, i, I64)))


def _radix_pass(b: ir.IRBuilder, src: tuple[ir.Value, ir.Value], dst: tuple[ir.Value, ir.Value],
                hist: ir.Value, shots: ir.Value, shift: int) -> None:
    """Stable counting sort of the (key, shot) pairs by the key's digit at `shift`, src -> dst."""
    def digit(i: ir.Value) -> ir.Value:
        return b.and_(b.lshr(b.load(at(b, src[0], i, I64), typ=I64), _c(shift)), _c(RADIX - 1))

    def count(i: ir.Value) -> None:
        slot = at(b, hist, digit(i), I64)
        b.store(b.add(b.load(slot, typ=I64), ONE), slot)

    loop(b, ZERO, _c(RADIX), lambda d: b.store(ZERO, at(b, hist, d, I64)))
    loop(b, ZERO, shots, count)
    running = _slot(b, I64)
    b.store(ZERO, running)

    def exclusive(d: ir.Value) -> None:  # hist[d] becomes the first position of digit d
        slot, start = at(b, hist, d, I64), b.load(running, typ=I64)
        b.store(b.add(start, b.load(slot, typ=I64)), running)
        b.store(start, slot)

    def scatter(i: ir.Value) -> None:
        slot = at(b, hist, digit(i), I64)
        position = b.load(slot, typ=I64)
        b.store(b.add(position, ONE), slot)
        for k in (0, 1):
            b.store(b.load(at(b, src[k], i, I64), typ=I64), at(b, dst[k], position, I64))

    loop(b, ZERO, _c(RADIX), exclusive)
    loop(b, ZERO, shots, scatter)


def _probability(b: ir.IRBuilder, st: ir.Value, x: ir.Value) -> ir.Value:
    """re² + im² of amplitude x, without fast-math flags (the twin's rounding)."""
    two = b.shl(x, ONE)
    re, im = b.load(at(b, st, two), typ=F64), b.load(at(b, st, b.or_(two, ONE)), typ=F64)
    return b.fadd(b.fmul(re, re), b.fmul(im, im))


def _total(b: ir.IRBuilder, st: ir.Value, dim: ir.Value) -> ir.Value:
    """Σ p_x in index order: bit for bit the walk's last running sum."""
    acc = _slot(b, F64)
    b.store(ir.Constant(F64, 0.0), acc)
    loop(b, ZERO, dim, lambda x: b.store(b.fadd(b.load(acc, typ=F64), _probability(b, st, x)), acc))
    return b.load(acc, typ=F64)


def _walk(b: ir.IRBuilder, st: ir.Value, dim: ir.Value, shots: ir.Value, keys: ir.Value, order: ir.Value,
          total: ir.Value, out: ir.Value) -> None:
    """Steps 4-5: running sum over the state, sorted thresholds consumed as it passes them."""
    fn = b.function
    x_slot, acc, k_slot, last = (_slot(b, t) for t in (I64, F64, I64, I64))
    for slot, value in ((x_slot, ZERO), (acc, ir.Constant(F64, 0.0)), (k_slot, ZERO), (last, ZERO)):
        b.store(value, slot)
    head, more, body, inner, check, emit, step, done = (fn.append_basic_block(name) for name in (
        "walk", "walk_more", "walk_body", "shots", "shots_check", "shot", "walk_step", "walk_done"))
    b.branch(head)
    b.position_at_end(head)  # while x < dim and k < shots
    x = b.load(x_slot, typ=I64)
    b.cbranch(b.icmp_unsigned("<", x, dim), more, done)
    b.position_at_end(more)
    b.cbranch(b.icmp_unsigned("<", b.load(k_slot, typ=I64), shots), body, done)
    b.position_at_end(body)
    p = _probability(b, st, x)
    running = b.fadd(b.load(acc, typ=F64), p)
    b.store(running, acc)
    b.store(b.select(b.fcmp_ordered(">", p, ir.Constant(F64, 0.0)), x, b.load(last, typ=I64)), last)
    b.branch(inner)
    b.position_at_end(inner)  # while k < shots and u_k·T < C[x]: shot order[k] is x
    k = b.load(k_slot, typ=I64)
    b.cbranch(b.icmp_unsigned("<", k, shots), check, step)
    b.position_at_end(check)
    u = b.fmul(b.uitofp(b.load(at(b, keys, k, I64), typ=I64), F64), ir.Constant(F64, UNIT))
    b.cbranch(b.fcmp_ordered("<", b.fmul(u, total), running), emit, step)
    b.position_at_end(emit)
    b.store(x, at(b, out, b.load(at(b, order, k, I64), typ=I64), I64))
    b.store(b.add(k, ONE), k_slot)
    b.branch(inner)
    b.position_at_end(step)
    b.store(b.add(x, ONE), x_slot)
    b.branch(head)
    b.position_at_end(done)  # thresholds past C's last entry (rounding): the last index of nonzero probability
    loop(b, b.load(k_slot, typ=I64), shots,
         lambda i: b.store(b.load(last, typ=I64), at(b, out, b.load(at(b, order, i, I64), typ=I64), I64)))
