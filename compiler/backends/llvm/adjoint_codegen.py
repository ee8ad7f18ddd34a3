"""Emit the LLVM module of an `AdjointPlan`: observables, a backward table walk, reductions.

The gate work reuses the forward kernel's application functions (`apply.APPLY`,
each `(state, dim, ...)` on any contiguous complex128 vector): an apply row
runs once per buffer, φ first, then every λ_o.  Only the reductions
R_ab = Σ conj(λ[base|a]) φ[base|b] and the Pauli strings of the observables
are new (`adjoint_reductions`).

Kernel ABI (C, see `ADJOINT_ABI`)::

    void qdl_adjoint_<tag>(const double *mats, int64_t batch, double *states,
                           double *work, double *values, double *reduced)

`mats` (batch, num_entries) complex: the units' U† matrices; `states`
(batch, 2**n) complex: the forward kernel's final states, un-computed in
place; `work` (observables, 2**n) complex scratch reused by every element;
`values` (batch, observables) doubles: <ψ|H_o|ψ>; `reduced`
(batch, observables, num_reduced) complex, zeroed by the caller: the R matrices.

The rows run segment by segment (`AdjointPlan.segments`): a chunked segment
applies all its rows to one chunk of φ and of every λ_o before the next chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

from llvmlite import ir

from qdl.compiler.backends.llvm.adjoint import (
    REDUCE, REDUCE1, REDUCE_APPLY1, REDUCE_APPLY1_DIAG, REDUCE_APPLY1_MUX, REDUCE_APPLY1_MUX_DIAG, ROW_FIELDS,
    SEGMENT_FIELDS, AdjointPlan,
)
from qdl.compiler.backends.llvm.apply import APPLY
from qdl.compiler.backends.llvm.irbuild import F64, FAST, I64, ONE, PTR, ZERO, at, field, function, load_c, loop, table
from qdl.compiler.backends.llvm.adjoint_reductions import (
    build_pauli_acc, build_reduce, build_reduce1, build_reduce_apply1, build_reduce_apply1_mux,
)
from qdl.compiler.backends.llvm.plan import OpKind

ADJOINT_ABI = "void(const double *mats, int64_t batch, double *states, double *work, double *values, double *reduced)"


def adjoint_symbol(tag: str) -> str:
    return f"qdl_adjoint_{tag}"


def emit_adjoint(plan: AdjointPlan, tag: str) -> ir.Module:
    """The LLVM module of `plan`, exporting `adjoint_symbol(tag)` with the ABI above."""
    module = ir.Module(name=f"qdl_adjoint_{tag}")
    tables = {
        "rows": table(module, "qdl_adj_rows", plan.table()),
        "segments": table(module, "qdl_adj_segments", plan.segment_table()),
        "aux": table(module, "qdl_adj_aux", list(plan.aux)),
        "strings": table(module, "qdl_adj_strings", [v for s in plan.strings for v in (s.observable, s.flip, s.sign)]),
        "coeffs": _doubles(module, "qdl_adj_coeffs", [v for s in plan.strings for v in (s.coeff.real, s.coeff.imag)]),
    }
    functions = {kind: build(module) for kind, build in APPLY.items()}
    functions[REDUCE1] = build_reduce1(module)
    functions[REDUCE] = build_reduce(module)
    functions["pauli"] = build_pauli_acc(module)
    for kind, apply_kind in ((REDUCE_APPLY1, OpKind.DENSE1), (REDUCE_APPLY1_DIAG, OpKind.DIAG1)):
        functions[kind] = build_reduce_apply1(module, functions[REDUCE1], functions[apply_kind])
    functions[REDUCE_APPLY1_MUX] = build_reduce_apply1_mux(module, False)
    functions[REDUCE_APPLY1_MUX_DIAG] = build_reduce_apply1_mux(module, True)
    _kernel(module, adjoint_symbol(tag), plan, tables, functions)
    return module


def _doubles(module: ir.Module, name: str, values: list[float]) -> ir.GlobalVariable:
    typ = ir.ArrayType(F64, max(len(values), 1))
    constants = ir.GlobalVariable(module, typ, name=name)
    constants.initializer = ir.Constant(typ, values or [0.0])
    constants.global_constant = True
    constants.linkage = "internal"
    return constants


# --- the kernel --------------------------------------------------------------------


@dataclass
class _Frame:
    """What the rows of one batch element read: its buffers, matrices, R output, tables and functions."""

    dim: ir.Value
    count: ir.Value  # observables
    work: ir.Value
    tables: dict[str, ir.GlobalVariable]
    functions: dict
    red_stride: ir.Value
    phi: ir.Value | None = None  # set per batch element
    mats: ir.Value | None = None
    reduced: ir.Value | None = None
    offset: ir.Value = ZERO  # set per chunk: the rows see amplitudes [offset, offset + size) as the state
    size: ir.Value | None = None


def _kernel(module: ir.Module, name: str, plan: AdjointPlan, tables: dict, functions: dict) -> None:
    fn = function(module, name, [PTR, I64, PTR, PTR, PTR, PTR], internal=False)
    mats, batch, states, work, values, reduced = fn.args
    b = ir.IRBuilder(fn.entry_basic_block)
    acc = b.alloca(F64)  # in the entry block: an alloca inside a loop would grow the stack
    dim = ir.Constant(I64, 2**plan.num_qubits)
    count = ir.Constant(I64, plan.num_observables)
    mat_stride = ir.Constant(I64, 2 * max(plan.num_entries, 1))
    frame = _Frame(dim, count, work, tables, functions, ir.Constant(I64, 2 * max(plan.num_reduced, 1)))
    chunk = ir.Constant(I64, 2**plan.chunk_qubits)

    def element(e: ir.Value) -> None:
        frame.phi = at(b, states, b.mul(e, b.shl(dim, ONE)))
        frame.mats = at(b, mats, b.mul(e, mat_stride))
        frame.reduced = at(b, reduced, b.mul(b.mul(e, count), frame.red_stride))
        frame.offset, frame.size = ZERO, dim
        _observe(b, frame, len(plan.strings))
        loop(b, ZERO, count, lambda o: b.store(_real_dot(b, acc, frame.phi, _buffer(b, frame, b.add(o, ONE)), dim),
                                                  at(b, values, b.add(b.mul(e, count), o))))
        loop(b, ZERO, ir.Constant(I64, len(plan.segments)), lambda s: _segment(b, s, frame, chunk))

    loop(b, ZERO, batch, element)
    b.ret_void()


def _segment(b: ir.IRBuilder, s: ir.Value, frame: _Frame, chunk: ir.Value) -> None:
    """Segment s: its rows on each chunk in turn (a chunked segment), or once on the whole state."""
    chunked, first, end = (field(b, frame.tables["segments"], s, SEGMENT_FIELDS, f) for f in range(SEGMENT_FIELDS))
    size = b.select(b.icmp_unsigned("!=", chunked, ZERO), chunk, frame.dim)

    def one_chunk(offset: ir.Value) -> None:
        frame.offset, frame.size = offset, size
        loop(b, first, end, lambda k: _dispatch(b, k, frame))

    loop(b, ZERO, frame.dim, one_chunk, size)


def _buffer(b: ir.IRBuilder, frame: _Frame, j: ir.Value) -> ir.Value:
    """Buffer j at the current chunk: 0 is φ, 1 + o is λ_o."""
    lam = at(b, frame.work, b.mul(b.sub(j, ONE), b.shl(frame.dim, ONE)))
    return at(b, b.select(b.icmp_unsigned("==", j, ZERO), frame.phi, lam), b.shl(frame.offset, ONE))


def _phi(b: ir.IRBuilder, frame: _Frame) -> ir.Value:
    return at(b, frame.phi, b.shl(frame.offset, ONE))


def _observe(b: ir.IRBuilder, frame: _Frame, strings: int) -> None:
    """λ_o = H_o φ for every observable: zero, then add each Pauli string."""
    zero = ir.Constant(F64, 0.0)
    loop(b, ZERO, b.mul(frame.count, b.shl(frame.dim, ONE)), lambda i: b.store(zero, at(b, frame.work, i)))

    def string(s: ir.Value) -> None:
        obs, flip, sign = (field(b, frame.tables["strings"], s, 3, f) for f in range(3))
        b.call(frame.functions["pauli"], [_buffer(b, frame, b.add(obs, ONE)), frame.phi, frame.dim, flip, sign,
                                          at(b, frame.tables["coeffs"], b.shl(s, ONE))])

    loop(b, ZERO, ir.Constant(I64, strings), string)


def _real_dot(b: ir.IRBuilder, acc: ir.Value, x: ir.Value, y: ir.Value, dim: ir.Value) -> ir.Value:
    """Re Σ conj(x_i) y_i, summed in the double `acc` points to."""
    b.store(ir.Constant(F64, 0.0), acc)

    def step(i: ir.Value) -> None:
        xi, yi = load_c(b, x, i), load_c(b, y, i)
        term = b.fadd(b.fmul(xi[0], yi[0], flags=FAST), b.fmul(xi[1], yi[1], flags=FAST), flags=FAST)
        b.store(b.fadd(b.load(acc, typ=F64), term, flags=FAST), acc)

    loop(b, ZERO, dim, step)
    return b.load(acc, typ=F64)


def _dispatch(b: ir.IRBuilder, k: ir.Value, frame: _Frame) -> None:
    """Read row k; an apply row runs on every buffer, a reduction row once per observable."""
    tables, dim = frame.tables, frame.size
    kind, q0, q1, m, aux_at, k2, cval, mat, red = (field(b, tables["rows"], k, ROW_FIELDS, f)
                                                   for f in range(ROW_FIELDS))
    matp = at(b, frame.mats, b.shl(mat, ONE))
    sorted_pos = at(b, tables["aux"], aux_at, I64)
    offsets = at(b, tables["aux"], b.add(aux_at, m), I64)
    tails = {
        OpKind.DENSE1: (q0, matp), OpKind.DIAG1: (q0, matp), OpKind.DENSE2: (q0, q1, matp),
        OpKind.FLIP: (sorted_pos, m, cval, q0, matp), OpKind.CTRL1: (sorted_pos, m, cval, q0, matp),
        OpKind.CTRL1_DIAG: (sorted_pos, m, cval, q0, matp),
        OpKind.GEN_DENSE: (sorted_pos, m, offsets, k2, cval, matp),
        OpKind.GEN_DIAG: (sorted_pos, m, offsets, k2, cval, matp),
    }
    done = b.function.append_basic_block("next")
    switch = b.switch(kind, done)
    for op_kind, tail in tails.items():
        _case(b, switch, int(op_kind), op_kind.name.lower(), done, lambda t=tail, o=op_kind: loop(
            b, ZERO, b.add(frame.count, ONE), lambda j: b.call(frame.functions[o], (_buffer(b, frame, j), dim) + t)))
    _fused_case(b, switch, done, frame, (q0, matp, red, q1, cval))
    reductions = {REDUCE1: (dim, q0), REDUCE: (dim, sorted_pos, m, offsets, k2, cval)}
    for code, tail in reductions.items():
        _case(b, switch, code, f"reduce{code}", done, lambda c=code, t=tail: loop(
            b, ZERO, frame.count, lambda o: b.call(frame.functions[c], (
                _buffer(b, frame, b.add(o, ONE)), _phi(b, frame)) + t + (_reduced_at(b, frame, o, red),))))
    b.position_at_end(done)


def _fused_case(b: ir.IRBuilder, switch: ir.SwitchInstr, done: ir.Block, frame: _Frame, fields: tuple) -> None:
    """REDUCE_APPLY1*: per observable o, reduce and un-compute λ_o; φ goes with the last one.

    The MUX kinds also pass the CNOT's control and value (row fields q1, cval).
    """
    count = frame.count
    q0, matp, red, q1, cval = fields
    for code in (REDUCE_APPLY1, REDUCE_APPLY1_DIAG, REDUCE_APPLY1_MUX, REDUCE_APPLY1_MUX_DIAG):
        def body(o: ir.Value, c: int = code) -> None:
            last = b.zext(b.icmp_unsigned("==", b.add(o, ONE), count), I64)
            extra = [q1, cval] if c in (REDUCE_APPLY1_MUX, REDUCE_APPLY1_MUX_DIAG) else []
            b.call(frame.functions[c], [_buffer(b, frame, b.add(o, ONE)), _phi(b, frame), frame.size, q0, matp,
                                        _reduced_at(b, frame, o, red), last] + extra)

        _case(b, switch, code, f"reduce_apply{code}", done, lambda f=body: loop(b, ZERO, count, f))


def _reduced_at(b: ir.IRBuilder, frame: _Frame, o: ir.Value, red: ir.Value) -> ir.Value:
    """Where observable o's R of the row (complex offset `red`) goes."""
    return at(b, frame.reduced, b.add(b.mul(o, frame.red_stride), b.shl(red, ONE)))


def _case(b: ir.IRBuilder, switch: ir.SwitchInstr, code: int, label: str, done: ir.Block, body) -> None:
    case = b.function.append_basic_block(label)
    switch.add_case(ir.Constant(I64, code), case)
    b.position_at_end(case)
    body()
    b.branch(done)
