"""Errors of the AD passes: a slot whose gate has no differentiation rule (E0401), or no generator (E0402)."""

from __future__ import annotations

from pathlib import Path

from qdl.compiler.diagnostics import Diagnostic, SourceMap, Span, error, render
from qdl.errors import QdlError

NO_RULE = "E0401"  # E04xx: autodiff


class AutodiffError(QdlError, ValueError):
    """A circuit cannot be differentiated as asked; `diagnostic` holds the data."""

    def __init__(self, message: str, diagnostic: Diagnostic | None = None) -> None:
        super().__init__(message)
        self.diagnostic = diagnostic


def no_rule_error(gate: str, span: Span | None, sources: SourceMap | None = None) -> AutodiffError:
    """Gate `gate` at `span` has no generator spectrum, hence no shift rule."""
    diagnostic = error(
        NO_RULE, f"gate `{gate}` has no differentiation rule", span,
        "this angle depends on a differentiated argument",
        notes=(f"the gate table gives no generator spectrum for `{gate}`",),
        help="differentiate with method=\"finite-diff\", or write the gate with rotations "
             "that have shift rules (rx, ry, rz, phase, ...)")
    return AutodiffError(_rendered(diagnostic, span, sources), diagnostic)


def rendered_error(code: str, message: str, span: Span | None, sources: SourceMap | None, *, label: str,
                   notes: tuple[str, ...], help: str) -> AutodiffError:
    """An `AutodiffError` carrying the diagnostic, rendered at its source line when the source is known."""
    diagnostic = error(code, message, span, label, notes=notes, help=help)
    return AutodiffError(_rendered(diagnostic, span, sources), diagnostic)


def _rendered(diagnostic: Diagnostic, span: Span | None, sources: SourceMap | None) -> str:
    sources = sources or SourceMap()
    if span is not None and span.file not in sources and Path(span.file).is_file():
        sources.add(span.file, Path(span.file).read_text(encoding="utf-8", errors="replace"))
    if span is None or span.file not in sources:
        where = f" ({span.file}, offset {span.start})" if span else ""
        return f"error[{diagnostic.code}]: {diagnostic.message}{where}"
    return render(diagnostic, sources)
