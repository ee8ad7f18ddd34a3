"""`draw()`, `stats()` and the notebook display of compiled programs and circuits."""

from __future__ import annotations

import pytest

import qdl
from qdl.compiler.draw.text import draw_text
from qdl.errors import ArgumentError


@pytest.fixture(scope="module")
def program():
    return qdl.load("examples/teleport.qdl", backend="reference")


def test_draw_and_stats(program):
    assert program.teleport.draw() == draw_text(program.teleport.circuit, 100)
    assert "ry(0.5)" in program.teleport.draw(width=60, args={"theta": 0.5})
    assert program.draw() == program.teleport.draw()
    report = program.teleport.stats(levels=[0, 1])
    assert [r.level for r in report.levels] == [0, 1] and report.at(0).qubits == 3
    assert set(program.stats()) == {"teleport"}


def test_notebook_display(program, extra):
    html = program.teleport._repr_html_()
    assert "<pre" in html and "M" in html and "<table>" in html and "ry(theta)" in html
    assert program._repr_html_().count("<table>") == 1
    extra("matplotlib", "plot")
    assert program.teleport._repr_svg_().lstrip().startswith("<?xml")


@pytest.mark.parametrize("kwargs, message", [
    ({"format": "ascii"}, "unknown drawing format"),
    ({"width": 5}, "at least 20"),
    ({"args": {"psi": 1.0}}, "no argument `psi`"),
])
def test_mistakes(program, kwargs, message):
    with pytest.raises(ArgumentError, match=message):
        program.teleport.draw(**kwargs)
