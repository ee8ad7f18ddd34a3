"""Timeline plots of JSON pulse schedules: valid PNG and SVG files, clear errors.

Skipped, saying why, without matplotlib; CI sets QDL_REQUIRE_EXTRAS=1 so that they fail there instead.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from qdl.errors import QdlError

if os.environ.get("QDL_REQUIRE_EXTRAS") != "1":
    pytest.importorskip("matplotlib", reason="matplotlib is not installed (pip install 'qdl[plot]')")

from qdl.runtime.pulse.plot import PlotExtraError, plot_timeline  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "pulse_fixtures", Path(__file__).parents[1] / "compiler" / "pulse" / "test_openpulse_fixtures.py")
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)


def test_png_of_the_example(tmp_path: Path) -> None:
    path = tmp_path / "example.png"
    plot_timeline(fixtures.example_doc(), str(path))
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and b"IEND" in data[-16:]
    assert len(data) > 10_000  # a drawn figure, not an empty canvas


def test_svg_of_the_ecr_schedule_has_a_row_per_frame(tmp_path: Path) -> None:
    doc = fixtures.ecr_doc()
    path = tmp_path / "ecr.svg"
    acquired = min(i["t0"] for i in doc["instructions"] if i["op"] == "acquire")
    plot_timeline(doc, str(path), window=(0, acquired + 500), values={"theta": 1.0})  # the ECR, then readout
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    text = path.read_text()
    for frame in doc["frames"]:
        assert frame["name"] in text
    assert "Δφ=-1" in text  # the rz(theta) frame change, theta overridden to 1.0
    assert "acquire → c[1]" in text


def test_bad_suffix_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(QdlError, match=r"use a \.png or \.svg file name"):
        plot_timeline(fixtures.example_doc(), str(tmp_path / "x.pdf"))


def test_missing_matplotlib_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    with pytest.raises(PlotExtraError, match=r"pip install 'qdl\[plot\]'"):
        plot_timeline(fixtures.example_doc(), str(tmp_path / "x.png"))
