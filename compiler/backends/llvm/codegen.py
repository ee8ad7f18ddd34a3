"""Emit the LLVM module of a `KernelPlan`: a table walk calling the runtime library, plus fill and reduce.

The IR size is bounded by the op count only through constant integer
tables (`qdl_ops`, `qdl_aux`, `qdl_stages`); the gate work is the same handful
of functions for every circuit, which this module only *declares*: they are
defined once in the runtime library (`library`, one application function per
`OpKind` and the chunk copies), compiled once per machine and linked once per
process, which every kernel links against; a kernel's compile time is its
tables, walk, fill and reduction only.
The kernel's loop reads one `OP_FIELDS` row per op and switches on its
`OpKind` to that kind's application function.

The kernel walks the stage table (see `plan.StageRow`): for each stage and
each chunk of the state it gathers the chunk into scratch (unless the chunk
is contiguous: then in place), runs the stage's rows on it, and scatters it
back, so a large state is streamed once per stage instead of once per gate.

Kernel ABI (C, see `KERNEL_ABI`)::

    void qdl_kernel_<tag>(const double *slots, int64_t batch, double *mats, double *states, double *scratch,
                          double *out)

`slots` is (batch, len(plan.slots)) float64: the values of the plan's
distinct parameter expressions; the kernel first fills `mats`, a
(batch, num_entries) complex128 work buffer (interleaved re/im), with every
gate matrix (`fill.emit_fill`, from the one gate table); `states` is
(batch, 2**n) complex128, written by the kernel, which starts every element
from |0...0>; `scratch` holds 2**chunk_qubits amplitudes (unused when the
plan is not blocked).  With `plan.precision == "single"` the states and
scratch are complex64 (interleaved floats; the pointer types stay `double *`
in the ABI text) while `mats` stays complex128: the fill computes in double
and the application functions round each entry once as they load it; `out` is (batch, plan.results.width) float64, the
reduced results (`reduce.emit_reduce`; unused when the width is 0).  Buffers
are C-contiguous and must not alias.

The same module exports the kernel's resumable form (`RESUME_ABI`)::

    void qdl_resume_<tag>(<the kernel's arguments>, int64_t first_row, int64_t end_row, int64_t flags)

which applies only the op-table rows [first_row, end_row) to the states as
given: starting from |0...0> only with `START`, reducing only with `REDUCE`
(the kernel is `resume(..., 0, rows, START | REDUCE)`).  Within a stage the
chunks are independent, so the state after any row prefix is well defined
and a later call can continue from it: parameter shift simulates the prefix
shared by a slot's shifted evaluations once (`runtime.llvm.shift`).
"""

from __future__ import annotations

from llvmlite import ir

from qdl.compiler.backends.llvm import library
from qdl.compiler.backends.llvm.fill import emit_fill
from qdl.compiler.backends.llvm.reduce import emit_reduce
from qdl.compiler.backends.llvm.irbuild import (
    I64, ONE, PTR, REALS, ZERO, Real, at, field, function, loop, subsets, table,
)
from qdl.compiler.backends.llvm.plan import OP_FIELDS, STAGE_FIELDS, KernelPlan, OpKind

KERNEL_ABI = ("void(const double *slots, int64_t batch, double *mats, double *states, double *scratch, "
              "double *out)")
RESUME_ABI = KERNEL_ABI[:-1] + ", int64_t first_row, int64_t end_row, int64_t flags)"
START, REDUCE = 1, 2  # resume flags: begin from |0...0>; reduce the final states into `out`


def kernel_symbol(tag: str) -> str:
    return f"qdl_kernel_{tag}"


def resume_symbol(tag: str) -> str:
    return f"qdl_resume_{tag}"


def emit(plan: KernelPlan, tag: str) -> ir.Module:
    """The LLVM module of `plan`, exporting `kernel_symbol(tag)` and `resume_symbol(tag)` (ABIs above).

    It needs the runtime library `library.LIBRARY_NAME` at link time.
    """
    module = ir.Module(name=f"qdl_{tag}")
    tables = {"ops": table(module, "qdl_ops", plan.table(), narrow=True),
              "aux": table(module, "qdl_aux", list(plan.aux)),
              "stages": table(module, "qdl_stages", plan.stage_table())}
    real = REALS[plan.precision]
    runtime = library.declare(module, real)
    fill = emit_fill(module, plan, f"qdl_fill_{tag}")
    fill.linkage = "internal"
    reduce = emit_reduce(module, plan.results, plan.num_qubits, f"qdl_reduce_{tag}", real) \
        if plan.results.width else None
    if reduce is not None:
        reduce.linkage = "internal"
    _kernel(module, kernel_symbol(tag), plan, tables, runtime, fill, reduce, real)
    return module


# --- the kernel --------------------------------------------------------------------


def _kernel(module: ir.Module, name: str, plan: KernelPlan, tables: dict[str, ir.GlobalVariable],
            runtime: library.Functions, fill: ir.Function, reduce: ir.Function | None, real: Real) -> None:
    resume = _resume(module, name.replace("qdl_kernel_", "qdl_resume_"), plan, tables, runtime, fill, reduce, real)
    fn = function(module, name, [PTR, I64, PTR, PTR, PTR, PTR], internal=False)
    b = ir.IRBuilder(fn.entry_basic_block)
    everything = [ZERO, ir.Constant(I64, len(plan.rows)), ir.Constant(I64, START | REDUCE)]
    b.call(resume, list(fn.args) + everything)
    b.ret_void()


def _resume(module: ir.Module, name: str, plan: KernelPlan, tables: dict[str, ir.GlobalVariable],
            runtime: library.Functions, fill: ir.Function, reduce: ir.Function | None, real: Real) -> ir.Function:
    fn = function(module, name, [PTR, I64, PTR, PTR, PTR, PTR, I64, I64, I64], internal=False)
    fn.attributes.add("noinline")  # one copy of the walk, shared with the kernel
    slots, batch, mats, states, scratch, out, first_row, end_row, flags = fn.args
    b = ir.IRBuilder(fn.entry_basic_block)
    b.call(fill, [slots, batch, mats])
    dim = ir.Constant(I64, 2**plan.num_qubits)
    chunk_dim = ir.Constant(I64, 2**plan.chunk_qubits)
    mat_stride = ir.Constant(I64, 2 * max(plan.num_entries, 1))
    start = b.icmp_unsigned("!=", b.and_(flags, ir.Constant(I64, START)), ZERO)

    def element(e: ir.Value) -> None:
        st = at(b, states, b.mul(e, b.shl(dim, ONE)), real.typ)
        mp = at(b, mats, b.mul(e, mat_stride))
        with b.if_then(start):
            loop(b, ZERO, b.shl(dim, ONE), lambda i: b.store(ir.Constant(real.typ, 0.0), at(b, st, i, real.typ)))
            b.store(ir.Constant(real.typ, 1.0), st)
        env = _Env(st, chunk_dim, mp, scratch, tables, runtime.apply, runtime.copy, real)
        loop(b, ZERO, ir.Constant(I64, len(plan.stages)), lambda s: _stage(b, s, env, first_row, end_row))

    loop(b, ZERO, batch, element)
    if reduce is not None:
        with b.if_then(b.icmp_unsigned("!=", b.and_(flags, ir.Constant(I64, REDUCE)), ZERO)):
            b.call(reduce, [states, batch, out])
    b.ret_void()
    return fn


class _Env:
    """What every stage of one batch element reads: its state, matrices, scratch, tables and functions."""

    def __init__(self, st, chunk_dim, mp, scratch, tables, apply, copy, real) -> None:
        self.st, self.chunk_dim, self.mp, self.scratch = st, chunk_dim, mp, scratch
        self.tables, self.apply, self.copy, self.real = tables, apply, copy, real


def _stage(b: ir.IRBuilder, s: ir.Value, env: _Env, first_row: ir.Value, end_row: ir.Value) -> None:
    """Stage s's rows within [first_row, end_row): for every chunk, gather it (unless in place), apply
    the rows, scatter it back; nothing when the range misses the stage."""
    table = env.tables["stages"]
    first, end, inplace, outer_mask, high_mask, run = (field(b, table, s, STAGE_FIELDS, f)
                                                       for f in range(STAGE_FIELDS))
    first = b.select(b.icmp_unsigned("<", first, first_row), first_row, first)
    end = b.select(b.icmp_unsigned(">", end, end_row), end_row, end)
    in_place = b.icmp_unsigned("!=", inplace, ZERO)
    with b.if_then(b.icmp_unsigned("<", first, end)):
        _chunks(b, env, first, end, in_place, outer_mask, high_mask, run)


def _chunks(b: ir.IRBuilder, env: _Env, first: ir.Value, end: ir.Value, in_place: ir.Value,
            outer_mask: ir.Value, high_mask: ir.Value, run: ir.Value) -> None:
    def chunk(outer: ir.Value) -> None:
        buf = b.select(in_place, at(b, env.st, b.shl(outer, ONE), env.real.typ), env.scratch)
        with b.if_then(b.not_(in_place)):
            b.call(env.copy[True], [env.st, outer, high_mask, run, env.scratch])
        loop(b, first, end, lambda k: _dispatch(b, k, buf, outer, env))
        with b.if_then(b.not_(in_place)):
            b.call(env.copy[False], [env.st, outer, high_mask, run, env.scratch])

    subsets(b, outer_mask, chunk)


def _dispatch(b: ir.IRBuilder, k: ir.Value, st: ir.Value, outer: ir.Value, env: _Env) -> None:
    """Row k on the chunk at `st` (chunk base `outer`): skip it or call its application function."""
    ops, aux = env.tables["ops"], env.tables["aux"]
    kind, q0, q1, m, aux_at, k2, cval, mat, nl_mask, nl_val, sel, sel_step = (field(b, ops, k, OP_FIELDS, f)
                                                                for f in range(OP_FIELDS))
    applies = b.icmp_unsigned("==", b.and_(outer, nl_mask), nl_val)
    done = b.function.append_basic_block("next")
    run = b.function.append_basic_block("apply")
    b.cbranch(applies, run, done)
    b.position_at_end(run)
    picked = b.zext(b.icmp_unsigned("!=", b.and_(outer, sel), ZERO), I64)
    matp = at(b, env.mp, b.shl(b.add(mat, b.mul(picked, sel_step)), ONE))
    sorted_pos = at(b, aux, aux_at, I64)
    offsets = at(b, aux, b.add(aux_at, m), I64)
    dim = env.chunk_dim
    calls = {
        OpKind.DENSE1: (st, dim, q0, matp), OpKind.DIAG1: (st, dim, q0, matp),
        OpKind.DENSE2: (st, dim, q0, q1, matp), OpKind.FLIP: (st, dim, sorted_pos, m, cval, q0, matp),
        OpKind.CTRL1: (st, dim, sorted_pos, m, cval, q0, matp),
        OpKind.CTRL1_DIAG: (st, dim, sorted_pos, m, cval, q0, matp),
        OpKind.GEN_DENSE: (st, dim, sorted_pos, m, offsets, k2, cval, matp),
        OpKind.GEN_DIAG: (st, dim, sorted_pos, m, offsets, k2, cval, matp),
        OpKind.SCALE: (st, dim, sorted_pos, m, cval, matp),
    }
    switch = b.switch(kind, done)
    for op_kind, args in calls.items():
        case = b.function.append_basic_block(op_kind.name.lower())
        switch.add_case(ir.Constant(I64, int(op_kind)), case)
        b.position_at_end(case)
        b.call(env.apply[op_kind], args)
        b.branch(done)
    b.position_at_end(done)
