"""MkDocs hook: one page per program of examples/, generated at build time (never copied into docs/).

Each page shows how to run the example (the `qdlc` commands of the `.qdl`
file's header comment, the `Run:` line of the `.py` script's docstring),
its circuit drawing and its source.  The drawing is the output of running
`qdlc draw FILE` now (in this process); while qdlc has no `draw` command
it is the Circuit IR of `qdlc compile FILE --emit ir`.  `QDL_DOCS_DRAWING=draw|ir|auto`
(default `auto`: `draw` when qdlc has it) switches between them.  A
command that fails is logged as a warning, which fails a strict build.

The `Examples: examples/index.md` entry of the nav in mkdocs.yml becomes
a section: the generated overview page, then one page per example.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

log = logging.getLogger("mkdocs.hooks.examples")

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
INDEX = "examples/index.md"
# What the drawing is: the qdlc arguments before FILE, and the heading it goes under.
DRAWINGS = {
    "draw": (("draw", "--width", "100"), "Circuit drawing"),  # a fixed width: not the terminal's
    "ir": (("compile", "--emit", "ir"), "Circuit IR"),
}
FENCE_LANG = {".qdl": "qdl", ".py": "python"}


@dataclass(frozen=True)
class Example:
    """The files of one example: `NAME.qdl` and/or `NAME.py` under examples/."""

    name: str
    files: tuple[Path, ...]

    @property
    def qdl(self) -> Path | None:
        return next((f for f in self.files if f.suffix == ".qdl"), None)

    @property
    def page(self) -> str:
        return f"examples/{self.name}.md"

    def repo_paths(self) -> tuple[str, ...]:
        """The files as repository paths, which links in other pages may point to."""
        return tuple(f.relative_to(REPO).as_posix() for f in self.files)


def find_examples() -> list[Example]:
    """Every example, by name; files starting with `_` are helpers, not examples."""
    stems = sorted({f.stem for f in EXAMPLES.iterdir() if f.suffix in FENCE_LANG and not f.name.startswith("_")})
    return [Example(stem, tuple(EXAMPLES / f"{stem}{ext}" for ext in FENCE_LANG if (EXAMPLES / f"{stem}{ext}").exists()))
            for stem in stems]


def drawing_mode() -> str:
    """`draw` or `ir`: what QDL_DOCS_DRAWING asks for, `auto` picking `draw` when qdlc has it."""
    wanted = os.environ.get("QDL_DOCS_DRAWING", "auto")
    if wanted == "auto":
        from qdl.cli import cli
        return "draw" if "draw" in cli.commands else "ir"
    if wanted not in DRAWINGS:
        log.warning(f"QDL_DOCS_DRAWING={wanted!r}: use one of auto, {', '.join(DRAWINGS)}")
        return "ir"
    return wanted


def qdlc_output(args: tuple[str, ...]) -> str:
    """Stdout of `qdlc ARGS` from the repository root; a failure is logged as a warning.

    The command runs in this process (the `qdlc` console script's click group,
    one import of qdl for all the examples instead of a process each).
    """
    from qdl.cli import cli
    out, err, failure = io.StringIO(), io.StringIO(), None
    with contextlib.chdir(REPO), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            cli.main(list(args), prog_name="qdlc", standalone_mode=False)
        except SystemExit as exc:
            failure = None if exc.code in (0, None) else f"exited {exc.code}"
        except Exception as exc:  # a usage error, a program error or a bug: the build must say so
            failure = f"failed: {type(exc).__name__}: {exc}"
    if failure:
        log.warning(f"`qdlc {' '.join(args)}` {failure}\n{err.getvalue()}")
    return out.getvalue()


def header_comment(path: Path) -> list[str]:
    """The leading `//` comment lines of a .qdl file, without the `//`."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("//"):
            break
        lines.append(line[2:].removeprefix(" "))
    return lines


def run_commands(example: Example) -> list[str]:
    """The commands that run the example, as its files state them."""
    commands = []
    if example.qdl:  # indented `qdlc ...` lines of the header, with `\` continuations
        text = "\n".join(header_comment(example.qdl))
        commands += [m.group(1).rstrip() for m in re.finditer(r"^ +(qdlc (?:[^\n]*\\\n)*[^\n]*)", text, re.M)]
    script = EXAMPLES / f"{example.name}.py"
    if script.exists():
        commands += re.findall(r"^Run: +(python [^\n]+)", script.read_text(encoding="utf-8"), re.M)
    if not commands and example.qdl:
        commands.append(f"qdlc check examples/{example.qdl.name}")
    return [re.sub(r"\n *", "\n    ", c) for c in commands]


def summary(example: Example) -> str:
    """The example in a line: the script's docstring's first, else the header comment's first sentence."""
    script = EXAMPLES / f"{example.name}.py"
    if script.exists():
        match = re.search(r'^"""(.+)$', script.read_text(encoding="utf-8"), re.M)
        if match:
            return match.group(1).strip()
    lines = header_comment(example.qdl) if example.qdl else []
    first = lines[:lines.index("")] if "" in lines else lines  # up to the first empty comment line
    paragraph = " ".join(line.strip() for line in first)
    return re.split(r"(?<=\.) ", paragraph, maxsplit=1)[0] if paragraph else example.name


def fence(text: str, lang: str) -> str:
    """A fenced block long enough not to be closed by backticks inside `text`."""
    ticks = "`" * max(3, 1 + max((len(r) for r in re.findall(r"`+", text)), default=0))
    return f"{ticks}{lang}\n{text.rstrip()}\n{ticks}\n"


def page_markdown(example: Example, drawing: tuple[str, str] | None, mode: str) -> str:
    """The whole page of one example."""
    parts = [f"# {example.name}\n", f"{summary(example)}\n", "## Run\n",
             fence("\n".join(run_commands(example)), "sh")]
    if drawing is not None:
        command, text = drawing
        parts += [f"## {DRAWINGS[mode][1]}\n", f"`{command}` (run when this site was built):\n", fence(text, "text")]
    for path in example.files:
        parts += [f"## `examples/{path.name}`\n", fence(path.read_text(encoding="utf-8"), FENCE_LANG[path.suffix])]
    return "\n".join(parts)


def index_markdown(examples: list[Example]) -> str:
    """The overview page: every example with its one-line description."""
    rows = [f"| [{e.name}]({e.name}.md) | {summary(e).replace('|', '&#124;')} |" for e in examples]
    return "\n".join(["# Examples\n",
                      "The runnable programs of `examples/` in the repository, with the commands that run them, "
                      "their circuits as `qdlc` showed them when this site was built, and their source.\n",
                      "| example | what it shows |", "|---|---|", *rows, ""])


def drawings(examples: list[Example], mode: str) -> dict[str, tuple[str, str]]:
    """`qdlc` output for every example with a .qdl file, by example name."""
    jobs = {e.name: (*DRAWINGS[mode][0], f"examples/{e.qdl.name}") for e in examples if e.qdl}
    return {name: (f"qdlc {' '.join(args)}", qdlc_output(args)) for name, args in jobs.items()}


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Expand the nav's `examples/index.md` entry into the section of example pages."""
    pages = [{e.name: e.page} for e in find_examples()]
    for position, item in enumerate(config.nav or []):
        if isinstance(item, dict) and list(item.values()) == [INDEX]:
            config.nav[position] = {next(iter(item)): [INDEX, *pages]}  # the section's index page first
            return config
    log.warning(f"mkdocs.yml: the nav has no entry `Examples: {INDEX}` for the generated example pages")
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the generated pages; each File records which repository files it shows (`repo_sources`)."""
    examples = find_examples()
    mode = drawing_mode()
    drawn = drawings(examples, mode)
    files.append(File.generated(config, INDEX, content=index_markdown(examples)))
    for example in examples:
        page = File.generated(config, example.page, content=page_markdown(example, drawn.get(example.name), mode))
        page.repo_sources = example.repo_paths()
        files.append(page)
    return files
