"""MkDocs hook: pages whose Markdown lives outside docs/, links between repository files, fence info strings.

* The home page is README.md, Editor support is editors/README.md and the
  Benchmarks section is benchmarks/*.md,
  read where they are (`SOURCES`), never copied.
* The Markdown is written to be read on the repository too, so its links
  are relative to the file's place in the repository (`docs/cli.md` from
  README.md, `../benchmarks/README.md` from docs/).  A link that points to
  a repository file shown on the site is rewritten to that page; links that
  already work on both are left alone, and anything else is left for MkDocs
  to report (a warning, so an error in a strict build).
* The docs' test harness reads info strings such as `qdl-error E0207
  --max-ops 100` (tests/docs/test_docs.py), which the fence extension would
  not recognise; they become `qdl` fences titled with the rest.
"""

from __future__ import annotations

import logging
import posixpath
import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

log = logging.getLogger("mkdocs.hooks.pages")

REPO = Path(__file__).resolve().parents[2]
# Site page -> the repository file it shows.
SOURCES = {"index.md": "README.md", "editors/index.md": "editors/README.md"} | {
    "benchmarks/" + ("index.md" if p.name == "README.md" else p.name): p.relative_to(REPO).as_posix()
    for p in sorted((REPO / "benchmarks").glob("*.md"))}
LINK = re.compile(r"(\]\()([^)\s#]+)(#[^)\s]*)?(\)|\s)")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:|^/", re.I)
FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,})([\w#.+-]+)([ \t]+[^\n`{]+?)?[ \t]*$", re.M)
SUPERFENCES_OPTIONS = re.compile(r"""\w+=["']""")  # `title="..."` and the like: already what the extension reads
# Test-harness languages and how their titles start.
FENCE_LANGS = {"qdl-error": ("qdl", "error "), "qdl-warning": ("qdl", "warning ")}


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the pages of `SOURCES`, backed by their files in the repository."""
    for uri, source in SOURCES.items():
        if files.get_file_from_path(uri) is not None:
            log.warning(f"docs/{uri} exists but the site's {uri} is generated from {source}: remove one")
            continue
        files.append(File.generated(config, uri, abs_src_path=str(REPO / source)))
    return files


def repo_path(file: File) -> str | None:
    """The repository path of the file a page is read from (None for generated content)."""
    if file.abs_src_path is None:
        return None
    return Path(file.abs_src_path).resolve().relative_to(REPO).as_posix()


def site_map(files: Files) -> dict[str, str]:
    """Repository path -> site page, for every page (examples record theirs in `repo_sources`)."""
    pages = {}
    for file in files.documentation_pages():
        for path in getattr(file, "repo_sources", ()) or filter(None, [repo_path(file)]):
            pages[path] = file.src_uri
    return pages


def rewrite_links(markdown: str, page: File, pages: dict[str, str]) -> str:
    """Links to repository files shown on the site, made relative to the page's place on the site."""
    source = repo_path(page)
    if source is None:
        return markdown
    here, site_dir = posixpath.dirname(source), posixpath.dirname(page.src_uri)

    def rewrite(match: re.Match) -> str:
        target = match.group(2)
        if EXTERNAL.match(target):
            return match.group(0)
        shown = pages.get(posixpath.normpath(posixpath.join(here, target)))
        if shown is None:
            return match.group(0)
        new = posixpath.relpath(shown, site_dir or ".")
        return f"{match.group(1)}{new}{match.group(3) or ''}{match.group(4)}"

    return LINK.sub(rewrite, markdown)


def normalize_fences(markdown: str) -> str:
    """`qdl-error E0207 --max-ops 100` -> `qdl title="error E0207 --max-ops 100"`; plain fences unchanged."""
    def normalize(match: re.Match) -> str:
        indent, ticks, lang, rest = match.group(1), match.group(2), match.group(3), (match.group(4) or "").strip()
        if SUPERFENCES_OPTIONS.search(rest):
            return match.group(0)
        lang, prefix = FENCE_LANGS.get(lang, (lang, ""))
        title = f"{prefix}{rest}".strip().replace('"', "'")
        return f'{indent}{ticks}{lang} title="{title}"' if title else f"{indent}{ticks}{lang}"

    return FENCE.sub(normalize, markdown)


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Rewrite the page's links and fence info strings (see the module docstring)."""
    return normalize_fences(rewrite_links(markdown, page.file, site_map(files)))
