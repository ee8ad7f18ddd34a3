"""A schedule in a notebook shows its timeline (SVG) or, without matplotlib, a summary table; `plot` writes files."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import qdl

SOURCE = """
circuit f(param t: float) -> float {
    qubit q[2];
    ry(t) q[0];
    cx q[0], q[1];
    return expval(Z[1]);
}
"""


def _schedule():
    return qdl.compile(SOURCE).f.schedule("t5", values={"t": 0.4})


def test_notebook_display_is_the_timeline(extra):
    extra("matplotlib", "plot")
    schedule = _schedule()
    svg = schedule._repr_svg_()
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert all(frame.name in svg for frame in schedule.frames)  # one labelled row per frame


def test_the_summary_names_device_length_and_parameters():
    schedule = _schedule()
    table = schedule._repr_html_()
    assert "qdl-fake-t5" in table and f"{schedule.duration} dt" in table and ">t<" in table
    assert all(frame.name in table for frame in schedule.frames)


def test_plot_writes_png_and_svg(tmp_path, extra):
    extra("matplotlib", "plot")
    schedule = _schedule()
    schedule.plot(str(tmp_path / "s.png"))
    schedule.plot(str(tmp_path / "s.svg"), values={"t": 1.0})
    assert (tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG"
    assert ET.parse(tmp_path / "s.svg").getroot().tag.endswith("svg")
