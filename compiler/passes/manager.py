"""The pass manager: a registry of passes by name, text pipelines, presets, timing and stats.

A pass is a frozen dataclass with `name: ClassVar[str]` (kebab-case), typed
option fields with defaults, and `run(module, ctx) -> Module` returning a new
module (the input is never mutated).  `@register_pass` makes it reachable from
pipeline text: `"cancel-inverse-pairs,fold-angles{tol=1e-12}"`.
Analyses return facts and are cached on the `PassContext`; transforms return IR.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Sequence, TypeVar

from qdl.compiler.ir import Circuit, Module
from qdl.compiler.passes.analysis.stats import Stats, module_stats
from qdl.compiler.passes.verify import verify_or_raise


class PipelineError(ValueError):
    """A pipeline text names an unknown pass or gives a bad option."""


class ModulePass:
    """Base of every pass; subclasses are frozen dataclasses (see the module docstring)."""

    name: ClassVar[str] = ""

    def run(self, module: Module, ctx: "PassContext") -> Module:
        raise NotImplementedError


class CircuitPass(ModulePass):
    """A pass that rewrites each circuit independently: subclasses define `run_circuit`."""

    def run(self, module: Module, ctx: "PassContext") -> Module:
        circuits = tuple(self.run_circuit(c, ctx) for c in module.circuits)
        if all(a is b for a, b in zip(circuits, module.circuits)):
            return module
        return dataclasses.replace(module, circuits=circuits)

    def run_circuit(self, circuit: Circuit, ctx: "PassContext") -> Circuit:
        raise NotImplementedError


@dataclass
class PassContext:
    """Per-run state shared by passes: the analysis cache (keyed by analysis and circuit),
    facts passes publish for later passes and callers (`facts["layout"]`: `route`), and
    `notes`, report lines of the running pass that land in its `PassRecord`."""

    cache: dict[tuple[str, int], tuple[Circuit, Any]] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def analysis(self, name: str, circuit: Circuit, compute: Callable[[Circuit], Any]) -> Any:
        """`compute(circuit)`, cached while `circuit` (by identity) is alive in the cache."""
        key = (name, id(circuit))
        hit = self.cache.get(key)
        if hit is not None and hit[0] is circuit:
            return hit[1]
        value = compute(circuit)
        self.cache[key] = (circuit, value)
        return value


REGISTRY: dict[str, type[ModulePass]] = {}
_P = TypeVar("_P", bound=type)


def register_pass(cls: _P) -> _P:
    """Class decorator: make the pass reachable by its `name` in pipeline text."""
    name = cls.name  # type: ignore[attr-defined]
    if not name or name in REGISTRY:
        raise ValueError(f"pass name {name!r} is empty or registered twice")
    REGISTRY[name] = cls  # type: ignore[assignment]
    return cls


# Presets are plain lists of pass names (pipeline text), from cheapest to strongest.
_O1 = ["fold-angles", "cancel-inverse-pairs", "merge-rotations"]
_O2 = _O1 + ["elide-swaps", "cancel-inverse-pairs", "remove-diagonal-before-measure", "light-cone",
             "release-qubits"]
# -O3 lowers gates on 3+ qubits first, so that the 2q passes see their cx and the 1q passes their phases.
_O3 = ["lower-multi-qubit"] + _O2 + ["consolidate-2q", "resynthesize-1q", "cancel-inverse-pairs", "merge-rotations",
                                     "fold-angles", "remove-diagonal-before-measure", "light-cone", "release-qubits"]
PRESETS: dict[int, list[str]] = {0: [], 1: _O1, 2: _O2, 3: _O3}


# --- pipeline text ---------------------------------------------------------------------


def parse_pipeline(text: str) -> list[ModulePass]:
    """`"a,b{opt=1,flag=true},c"` -> pass objects; raises `PipelineError`."""
    return [_make_pass(item) for item in _split(text)]


def _split(text: str) -> list[str]:
    items, depth, current = [], 0, ""
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0 or depth > 1:
            raise PipelineError(f"unbalanced braces in pipeline `{text}`")
        if char == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += char
    if depth:
        raise PipelineError(f"unbalanced braces in pipeline `{text}`")
    items.append(current)
    return [item.strip() for item in items if item.strip()]


def _make_pass(item: str) -> ModulePass:
    name, _, rest = item.partition("{")
    name = name.strip()
    cls = REGISTRY.get(name)
    if cls is None:
        raise PipelineError(f"unknown pass `{name}`; passes: {', '.join(sorted(REGISTRY))}")
    if rest and not rest.rstrip().endswith("}"):
        raise PipelineError(f"pass `{name}`: options must end with `}}`")
    options = _options(cls, rest.rstrip()[:-1]) if rest else {}
    return cls(**options)


def _options(cls: type[ModulePass], text: str) -> dict[str, Any]:
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    out: dict[str, Any] = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        key, eq, value = (s.strip() for s in pair.partition("="))
        if not eq or key not in fields:
            known = ", ".join(fields) or "(none)"
            raise PipelineError(f"pass `{cls.name}`: bad option `{pair}`; options: {known}")
        kind = fields[key].type
        out[key] = _convert(cls.name, key, kind if isinstance(kind, str) else kind.__name__, value)
    return out


def _convert(pass_name: str, key: str, kind: str, value: str) -> Any:
    try:
        if kind == "bool":
            if value.lower() not in ("true", "false", "1", "0"):
                raise ValueError(value)
            return value.lower() in ("true", "1")
        return {"int": int, "float": float}.get(kind, str)(value)
    except ValueError:
        raise PipelineError(f"pass `{pass_name}`: option `{key}` expects {kind}, got `{value}`") from None


# With a device, a preset is followed by placement, routing and translation (docs/hardware.md).
DEVICE_PASSES = ["layout", "route", "to-native"]


def pipeline_for(opt_level: int = 0, passes: str | None = None, device: str | None = None) -> list[ModulePass]:
    """The explicit `passes` text when given, else the preset of `opt_level` (then `DEVICE_PASSES` on `device`)."""
    if passes is not None:
        return parse_pipeline(passes)
    if opt_level not in PRESETS:
        raise PipelineError(f"optimization level must be 0..3, got {opt_level}")
    on_device = [f"{name}{{device={device}}}" for name in DEVICE_PASSES] if device else []
    return parse_pipeline(",".join(PRESETS[opt_level] + on_device))


# --- running ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PassRecord:
    """What one pass did: its name, wall time, module stats before and after, and its report lines."""

    name: str
    seconds: float
    before: Stats
    after: Stats
    notes: tuple[str, ...] = ()


@dataclass
class PassManager:
    """Run passes in order; optionally verify after each and record timing and stats.

    `observer(name, module)` is called after every pass (for `--print-after`).
    """

    passes: list[ModulePass]
    verify_each: bool = False
    collect_stats: bool = False
    observer: Callable[[str, Module], None] | None = None
    records: list[PassRecord] = field(default_factory=list)

    @classmethod
    def from_text(cls, text: str, **kwargs: Any) -> "PassManager":
        return cls(parse_pipeline(text), **kwargs)

    def run(self, module: Module, ctx: PassContext | None = None) -> Module:
        ctx = ctx or PassContext()
        if self.verify_each:
            verify_or_raise(module, "the input")
        for p in self.passes:
            module = self._run_one(p, module, ctx)
        return module

    def _run_one(self, p: ModulePass, module: Module, ctx: PassContext) -> Module:
        before = module_stats(module) if self.collect_stats else None
        ctx.notes.clear()
        start = time.perf_counter()
        out = p.run(module, ctx)
        seconds = time.perf_counter() - start
        if self.verify_each:
            verify_or_raise(out, f"pass `{p.name}`")
        after = module_stats(out) if self.collect_stats else None
        self.records.append(PassRecord(p.name, seconds, before or _EMPTY, after or _EMPTY, tuple(ctx.notes)))
        if self.observer is not None:
            self.observer(p.name, out)
        return out


_EMPTY = Stats()


def optimize_module(module: Module, opt_level: int = 0, passes: str | None = None, *,
             verify_each: bool = False) -> Module:
    """Apply the preset `opt_level` (or the `passes` pipeline text) to `module`."""
    return PassManager(pipeline_for(opt_level, passes), verify_each=verify_each).run(module)


def format_records(records: Sequence[PassRecord], *, timing: bool, stats: bool) -> str:
    """A table of per-pass timing and/or stats (for `--time-passes`, `--stats`)."""
    lines = []
    for r in records:
        parts = [f"{r.name:<32}"]
        if timing:
            parts.append(f"{r.seconds * 1e3:9.3f} ms")
        if stats:
            parts.append(f"{r.before.summary()} -> {r.after.summary()}")
        lines.append("  ".join(parts))
        lines += [f"    {note}" for note in r.notes]
    if lines and stats:
        first, last = records[0], records[-1]
        lines.append(f"{'total':<32}  {first.before.summary()} -> {last.after.summary()}")
    return "\n".join(lines) + ("\n" if lines else "")
