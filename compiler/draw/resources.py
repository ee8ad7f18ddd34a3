"""Resource reports: what a circuit costs, at each optimization level.

Per level (the circuit after `optimize_module(.., level)`): qubits, gate
counts by kind, two-qubit and larger gates, depth (`passes.analysis.stats`),
symbolic angles, trainable parameter elements, the circuit evaluations one
gradient costs per method, and the state vector's memory.

Gradient cost, counted from the gradient program (`compiler.autodiff`):
parameter shift is the program's evaluations (1 unshifted + one per shift
term of every angle slot in the light cone); adjoint is one forward and one
backward sweep, counted as 2, when the circuit allows it
(`runtime.adjoint.adjoint_unsupported`); central finite differences are
1 + 2 per differentiated argument element.
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass

from qdl.compiler.ir import Circuit, Module
from qdl.compiler.passes import circuit_stats, optimize_module

LEVELS = (0, 1, 2, 3)
METHODS = ("parameter-shift", "adjoint", "finite-diff")
BYTES_PER_AMPLITUDE = {"double": 16, "single": 8}  # complex128, complex64


@dataclass(frozen=True)
class GradientCost:
    """Circuit evaluations of one value-and-gradient by `method` (None: the method does not apply, see `note`)."""

    method: str
    evaluations: int | None
    note: str = ""


@dataclass(frozen=True)
class LevelResources:
    """The counts of one circuit at one optimization level."""

    level: int
    qubits: int
    gates: int
    by_kind: dict[str, int]
    two_qubit: int
    multi_qubit: int
    depth: int
    symbolic_angles: int
    parameters: int
    gradient: tuple[GradientCost, ...]
    memory_bytes: int  # double precision; single needs half

    def cost(self, method: str) -> GradientCost:
        """The `GradientCost` of `method`."""
        return next(c for c in self.gradient if c.method == method)


@dataclass(frozen=True)
class Resources:
    """A circuit's resource report over optimization levels; prints as a table, shows in notebooks."""

    circuit: str
    levels: tuple[LevelResources, ...]

    def at(self, level: int) -> LevelResources:
        """The counts at optimization `level`."""
        return next(r for r in self.levels if r.level == level)

    def to_dict(self) -> dict:
        """Plain data (for JSON)."""
        return {"circuit": self.circuit, "levels": [asdict(r) for r in self.levels]}

    def __str__(self) -> str:
        return format_resources(self)

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td style='text-align:left'>{html.escape(name)}</td>"
                       + "".join(f"<td>{html.escape(v)}</td>" for v in values) + "</tr>"
                       for name, values in _rows(self))
        head = "".join(f"<th>-O{r.level}</th>" for r in self.levels)
        return (f"<table><caption>circuit <code>{html.escape(self.circuit)}</code></caption>"
                f"<tr><th></th>{head}</tr>{rows}</table>")


def state_memory(num_qubits: int, precision: str = "double") -> int:
    """Bytes of a state vector on `num_qubits` qubits: 2**n amplitudes."""
    return BYTES_PER_AMPLITUDE[precision] << num_qubits


def resources(circuit: Circuit, levels: tuple[int, ...] = LEVELS) -> Resources:
    """The resource report of `circuit` at each of `levels` (optimized from `circuit` itself)."""
    out = []
    for level in levels:
        optimized = optimize_module(Module((circuit,)), level).circuits[0] if level else circuit
        out.append(level_resources(optimized, level))
    return Resources(circuit.name, tuple(out))


def level_resources(circuit: Circuit, level: int = 0) -> LevelResources:
    """The counts of `circuit` as it is (labelled with `level`)."""
    stats = circuit_stats(circuit)
    return LevelResources(
        level, circuit.num_qubits, stats.gates, dict(stats.by_kind), stats.two_qubit, stats.multi_qubit,
        stats.depth, stats.params, sum(a.size for a in circuit.trainable), gradient_costs(circuit),
        state_memory(circuit.num_qubits))


def gradient_costs(circuit: Circuit) -> tuple[GradientCost, ...]:
    """Circuit evaluations of one gradient with respect to the `param` arguments, per method."""
    from qdl.compiler.autodiff import AutodiffError, gradient_program
    from qdl.compiler.autodiff.linearize import linear_circuit
    from qdl.runtime.adjoint import adjoint_unsupported  # the runtime decides what its sweep takes
    if not circuit.trainable:
        return tuple(GradientCost(m, None, "no param arguments") for m in METHODS)
    try:
        program = gradient_program(circuit)
        why_not_adjoint = adjoint_unsupported(linear_circuit(circuit))
    except AutodiffError as exc:
        return tuple(GradientCost(m, None, str(exc).splitlines()[0]) for m in METHODS)
    adjoint = GradientCost("adjoint", None, why_not_adjoint) if why_not_adjoint else \
        GradientCost("adjoint", 2, "1 forward + 1 backward sweep")
    return (GradientCost("parameter-shift", program.evaluations,
                         f"1 + {program.shifted_evaluations} shifted ({len(program.slots)} angle slots)"),
            adjoint,
            GradientCost("finite-diff", 1 + 2 * len(program.elements), "central differences"))


def byte_text(size: int) -> str:
    """`512 B`, `16 KiB`, `1.5 GiB`."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if size < 1024 or unit == "PiB":
            return f"{size:g} {unit}" if unit == "B" else f"{size:.4g} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def _rows(report: Resources) -> list[tuple[str, list[str]]]:
    levels = report.levels
    kinds = sorted({k for r in levels for k in r.by_kind})
    rows = [("qubits", [str(r.qubits) for r in levels]), ("gates", [str(r.gates) for r in levels])]
    rows += [(f"  {k}", [str(r.by_kind.get(k, 0)) for r in levels]) for k in kinds]
    rows += [("two-qubit gates", [str(r.two_qubit) for r in levels]),
             ("3+ qubit gates", [str(r.multi_qubit) for r in levels]),
             ("depth", [str(r.depth) for r in levels]),
             ("parameters", [str(r.parameters) for r in levels]),
             ("symbolic angles", [str(r.symbolic_angles) for r in levels]),
             ("gradient evaluations", [""] * len(levels))]
    rows += [(f"  {m}", [_cost(r.cost(m)) for r in levels]) for m in METHODS]
    rows.append(("state memory (double)", [byte_text(r.memory_bytes) for r in levels]))
    return rows


def _cost(cost: GradientCost) -> str:
    return "-" if cost.evaluations is None else str(cost.evaluations)


def format_resources(report: Resources) -> str:
    """The report as a text table, one column per level, notes for methods that do not apply."""
    rows = _rows(report)
    name_width = max(len(name) for name, _ in rows)
    widths = [max(len(f"-O{r.level}"), *(len(v[i]) for _, v in rows)) for i, r in enumerate(report.levels)]
    head = " " * name_width + "".join(f"  {f'-O{r.level}':>{w}}" for r, w in zip(report.levels, widths))
    lines = [f"circuit {report.circuit}", head]
    lines += [f"{name:<{name_width}}" + "".join(f"  {v:>{w}}" for v, w in zip(values, widths))
              for name, values in rows]
    notes: dict[str, set[str]] = {}
    for cost in (c for r in report.levels for c in r.gradient if c.evaluations is None):
        notes.setdefault(cost.note, set()).add(cost.method)
    for note, methods in notes.items():  # one line per reason, not per method
        which = "gradient" if len(methods) == len(METHODS) else ", ".join(m for m in METHODS if m in methods)
        lines.append(f"note: {which}: {note}")
    return "\n".join(line.rstrip() for line in lines) + "\n"
