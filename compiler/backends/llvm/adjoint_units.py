"""The units of an adjoint sweep: the ops it un-computes with one matrix, in backward order.

A unit is a run of uncontrolled 1-qubit gates on one qubit (rows on other
qubits commute with it: the forward plan's fusion, walked backwards) or one
other gate, rewritten to its base gate plus controls (`cx` -> `x` controlled),
so a control costs only the controlled subspace.  `absorptions` pairs a CNOT
with the run its target meets next, which the backward pass un-computes with
it, and `live_units` finds the units whose un-compute matters (see `adjoint`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qdl.compiler.backends.llvm.plan import Unsupported, base_form
from qdl.compiler.expr import Expr
from qdl.compiler.gates import GateSpec, lookup
from qdl.compiler.ir import BarrierOp, Circuit, GateOp, MeasureOp


@dataclass(frozen=True, slots=True)
class Gate:
    """One gate of a unit, in forward order: base spec, angle expressions, source op index."""

    spec: GateSpec
    params: tuple[Expr, ...]
    op: int


@dataclass(slots=True)
class Unit:
    """Gates un-computed by one matrix; `gates` in forward order; `reduced` = offset of its R or -1."""

    controls: tuple[int, ...]
    values: tuple[bool, ...]
    targets: tuple[int, ...]
    gates: list[Gate] = field(default_factory=list)
    mat: int = -1
    reduced: int = -1

    @property
    def dim(self) -> int:
        return 2 ** len(self.targets)

    @property
    def diagonal(self) -> bool:
        return all(g.spec.diagonal for g in self.gates)

    @property
    def flips(self) -> bool:
        """X or SWAP: un-computed by swaps alone, no matrix."""
        return len(self.gates) == 1 and self.gates[0].spec.name in ("x", "swap")


def absorptions(units: list[Unit], fusable: list[bool]) -> dict[int, int]:
    """CNOT unit -> the fused run its target meets next, when the run may move up to the CNOT.

    Units between them never touch the target (the run is the next unit that
    does), so the run commutes up.  Any control and target: the fused pass
    exchanges whole vectors or lanes (`adjoint_fused`).
    """
    out: dict[int, int] = {}
    following: dict[int, int] = {}  # qubit -> the next unit touching it
    for number in range(len(units) - 1, -1, -1):
        unit = units[number]
        if _is_cnot(unit):
            run = following.get(unit.targets[0])
            if run is not None and fusable[run]:
                out[number] = run
        for q in unit.controls + unit.targets:
            following[q] = number
    return out


def live_units(units: list[Unit], reduced: list[bool]) -> list[bool]:
    """Per unit (backward order): whether its un-compute changes any reduction after it.

    A reduction over qubits S is a partial trace of |φ><λ| onto S, so the same
    unitary applied to φ and every λ_o on qubits outside S leaves it alone.
    Walking the table from its end, `needed` holds the qubits whose frame
    some later reduction reads; a unit touching none of them is dead (the
    sweep's final φ and λ's are read by nobody), e.g. the first layer of a
    circuit, whose runs then only reduce.
    """
    needed: set[int] = set()
    live = [False] * len(units)
    for number in range(len(units) - 1, -1, -1):
        qubits = set(units[number].controls + units[number].targets)
        live[number] = bool(qubits & needed)
        if live[number] or reduced[number]:
            needed |= qubits
    return live


def _is_cnot(unit: Unit) -> bool:
    return unit.flips and len(unit.controls) == 1 and len(unit.targets) == 1


def backward_units(circuit: Circuit) -> list[Unit]:
    """The units in backward order; a 1-qubit run joins the last unit on its qubit when that is a run."""
    units: list[Unit] = []
    last: dict[int, int] = {}  # qubit -> index of the last unit touching it (in backward order)
    for index in range(len(circuit.ops) - 1, -1, -1):
        op = circuit.ops[index]
        if isinstance(op, (BarrierOp, MeasureOp)):
            continue  # measurements left are terminal ones that the results ignore
        if not isinstance(op, GateOp) or op.condition is not None:
            raise Unsupported("the adjoint kernel needs a circuit without resets or conditions")
        gate, controls, values, targets = _base_form(op, index)
        if gate.spec.name == "id":
            continue
        runs = not controls and len(targets) == 1 and gate.spec.name != "x"
        previous = last.get(targets[0]) if runs else None
        if previous is not None and is_run(units[previous]):
            units[previous].gates.insert(0, gate)
            continue
        units.append(Unit(controls, values, targets, [gate]))
        for q in controls + targets:
            last[q] = len(units) - 1
    return units


def is_run(unit: Unit) -> bool:
    return not unit.controls and len(unit.targets) == 1 and unit.gates[0].spec.name != "x"


def _base_form(op: GateOp, index: int) -> tuple[Gate, tuple[int, ...], tuple[bool, ...], tuple[int, ...]]:
    """(base gate, controls, control values, targets): named controlled gates lose their controls."""
    spec = lookup(op.gate)
    if spec is None or len(op.qubits) != spec.num_qubits or len(op.params) != spec.num_params:
        raise ValueError(f"malformed gate op {op!r}")
    spec, controls, values, targets = base_form(spec, op.controls, op.control_values, op.qubits)
    return Gate(spec, op.params, index), controls, values, targets
