"""The pass manager: registry, pipeline text, presets, records, and the verifier."""

from __future__ import annotations

import dataclasses

import pytest

from qdl.compiler.expr import Arg, Const
from qdl.compiler.ir import (
    FLOAT, Argument, Circuit, Condition, GateOp, MeasureOp, Module, Probs, Register,
)
from qdl.compiler.ir_text import parse_module
from qdl.compiler.passes import (
    PRESETS, REGISTRY, PassManager, PipelineError, VerifyError, circuit_stats, format_records,
    parse_pipeline, pipeline_for, verify,
)
from qdl.compiler.passes.optimize.fold_angles import FoldAngles

BELL = parse_module("""circuit c(param t: float) {
  qubits 2
  h %0
  h %0
  rz(t) %1
  rz(-t) %1
  cx %0, %1
  return probs(%0, %1)
}
""")


def test_every_preset_names_registered_passes():
    assert PRESETS[0] == []
    for names in PRESETS.values():
        assert set(names) <= set(REGISTRY)
    assert [p.name for p in pipeline_for(1)] == PRESETS[1]


def test_pipeline_text_with_options():
    passes = parse_pipeline(" cancel-inverse-pairs , fold-angles{tol=1e-9},merge-rotations{tol=0.5}")
    assert [p.name for p in passes] == ["cancel-inverse-pairs", "fold-angles", "merge-rotations"]
    assert passes[1] == FoldAngles(tol=1e-9)
    assert passes[2].tol == 0.5


@pytest.mark.parametrize("text, message", [
    ("no-such-pass", "unknown pass `no-such-pass`"),
    ("fold-angles{tol=abc}", "option `tol` expects float"),
    ("fold-angles{nope=1}", "bad option `nope=1`"),
    ("fold-angles{tol=1", "unbalanced braces"),
])
def test_pipeline_errors(text, message):
    with pytest.raises(PipelineError, match=message):
        parse_pipeline(text)


def test_bad_level():
    with pytest.raises(PipelineError, match="0..3"):
        pipeline_for(7)


def test_records_time_and_stats_per_pass():
    seen = []
    manager = PassManager.from_text("cancel-inverse-pairs,light-cone", verify_each=True, collect_stats=True,
                                    observer=lambda name, m: seen.append(name))
    out = manager.run(BELL)
    assert seen == ["cancel-inverse-pairs", "light-cone"]
    first = manager.records[0]
    assert (first.before.gates, first.after.gates) == (5, 1)
    assert first.after.two_qubit == 1 and first.after.by_kind == {"cx": 1}
    assert first.before.params == 2 and first.after.params == 0
    assert "cancel-inverse-pairs" in format_records(manager.records, timing=True, stats=True)
    assert BELL.circuits[0].ops[0] == GateOp("h", (0,))  # the input is never mutated
    assert len(out.circuits[0].ops) == 1


def test_stats_depth_counts_layers():
    stats = circuit_stats(parse_module("""circuit c() {
  qubits 3
  h %0
  h %1
  cx %0, %1
  ctrl(%2) x %0
  return state
}
""").circuits[0])
    assert (stats.depth, stats.two_qubit, stats.gates) == (3, 2, 4)
    assert stats.by_kind == {"ctrl1-x": 1, "cx": 1, "h": 2}


def _broken(*ops, **changes) -> Module:
    base = Circuit("c", (Argument("t", FLOAT, (2,)),), 2, tuple(ops), (Probs((0,)),), num_bits=1,
                   qubit_registers=(Register("q", 0, 2),))
    return Module((dataclasses.replace(base, **changes),))


@pytest.mark.parametrize("module, problem", [
    (_broken(GateOp("h", (2,))), "qubit 2 out of range"),
    (_broken(GateOp("cx", (0, 0))), "uses a qubit twice"),
    (_broken(GateOp("h", (0,), controls=(0,), control_values=(True,))), "uses a qubit twice"),
    (_broken(GateOp("hadamard", (0,))), "unknown gate `hadamard`"),
    (_broken(GateOp("cx", (0,))), "takes 2 qubits, got 1"),
    (_broken(GateOp("rz", (0,))), "takes 1 parameters, got 0"),
    (_broken(GateOp("x", (0,), controls=(1,))), "1 controls but 0 control values"),
    (_broken(GateOp("x", (0,), condition=Condition((3,), 1))), "bit 3 out of range"),
    (_broken(GateOp("x", (0,), condition=Condition((0,), 2))), "does not fit 1 bits"),
    (_broken(GateOp("rz", (0,), (Arg("u"),))), "unknown argument `u`"),
    (_broken(GateOp("rz", (0,), (Arg("t", (5,)),))), "out of its shape"),
    (_broken(MeasureOp(0, 4)), "bit 4 out of range"),
    (_broken(results=(Probs((9,)),)), "result: qubit 9 out of range"),
])
def test_verifier_catches_broken_ir(module, problem):
    problems = verify(module)
    assert any(problem in p for p in problems), problems


def test_verifier_accepts_valid_ir():
    assert verify(BELL) == []
    assert verify(_broken(GateOp("rz", (0,), (Arg("t", (1,)),)), GateOp("gphase", (), (Const(1.0),)))) == []


def test_verify_each_names_the_guilty_pass():
    class Breaker(FoldAngles):
        name = "breaker"

        def run(self, module, ctx):
            return _broken(GateOp("h", (5,)))

    with pytest.raises(VerifyError, match="after pass `breaker`"):
        PassManager([Breaker()], verify_each=True).run(BELL)


def test_docs_list_every_pass():
    from pathlib import Path
    text = (Path(__file__).resolve().parents[3] / "docs" / "passes.md").read_text()
    assert all(f"`{name}`" in text for name in REGISTRY)
