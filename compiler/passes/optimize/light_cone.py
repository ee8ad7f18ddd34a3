"""`light-cone`: remove ops outside the backward light cone of every result."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

from qdl.compiler.autodiff.light_cone import light_cone
from qdl.compiler.ir import BarrierOp, Circuit, GateOp, Op
from qdl.compiler.passes.manager import CircuitPass, PassContext, register_pass
from qdl.compiler.passes.optimize.peephole import phase_observable


@register_pass
@dataclass(frozen=True)
class LightCone(CircuitPass):
    """Keep only ops that can influence a result (`compiler.autodiff.light_cone`).

    All the terms of every observable are taken together (their qubits are
    the starting set), so no term loses a gate it needs.  Gates on dead qubits,
    measurements into bits no live condition reads, and resets of dead qubits
    go.  Barriers stay (they order nothing that is gone).  Zero-qubit `gphase` ops stay when a `state` result
    can see them.  The qubit count is kept; `release-qubits` drops the qubits left unused.
    """

    name: ClassVar[str] = "light-cone"

    def run_circuit(self, circuit: Circuit, ctx: PassContext) -> Circuit:
        live = ctx.analysis("light-cone", circuit, light_cone)
        keep_phase = phase_observable(circuit)
        ops = tuple(op for i, op in enumerate(circuit.ops) if i in live or self._kept(op, keep_phase))
        return circuit if len(ops) == len(circuit.ops) else dataclasses.replace(circuit, ops=ops)

    @staticmethod
    def _kept(op: Op, keep_phase: bool) -> bool:
        if isinstance(op, BarrierOp):
            return True
        return keep_phase and isinstance(op, GateOp) and not op.all_qubits
