"""Access to the shared reference corpus (../shared/corpus beside the repository).

Tests skip, saying why, when it is absent; with QDL_REQUIRE_CORPUS=1 (set by
.ci/run) they fail instead.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus"


def corpus_dir() -> Path:
    if CORPUS.is_dir():
        return CORPUS
    reason = f"the reference corpus is not at {CORPUS}"
    if os.environ.get("QDL_REQUIRE_CORPUS") == "1":
        pytest.fail(reason + " (QDL_REQUIRE_CORPUS=1)")
    pytest.skip(reason)


def entries(directory: str | None = None) -> list[dict]:
    """Rows of index.json (empty when the corpus is absent, so parametrize still works)."""
    index = CORPUS / "index.json"
    if not index.is_file():
        return [{"id": "corpus-missing", "dir": directory or "", "reference": None}]
    rows = json.loads(index.read_text())["entries"]
    return [row for row in rows if directory is None or row["dir"] == directory]


def ids(rows: list[dict]) -> list[str]:
    return [row["id"] for row in rows]
