"""LLVM for the host CPU: optimise at O3, emit object code, link it into one LLJIT.

Everything that touches LLVM holds `COMPILE_LOCK` (llvmlite's C API is not
re-entrant across our multi-step pipeline).  `STATS` counts what happened, so
tests can prove that a warm start never invoked the optimiser or code emitter.
"""

from __future__ import annotations

import hashlib
import threading
from functools import lru_cache
from importlib.metadata import version

import llvmlite
import llvmlite.binding as llvm

COMPILE_LOCK = threading.RLock()
STATS = {"llvm_compiles": 0, "disk_hits": 0, "memory_hits": 0, "links": 0}
CODEGEN_VERSION = "llvm-kernel-3"  # bump when the generated code changes meaning


@lru_cache(maxsize=1)
def target_machine() -> llvm.TargetMachine:
    with COMPILE_LOCK:
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        llvm.check_jit_execution()
        target = llvm.Target.from_default_triple()
        return target.create_target_machine(cpu=llvm.get_host_cpu_name(),
                                            features=llvm.get_host_cpu_features().flatten(),
                                            opt=3, jit=True)


@lru_cache(maxsize=1)
def _lljit() -> llvm.LLJIT:
    return llvm.create_lljit_compiler(target_machine())


def cache_key(content: str) -> str:
    """sha256 of `content` (what determines the IR) and everything else that changes the object code."""
    tm = target_machine()
    parts = (content, tm.triple, llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten(),
             llvmlite.__version__, _qdl_version(), CODEGEN_VERSION)
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


@lru_cache(maxsize=1)
def _qdl_version() -> str:
    return version("qdl")  # a metadata lookup costs milliseconds: once per process, not per kernel


def optimized(ir_text: str) -> llvm.ModuleRef:
    """Parse, verify and optimise (new pass manager, O3, vectorisers on) for the host CPU."""
    tm = target_machine()
    module = llvm.parse_assembly(ir_text)
    module.triple = tm.triple  # the optimiser's cost models read the target from the module
    module.data_layout = str(tm.target_data)
    module.verify()
    options = llvm.create_pipeline_tuning_options(speed_level=3)
    options.loop_vectorization = True
    options.slp_vectorization = True
    builder = llvm.create_pass_builder(tm, options)
    builder.getModulePassManager().run(module, builder)
    return module


def compile_object(ir_text: str) -> bytes:
    """Optimised object code for the host CPU."""
    with COMPILE_LOCK:
        module = optimized(ir_text)
        STATS["llvm_compiles"] += 1
        return target_machine().emit_object(module)


def listing(ir_text: str, kind: str) -> str:
    """The optimised LLVM IR (`kind="llvm"`) or the host assembly (`kind="asm"`), for reading."""
    with COMPILE_LOCK:
        module = optimized(ir_text)
        return str(module) if kind == "llvm" else target_machine().emit_assembly(module)


def link(obj: bytes, symbol: str, key: str, needs: tuple[str, ...] = (),
         also: tuple[str, ...] = ()) -> tuple[int, object]:
    """Link object code into the process JIT; -> (address of `symbol`, tracker to keep alive).

    `also` exports more symbols, whose addresses are `tracker[name]`.

    `needs` names JIT libraries (`link_library`) whose symbols the code calls;
    they must stay linked (their trackers alive) while the code may run.
    LLJIT never reuses a library name, even after its tracker died, so names
    carry a link counter besides the content key.
    """
    with COMPILE_LOCK:
        builder = llvm.JITLibraryBuilder().add_object_img(obj)
        for library in needs:
            builder.add_jit_library(library)
        builder = builder.add_current_process()
        for name in (symbol,) + also:
            builder = builder.export_symbol(name)
        tracker = builder.link(_lljit(), _library_name(key))
        return tracker[symbol], tracker


def link_library(obj: bytes, key: str, exports: tuple[str, ...] = ()) -> tuple[str, object]:
    """Link object code as a library other code links against (`link(..., needs=...)`) -> (its name, tracker).

    ORC resolves a dependent's calls into it by symbol name when the
    dependent is linked; `exports` are the symbols the host itself calls
    (their addresses: `tracker[symbol]`).
    """
    with COMPILE_LOCK:
        builder = llvm.JITLibraryBuilder().add_object_img(obj).add_current_process()
        for symbol in exports:
            builder.export_symbol(symbol)
        name = _library_name(key)
        return name, builder.link(_lljit(), name)


def _library_name(key: str) -> str:
    STATS["links"] += 1
    return f"qdl_{key[:16]}_{STATS['links']}"
