"""Emit the LLVM module of an `AdjointPlan`: matrices, observables, a backward table walk, gradients.

The gate work calls the runtime library's application functions (`library`,
each `(state, dim, ...)` on any contiguous complex128 vector): an apply row
runs once per buffer, φ first, then every λ_o.  The reductions
R_ab = Σ conj(λ[base|a]) φ[base|b] and the Pauli strings of the observables
(`adjoint_reductions`) are the adjoint library's (`adjoint_library`).  This
module only declares both; its own code is the table walk and the matrix work
before and after the sweep (`adjoint_fill`: the units' U† from the slot
values, and the derivatives contracted with R).

Kernel ABI (C, see `ADJOINT_ABI`)::

    void qdl_adjoint_<tag>(const double *slots, int64_t batch, double *states,
                           double *values, double *grads, double *scratch)

`slots` (batch, num_slots) doubles: the forward kernel's slot rows; `states`
(batch, 2**n) complex: the forward kernel's final states, un-computed in
place (partly: dead units are left out, so afterwards they hold no defined
state); `values` (batch, observables) doubles: <ψ|H_o|ψ>; `grads`
(batch, observables, outputs) doubles: ∂<H_o>/∂angle for every wanted angle;
`scratch` (`scratch_doubles`) reused by every element: the λ_o, the matrix
scratch, the units' U† and the R matrices (zeroed by the kernel).  With
`plan.precision == "single"` the states and the λ_o are complex64 (the λ
region of the scratch takes half the doubles); values, gradients, matrices
and every sum stay double.

The rows run segment by segment (`AdjointPlan.segments`): a chunked segment
applies all its rows to one chunk of φ and of every λ_o before the next chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

from llvmlite import ir

from qdl.compiler.backends.llvm.adjoint import (
    REDUCE, REDUCE1, REDUCE1_MUX, REDUCE_APPLY1, REDUCE_APPLY1_DIAG, REDUCE_APPLY1_MUX, REDUCE_APPLY1_MUX_DIAG,
    ROW_FIELDS, SEGMENT_FIELDS, AdjointPlan,
)
from qdl.compiler.backends.llvm import adjoint_library, library
from qdl.compiler.backends.llvm.adjoint_fill import emit_gradients, emit_prepare
from qdl.compiler.backends.llvm.adjoint_matrices import MatrixTables
from qdl.compiler.backends.llvm.irbuild import (
    F64, FAST, I64, ONE, PTR, REALS, ZERO, Real, at, field, function, load_wide, loop, table,
)
from qdl.compiler.backends.llvm.plan import OpKind

ADJOINT_ABI = "void(const double *slots, int64_t batch, double *states, double *values, double *grads, double *scratch)"


def scratch_parts(plan: AdjointPlan, tables: MatrixTables) -> tuple[int, int, int, int, int]:
    """Offsets in doubles of (λ's, matrix scratch, U† buffer, R's) in the scratch buffer, and its size."""
    lambdas = max(plan.num_observables, 1) * 2**plan.num_qubits * (2 if plan.precision == "double" else 1)
    sizes = (lambdas, 2 * max(tables.size, 1),
             2 * max(plan.num_entries, 1), _red_stride(plan) * max(plan.num_observables, 1))
    starts = [sum(sizes[:k]) for k in range(4)]
    return starts[0], starts[1], starts[2], starts[3], sum(sizes)


def _red_stride(plan: AdjointPlan) -> int:
    return 2 * max(plan.num_reduced, 1)


def adjoint_symbol(tag: str) -> str:
    return f"qdl_adjoint_{tag}"


def emit_adjoint(plan: AdjointPlan, matrices: MatrixTables, num_slots: int, tag: str) -> ir.Module:
    """The LLVM module of `plan`, exporting `adjoint_symbol(tag)` with the ABI above.

    It needs the runtime library `library.LIBRARY_NAME` and the adjoint library
    `adjoint_library.ADJOINT_LIBRARY_NAME` at link time.
    """
    module = ir.Module(name=f"qdl_adjoint_{tag}")
    tables = {
        "rows": table(module, "qdl_adj_rows", plan.table(), narrow=True),
        "segments": table(module, "qdl_adj_segments", plan.segment_table()),
        "aux": table(module, "qdl_adj_aux", list(plan.aux)),
        "strings": table(module, "qdl_adj_strings", [v for s in plan.strings for v in (s.observable, s.flip, s.sign)]),
        "coeffs": _doubles(module, "qdl_adj_coeffs", [v for s in plan.strings for v in (s.coeff.real, s.coeff.imag)]),
    }
    real = REALS[plan.precision]
    functions: dict = dict(library.declare(module, real).apply)
    functions["prepare"] = emit_prepare(module, matrices, f"qdl_adjoint_prepare_{tag}")
    functions["gradients"] = emit_gradients(module, matrices, f"qdl_adjoint_gradients_{tag}", _red_stride(plan))
    functions.update(adjoint_library.declare(module, real))
    layout = (num_slots, matrices.outputs) + scratch_parts(plan, matrices)[:4]
    _kernel(module, adjoint_symbol(tag), plan, tables, functions, layout)
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
    real: Real  # of φ and the λ's
    phi: ir.Value | None = None  # set per batch element
    mats: ir.Value | None = None
    reduced: ir.Value | None = None
    offset: ir.Value = ZERO  # set per chunk: the rows see amplitudes [offset, offset + size) as the state
    size: ir.Value | None = None


def _kernel(module: ir.Module, name: str, plan: AdjointPlan, tables: dict, functions: dict,
            layout: tuple[int, ...]) -> None:
    """Per batch element: U† from its slot row, λ_o and the values, the sweep, then the gradients.

    `layout` = (slot row width, gradient columns, then the scratch offsets of `scratch_parts`).
    """
    fn = function(module, name, [PTR, I64, PTR, PTR, PTR, PTR], internal=False)
    slots, batch, states, values, grads, scratch = fn.args
    b = ir.IRBuilder(fn.entry_basic_block)
    acc = b.alloca(F64)  # in the entry block: an alloca inside a loop would grow the stack
    dim = ir.Constant(I64, 2**plan.num_qubits)
    count = ir.Constant(I64, plan.num_observables)
    width, outputs, work, matrices, mats, reduced = (ir.Constant(I64, v) for v in layout)
    real = REALS[plan.precision]
    frame = _Frame(dim, count, at(b, scratch, work), tables, functions, ir.Constant(I64, _red_stride(plan)), real,
                   mats=at(b, scratch, mats), reduced=at(b, scratch, reduced))
    chunk = ir.Constant(I64, 2**plan.chunk_qubits)
    reduced_doubles = ir.Constant(I64, _red_stride(plan) * max(plan.num_observables, 1))

    def element(e: ir.Value) -> None:
        row = at(b, slots, b.mul(e, width))
        b.call(functions["prepare"], [row, at(b, scratch, matrices), frame.mats])
        loop(b, ZERO, reduced_doubles, lambda i: b.store(ir.Constant(F64, 0.0), at(b, frame.reduced, i)))
        frame.phi = at(b, states, b.mul(e, b.shl(dim, ONE)), real.typ)
        frame.offset, frame.size = ZERO, dim
        _observe(b, frame, len(plan.strings))
        loop(b, ZERO, count, lambda o: b.store(_real_dot(b, acc, (frame.phi, _buffer(b, frame, b.add(o, ONE))),
                                                         dim, real),
                                                  at(b, values, b.add(b.mul(e, count), o))))
        loop(b, ZERO, ir.Constant(I64, len(plan.segments)), lambda s: _segment(b, s, frame, chunk))
        b.call(functions["gradients"], [at(b, scratch, matrices), frame.reduced,
                                        at(b, grads, b.mul(b.mul(e, count), outputs)), count])

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
    typ = frame.real.typ
    lam = at(b, frame.work, b.mul(b.sub(j, ONE), b.shl(frame.dim, ONE)), typ)
    return at(b, b.select(b.icmp_unsigned("==", j, ZERO), frame.phi, lam), b.shl(frame.offset, ONE), typ)


def _phi(b: ir.IRBuilder, frame: _Frame) -> ir.Value:
    return at(b, frame.phi, b.shl(frame.offset, ONE), frame.real.typ)


def _observe(b: ir.IRBuilder, frame: _Frame, strings: int) -> None:
    """λ_o = H_o φ for every observable: zero, then add each Pauli string."""
    typ = frame.real.typ
    zero = ir.Constant(typ, 0.0)
    loop(b, ZERO, b.mul(frame.count, b.shl(frame.dim, ONE)), lambda i: b.store(zero, at(b, frame.work, i, typ)))

    def string(s: ir.Value) -> None:
        obs, flip, sign = (field(b, frame.tables["strings"], s, 3, f) for f in range(3))
        b.call(frame.functions["pauli"], [_buffer(b, frame, b.add(obs, ONE)), frame.phi, frame.dim, flip, sign,
                                          at(b, frame.tables["coeffs"], b.shl(s, ONE))])

    loop(b, ZERO, ir.Constant(I64, strings), string)


def _real_dot(b: ir.IRBuilder, acc: ir.Value, xy: tuple[ir.Value, ir.Value], dim: ir.Value, real: Real) -> ir.Value:
    """Re Σ conj(x_i) y_i of two states of `real`s, summed in the double `acc` points to."""
    b.store(ir.Constant(F64, 0.0), acc)

    def step(i: ir.Value) -> None:
        xi, yi = load_wide(b, xy[0], i, real), load_wide(b, xy[1], i, real)
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
    _fused_case(b, switch, done, frame, (q0, matp, red, q1, cval, m, aux_at))
    reductions = {REDUCE1: (dim, q0), REDUCE: (dim, sorted_pos, m, offsets, k2, cval)}
    for code, tail in reductions.items():
        _case(b, switch, code, f"reduce{code}", done, lambda c=code, t=tail: loop(
            b, ZERO, frame.count, lambda o: b.call(frame.functions[c], (
                _buffer(b, frame, b.add(o, ONE)), _phi(b, frame)) + t + (_reduced_at(b, frame, o, red),))))
    b.position_at_end(done)


def _fused_case(b: ir.IRBuilder, switch: ir.SwitchInstr, done: ir.Block, frame: _Frame, fields: tuple) -> None:
    """REDUCE_APPLY1* and REDUCE1_MUX: per observable o, reduce and un-compute λ_o; φ goes with the last one.

    The MUX kinds also pass the CNOT's control and value (row fields q1, cval);
    REDUCE1_MUX has no matrix.  Every kind passes last the CNOT onto qubit 0 or 1
    folded in before (m = 1 + its target, 0 for none; aux = its control value).
    """
    count = frame.count
    q0, matp, red, q1, cval, pre, pre_value = fields
    for code in (REDUCE_APPLY1, REDUCE_APPLY1_DIAG, REDUCE_APPLY1_MUX, REDUCE_APPLY1_MUX_DIAG, REDUCE1_MUX):
        def body(o: ir.Value, c: int = code) -> None:
            last = b.zext(b.icmp_unsigned("==", b.add(o, ONE), count), I64)
            extra = [q1, cval] if c in (REDUCE_APPLY1_MUX, REDUCE_APPLY1_MUX_DIAG, REDUCE1_MUX) else []
            mat = [] if c == REDUCE1_MUX else [matp]
            b.call(frame.functions[c], [_buffer(b, frame, b.add(o, ONE)), _phi(b, frame), frame.size, q0] + mat
                   + [_reduced_at(b, frame, o, red), last] + extra + [pre, pre_value])

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
