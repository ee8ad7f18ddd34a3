"""The documentation site builds in strict mode (warnings are errors) and has the pages it should.

The build (`mkdocs build --strict`, mkdocs.yml at the repository root) needs
the `docs` extra (`pip install -e '.[docs]'`).  Without it the build tests
are skipped, saying why; CI installs it and sets QDL_REQUIRE_EXTRAS=1 so
that they fail there instead.  The checks on mkdocs.yml's nav and on the
README's test command need no extra.
"""

from __future__ import annotations

import html
import importlib.util
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
BUILD_MODULES = ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python")


def _missing_build_modules() -> list[str]:
    missing = []
    for name in BUILD_MODULES:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            missing.append(name)
    return missing


def _nav_pages(entry) -> list[str]:
    """Every page named in a nav entry (nested sections included)."""
    if isinstance(entry, str):
        return [entry]
    if isinstance(entry, list):
        return [page for item in entry for page in _nav_pages(item)]
    if isinstance(entry, dict):
        return [page for value in entry.values() for page in _nav_pages(value)]
    return []


def _mkdocs_config() -> dict:
    yaml = pytest.importorskip("yaml", reason="reading mkdocs.yml needs PyYAML (pip install -e '.[docs]')")
    return yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))


def test_the_nav_lists_every_docs_page():
    config = _mkdocs_config()
    listed = _nav_pages(config["nav"])
    pages = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.glob("*.md"))
    missing = [p for p in pages if p not in listed]
    assert not missing, f"docs pages missing from the nav in mkdocs.yml: {missing}"
    assert config["strict"] is True and "examples/index.md" in listed and "index.md" in listed


def test_the_readme_test_command_is_what_ci_installs():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^```sh\n#[^\n]*\n([^\n]+)\n```", readme, re.M)
    assert len(commands) >= 2, "README.md should open with the install command and the test command"
    readme_installs = [c.strip() for c in commands[1].split("&&") if c.strip().startswith("pip install")]
    ci_installs = [line.split("#")[0].strip() for line in (REPO / ".ci" / "run").read_text().splitlines()
                   if line.startswith("pip install")]
    assert [shlex.split(c) for c in readme_installs] == [shlex.split(c) for c in ci_installs]


# ---------------------------------------------------------------- the hooks (docs/_hooks/)


def _hook(name: str):
    """A hook module of docs/_hooks/, loaded under a name of its own."""
    if _missing_build_modules() and os.environ.get("QDL_REQUIRE_EXTRAS") != "1":
        pytest.skip("the docs hooks need mkdocs (pip install -e '.[docs]')")
    module_name = f"qdl_docs_hook_{name}"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(module_name, DOCS / "_hooks" / f"{name}.py")
        sys.modules[module_name] = importlib.util.module_from_spec(spec)  # dataclasses look their module up
        spec.loader.exec_module(sys.modules[module_name])
    return sys.modules[module_name]


def test_test_harness_fences_become_titled_qdl_fences():
    pages = _hook("pages")
    markdown = ("```qdl-error E0306 --max-ops=100\nx\n```\n  ```qdl-warning W0201\n```\n```qdl\n```\n"
                '```python title="a.py"\n```\n```\n')
    assert pages.normalize_fences(markdown).splitlines() == [
        '```qdl title="error E0306 --max-ops=100"', "x", "```", '  ```qdl title="warning W0201"', "```",
        "```qdl", "```", '```python title="a.py"', "```", "```"]


def test_links_to_repository_files_shown_on_the_site_are_rewritten():
    pages = _hook("pages")

    class Page:  # the two attributes of mkdocs' File that the rewrite reads
        def __init__(self, source: str, src_uri: str) -> None:
            self.abs_src_path, self.src_uri = str(REPO / source), src_uri

    shown = {"README.md": "index.md", "docs/cli.md": "cli.md", "examples/ghz.qdl": "examples/ghz.md",
             "benchmarks/README.md": "benchmarks/index.md"}
    readme = "[cli](docs/cli.md#the-python-api) [ghz](examples/ghz.qdl) [x](https://a.b/docs/cli.md) [n](nope.md)"
    assert pages.rewrite_links(readme, Page("README.md", "index.md"), shown) == (
        "[cli](cli.md#the-python-api) [ghz](examples/ghz.md) [x](https://a.b/docs/cli.md) [n](nope.md)")
    doc = "[b](../benchmarks/README.md#a) [r](../README.md) [c](cli.md) [q](q.md)"
    assert pages.rewrite_links(doc, Page("docs/training.md", "training.md"), shown) == (
        "[b](benchmarks/index.md#a) [r](index.md) [c](cli.md) [q](q.md)")


def test_example_run_commands_come_from_the_files():
    examples = {e.name: e for e in _hook("examples").find_examples()}
    assert "_common" not in examples and {"ghz", "vqe_h2", "qaoa_maxcut"} <= set(examples)
    run = _hook("examples").run_commands
    assert run(examples["ghz"]) == ["qdlc run examples/ghz.qdl --shots 10 --seed 1"]
    assert run(examples["qaoa_maxcut"])[0] == ("qdlc run examples/qaoa_maxcut.qdl --circuit expected_cut \\\n"
                                              "    --arg gamma=[0.4,0.2] --arg beta=[0.3,0.1]")
    assert run(examples["vqe_h2"]) == ["python examples/vqe_h2.py [--quick] [--plot PATH | --no-plot]"]


# ---------------------------------------------------------------- the build


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site built into a scratch directory with `mkdocs build --strict`."""
    missing = _missing_build_modules()
    if missing and os.environ.get("QDL_REQUIRE_EXTRAS") != "1":
        pytest.skip(f"building the docs needs {', '.join(missing)} (pip install -e '.[docs]')")
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")  # Material's notice about its successor, not a warning
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
                           str(REPO / "mkdocs.yml"), "--site-dir", str(out)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stderr}"
    print(f"site built in {time.perf_counter() - started:.1f} s")
    return out


def page_text(site: Path, page: str) -> str:
    """The visible text of a built page (tags removed, entities decoded)."""
    path = site / page / "index.html" if page else site / "index.html"
    assert path.exists(), f"the site has no page {page or '/'}"
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")))


def test_the_home_page_is_the_readme_with_working_links(site: Path):
    page = (site / "index.html").read_text(encoding="utf-8")
    assert "differentiable quantum programming language" in page_text(site, "")
    assert 'href="language/' in page and 'href="docs/' not in page  # README's docs/X.md links, rewritten


@pytest.mark.parametrize("page, expected", [
    ("language", "The gate set"),
    ("cli", "qdlc compile"),
    ("autodiff", "Shift rules from the gate table"),
    ("pulse", "Waveforms"),
    ("training", "qdl.optim"),
])
def test_docs_pages_are_built(site: Path, page: str, expected: str):
    assert expected.lower() in page_text(site, page).lower()


def test_qdl_blocks_are_highlighted_once_the_lexer_is_installed(site: Path):
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound
    try:
        get_lexer_by_name("qdl")
    except ClassNotFound:
        pytest.skip("no Pygments lexer for qdl is installed: ```qdl blocks are plain text (no warning)")
    page = (site / "language" / "index.html").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"<code>(.*?)</code>", page, re.S) if "bell.qdl" in b)
    assert '<span class="' in block, "the first qdl block of language.md is not highlighted"


def test_the_api_reference_documents_the_public_api(site: Path):
    page = (site / "api" / "index.html").read_text(encoding="utf-8")
    import qdl
    import qdl.optim
    public = [f"qdl.{name}" for name in qdl.__all__ if not name.startswith("_")]
    public += [f"qdl.optim.{name}" for name in qdl.optim.__all__]
    public += ["qdl.torch.QuantumLayer", "qdl.jax.function"]
    missing = [name for name in public if f'id="{name}"' not in page]
    assert not missing, f"api.md does not document {missing}"


def test_every_example_has_a_page_with_its_source_and_a_fresh_drawing(site: Path):
    programs = sorted(p for p in (REPO / "examples").glob("*.qdl"))
    assert programs
    for program in programs:
        text = page_text(site, f"examples/{program.stem}")
        assert program.read_text(encoding="utf-8").splitlines()[0] in text, f"{program.name}: no source"
        match = re.search(rf"qdlc [a-z][^\n]*? examples/{re.escape(program.name)}(?= \(run when)", text)
        assert match, f"{program.name}: the page names no qdlc command for its drawing"
        drawn = subprocess.run([sys.executable, "-m", "qdl.cli", *shlex.split(match.group(0))[1:]], cwd=REPO,
                               capture_output=True, text=True, timeout=120)
        assert drawn.returncode == 0 and drawn.stdout.strip(), drawn.stderr
        assert drawn.stdout.strip() in text, f"{program.name}: the page's drawing is not `{match.group(0)}`'s output"
    index = page_text(site, "examples")
    assert all(p.stem in index for p in programs)
