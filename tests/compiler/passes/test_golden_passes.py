"""Golden tests: `tests/golden/passes/<pass>[_case].ir` -> `<same>.out.ir` after that one pass.

The pass is the longest registered name that the file stem starts with
(underscores for dashes).  `pytest --update-goldens` rewrites the `.out.ir`
snapshots; review the diff.  Each golden is also checked for unchanged outputs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qdl.compiler.ir_text import format_module, parse_module
from qdl.compiler.passes import REGISTRY, PassManager
from qdl.runtime import reference

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "golden" / "passes"
INPUTS = sorted(p for p in GOLDEN_DIR.glob("*.ir") if not p.name.endswith(".out.ir"))


def pass_for(stem: str) -> str:
    names = [n for n in REGISTRY if stem.replace("_", "-").startswith(n)]
    assert names, f"{stem}.ir names no registered pass"
    return max(names, key=len)


def test_every_pass_has_a_golden():
    assert set(REGISTRY) <= {pass_for(p.stem) for p in INPUTS}


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.stem)
def test_golden(path: Path, golden):
    module = parse_module(path.read_text(), path.name)
    out = PassManager.from_text(pass_for(path.stem), verify_each=True).run(module)
    golden(path.with_suffix(".out.ir"), format_module(out))
    for before, after in zip(module.circuits, out.circuits):
        args = {a.name: np.array([0.37 + i]) for i, a in enumerate(before.arguments)}
        for x, y in zip(reference.simulate(before, args), reference.simulate(after, args)):
            np.testing.assert_allclose(y, x, atol=1e-9)
