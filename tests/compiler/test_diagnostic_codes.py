"""Every diagnostic code the compiler can emit is explained by `qdlc explain`."""

import re
from pathlib import Path

from qdl.compiler.diagnostic_codes import CODES, explain

SOURCE_DIRS = [Path(__file__).resolve().parents[2] / d for d in ("compiler", "qdl")]
CODE_PATTERN = re.compile(r'"([EW]0\d{3})"')


def emitted_codes() -> set[str]:
    codes: set[str] = set()
    for directory in SOURCE_DIRS:
        for path in directory.rglob("*.py"):
            if path.name == "diagnostic_codes.py":
                continue
            codes.update(CODE_PATTERN.findall(path.read_text(encoding="utf-8")))
    return codes


def test_every_emitted_code_is_explained():
    missing = emitted_codes() - set(CODES)
    assert not missing, f"codes without an explanation: {sorted(missing)}"


def test_every_explained_code_is_emitted():
    assert set(CODES) - emitted_codes() == set()


def test_explain_is_case_insensitive_and_rejects_unknown_codes():
    assert explain("e0301").startswith("E0301: a qubit used twice")
    assert explain("E9999") is None
