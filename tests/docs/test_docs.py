"""The code in the docs works: every block of docs/*.md and README.md is compiled or run.

Fences and what happens to them:

* ```` ```qdl ````: compiles with no errors (and, in language.md and cli.md,
  no warnings).  A block whose
  first line is `// file: PATH` is also written to PATH in a scratch
  directory before the doc's blocks compile, so that other blocks can
  `import` it; every block compiles with that directory as its base.
* ```` ```qdl-error CODE ```` / ```` ```qdl-warning CODE ````: compiles and
  reports CODE (an error, resp. a warning and no error).  `--max-ops N` in
  the info string sets the operation budget.
* ```` ```python ```` in docs/cli.md, docs/autodiff.md, docs/backends.md, docs/training.md,
  docs/pulse.md and README.md: runs, cwd =
  repository root.
* ```` ```sh ```` with a command starting with `qdlc` (README.md, docs/autodiff.md,
  docs/backends.md, docs/cli.md and docs/language.md; the other docs show commands on files they
  do not provide): each command runs in a shell, in a scratch directory holding
  `examples/` (a link to the repository's), and exits 0 (or N when the line
  ends with the comment `# exit N`), never with a Python traceback.

Nothing is skipped silently: a block is skipped only when its info string
says `skip: <reason>`, or when it imports torch or jax and they are not
installed (outside CI), and the reason is shown by pytest.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import runpy
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from qdl.compiler.diagnostics import Severity
from qdl.compiler.driver import CompileOptions, compile_source

REPO = Path(__file__).resolve().parents[2]
DOCS = sorted((REPO / "docs").glob("*.md")) + [REPO / "README.md"]
STRICT_DOCS = {REPO / "docs" / "language.md", REPO / "docs" / "cli.md"}
PYTHON_DOCS = {REPO / "docs" / "cli.md", REPO / "docs" / "autodiff.md", REPO / "docs" / "backends.md",
               REPO / "docs" / "training.md", REPO / "docs" / "pulse.md", REPO / "docs" / "hardware.md",
               REPO / "docs" / "drawing.md", REPO / "README.md"}
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.M | re.S)
FILE_MARK = re.compile(r"^// file: (\S+)")


@dataclass(frozen=True)
class Block:
    doc: Path
    line: int
    info: str
    text: str

    @property
    def lang(self) -> str:
        return self.info.split()[0] if self.info.split() else ""

    @property
    def where(self) -> str:
        return f"{self.doc.relative_to(REPO)}:{self.line}"

    @property
    def file_name(self) -> str | None:
        match = FILE_MARK.match(self.text)
        return match.group(1) if match else None


def blocks_of(doc: Path) -> list[Block]:
    text = doc.read_text(encoding="utf-8")
    return [Block(doc, text.count("\n", 0, m.start()) + 1, m.group(1).strip(), m.group(2))
            for m in FENCE.finditer(text)]


ALL_BLOCKS = [b for doc in DOCS for b in blocks_of(doc)]
QDL_BLOCKS = [b for b in ALL_BLOCKS if b.lang in ("qdl", "qdl-error", "qdl-warning")]
PYTHON_BLOCKS = [b for b in ALL_BLOCKS if b.lang == "python" and b.doc in PYTHON_DOCS]


def _commands(block: Block) -> list[str]:
    joined = block.text.replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")]


SH_DOCS = {REPO / "README.md", REPO / "docs" / "cli.md", REPO / "docs" / "language.md", REPO / "docs" / "autodiff.md",
           REPO / "docs" / "backends.md", REPO / "docs" / "drawing.md", REPO / "docs" / "pulse.md"}
SH_BLOCKS = [b for b in ALL_BLOCKS if b.lang in ("sh", "bash", "console") and b.doc in SH_DOCS
             and any(c.startswith("qdlc") for c in _commands(b))]


def _ids(blocks: list[Block]) -> list[str]:
    return [b.where for b in blocks]


def _skip_reason(block: Block) -> None:
    if "skip:" in block.info:
        pytest.skip(f"{block.where}: {block.info.split('skip:', 1)[1].strip()}")
    for framework in ("torch", "jax"):  # optional extras: required in CI (QDL_REQUIRE_EXTRAS=1)
        if re.search(rf"^import {framework}\b", block.text, re.M) and os.environ.get("QDL_REQUIRE_EXTRAS") != "1":
            pytest.importorskip(framework, reason=f"{block.where} needs {framework} (pip install 'qdl[{framework}]')")


# ---------------------------------------------------------------- qdl blocks


@pytest.fixture(scope="module")
def doc_dirs(tmp_path_factory) -> dict[Path, Path]:
    """One scratch directory per doc, holding its `// file:` blocks."""
    dirs = {}
    for doc in DOCS:
        base = tmp_path_factory.mktemp(doc.stem)
        for block in blocks_of(doc):
            if block.lang.startswith("qdl") and block.file_name:
                target = base / block.file_name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(block.text, encoding="utf-8")
        dirs[doc] = base
    return dirs


def compile_block(block: Block, base: Path):
    match = re.search(r"--max-ops[ =](\d+)", block.info)
    options = CompileOptions(max_ops=int(match.group(1))) if match else CompileOptions()
    if block.doc.name == "README.md":
        base = REPO / "examples"  # the tour's program is examples/classifier.qdl
    if block.file_name:
        path = base / block.file_name
        return compile_source(block.text, path.name, options, base_dir=path.parent)
    return compile_source(block.text, f"block{block.line}.qdl", options, base_dir=base)


@pytest.mark.parametrize("block", QDL_BLOCKS, ids=_ids(QDL_BLOCKS))
def test_qdl_block(block: Block, doc_dirs):
    _skip_reason(block)
    result = compile_block(block, doc_dirs[block.doc])
    report = f"{block.where}:\n{block.text}\n{result.render('short')}"
    if block.lang == "qdl":
        assert result.module is not None and not result.sink.has_errors, report
        if block.doc in STRICT_DOCS:  # the docs of these tests: no warnings either
            assert not result.sink.diagnostics, report
        return
    words = block.info.split()
    assert len(words) >= 2 and re.fullmatch(r"[EW]0\d{3}", words[1]), \
        f"{block.where}: write ```{block.lang} CODE"
    wanted = words[1]
    errors = {d.code for d in result.sink.diagnostics if d.severity is not Severity.WARNING}
    warnings = {d.code for d in result.sink.diagnostics if d.severity is Severity.WARNING}
    if block.lang == "qdl-error":
        assert wanted in errors, report
    else:
        assert not errors and wanted in warnings, report


def test_the_docs_have_blocks():
    language = [b for b in QDL_BLOCKS if b.doc.name == "language.md"]
    assert len([b for b in language if b.lang == "qdl"]) >= 20
    assert len([b for b in language if b.lang == "qdl-error"]) >= 20
    assert PYTHON_BLOCKS and SH_BLOCKS


# ---------------------------------------------------------------- tables in language.md

LANGUAGE = (REPO / "docs" / "language.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = LANGUAGE.index(f"\n## {title}\n")
    end = LANGUAGE.find("\n## ", start + 1)
    return LANGUAGE[start:end if end > 0 else None]


def _table_rows(section: str) -> list[list[str]]:
    rows = []
    for line in section.splitlines():
        if line.startswith("| `"):
            cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
            rows.append([c.strip() for c in cells])
    return rows


def test_every_gate_is_in_the_gate_table():
    from qdl.compiler.gates import ALIASES, GATES

    rows = {row[0].strip("`"): row for row in _table_rows(_section("The gate set"))}
    assert set(rows) == set(GATES), "gate table rows differ from qdl.compiler.gates.GATES"
    for name, spec in GATES.items():
        _, qubits, params, aliases, _meaning = rows[name]
        assert int(qubits) == spec.num_qubits, name
        assert len([p for p in params.split(",") if p.strip()]) == spec.num_params, name
        listed = set(re.findall(r"`([^`]+)`", aliases))
        assert listed == {a for a, target in ALIASES.items() if target == name}, name


def test_every_diagnostic_code_is_in_the_code_table():
    from qdl.compiler.diagnostic_codes import CODES

    rows = [row for row in (line.split("|") for line in _section("Diagnostics").splitlines())
            if len(row) > 2 and re.fullmatch(r" [EW]0\d{3} ", row[1])]
    listed = {row[1].strip() for row in rows}
    assert listed == set(CODES)


# ---------------------------------------------------------------- python blocks


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=_ids(PYTHON_BLOCKS))
def test_python_block(block: Block, monkeypatch, tmp_path):
    _skip_reason(block)
    monkeypatch.chdir(REPO)
    script = tmp_path / "block.py"
    script.write_text(block.text, encoding="utf-8")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(str(script), run_name="__main__")


# ---------------------------------------------------------------- sh blocks


@pytest.fixture(scope="module")
def shell_dir(tmp_path_factory) -> Path:
    where = tmp_path_factory.mktemp("sh")
    (where / "examples").symlink_to(REPO / "examples", target_is_directory=True)
    return where


@pytest.mark.parametrize("block", SH_BLOCKS, ids=_ids(SH_BLOCKS))
def test_sh_block(block: Block, shell_dir: Path):
    _skip_reason(block)
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    for command in _commands(block):
        expected = re.search(r"#\s*exit (\d+)\s*$", command)
        done = subprocess.run(["bash", "-c", command], cwd=shell_dir, env=env, capture_output=True,
                              text=True, timeout=60)
        want = int(expected.group(1)) if expected else 0
        assert done.returncode == want, f"{block.where}: `{command}` exited {done.returncode}\n{done.stderr}"
        assert "Traceback" not in done.stderr, f"{block.where}: `{command}`\n{done.stderr}"
