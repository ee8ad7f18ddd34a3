"""Diagnostics as data: spans, labelled messages, and their one renderer.

Phases append `Diagnostic`s to a `DiagnosticSink` and carry on, so one run
reports every independent mistake; exceptions are reserved for bugs in qdl.
Spans are character offsets into a file's text; line and column are computed
only when rendering (1-based, columns counted in characters).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from enum import Enum

from qdl.compiler.pickling import fields_pickled


@fields_pickled
@dataclass(frozen=True, slots=True)
class Span:
    """Characters `start` (inclusive) to `end` (exclusive) of `file`."""

    file: str
    start: int
    end: int

    def to(self, other: "Span | None") -> "Span":
        """The smallest span covering both (same file)."""
        if other is None or other.file != self.file:
            return self
        return Span(self.file, min(self.start, other.start), max(self.end, other.end))


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    BUG = "internal compiler error"


@dataclass(frozen=True, slots=True)
class Label:
    span: Span
    message: str = ""
    primary: bool = True


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One message: `code` like E0203, labels pointing into sources, notes and a help line."""

    severity: Severity
    code: str
    message: str
    labels: tuple[Label, ...] = ()
    notes: tuple[str, ...] = ()
    help: str | None = None

    @property
    def span(self) -> Span | None:
        primary = [lab for lab in self.labels if lab.primary]
        return (primary or list(self.labels) or [None])[0].span if self.labels else None


def error(code: str, message: str, span: Span | None, label: str = "", *,
          notes: tuple[str, ...] = (), help: str | None = None,
          secondary: tuple[Label, ...] = ()) -> Diagnostic:
    """Shorthand for an error with one primary label."""
    labels = ((Label(span, label),) if span else ()) + secondary
    return Diagnostic(Severity.ERROR, code, message, labels, notes, help)


def warning(code: str, message: str, span: Span | None, label: str = "", *,
            help: str | None = None) -> Diagnostic:
    labels = (Label(span, label),) if span else ()
    return Diagnostic(Severity.WARNING, code, message, labels, (), help)


class SourceMap:
    """File name -> text, with offset -> (line, column) lookup."""

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}
        self._line_starts: dict[str, list[int]] = {}

    def add(self, file: str, text: str) -> None:
        self._texts[file] = text
        starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        self._line_starts[file] = starts

    def text(self, file: str) -> str:
        return self._texts.get(file, "")

    def __contains__(self, file: str) -> bool:
        return file in self._texts

    def line_col(self, file: str, offset: int) -> tuple[int, int]:
        """1-based line and column of a character offset."""
        starts = self._line_starts.get(file, [0])
        line = bisect.bisect_right(starts, offset) - 1
        return line + 1, offset - starts[line] + 1

    def line_text(self, file: str, line: int) -> str:
        starts = self._line_starts.get(file, [0])
        if line < 1 or line > len(starts):
            return ""
        text = self._texts.get(file, "")
        end = starts[line] - 1 if line < len(starts) else len(text)
        return text[starts[line - 1]:end].rstrip("\r")


@dataclass
class DiagnosticSink:
    """Collects diagnostics, dropping exact repeats (same code and primary span)."""

    sources: SourceMap = field(default_factory=SourceMap)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def emit(self, diagnostic: Diagnostic) -> None:
        key = (diagnostic.code, diagnostic.span)
        if any((d.code, d.span) == key for d in self.diagnostics):
            return
        self.diagnostics.append(diagnostic)

    @property
    def has_errors(self) -> bool:
        return any(d.severity is not Severity.WARNING for d in self.diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is not Severity.WARNING]

    def sorted(self) -> list[Diagnostic]:
        """In source order (file, offset), diagnostics without a span last."""
        def key(d: Diagnostic) -> tuple[int, str, int]:
            span = d.span
            return (0, span.file, span.start) if span else (1, "", 0)
        return sorted(self.diagnostics, key=key)


# --- rendering ------------------------------------------------------------------


def render_short(diagnostic: Diagnostic, sources: SourceMap) -> str:
    """`file:line:col: error[E0101]: message` (one line, for CI logs and editors)."""
    head = f"{diagnostic.severity.value}[{diagnostic.code}]: {diagnostic.message}"
    span = diagnostic.span
    if span is None:
        return head
    line, col = sources.line_col(span.file, span.start)
    return f"{span.file}:{line}:{col}: {head}"


def render(diagnostic: Diagnostic, sources: SourceMap) -> str:
    """The rich form: header, location, source lines with carets, notes and help."""
    out = [f"{diagnostic.severity.value}[{diagnostic.code}]: {diagnostic.message}"]
    labels = sorted(diagnostic.labels, key=lambda lab: (lab.span.file, lab.span.start))
    primary = diagnostic.span
    lines = [sources.line_col(lab.span.file, lab.span.start)[0] for lab in labels]
    gutter = len(str(max(lines, default=1)))
    pad = " " * gutter
    if primary is not None:
        line, col = sources.line_col(primary.file, primary.start)
        out.append(f"{pad}--> {primary.file}:{line}:{col}")
        out.append(f"{pad} |")
    previous_line = None
    for label in labels:
        out.extend(_render_label(label, sources, gutter, previous_line))
        previous_line = sources.line_col(label.span.file, label.span.start)[0]
    if primary is not None and (diagnostic.notes or diagnostic.help):
        out.append(f"{pad} |")
    for note in diagnostic.notes:
        out.append(f"{pad} = note: {note}")
    if diagnostic.help:
        out.append(f"{pad} = help: {diagnostic.help}")
    return "\n".join(out)


def _render_label(label: Label, sources: SourceMap, gutter: int,
                  previous_line: int | None) -> list[str]:
    span = label.span
    line, col = sources.line_col(span.file, span.start)
    text = sources.line_text(span.file, line).expandtabs(1)
    end_line, end_col = sources.line_col(span.file, max(span.end, span.start + 1) - 1)
    width = (end_col - col + 1) if end_line == line else max(1, len(text) - col + 1)
    marker = ("^" if label.primary else "-") * max(1, width)
    out = []
    if previous_line is not None and line > previous_line + 1:
        out.append("...")
    if line != previous_line:
        out.append(f"{str(line).rjust(gutter)} | {text}")
    caret = " " * (col - 1) + marker + (f" {label.message}" if label.message else "")
    out.append(f"{' ' * gutter} | {caret}")
    return out


def render_all(diagnostics: list[Diagnostic], sources: SourceMap, style: str = "rich") -> str:
    """Render a list in order, with a closing count of errors and warnings."""
    if style == "short":
        return "\n".join(render_short(d, sources) for d in diagnostics)
    blocks = [render(d, sources) for d in diagnostics]
    n_err = sum(d.severity is not Severity.WARNING for d in diagnostics)
    n_warn = len(diagnostics) - n_err
    if n_err:
        blocks.append(f"error: aborting due to {_plural(n_err, 'error')}"
                      + (f" and {_plural(n_warn, 'warning')}" if n_warn else ""))
    return "\n\n".join(blocks)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")
