"""The program cache: what a warm `qdl.load` needs, without running the front end again.

Key: sha256 of the main file's path, display name and bytes, the compile
options and load settings (optimization level, pass pipeline, precision),
the cache-blocking size and the toolchain (`toolchain()`: Python, qdl,
llvmlite, numpy and lark versions and the size and modification time of
every source file of qdl itself).  The entry (`cache` kind "programs": one
checksummed file, published atomically) holds:

* the manifest: every imported file (resolved path, display name, sha256 of
  its bytes) and every import candidate probed with whether it was a file,
  so that editing, adding or removing an imported file misses;
* per circuit, every IR field but `ops` (name, arguments, qubits, results,
  ...) and, when the LLVM kernel can run it, its plan's sizes, slots and
  reduction layout, the slot reader and the plan's fingerprint (the
  object-code cache key is derived from it and the host CPU at link time);
* the rendered warnings.

The program's IR is stored beside it (`<key>.ir`, a pickle) and read only
when something asks for the IR; when it is missing or damaged, the front end
runs again on the texts the hit verified.

A hit reads the main file and the imported files, checks them against the
manifest, and returns a `Program` of `lazy_program.CachedCircuit`s; a miss
(absent, corrupt or stale entry, anything unexpected) compiles as usual,
plans the kernels and stores the entry.  Only qdl programs with the llvm
back end are cached; OpenQASM files and the reference back end always take
the full path.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import pickle
import sys
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, Callable, Mapping

from qdl.compiler.backends.llvm.fuse2 import fusion_enabled
from qdl.compiler.backends.llvm import Unsupported
from qdl.compiler.backends.llvm import plan as plan_module
from qdl.compiler.deep_stack import paused_gc
from qdl.compiler.diagnostics import DiagnosticSink
from qdl.compiler.driver import CompileResult, compile_source
from qdl.compiler.frontend.modules import display_name
from qdl.compiler.frontend.statements import CompileOptions
from qdl.compiler.ir import Circuit, Module
from qdl.runtime.llvm import ahead, cache, library
from qdl.runtime.llvm.lazy_program import (
    CHEAP_FIELDS, CachedCircuit, LazyPlan, Prebuilt, ProgramSource, RecordingLoader, cheap_plan_fields,
)

FORMAT = "qdl-program-1"  # bump when an entry's layout changes
KIND = "programs"
STATS = {"hits": 0, "misses": 0, "stored": 0, "front_end_runs": 0, "ir_loads": 0}
Optimize = Callable[[CompileResult], CompileResult]
MakeProgram = Callable[[CompileResult], Any]


@dataclass(frozen=True)
class Request:
    """One `qdl.load`: the main file as read, how to compile it, and the cache key of both."""

    path: Path  # resolved
    name: str  # display name (how diagnostics and spans name the file)
    text: str
    options: CompileOptions
    precision: str
    key: str


def load(path: str | Path, options: CompileOptions, settings: tuple, precision: str, optimize: Optimize,
         make_program: MakeProgram) -> Any:
    """The program of `qdl.load(path, ...)` from the cache, else compiled and stored; None: not cacheable.

    `settings` are the load's other arguments that change the result (opt
    level, passes); `optimize` applies them to a `CompileResult`,
    `make_program` makes the `Program` (raising `CompileError` on errors).
    """
    try:
        request = _request(Path(path), options, settings, precision)
    except Exception:  # noqa: BLE001 - the cache never breaks a load: the caller takes the full path
        return None
    if request is None:
        return None
    program = _warm(request, optimize, make_program)
    return program if program is not None else _cold(request, optimize, make_program)


def _request(path: Path, options: CompileOptions, settings: tuple, precision: str) -> Request | None:
    """Read the main file and compute the key; None for files the cache leaves to the full path."""
    if path.suffix != ".qdl" or not path.is_file():
        return None
    resolved = path.resolve()
    data = resolved.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None  # the full path reports it
    name = display_name(resolved)
    parts = (FORMAT, toolchain(), str(resolved), name, hashlib.sha256(data).hexdigest(), repr(options),
             str(options.state_limit()), repr(settings), precision, str(plan_module.BLOCK_QUBITS),
             str(fusion_enabled()))  # the tuning knobs shape the stored plans
    key = hashlib.sha256("\0".join(parts).encode()).hexdigest()
    return Request(resolved, name, text, options, precision, key)


@lru_cache(maxsize=1)
def toolchain() -> str:
    """Versions, and every qdl source file's size and modification time: any change of the compiler misses."""
    import lark
    import llvmlite
    import numpy
    import qdl
    digest = hashlib.sha256()
    for package in ("qdl", "qdl.compiler", "qdl.runtime", "qdl.grammar"):
        root = os.path.dirname(importlib.import_module(package).__file__)
        for line in sorted(_stamps(root, root)):
            digest.update(line.encode())
    versions = (qdl.__version__, llvmlite.__version__, numpy.__version__, lark.__version__)
    return "\0".join((sys.version, digest.hexdigest()) + versions)


def _stamps(folder: str, root: str) -> list[str]:
    """`path:size:mtime` of every .py and .lark file under `folder` (os.scandir: a few ms for the package)."""
    out = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir() and entry.name != "__pycache__":
                out += _stamps(entry.path, root)
            elif entry.name.endswith((".py", ".lark")):
                stat = entry.stat()
                out.append(f"{os.path.relpath(entry.path, root)}:{stat.st_size}:{stat.st_mtime_ns}\n")
    return out


# --- a hit ---------------------------------------------------------------------------------


def _warm(request: Request, optimize: Optimize, make_program: MakeProgram) -> Any:
    """The program from a valid, current entry; None on a miss."""
    blob = cache.load(request.key, KIND)
    if blob is None:
        return None
    try:
        entry = _unpickled(blob)
        snapshot = _verify(entry) if entry.get("format") == FORMAT else None
        if snapshot is None:
            return None
        expected = [tuple(c["fields"][name] for name in CHEAP_FIELDS) for c in entry["circuits"]]
        source = ProgramSource(partial(_rebuild, request, optimize, expected), snapshot)
        circuits = tuple(_cached_circuit(c, source, k, request.precision) for k, c in enumerate(entry["circuits"]))
        program = make_program(CompileResult(Module(circuits), DiagnosticSink()))
        program.warnings = entry["warnings"]
    except Exception:  # noqa: BLE001 - an entry from another layout, a truncated pickle...: rebuilt
        return None
    STATS["hits"] += 1
    return program


def _verify(entry: Mapping[str, Any]) -> dict[Path, str] | None:
    """The imported files' texts when every one and every probed import path are as recorded; else None."""
    for candidate, exists in entry["probes"]:
        if Path(candidate).is_file() != exists:
            return None
    snapshot = {}
    for path, name, digest in entry["imports"]:
        file = Path(path)
        try:
            data = file.read_bytes()
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != digest or display_name(file) != name:
            return None
        snapshot[file] = data.decode("utf-8")
    return snapshot


def _rebuild(request: Request, optimize: Optimize, expected: list[tuple], snapshot: Mapping[Path, str]) -> Module:
    """The program's module: the stored IR when it is whole and matches, else the front end (and passes) again.

    The front end runs on the texts a hit verified, so it builds the IR the
    load stood for even if the files changed since.
    """
    blob = cache.load(request.key, "ir")
    try:
        module = _unpickled(blob) if blob is not None else None
        if isinstance(module, Module) and [tuple(getattr(c, n) for n in CHEAP_FIELDS) for c in module.circuits] \
                == expected:
            STATS["ir_loads"] += 1
            return module
    except Exception:  # noqa: BLE001 - a damaged or foreign pickle: the front end rebuilds it
        pass
    loader = partial(RecordingLoader, snapshot=snapshot)
    result = optimize(compile_source(request.text, request.name, request.options, base_dir=request.path.parent,
                                     loader=loader))
    STATS["front_end_runs"] += 1
    if result.module is None:
        raise RuntimeError(f"the program cache could not rebuild {request.name}:\n{result.render()}")
    return result.module


def _cached_circuit(stored: Mapping[str, Any], source: ProgramSource, index: int, precision: str) -> CachedCircuit:
    circuit = CachedCircuit.make(stored["fields"], source, index, None)
    kernel = stored["kernel"]
    if kernel is not None:
        build = partial(_replan, circuit, kernel["options"], kernel["tag"])
        plan = LazyPlan.make(kernel["plan"], kernel["rows"], build)
        object.__setattr__(circuit, "_prebuilt", Prebuilt(plan, kernel["slots"], kernel["options"], kernel["tag"]))
    return circuit


def _replan(circuit: Circuit, options: tuple, tag: str) -> Any:
    """The full plan of a cached circuit (its IR materialized), checked against the stored fingerprint."""
    from qdl.runtime.llvm.kernel import fingerprint, plan_circuit
    plan, _ = plan_circuit(circuit, *options)
    if fingerprint(plan) != tag:
        raise RuntimeError(f"the program cache rebuilt another kernel plan for circuit `{circuit.name}`")
    return plan


# --- a miss --------------------------------------------------------------------------------


def _cold(request: Request, optimize: Optimize, make_program: MakeProgram) -> Any:
    """Compile with the recording loader, plan the kernels, store the entry, and make the program."""
    STATS["misses"] += 1
    library.prepare(request.precision)  # LLVM on the other core while the front end runs
    loaders: list[RecordingLoader] = []

    def recording(sink: DiagnosticSink, options: CompileOptions) -> RecordingLoader:
        loaders.append(RecordingLoader(sink, options))
        return loaders[-1]

    with paused_gc():  # planning a long program allocates like the front end (deep_stack)
        result = compile_source(request.text, request.name, request.options, base_dir=request.path.parent,
                                loader=recording)
        STATS["front_end_runs"] += 1
        result = optimize(result)
        if result.module is not None and loaders and loaders[-1].reliable:
            try:
                result.module = _store(request, result, loaders[-1])
            except Exception:  # noqa: BLE001 - unplannable or unpicklable: the program works uncached
                pass
    return make_program(result)


def _store(request: Request, result: CompileResult, loader: RecordingLoader) -> Module:
    """Plan every circuit's kernel, publish the entry, and return the module of `CachedCircuit`s."""
    from qdl.runtime.llvm.buffers import SlotReader
    from qdl.runtime.llvm.kernel import fingerprint, plan_circuit
    stored, circuits = [], []
    for index, circuit in enumerate(result.module.circuits):
        cheap = {name: getattr(circuit, name) for name in CHEAP_FIELDS}
        try:
            plan, options = plan_circuit(circuit, precision=request.precision)
        except Unsupported:  # mid-circuit measurement, reset, conditions: the reference runs it
            stored.append({"fields": cheap, "kernel": None})
            circuits.append(CachedCircuit.make(cheap, None, index, None, circuit.ops))
            continue
        slots, tag = SlotReader.of(circuit, plan.slots), fingerprint(plan)
        ahead.start_kernel(plan, tag, len(plan.rows))  # LLVM on another core while the entry is stored
        stored.append({"fields": cheap, "kernel": {"plan": cheap_plan_fields(plan), "rows": len(plan.rows),
                                                   "slots": slots, "options": options, "tag": tag}})
        circuits.append(CachedCircuit.make(cheap, None, index, Prebuilt(plan, slots, options, tag), circuit.ops))
    imports = [(str(p), display_name(p), hashlib.sha256(t.encode("utf-8")).hexdigest())
               for p, t in loader.texts.items()]
    entry = {"format": FORMAT, "imports": imports, "probes": loader.probes, "circuits": stored,
             "warnings": result.render() if result.sink.diagnostics else ""}
    # The IR first: a reader that finds the entry mostly finds its IR too (else it runs the front end).
    cache.store(request.key, pickle.dumps(result.module, protocol=pickle.HIGHEST_PROTOCOL), "ir")
    cache.store(request.key, pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL), KIND)
    STATS["stored"] += 1
    return Module(tuple(circuits))


def _unpickled(blob: bytes) -> Any:
    """`pickle.loads` with the cyclic GC paused: a 100,000-op program is a million new objects and no cycles,
    and the collector's passes over them took 80 % of the load."""
    with paused_gc():
        return pickle.loads(blob)
