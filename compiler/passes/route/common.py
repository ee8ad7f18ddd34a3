"""What `layout` and `route` share: preparing a circuit, its DAG, relabelling, the report, the size error."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from qdl.compiler.device import Device, DeviceError
from qdl.compiler.device.locate import locate
from qdl.compiler.diagnostics import Label, SourceMap, Span, error, render_all
from qdl.compiler.ir import Circuit, GateOp, MeasureOp, Op, State
from qdl.compiler.passes.manager import PassContext
from qdl.compiler.passes.lower.multi_qubit import LowerMultiQubit
from qdl.compiler.passes.optimize.elide_swaps import relabel_op, relabel_result
from qdl.compiler.passes.optimize.peephole import op_qubits
from qdl.compiler.passes.route.sabre import Dag

TOO_MANY_QUBITS = "E0612"


@dataclass(frozen=True)
class LayoutReport:
    """Where a circuit's logical qubits sit on a device.

    Logical qubit i (the program's qubit i) starts on physical qubit `initial[i]`
    and ends on `final[i]`; `swaps` SWAP gates were added by routing.
    """

    circuit: str
    device: str
    initial: tuple[int, ...]
    final: tuple[int, ...]
    swaps: int = 0

    def summary(self) -> str:
        """One line: `circuit main on t5: initial layout [..], final layout [..], 3 swaps added`."""
        return (f"circuit `{self.circuit}` on {self.device}: initial layout {list(self.initial)}, "
                f"final layout {list(self.final)} (logical qubit i on physical qubit [i]), "
                f"{self.swaps} swap{'s' if self.swaps != 1 else ''} added")


def previous_report(ctx: PassContext, circuit: Circuit) -> LayoutReport | None:
    """What an earlier `layout`/`route` of this run reported for `circuit`, if any."""
    return ctx.facts.get("layout", {}).get(circuit.name)


def publish(ctx: PassContext, report: LayoutReport) -> None:
    """Record `report` in `ctx.facts["layout"]` and as a note of the running pass."""
    ctx.facts.setdefault("layout", {})[report.circuit] = report
    ctx.notes.append(report.summary())


def prepare(circuit: Circuit, device: Device) -> Circuit:
    """`circuit` with gates on 3+ qubits lowered (`lower-multi-qubit`); raises if it cannot fit `device`."""
    if circuit.num_qubits > device.num_qubits:
        raise too_many_qubits(circuit, device)
    return narrowed(circuit)


def narrowed(circuit: Circuit) -> Circuit:
    """`circuit` with every gate on 3+ qubits (controls included) lowered by `lower-multi-qubit`."""
    if any(isinstance(op, GateOp) and len(op.all_qubits) > 2 for op in circuit.ops):
        circuit = LowerMultiQubit().run_circuit(circuit, PassContext())
    return circuit


def circuit_dag(ops: Sequence[Op]) -> Dag:
    """The DAG of `ops`: wires are qubits and bits (measured bits, condition bits); 2q gates are routed."""
    qubits, wires, routed = [], [], []
    for op in ops:
        q = op_qubits(op)
        bits: tuple[int, ...] = ()
        if isinstance(op, MeasureOp):
            bits = (op.bit,)
        elif isinstance(op, GateOp) and op.condition is not None:
            bits = op.condition.bits
        qubits.append(q)
        wires.append(q + tuple(-1 - b for b in bits))
        routed.append(isinstance(op, GateOp) and len(q) == 2)
    return Dag.build(qubits, wires, routed)


def two_qubit_dag(ops: Sequence[Op]) -> Dag:
    """The DAG of the two-qubit gates only (what the layout search routes)."""
    return Dag.build([q for q in map(op_qubits, ops) if len(q) == 2])


def relabelled(circuit: Circuit, ops: Sequence[Op], final: Sequence[int], num_physical: int) -> Circuit:
    """`circuit` on physical qubits: `ops` (already physical), results read where `final` puts each qubit.

    A `state` result stays the physical state vector: permuted by `final` and
    with ancillas in |0> (the report gives the permutation).
    """
    results = tuple(r if isinstance(r, State) else relabel_result(r, list(final)) for r in circuit.results)
    return dataclasses.replace(circuit, num_qubits=num_physical, ops=tuple(ops), results=results,
                               qubit_registers=())


def placed_ops(ops: Sequence[Op], layout: Sequence[int]) -> list[Op]:
    """`ops` with every qubit q moved to physical qubit `layout[q]`."""
    return [relabel_op(op, list(layout)) for op in ops]


def too_many_qubits(circuit: Circuit, device: Device) -> DeviceError:
    """E0612 at the circuit's declaration (else at the device file's `num_qubits`); a note names the other."""
    sources = SourceMap()
    labels = []
    if circuit.span is not None and _add_source(sources, circuit.span.file):
        labels.append(Label(circuit.span, f"needs {circuit.num_qubits} qubits"))
    note = f"device `{device.name}` has {device.num_qubits} qubits"
    if device.path and _add_source(sources, device.path):
        place = locate(sources.text(device.path)).get(("num_qubits",))
        if place is not None:
            note += f" (`num_qubits` at {device.path}:{sources.line_col(device.path, place.key_start)[0]})"
            if not labels:
                labels.append(Label(Span(device.path, place.value_start, place.value_end), "the device's size"))
    diagnostic = error(TOO_MANY_QUBITS, f"circuit `{circuit.name}` needs {circuit.num_qubits} qubits but device "
                       f"`{device.name}` has {device.num_qubits}", None, notes=(note,), secondary=tuple(labels),
                       help="choose a larger device (built-in: `falcon27`, `ion11`), or use fewer qubits")
    return DeviceError(render_all([diagnostic], sources), [diagnostic])


def _add_source(sources: SourceMap, file: str) -> bool:
    try:
        sources.add(file, Path(file).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return False
    return True
