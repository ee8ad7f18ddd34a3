"""The lazy pieces of a program loaded from the program cache: circuits whose ops, and plans whose tables, come on demand.

`CachedCircuit` is a `Circuit` whose every field but `ops` is set when it is
made; reading `ops` (the IR text, passes, gradient programs, the reference
back end, hashing, pickling) builds the whole program's IR once
(`ProgramSource`: from the IR stored beside the entry, else by running the
front end again on the very texts that were hashed), so the IR is the one
an eager load would have built.  It also carries its kernel's plan
(`Prebuilt`), which `runtime.llvm.kernel.compile_circuit` takes instead of
lowering the circuit again.  `LazyPlan` is a `KernelPlan` without its op
tables: a call only needs the plan's sizes; emitting LLVM IR (after the
object-code cache was cleared) or fingerprinting builds the tables by
lowering the materialized circuit.  `RecordingLoader` is the front end's
`ModuleLoader` that records what it reads (the cache key's inputs).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Mapping

from qdl.compiler.backends.llvm import KernelPlan
from qdl.compiler.diagnostics import DiagnosticSink
from qdl.compiler.frontend import ast
from qdl.compiler.frontend.modules import STDLIB_PREFIX, ModuleLoader, stdlib_root
from qdl.compiler.frontend.statements import CompileOptions
from qdl.compiler.ir import Circuit, Module

STATS = {"materialized": 0, "plans_built": 0}  # how often the lazy parts were built (tests, benchmarks)
CHEAP_FIELDS = tuple(f.name for f in fields(Circuit) if f.name != "ops")
HEAVY_PLAN_FIELDS = ("rows", "aux", "groups", "products", "stages", "occurrences", "gathers", "blocks2")
CHEAP_PLAN_FIELDS = tuple(f.name for f in fields(KernelPlan) if f.name not in HEAVY_PLAN_FIELDS)


class RecordingLoader(ModuleLoader):
    """A `ModuleLoader` that records the files it reads and the import paths it probes; may read from a snapshot."""

    def __init__(self, sink: DiagnosticSink, options: CompileOptions,
                 snapshot: Mapping[Path, str] | None = None) -> None:
        super().__init__(sink, options)
        self.snapshot = dict(snapshot or {})
        self.texts: dict[Path, str] = {}  # every imported file, as parsed
        self.probes: list[tuple[str, bool]] = []  # (candidate path, is a file) in the order imports look
        self.reliable = True  # False when a probe disagreed with the resolution (a file appeared meanwhile)

    def _resolve(self, item: ast.Import, base_dir: Path) -> Path | None:
        seen = []
        for candidate in _candidates(item.path, base_dir):
            exists = candidate.is_file()
            seen.append((str(candidate), exists))
            if exists:
                break
        self.probes.extend(seen)
        path = super()._resolve(item, base_dir)
        found = [Path(p) for p, exists in seen if exists]
        if (path is None) != (not found) or (found and found[0].resolve() != path):
            self.reliable = False
        return path

    def _source(self, path: Path, item: ast.Import) -> str | None:
        # The text from the snapshot when there is one, and recorded for the cache key.
        text = self.snapshot.get(path)
        if text is None:
            text = super()._source(path, item)
        if text is not None:
            self.texts[path] = text
        return text


def _candidates(import_path: str, base_dir: Path) -> list[Path]:
    """The files an import may name, in the order `ModuleLoader._resolve` tries them."""
    if import_path.startswith(STDLIB_PREFIX):
        return [stdlib_root() / import_path[len(STDLIB_PREFIX):]]
    if Path(import_path).is_absolute():
        return []
    return [base_dir / import_path, stdlib_root() / import_path]


@dataclass
class ProgramSource:
    """What rebuilds a cached program's IR: the main text, the imported texts, and the compile settings."""

    compile: Callable[[Mapping[Path, str]], Module]  # snapshot -> the (optimized) module, as the load built it
    snapshot: dict[Path, str]
    _module: Module | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def module(self) -> Module:
        """The program's module, built on first use."""
        with self._lock:
            if self._module is None:
                STATS["materialized"] += 1
                self._module = self.compile(self.snapshot)
                self.snapshot = {}
            return self._module


@dataclass
class Prebuilt:
    """A circuit's kernel plan as `compile_circuit` with default options would make it, and its fingerprint."""

    plan: KernelPlan
    slots: Any  # runtime.llvm.buffers.SlotReader
    options: tuple[int | None, bool, bool, str]
    tag: str
    compiled: Any = None  # the CompiledCircuit, once linked
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def accepts(self, block: int | None, distinct: bool, relabel: bool | None, precision: str) -> bool:
        own_block, own_distinct, own_relabel, own_precision = self.options
        return (block, distinct, precision) == (own_block, own_distinct, own_precision) \
            and relabel in (None, own_relabel)


class CachedCircuit(Circuit):
    """A `Circuit` from the program cache: `ops` is built on first read; equal to the eager circuit."""

    __slots__ = ("_source", "_index", "_prebuilt")

    @classmethod
    def make(cls, cheap: Mapping[str, Any], source: ProgramSource | None, index: int,
             prebuilt: Prebuilt | None, ops: tuple | None = None) -> "CachedCircuit":
        """A circuit with the given fields; without `ops`, they come from `source.module().circuits[index]`."""
        circuit = object.__new__(cls)
        for name in CHEAP_FIELDS:
            object.__setattr__(circuit, name, cheap[name])
        if ops is not None:
            object.__setattr__(circuit, "ops", ops)
        object.__setattr__(circuit, "_source", source)
        object.__setattr__(circuit, "_index", index)
        object.__setattr__(circuit, "_prebuilt", prebuilt)
        return circuit

    def __getattr__(self, name: str) -> Any:
        # Only reached when a slot is unset: `ops` of a circuit not yet materialized.
        if name != "ops":
            raise AttributeError(name)
        try:
            source = object.__getattribute__(self, "_source")
        except AttributeError:
            raise AttributeError(name) from None
        real = source.module().circuits[self._index]
        if tuple(getattr(real, n) for n in CHEAP_FIELDS) != tuple(getattr(self, n) for n in CHEAP_FIELDS):
            raise RuntimeError(f"the program cache rebuilt another circuit `{real.name}` than it stored")
        object.__setattr__(self, "ops", real.ops)
        return real.ops

    def prebuilt_kernel(self, block: int | None, distinct: bool, relabel: bool | None, precision: str) -> Any:
        """The compiled circuit from the cached plan when the options are those it was planned with; else None."""
        try:
            prebuilt = object.__getattribute__(self, "_prebuilt")
        except AttributeError:  # made by `dataclasses.replace`: another circuit, planned the usual way
            return None
        if prebuilt is None or not prebuilt.accepts(block, distinct, relabel, precision):
            return None
        with prebuilt.lock:
            if prebuilt.compiled is None:
                from qdl.runtime.llvm.kernel import link_circuit
                prebuilt.compiled = link_circuit(self, prebuilt.plan, prebuilt.slots, prebuilt.options, prebuilt.tag)
            return prebuilt.compiled

    def plain(self) -> Circuit:
        """This circuit as a plain `Circuit` (materialized)."""
        return Circuit(**{f.name: getattr(self, f.name) for f in fields(Circuit)})

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Circuit):
            return NotImplemented
        return all(getattr(self, f.name) == getattr(other, f.name) for f in fields(Circuit) if f.compare)

    __hash__ = Circuit.__hash__

    def __reduce__(self) -> tuple:
        return (Circuit, tuple(getattr(self, f.name) for f in fields(Circuit)))

    def __repr__(self) -> str:
        return repr(self.plain())


class LazyPlan(KernelPlan):
    """A `KernelPlan` whose op tables (`HEAVY_PLAN_FIELDS`) are built by `build()` on first read."""

    @classmethod
    def make(cls, cheap: Mapping[str, Any], row_count: int, build: Callable[[], KernelPlan]) -> "LazyPlan":
        plan = object.__new__(cls)
        for name in CHEAP_PLAN_FIELDS:
            object.__setattr__(plan, name, cheap[name])
        object.__setattr__(plan, "row_count", row_count)
        object.__setattr__(plan, "_build", build)
        return plan

    def __getattr__(self, name: str) -> Any:
        if name not in HEAVY_PLAN_FIELDS or "_build" not in self.__dict__:
            raise AttributeError(name)
        STATS["plans_built"] += 1
        full = self.__dict__["_build"]()
        del self.__dict__["_build"]
        for heavy in HEAVY_PLAN_FIELDS:
            object.__setattr__(self, heavy, getattr(full, heavy))
        return getattr(full, name)


def cheap_plan_fields(plan: KernelPlan) -> dict[str, Any]:
    """The fields of a plan a call needs (sizes, slots, reductions), without the op tables."""
    return {name: getattr(plan, name) for name in CHEAP_PLAN_FIELDS}
