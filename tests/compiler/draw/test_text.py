"""Golden text drawings of every example circuit, folding to a width, and the marks on a small circuit.

`pytest tests/compiler/draw/test_text.py --update-goldens` rewrites
tests/golden/draw/*.txt from the current drawings; review the diff.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qdl.compiler.draw.layers import pack
from qdl.compiler.draw.text import marks_of, draw_text
from qdl.compiler.driver import compile_file
from qdl.compiler.expr import Arg
from qdl.compiler.ir import Circuit, Condition, GateOp, MeasureOp, Register
from qdl.compiler.passes import optimize_module

from draw_strategies import circuits

REPO = Path(__file__).resolve().parents[3]
GOLDEN = REPO / "tests" / "golden" / "draw"
SOURCES = sorted((REPO / "examples").glob("*.qdl")) + sorted(GOLDEN.glob("*.qdl"))
WIDTH = 100


def _cases() -> list[tuple[Path, str, int]]:
    cases = []
    for source in SOURCES:
        module = compile_file(source).module
        assert module is not None, f"{source} does not compile"
        cases += [(source, name, 0) for name in module.names]
    return cases + [(REPO / "examples" / "vqe_h2.qdl", "energy", 3)]  # a lowered circuit folds


def _snapshot(source: Path, name: str, level: int) -> Path:
    suffix = f".O{level}" if level else ""
    return GOLDEN / f"{source.stem}.{name}{suffix}.txt"


@pytest.mark.parametrize("source, name, level", _cases(), ids=lambda v: getattr(v, "stem", str(v)))
def test_golden_drawing(source: Path, name: str, level: int, golden):
    module = optimize_module(compile_file(source).module, level)
    text = draw_text(module[name], WIDTH)
    golden(_snapshot(source, name, level), text)
    assert max(len(line) for line in text.splitlines()) <= WIDTH


def test_every_snapshot_has_a_circuit():
    expected = {_snapshot(*case).name for case in _cases()}
    assert {p.name for p in GOLDEN.glob("*.txt")} == expected


def test_small_circuit_exactly():
    circuit = Circuit("bell", (), 2, (GateOp("h", (0,)), GateOp("cx", (0, 1)), MeasureOp(1, 0),
                                      GateOp("rx", (0,), (Arg("t"),), condition=Condition((0,), 1))), (),
                      num_bits=1, qubit_registers=(Register("q", 0, 2),), bit_registers=(Register("c", 0, 1),))
    assert draw_text(circuit, 80) == (
        "circuit bell()\n"
        "q[0]: ──h──●─────rx(t)──\n"
        "           │       ║\n"
        "q[1]: ─────⊕──M────╫────\n"
        "              ║    ║\n"
        "c[0]: ════════╩════●════\n")
    bound = draw_text(circuit, 80, {"t": np.array(math.pi / 2)})
    assert "rx(π/2)" in bound


@settings(max_examples=150, deadline=None)
@given(circuits(max_ops=40), st.integers(30, 120))
def test_folded_lines_fit_the_width_and_keep_every_column(circuit: Circuit, width: int):
    text = draw_text(circuit, width)
    wide = draw_text(circuit, 10**6)
    lines = text.splitlines()
    wire_lines = [line for line in lines if line.startswith(("q[", "c["))]
    layout = pack(circuit)
    widest = max((2 + len(t) for col in layout.columns for p in col
                  for t in marks_of(p, circuit.num_qubits, None).values()), default=0)
    if widest + len("q[0]: ") + 2 <= width:  # a column wider than the room stands alone in its block
        assert all(len(line) <= width for line in lines[1:])
    # unfolding the blocks (dropping the « » joints) gives back the one-block drawing's wire lines
    rows = circuit.num_qubits + circuit.num_bits
    blocks = [wire_lines[i:i + rows] for i in range(0, len(wire_lines), rows)]
    joined = [blocks[0][r].rstrip("»") + "".join(b[r].split(": ", 1)[1].lstrip("«").rstrip("»")
                                                 for b in blocks[1:]) for r in range(rows)]
    assert joined == [line for line in wide.splitlines() if line.startswith(("q[", "c["))]


def test_the_docs_show_real_output():
    """docs/drawing.md's drawing and stats table are what the code prints today."""
    from qdl.compiler.draw.resources import resources
    doc = (REPO / "docs" / "drawing.md").read_text(encoding="utf-8")
    fences = re.findall(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", doc, re.M | re.S)
    shown = [body for info, body in fences if not info and body.startswith("circuit ")]
    teleport = compile_file(REPO / "examples" / "teleport.qdl").module["teleport"]
    energy = compile_file(REPO / "examples" / "vqe_h2.qdl").module["energy"]
    assert shown == [draw_text(teleport, 80), str(resources(energy))]
