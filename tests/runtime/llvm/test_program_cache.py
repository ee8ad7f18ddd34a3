"""The program cache: a warm `qdl.load` skips the front end and LLVM, and never serves a stale program."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import qdl
from qdl.compiler.driver import compile_file
from qdl.compiler.frontend.modules import stdlib_root
from qdl.compiler.ir_text import format_module
from qdl.runtime.llvm import cache, lazy_program, program_cache
from qdl.runtime.llvm.lazy_program import CachedCircuit

MAIN = """\
import "lib.qdl";
import "std/layers.qdl";

circuit energy(param w: float[2, 3]) -> float {
    qubit q[3];
    tilt(ANGLE) q[0];
    for i in 0..3 { ry(w[0, i]) q[i]; }
    cnot_ring q;
    for i in 0..3 { rz(w[1, i]) q[i]; }
    return expval(H);
}

circuit probs3(param t: float) -> float[8] {
    qubit q[3];
    h q[0];
    crx(t) q[0], q[1];
    cnot_ring q;
    return probs(q);
}
"""
LIB = """\
const ANGLE = 0.25;
observable H = 0.5 * Z[0] Z[1] + 0.3 * X[2];
gate tilt(a) p { ry(a) p; rz(2 * a) p; }
"""
W = np.array([[0.1, -0.4, 0.7], [0.3, 0.2, -0.9]])


@pytest.fixture
def program(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """main.qdl importing a local file and a stdlib file, with a private cache directory."""
    monkeypatch.setenv("QDL_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "lib.qdl").write_text(LIB)
    (tmp_path / "src" / "main.qdl").write_text(MAIN)
    return tmp_path / "src" / "main.qdl"


def compile_source(main: str, base_dir: Path, lib: str):
    """The module of `main` compiled eagerly from a fresh folder holding `lib` (same display names)."""
    fresh = base_dir.parent / "eager"
    fresh.mkdir(exist_ok=True)
    (fresh / "lib.qdl").write_text(lib)
    (fresh / "main.qdl").write_text(main)
    return compile_file(fresh / "main.qdl").module


def stats() -> dict:
    return dict(program_cache.STATS)


def delta(before: dict) -> dict:
    return {k: v - before[k] for k, v in program_cache.STATS.items()}


def test_a_warm_load_is_a_hit_and_computes_the_same(program: Path) -> None:
    before = stats()
    cold = qdl.load(program)
    warm = qdl.load(program)
    assert delta(before) == {"hits": 1, "misses": 1, "stored": 1, "front_end_runs": 1, "ir_loads": 0}
    assert isinstance(warm.module.circuits[0], CachedCircuit)
    assert warm.circuits == cold.circuits == ("energy", "probs3")
    assert warm.energy.signature == cold.energy.signature
    assert warm.energy(W) == pytest.approx(cold.energy(W), abs=1e-12)
    np.testing.assert_allclose(warm.probs3(0.7), cold.probs3(0.7), atol=1e-12)
    reference = qdl.load(program, backend="reference")  # the oracle, never cached
    assert warm.energy(W) == pytest.approx(reference.energy(W), abs=1e-10)
    batch = np.stack([W, -W])
    np.testing.assert_allclose(warm.energy(batch), reference.energy(batch), atol=1e-10)


def test_the_lazy_ir_materializes_equal_to_the_eager_ir(program: Path) -> None:
    qdl.load(program)
    warm = qdl.load(program)
    eager = compile_file(program).module
    materialized_before = lazy_program.STATS["materialized"]
    warm.energy(W)  # a call needs no IR
    assert lazy_program.STATS["materialized"] == materialized_before
    before = stats()
    assert warm.ir == format_module(eager)
    assert lazy_program.STATS["materialized"] == materialized_before + 1
    assert delta(before)["ir_loads"] == 1 and delta(before)["front_end_runs"] == 0  # the stored IR
    assert warm.module.circuits == eager.circuits and eager.circuits == warm.module.circuits
    assert hash(warm.module.circuits[0]) == hash(eager.circuits[0])
    grad = warm.energy.grad(W)  # gradient programs read the IR
    np.testing.assert_allclose(grad, qdl.load(program, backend="reference").energy.grad(W), atol=1e-9)


@pytest.mark.parametrize("damage", ["delete", "corrupt"])
def test_without_its_stored_ir_the_front_end_rebuilds_it(program: Path, damage: str) -> None:
    qdl.load(program)
    warm = qdl.load(program)
    (ir_file,) = cache.entries("ir")
    if damage == "delete":
        ir_file.unlink()
    else:
        ir_file.write_bytes(ir_file.read_bytes()[:-3] + b"xyz")
    program.write_text("// edited after the load: the IR still stands for the text that was loaded\n")
    (program.parent / "lib.qdl").write_text("")
    before = stats()
    assert warm.ir == format_module(compile_source(MAIN, base_dir=program.parent, lib=LIB))
    assert delta(before)["front_end_runs"] == 1 and delta(before)["ir_loads"] == 0


def test_a_lazy_plan_builds_its_tables_equal_to_a_fresh_plan(program: Path) -> None:
    from qdl.runtime.llvm.kernel import fingerprint, plan_circuit
    qdl.load(program)
    warm = qdl.load(program)
    compiled = warm.energy._compiled()
    plan, _ = plan_circuit(compile_file(program).module["energy"])
    built = lazy_program.STATS["plans_built"]
    assert compiled.plan.row_count == len(plan.rows) and compiled.plan.num_entries == plan.num_entries
    assert lazy_program.STATS["plans_built"] == built  # a call reads the sizes only
    assert compiled.plan.rows == plan.rows and compiled.plan.aux == plan.aux
    assert lazy_program.STATS["plans_built"] == built + 1
    assert fingerprint(compiled.plan) == fingerprint(plan)


def test_editing_an_imported_file_invalidates(program: Path) -> None:
    first = qdl.load(program).energy(W)
    (program.parent / "lib.qdl").write_text(LIB.replace("0.25", "0.5"))
    before = stats()
    edited = qdl.load(program)
    assert delta(before)["misses"] == 1 and delta(before)["hits"] == 0
    eager = qdl.load(program, backend="reference")
    assert edited.energy(W) == pytest.approx(eager.energy(W), abs=1e-10)
    assert edited.energy(W) != pytest.approx(first, abs=1e-6)


def test_a_new_file_shadowing_a_stdlib_import_invalidates(program: Path) -> None:
    qdl.load(program)
    local = program.parent / "std"
    local.mkdir()
    text = (stdlib_root() / "std" / "layers.qdl").read_text()
    (local / "layers.qdl").write_text(text.replace("cx q[i], q[(i + 1) % n];",
                                                               "cz q[i], q[(i + 1) % n];"))
    before = stats()
    shadowed = qdl.load(program)
    assert delta(before)["misses"] == 1
    assert shadowed.energy(W) == pytest.approx(qdl.load(program, backend="reference").energy(W), abs=1e-10)


def test_options_are_part_of_the_key(program: Path) -> None:
    qdl.load(program)
    before = stats()
    qdl.load(program, opt_level=2)
    qdl.load(program, precision="single")
    assert delta(before)["misses"] == 2
    assert qdl.load(program, opt_level=2).ir == qdl.load(program, opt_level=2, backend="reference").ir


def test_a_corrupt_entry_is_rebuilt(program: Path) -> None:
    want = qdl.load(program).energy(W)
    (entry,) = cache.entries("programs")
    blob = bytearray(entry.read_bytes())
    blob[-5] ^= 0xFF
    entry.write_bytes(bytes(blob))
    before = stats()
    assert qdl.load(program).energy(W) == pytest.approx(want, abs=1e-12)
    assert delta(before) == {"hits": 0, "misses": 1, "stored": 1, "front_end_runs": 1, "ir_loads": 0}
    assert cache.load(entry.stem, "programs") is not None  # rewritten whole
    entry.write_bytes(entry.read_bytes()[:40])  # truncated
    assert qdl.load(program).energy(W) == pytest.approx(want, abs=1e-12)
    assert qdl.load(program).energy(W) == pytest.approx(want, abs=1e-12)
    assert delta(before)["hits"] == 1


def test_user_errors_are_reported_as_without_the_cache(program: Path) -> None:
    program.write_text(MAIN.replace("cnot_ring q;", "cnot_ring q\n"))
    with pytest.raises(qdl.CompileError) as cached:
        qdl.load(program)
    assert "main.qdl" in str(cached.value)
    assert not cache.entries("programs")
    with pytest.raises(qdl.ArgumentError):
        qdl.load(program.parent / "lib.qdl", opt_level="3")


CHILD = textwrap.dedent("""
    import json, sys
    import numpy as np
    import lark
    from qdl.compiler import driver
    from qdl.compiler.frontend import modules
    from qdl.runtime.llvm import jit, program_cache
    if sys.argv[2] == "forbid":
        def forbidden(*a, **k):
            raise AssertionError("the front end, the lowering or LLVM ran on a warm load")
        lark.Lark.parse = forbidden
        driver.parse = modules.parse = forbidden
        jit.compile_object = forbidden
        from qdl.runtime.llvm import ahead, kernel
        kernel.lower = kernel.emit = ahead.emit = forbidden  # nor the lowering to a kernel plan, nor LLVM IR
    import qdl
    program = qdl.load(sys.argv[1])
    w = np.array([[0.1, -0.4, 0.7], [0.3, 0.2, -0.9]])
    out = {"energy": program.energy(w), "probs": program.probs3(0.7).tolist(), "warnings": program.warnings}
    out.update(ir=program.ir, stats=program_cache.STATS, llvm=jit.STATS["llvm_compiles"])
    print(json.dumps(out))
""")


def run_child(program: Path, mode: str) -> subprocess.Popen:
    env = dict(os.environ, QDL_CACHE_DIR=os.environ["QDL_CACHE_DIR"])
    return subprocess.Popen([sys.executable, "-c", CHILD, str(program), mode], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def result(child: subprocess.Popen) -> dict:
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def test_a_second_process_runs_neither_the_parser_nor_llvm(program: Path) -> None:
    cold = result(run_child(program, "allow"))
    warm = result(run_child(program, "forbid"))
    assert cold["stats"]["misses"] == 1 and cold["llvm"] >= 1
    assert warm["stats"] == {"hits": 1, "misses": 0, "stored": 0, "front_end_runs": 0, "ir_loads": 1}
    assert warm["llvm"] == 0
    assert warm["energy"] == cold["energy"] and warm["probs"] == cold["probs"] and warm["ir"] == cold["ir"]
    assert warm["warnings"] == cold["warnings"]


def test_concurrent_writers_leave_one_valid_entry(program: Path) -> None:
    children = [run_child(program, "allow") for _ in range(4)]
    outcomes = [result(child) for child in children]
    assert len({json.dumps([o["energy"], o["probs"]]) for o in outcomes}) == 1
    (entry,) = cache.entries("programs")  # no temporary file left behind
    assert cache.load(entry.stem, "programs") is not None
    warm = result(run_child(program, "forbid"))
    assert warm["stats"]["hits"] == 1 and warm["energy"] == outcomes[0]["energy"]


def test_cache_info_and_clear_cover_programs(program: Path) -> None:
    from click.testing import CliRunner
    from qdl.cli import cli
    qdl.load(program)
    runner = CliRunner()
    info = runner.invoke(cli, ["cache", "info"]).output
    assert "programs: 1" in info and str(Path(os.environ["QDL_CACHE_DIR"]) / "programs") in info
    assert "removed" in runner.invoke(cli, ["cache", "clear"]).output
    assert "programs: 0" in runner.invoke(cli, ["cache", "info"]).output
    before = stats()
    qdl.load(program)
    assert delta(before)["misses"] == 1


def test_a_toolchain_change_misses(program: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    qdl.load(program)
    monkeypatch.setattr(program_cache, "toolchain", lambda: "another qdl")
    before = stats()
    qdl.load(program)
    assert delta(before)["misses"] == 1


def test_circuits_the_kernel_cannot_run_come_from_the_cache_too(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QDL_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "teleport.qdl"
    path.write_text((Path(__file__).parents[3] / "examples" / "teleport.qdl").read_text())
    cold = qdl.load(path).teleport(0.7, 0.3)
    before = stats()
    warm = qdl.load(path)
    assert delta(before)["hits"] == 1
    np.testing.assert_allclose(warm.teleport(0.7, 0.3)[3], cold[3], atol=1e-12)  # the reference, on the IR
    assert warm.teleport(0.7, 0.3)[0] == pytest.approx(np.cos(0.7), abs=1e-12)


def test_warm_circuits_pickle_and_take_every_path_as_eager_ones(program: Path) -> None:
    import pickle
    qdl.load(program)
    warm = qdl.load(program)
    eager = compile_file(program).module["probs3"]
    copy = pickle.loads(pickle.dumps(warm.probs3.circuit))
    assert type(copy) is type(eager) and copy == eager
    reference = qdl.load(program, backend="reference")
    np.testing.assert_allclose(warm.probs3.state(0.4), reference.probs3.state(0.4), atol=1e-12)
    np.testing.assert_allclose(warm.probs3.jacobian(0.4), reference.probs3.jacobian(0.4), atol=1e-9)


def test_openqasm_files_take_the_full_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QDL_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "bell.qasm"
    path.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0];\ncx q[0], q[1];\n')
    before = stats()
    np.testing.assert_allclose(qdl.load(path).main(), [0.5, 0, 0, 0.5], atol=1e-12)
    assert delta(before) == {"hits": 0, "misses": 0, "stored": 0, "front_end_runs": 0, "ir_loads": 0}
    assert not cache.entries("programs")
