"""`qdlc fmt`: rewrite .qdl files in the canonical layout (or check / show what would change)."""

from __future__ import annotations

import difflib
import os
import sys
import tempfile
from pathlib import Path

import click

from qdl.compiler.diagnostics import DiagnosticSink, render_all
from qdl.compiler.frontend.modules import read_source

EXIT_CHANGES_OR_ERRORS = 1


@click.command("fmt")
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("--check", is_flag=True,
              help="Write nothing; list the files that would change and exit 1 if there are any.")
@click.option("--diff", "show_diff", is_flag=True, help="Write nothing; print a unified diff of the changes.")
@click.option("--width", type=click.IntRange(min=20), default=100, show_default=True,
              help="Wrap lines longer than this where the code allows.")
def fmt(files: tuple[str, ...], check: bool, show_diff: bool, width: int) -> None:
    """Format qdl FILES in place (a folder: its .qdl files; `-`: stdin to stdout).

    A file with syntax errors is reported and left untouched.  Exit status: 0
    when all is well, 1 when a file has errors or (with --check) would change.
    """
    outcomes = [_one(name, check, show_diff, width) for name in _expand(files)]
    failed = "error" in outcomes or (check and "changed" in outcomes)
    if failed:
        sys.exit(EXIT_CHANGES_OR_ERRORS)


def _expand(names: tuple[str, ...]) -> list[str]:
    """The files to format: each name, a folder replaced by the .qdl files under it (sorted)."""
    out: list[str] = []
    for name in names:
        folder = Path(name)
        if name != "-" and folder.is_dir():
            out += [str(p) for p in sorted(folder.rglob("*.qdl")) if p.is_file()]
        else:
            out.append(name)
    return out


def _one(name: str, check: bool, show_diff: bool, width: int) -> str:
    """Format one file; returns "error", "changed" or "same"."""
    from qdl.compiler.qasm.importer import is_qasm_file
    from qdl.fmt import FormatError, format_source

    if is_qasm_file(name):
        click.echo(f"error: {name} is an OpenQASM file; qdlc fmt formats qdl programs (.qdl)", err=True)
        return "error"
    text = _read(name)
    if text is None:
        return "error"
    shown = "<stdin>" if name == "-" else name
    try:
        result = format_source(text, shown, width)
    except FormatError as exc:
        click.echo(f"{exc}\nqdlc fmt: {shown} not formatted: fix the syntax errors first", err=True)
        return "error"
    except RecursionError:  # printing recurses like the compiler's front end: both stop near 500 terms in a sum
        click.echo(f"error: {shown} is nested too deeply to format (split the longest expression)", err=True)
        return "error"
    changed = result != text
    if show_diff and changed:
        click.echo("".join(difflib.unified_diff(text.splitlines(keepends=True), result.splitlines(keepends=True),
                                                f"{shown}", f"{shown} (formatted)")), nl=False)
    if check or show_diff:
        if check and changed:
            click.echo(f"would reformat {shown}", err=True)
    elif name == "-":
        click.echo(result, nl=False)
    elif changed:
        try:
            _replace(Path(name), result)
        except OSError as exc:
            click.echo(f"error: cannot write {shown}: {exc.strerror or exc} (the file is unchanged)", err=True)
            return "error"
        click.echo(f"reformatted {shown}", err=True)
    return "changed" if changed else "same"


def _read(name: str) -> str | None:
    """The file's text (stdin for `-`), or None after printing why it cannot be read."""
    if name == "-":
        data = sys.stdin.buffer.read()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            click.echo("error: standard input is not valid UTF-8", err=True)
            return None
    sink = DiagnosticSink()
    text = read_source(Path(name), sink)
    if text is None:
        click.echo(render_all(sink.sorted(), sink.sources), err=True)
    return text


def _replace(path: Path, text: str) -> None:
    """Write `text` to `path` atomically: a temporary file beside it, then `os.replace` (mode kept)."""
    path = path.resolve()  # through a symlink: replace its target, keep the link
    mode = path.stat().st_mode & 0o7777
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp",
                                     delete=False, encoding="utf-8", newline="") as tmp:
        tmp.write(text)
    try:
        os.chmod(tmp.name, mode)
        os.replace(tmp.name, path)
    except OSError:
        os.unlink(tmp.name)
        raise
