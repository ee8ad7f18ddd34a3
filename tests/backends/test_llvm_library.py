"""The runtime library: defined once, declared by every kernel, compiled once per machine, linked once per process."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from llvmlite import ir

from qdl.compiler.backends.llvm import emit, library, lower
from qdl.compiler.ir import Circuit, GateOp, State
from qdl.runtime import llvm as qdl_llvm
from qdl.runtime import reference
from qdl.runtime.llvm import cache, jit, kernel
from qdl.runtime.llvm import library as runtime_library

TOL = 1e-12
PACKAGE = "qdl.compiler.backends.llvm"


def circuit(n: int, ops: list) -> Circuit:
    return Circuit("c", (), n, tuple(ops), (State(),))


GHZ = circuit(3, [GateOp("h", (0,)), GateOp("cx", (0, 1)), GateOp("cx", (1, 2))])
TWISTED = circuit(3, [GateOp("h", (2,)), GateOp("cz", (2, 0)), GateOp("t", (1,)), GateOp("swap", (0, 1))])


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache directory and a process that has linked neither kernels nor the runtime library."""
    monkeypatch.setenv("QDL_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(kernel, "_CIRCUITS", {})
    monkeypatch.setattr(kernel, "_KERNELS", {})
    monkeypatch.setattr(runtime_library, "_LINKED", {})
    return tmp_path


def assert_runs(c: Circuit) -> None:
    np.testing.assert_allclose(qdl_llvm.run(c, {})[0], reference.simulate(c, {})[0], atol=TOL)


# --- the IR ------------------------------------------------------------------------


def test_the_library_defines_every_function_external_and_versioned() -> None:
    module = library.emit_library()
    text = str(module)
    assert sorted(fn.name for fn in module.functions) == sorted(library.symbols() + [library.SAMPLE_SYMBOL])
    for fn in module.functions:
        assert fn.name.endswith("_" + library.LIBRARY_VERSION) and fn.linkage == ""
        assert f'define void @"{fn.name}"' in text


def test_a_kernel_only_declares_the_library_functions() -> None:
    text = str(emit(lower(GHZ), "t"))
    for symbol in library.symbols():
        assert f'declare void @"{symbol}"' in text
        assert f'define void @"{symbol}"' not in text


def test_declarations_match_the_definitions() -> None:
    defined = {fn.name: fn for fn in library.emit_library().functions}
    declared = library.declare(ir.Module(name="probe"))
    for fn in declared.all():
        twin = defined[fn.name]
        assert fn.function_type == twin.function_type
        assert [set(a.attributes) for a in fn.args] == [set(a.attributes) for a in twin.args]


def _package_imports(module: object) -> dict[str, set[str]]:
    """Package-internal modules imported by `module`'s source -> the names taken from each."""
    tree = ast.parse(Path(module.__file__).read_text())
    found: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PACKAGE):
            if node.module == PACKAGE:  # `from package import apply, irbuild`
                for alias in node.names:
                    found.setdefault(f"{PACKAGE}.{alias.name}", set())
            else:
                found.setdefault(node.module, set()).update(alias.name for alias in node.names)
    return found


def test_the_library_version_covers_every_generator_of_its_ir() -> None:
    """The version hashes `GENERATORS`; any other package module they import may only supply `OpKind` keys."""
    generators = {m.__name__ for m in library.GENERATORS}
    for module in library.GENERATORS:
        for imported, names in _package_imports(module).items():
            assert imported in generators or names == {"OpKind"}, (module.__name__, imported, names)


# --- compiling and linking ---------------------------------------------------------


def test_a_second_kernel_compiles_only_its_own_module(fresh: Path) -> None:
    before = jit.STATS["llvm_compiles"]
    assert_runs(GHZ)
    assert jit.STATS["llvm_compiles"] == before + 2  # the library, then the kernel
    assert_runs(TWISTED)
    assert jit.STATS["llvm_compiles"] == before + 3
    assert len(list((fresh / "llvm").glob("*.o"))) == 3


def test_kernels_outlive_a_relink_of_the_library(fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = qdl_llvm.compile_circuit(GHZ)
    monkeypatch.setattr(runtime_library, "_LINKED", {})
    second = qdl_llvm.compile_circuit(TWISTED)
    assert first.kernel.runtime is not second.kernel.runtime
    assert_runs(GHZ)
    assert_runs(TWISTED)


def test_a_corrupt_library_entry_is_rebuilt(fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert_runs(GHZ)
    entry = cache.entry_path(runtime_library.cache_key())
    entry.write_bytes(entry.read_bytes()[:-7] + b"garbage")
    assert cache.load(entry.stem) is None
    monkeypatch.setattr(kernel, "_CIRCUITS", {})
    monkeypatch.setattr(kernel, "_KERNELS", {})
    monkeypatch.setattr(runtime_library, "_LINKED", {})
    before = jit.STATS["llvm_compiles"]
    assert_runs(GHZ)
    assert jit.STATS["llvm_compiles"] == before + 1  # the library; the kernel came from disk
    assert cache.load(entry.stem) is not None


def test_the_listing_names_the_library_it_calls() -> None:
    listing = kernel.code_listing(GHZ, "llvm")
    assert listing.startswith(f"; calls the runtime library {library.LIBRARY_NAME}")
    assert "define void @qdl_kernel_" in listing


CHILD = textwrap.dedent("""
    import json, sys
    from qdl.compiler.ir import Circuit, GateOp, State
    from qdl.runtime import llvm as qdl_llvm
    from qdl.runtime.llvm import jit
    target = int(sys.argv[1])
    c = Circuit("c", (), 3, (GateOp("h", (0,)), GateOp("cx", (0, target))), (State(),))
    qdl_llvm.run(c, {})
    print(json.dumps(jit.STATS))
""")


def run_child(cache_dir: Path, target: int) -> dict:
    env = dict(os.environ, QDL_CACHE_DIR=str(cache_dir))
    done = subprocess.run([sys.executable, "-c", CHILD, str(target)], env=env, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_library_is_compiled_once_per_machine(tmp_path: Path) -> None:
    first, second = run_child(tmp_path, 1), run_child(tmp_path, 2)
    assert first["llvm_compiles"] == 2 and first["disk_hits"] == 0
    assert second["llvm_compiles"] == 1 and second["disk_hits"] == 1  # a new kernel; the library from disk


def test_a_prepared_library_is_compiled_once_in_the_background(fresh: Path, monkeypatch) -> None:
    from qdl.runtime.llvm import ahead
    monkeypatch.setattr(ahead, "_PENDING", {})
    before = jit.STATS["llvm_compiles"]
    runtime_library.prepare()
    runtime_library.prepare()  # already under way: no second thread
    assert len(ahead._PENDING) == 1
    assert_runs(GHZ)  # waits for it, then links it from disk
    assert jit.STATS["llvm_compiles"] == before + 2  # the library (once), then the kernel
    assert cache.load(runtime_library.cache_key()) is not None
    monkeypatch.setattr(ahead, "_PENDING", {})
    runtime_library.prepare()  # linked (and on disk): nothing to do
    assert ahead._PENDING == {}


def test_a_long_kernel_is_compiled_ahead_once(fresh: Path, monkeypatch) -> None:
    from qdl.runtime.llvm import ahead
    monkeypatch.setattr(ahead, "_PENDING", {})
    monkeypatch.setattr(ahead, "AHEAD_ROWS", 2)
    plan, options = kernel.plan_circuit(GHZ)
    tag = kernel.fingerprint(plan)
    ahead.start_kernel(plan, tag, rows=1)  # below the threshold: nothing
    assert ahead._PENDING == {}
    before = jit.STATS["llvm_compiles"]
    ahead.start_kernel(plan, tag, rows=3)
    ahead.start_kernel(plan, tag, rows=3)  # already under way
    assert len(ahead._PENDING) == 1
    assert_runs(GHZ)  # the first call waits for it and links it from disk
    assert jit.STATS["llvm_compiles"] == before + 2  # the library, and the kernel once
