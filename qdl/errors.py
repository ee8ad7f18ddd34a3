"""The exceptions qdl raises for user mistakes: all subclasses of `QdlError`."""

from __future__ import annotations


class QdlError(Exception):
    """Base of every error qdl reports about a user's program, arguments or files."""


class CompileError(QdlError):
    """The program has errors; `str(err)` is the rendered diagnostics."""

    def __init__(self, rendered: str, diagnostics: list) -> None:
        super().__init__(rendered)
        self.diagnostics = diagnostics


class ArgumentError(QdlError, ValueError):
    """A circuit was called with missing, unknown or badly shaped arguments."""


class ExecutionError(QdlError):
    """The circuit cannot produce the requested result (e.g. `state` after a measurement)."""
