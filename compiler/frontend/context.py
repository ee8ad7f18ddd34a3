"""Scopes, symbols and the error-recovery exceptions shared by the elaborator.

Elaboration reports a mistake by raising `ElabError(diagnostic)`; the statement
loop catches it, records the diagnostic and goes on with the next statement,
so independent mistakes are all reported.  A name whose definition failed is
bound to `POISON`; using it raises `Poisoned`, which is dropped silently (its
root cause was already reported once).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from qdl.compiler.diagnostics import Diagnostic, Span


class ElabError(Exception):
    """A user mistake found while elaborating; carries its diagnostic."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


class Poisoned(Exception):
    """A value that already failed was used again: stay quiet."""


class AbortCircuit(Exception):
    """Stop elaborating the current circuit (budget exceeded, too many qubits)."""


class _Poison:
    def __repr__(self) -> str:
        return "POISON"


POISON = _Poison()

CONST, OBSERVABLE, GATE, CIRCUIT, ARGUMENT, LOCAL, QUBITS, BITS = (
    "constant", "observable", "gate", "circuit", "argument", "loop variable",
    "qubit register", "bit register")


@dataclass
class Symbol:
    """A named thing in scope: what it is, its value, where it was defined."""

    kind: str
    value: Any
    span: Span | None = None
    used: bool = False
    scope: "Scope | None" = None  # for gates: the scope of the defining file


@dataclass
class Scope:
    """A chain of name tables: block -> gate/circuit -> file -> builtins."""

    parent: "Scope | None" = None
    names: dict[str, Symbol] = field(default_factory=dict)
    incomplete: bool = False  # an import failed: unknown names may be its, so stay quiet

    def missing_imports(self) -> bool:
        scope: Scope | None = self
        while scope is not None:
            if scope.incomplete:
                return True
            scope = scope.parent
        return False

    def lookup(self, name: str) -> Symbol | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names:
                return scope.names[name]
            scope = scope.parent
        return None

    def define(self, name: str, symbol: Symbol) -> None:
        self.names[name] = symbol

    def child(self) -> "Scope":
        return Scope(self)

    def visible_names(self, kinds: tuple[str, ...] | None = None) -> list[str]:
        out: list[str] = []
        scope: Scope | None = self
        while scope is not None:
            out.extend(n for n, s in scope.names.items() if kinds is None or s.kind in kinds)
            scope = scope.parent
        return out


PAULI_NAMES = frozenset("IXYZ")


def check_name(name: str, span) -> None:
    """Names a program may not declare: the Pauli operators `I`, `X`, `Y`, `Z`."""
    if name in PAULI_NAMES:
        from qdl.compiler.diagnostics import error
        raise ElabError(error("E0208", f"`{name}` is the Pauli operator {name} and cannot be redefined", span,
                              "reserved name", help=f"choose another name, e.g. `{name.lower()}{name.lower()}`"))


def suggest(name: str, candidates: list[str]) -> str | None:
    """`did you mean ...` for a misspelt name, or None."""
    matches = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    if not matches:
        lowered = {c.lower(): c for c in candidates}
        if name.lower() in lowered:
            return f"did you mean `{lowered[name.lower()]}`?"
        return None
    return f"did you mean `{matches[0]}`?"
