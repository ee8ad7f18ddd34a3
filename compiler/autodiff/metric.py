"""The metric-tensor pass: a circuit and the arguments to train -> a `MetricProgram`.

The quantum natural gradient (Stokes, Izaac, Killoran, Carleo, "Quantum
Natural Gradient", Quantum 4, 269, 2020) preconditions the gradient with the
Fubini–Study metric of the circuit's state.  Its block-diagonal
approximation splits the trainable gates into *layers*; a layer's gates act
on disjoint qubits right after the same prefix state |ψ_ℓ>, and within it

    g_ij = <ψ_ℓ| G_i G_j |ψ_ℓ> - <ψ_ℓ|G_i|ψ_ℓ> <ψ_ℓ|G_j|ψ_ℓ>,

G_i the generator of gate i (dU/dθ = -iGU, from the gate table, see
`generators`); entries between layers are dropped.  So each layer is one
*block*: the prefix circuit returning <G_i> and <G_i G_j> as `expval`
results, which any back end runs in one simulation.

Layers (as early as the circuit allows, on its dependency graph): the layer
of a trained gate is the largest number of trained gates on a chain of ops
through shared qubits (controls included) before it.  Gates of one layer act
on disjoint qubits; the prefix of layer ℓ holds every op of a smaller depth
and the fixed ops of depth ℓ, in circuit order: a set closed under
predecessors that contains every predecessor of the layer's gates, so the
prefix state is the circuit's state just before the layer.  Two gates on one
qubit always land in different layers, even when they commute (two `rz` in a
row): a conservative split.

Angles are expressions of the arguments: the chain rule gives the metric
in argument space, Σ_blocks Jᵀ g J with J = ∂angle/∂argument (`Partial`s, as
in the gradient program).  Light-cone pruning does not apply: the metric is
a property of the state, not of the results.  Supported: every one-parameter
gate of the table, under any `ctrl @` / `negctrl @`; gates with several
angles (`u2`, `u3`, `rot`) are replaced by their table decompositions into
`rz`, `ry` (and `gphase`), whose parts fall into successive layers.  Refused:
a trained gate without a generator (E0402) and circuits with mid-circuit
measurement, reset or conditions (the state is then mixed).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterator, Sequence

from qdl.compiler.autodiff.errors import AutodiffError, rendered_error
from qdl.compiler.autodiff.generators import op_generator
from qdl.compiler.autodiff.program import Partial, angle_partials, argument_elements, differentiable_arguments
from qdl.compiler.diagnostics import SourceMap, Span
from qdl.compiler.expr import Arg, Expr
from qdl.compiler.frontend.values import PauliSum, to_observable
from qdl.compiler.gates import GATES
from qdl.compiler.ir import BarrierOp, Circuit, ExpVal, GateOp, Observable, Op

APPROXIMATIONS = ("block-diag", "diag")
NO_GENERATOR = "E0402"


@dataclass(frozen=True, slots=True)
class MetricSlot:
    """One trained angle of a layer: its generator and chain-rule partials."""

    op: int
    gate: str
    angle: Expr
    generator: Observable
    partials: tuple[Partial, ...]
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class MetricBlock:
    """One layer: the prefix circuit returning <G_i> for every slot, then <G_i G_j> for every pair."""

    slots: tuple[MetricSlot, ...]
    pairs: tuple[tuple[int, int], ...]
    prefix: Circuit


@dataclass(frozen=True)
class MetricProgram:
    """Blocks of the (block-)diagonal metric; see the module docstring."""

    circuit: Circuit
    wrt: tuple[str, ...]
    approx: str
    blocks: tuple[MetricBlock, ...]

    @property
    def evaluations(self) -> int:
        """Circuit simulations one metric costs: one per block."""
        return len(self.blocks)

    @property
    def elements(self) -> tuple[Arg, ...]:
        """Every trained argument element, in argument order then row-major (the metric's axes)."""
        return argument_elements(self.circuit, self.wrt)


def metric_program(circuit: Circuit, wrt: Sequence[str] | None = None, approx: str = "block-diag",
                   sources: SourceMap | None = None) -> MetricProgram:
    """The metric pass (module docstring); default `wrt` = the `param` arguments.

    `approx` is "block-diag" (every pair within a layer) or "diag" (variances
    only).  Raises `AutodiffError` for gates without a generator and for
    dynamic circuits.
    """
    if approx not in APPROXIMATIONS:
        raise AutodiffError(f"unknown metric approximation `{approx}`; choose one of {', '.join(APPROXIMATIONS)}")
    names = differentiable_arguments(circuit, wrt)
    blocks = tuple(_block(circuit, prefix, layer, names, approx, sources)
                   for prefix, layer in layers(circuit, frozenset(names)))
    return MetricProgram(circuit, names, approx, blocks)


Layer = tuple[tuple[Op, ...], tuple[tuple[int, GateOp], ...]]


def layers(circuit: Circuit, names: frozenset[str]) -> list[Layer]:
    """(prefix ops, [(op index, trained gate)]) per layer, layers in order (module docstring)."""
    pieces = list(_pieces(circuit, names))
    trained = [any(angle_partials(angle, names) for angle in op.params) for _, op in pieces]
    depth: list[int] = []
    frontier: dict[int, int] = {}
    for (_, op), is_trained in zip(pieces, trained):
        level = max((frontier.get(q, 0) for q in op.all_qubits), default=0)
        depth.append(level)
        frontier.update((q, level + is_trained) for q in op.all_qubits)
    out: list[Layer] = []
    for level in sorted({d for d, t in zip(depth, trained) if t}):
        prefix = tuple(op for (_, op), d, t in zip(pieces, depth, trained) if d < level or (d == level and not t))
        layer = tuple(piece for piece, d, t in zip(pieces, depth, trained) if d == level and t)
        out.append((prefix, layer))
    return out


def _pieces(circuit: Circuit, names: frozenset[str]) -> Iterator[tuple[int, GateOp]]:
    """(op index, gate) in order: trained multi-angle gates as their table decompositions.

    Barriers and uncontrolled global phases, which change no expectation value, are left out.
    """
    for index, op in enumerate(circuit.ops):
        if isinstance(op, BarrierOp):
            continue
        if not isinstance(op, GateOp) or op.condition is not None:
            kind = "a condition" if isinstance(op, GateOp) else type(op).__name__.removesuffix("Op").lower()
            raise AutodiffError(f"circuit `{circuit.name}`: the metric tensor needs a pure state, but op {index} "
                                f"is {kind}; mid-circuit measurement, reset and conditions are not supported")
        for piece in _expanded(op, names):
            if piece.gate != "gphase" or piece.controls:
                yield index, piece


def _expanded(op: GateOp, names: frozenset[str]) -> list[GateOp]:
    """`u3`, `u2`, `rot` with a trained angle -> their one-angle parts (exact with the phase, so under controls too)."""
    decomposition = GATES[op.gate].decomposition
    if len(op.params) < 2 or decomposition is None or not any(angle_partials(a, names) for a in op.params):
        return [op]
    parts = [replace(op, gate=gate, qubits=tuple(op.qubits[k] for k in local), params=tuple(params))
             for gate, local, params in decomposition(op.params)]
    return [piece for part in parts for piece in _expanded(part, names)]


def _block(circuit: Circuit, prefix: tuple[Op, ...], layer: tuple[tuple[int, GateOp], ...],
           names: tuple[str, ...], approx: str, sources: SourceMap | None) -> MetricBlock:
    generators = [_generator(index, op, sources) for index, op in layer]
    trained = frozenset(names)
    slots = tuple(MetricSlot(index, op.gate, op.params[0], _observable(g), angle_partials(op.params[0], trained),
                             op.span) for (index, op), g in zip(layer, generators))
    count = len(slots)
    pairs = tuple((i, j) for i in range(count) for j in range(i, count) if approx == "block-diag" or i == j)
    results = [ExpVal(s.generator) for s in slots] + [ExpVal(_observable(generators[i] * generators[j]))
                                                       for i, j in pairs]
    program = replace(circuit, ops=prefix, results=tuple(results), returns_tuple=True)
    return MetricBlock(slots, pairs, program)


def _generator(index: int, op: GateOp, sources: SourceMap | None) -> PauliSum:
    generator = op_generator(op) if len(op.params) == 1 else None
    if generator is None:
        raise rendered_error(
            NO_GENERATOR, f"gate `{op.gate}` has no generator for the metric tensor", op.span, sources,
            label="this gate has a trained angle",
            notes=(f"op {index}: the metric tensor needs gates exp(-iθG) whose generator G the gate table "
                   f"gives; `{op.gate}` has none",),
            help="write it with rotations that have generators (rx, ry, rz, phase, crx, rzz, ...)")
    return generator


def _observable(value: PauliSum) -> Observable:
    observable = to_observable(value)
    assert observable is not None, "products of commuting generators are Hermitian"
    return observable
