"""Measurements, resets and conditions of a native circuit, arranged the way hardware runs them (§6).

* `reset q` becomes the device's measurement into a scratch memory slot
  (after the circuit's bits) and an `x q` conditioned on the outcome being 1
  (IBM's reset); a run of resets of distinct qubits measures all its qubits
  first, so their measurements are read out together.
* Readout is multiplexed: measurements of distinct qubits with nothing
  between them that involves their qubits or bits become one `MeasureGroup`
  (the ops between run first), lowered as a barrier over the qubits' frames
  and the measurements from one common start.  Terminal measurements
  (nothing later touches the qubit, reads the bit or writes it again) move to
  the end of the circuit and form the final group on their own.  Moving
  a measurement past operations on other qubits that do not read its bit
  does not change any outcome.
* A conditioned gate needs a measured bit: a condition reading a memory slot
  that no earlier measurement writes is an error (E0609).
"""

from __future__ import annotations

from qdl.compiler.ir import BarrierOp, Condition, GateOp, MeasureOp, ResetOp
from qdl.compiler.passes.schedule.lower import NO_CALIBRATION, MeasureGroup, fail, gate_label


def arrange(ops: list[object], first_free_bit: int) -> list[object]:
    """`ops` with resets lowered, terminal measurements last and measurement runs grouped."""
    ops = lower_resets(ops, first_free_bit)
    check_conditions(ops)
    body, final = split_terminal(ops)
    return group_measurements(body) + ([MeasureGroup(tuple(final))] if final else [])


def lower_resets(ops: list[object], first_free_bit: int) -> list[object]:
    """Each run of resets as measurements into fresh memory slots, then the conditional `x`s."""
    out: list[object] = []
    run: list[ResetOp] = []
    slot = first_free_bit
    for op in ops + [None]:
        if isinstance(op, ResetOp) and all(r.qubit != op.qubit for r in run):
            run.append(op)
            continue
        measures = [MeasureOp(r.qubit, slot + k, r.span) for k, r in enumerate(run)]
        out += measures + [GateOp("x", (m.qubit,), condition=Condition((m.bit,), 1), span=m.span) for m in measures]
        slot += len(run)
        run = [op] if isinstance(op, ResetOp) else []  # a second reset of a qubit starts the next run
        if op is not None and not run:
            out.append(op)
    return out


def check_conditions(ops: list[object]) -> None:
    """Every condition reads only memory slots an earlier measurement wrote."""
    written: set[int] = set()
    for op in ops:
        if isinstance(op, MeasureOp):
            written.add(op.bit)
        elif isinstance(op, GateOp) and op.condition is not None:
            unread = [b for b in op.condition.bits if b not in written]
            if unread:
                label = gate_label(op.gate, op.qubits, op.params)
                raise fail(NO_CALIBRATION, f"`{label}` is conditioned on bit {unread[0]}, which no earlier "
                           "measurement writes", op.span, "conditioned here",
                           help="a pulse schedule branches on measured bits only; measure into the bit first")


def _touches(op: object, qubit: int, bit: int) -> bool:
    """Whether `op` acts on `qubit`, reads `bit` or writes it."""
    if isinstance(op, GateOp):
        return qubit in op.all_qubits or (op.condition is not None and bit in op.condition.bits)
    if isinstance(op, MeasureOp):
        return op.qubit == qubit or op.bit == bit
    if isinstance(op, BarrierOp):
        return qubit in op.qubits
    return getattr(op, "qubit", None) == qubit  # reset, delay


def split_terminal(ops: list[object]) -> tuple[list[object], list[MeasureOp]]:
    """The ops without the measurements nothing after them notices, and those measurements (in order).

    The terminal measurements are of distinct qubits into distinct bits (a
    later one would touch an earlier one), so they form one final group.
    """
    terminal = [i for i, op in enumerate(ops) if isinstance(op, MeasureOp)
                and not any(_touches(later, op.qubit, op.bit) for later in ops[i + 1:])]
    moved = set(terminal)
    return [op for i, op in enumerate(ops) if i not in moved], [ops[i] for i in terminal]


def group_measurements(ops: list[object]) -> list[object]:
    """Measurements of distinct qubits into distinct bits gathered into `MeasureGroup`s.

    From a measurement, later measurements join its group as long as the ops
    between touch none of the group's qubits and bits; those ops then run
    before the group.  A measurement that finds no partner stays in place.
    """
    out: list[object] = []
    i = 0
    while i < len(ops):
        if not isinstance(ops[i], MeasureOp):
            out.append(ops[i])
            i += 1
            continue
        group, between, last = [ops[i]], [], i
        for j in range(i + 1, len(ops)):
            if any(_touches(ops[j], m.qubit, m.bit) for m in group):
                break
            if isinstance(ops[j], MeasureOp):
                group.append(ops[j])
                last = j
            else:
                between.append(j)
        if len(group) == 1:
            out.append(ops[i])
        else:
            out += [ops[j] for j in between if j < last] + [MeasureGroup(tuple(group))]
        i = last + 1
    return out
