"""docs/stdlib.md: every ```qdl block compiles cleanly, and every stdlib gate is documented."""

from __future__ import annotations

import re

import pytest

from qdl.compiler.driver import compile_source

try:
    from . import std_oracle as o
except ImportError:  # tests/ is not a package: pytest put this directory on sys.path
    import std_oracle as o  # type: ignore[no-redef]

DOC = o.REPO / "docs" / "stdlib.md"
BLOCKS = re.findall(r"^```qdl\n(.*?)^```", DOC.read_text(encoding="utf-8"), flags=re.M | re.S)


def test_the_doc_has_examples():
    assert len(BLOCKS) >= 10


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_qdl_block_compiles_without_diagnostics(index, tmp_path):
    source = BLOCKS[index]
    result = compile_source(source, filename="example.qdl", base_dir=tmp_path)
    assert not result.sink.diagnostics, f"block {index}:\n{source}\n{result.render('short')}"
    assert result.module is not None and result.module.circuits


def test_every_stdlib_gate_has_a_heading():
    headings = "\n".join(line for line in DOC.read_text(encoding="utf-8").splitlines()
                         if line.startswith("### "))
    missing = {name for name in o.stdlib_gate_names() if f"`{name}" not in headings}
    assert not missing
