"""The import example of docs/openqasm.md runs as written."""

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "openqasm.md"


def test_import_example_runs(capsys):
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Import"):text.index("## Export")]
    block = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    exec(compile(block, f"{DOC}:import", "exec"), {})
    assert "0.5" in capsys.readouterr().out
