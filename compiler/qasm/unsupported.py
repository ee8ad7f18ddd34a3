"""Find the OpenQASM 3 constructs qdl does not import, before parsing.

Pulse calibrations (`defcal`, `cal`) hold another grammar inside braces, so
they cannot simply be parsed and rejected later.  This scanner walks the
text (skipping comments and strings), and at the start of each statement
checks its first word.  An unsupported statement gets an E0110 diagnostic at
its keyword and is blanked out — replaced by spaces, line breaks kept, so
every offset and line number stays right — and the rest is parsed normally.
A program with any E0110 is never elaborated: no partial, wrong circuit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qdl.compiler.diagnostics import Diagnostic, Span, error, warning

# first word of a statement -> what to call it in the message
UNSUPPORTED = {
    "def": "subroutines (`def`)",
    "defcal": "pulse calibrations (`defcal`)",
    "defcalgrammar": "pulse calibrations (`defcalgrammar`)",
    "cal": "pulse calibrations (`cal`)",
    "extern": "`extern` functions",
    "while": "`while` loops",
    "box": "timing boxes (`box`)",
    "delay": "timing (`delay`)",
    "duration": "timing (`duration` variables)",
    "stretch": "timing (`stretch` variables)",
    "let": "`let` aliases",
    "switch": "`switch` statements",
    "break": "`break`",
    "continue": "`continue`",
    "return": "`return`",
    "end": "`end`",
    "array": "classical arrays",
    "output": "`output` declarations",
    "opaque": "`opaque` gates",
}

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<string>"[^"\n]*")
  | (?P<pragma>\#pragma[^\n]*|\#[^\n]*)
  | (?P<word>[^\W\d]\w*)
  | (?P<open>\{)
  | (?P<close>\})
  | (?P<semi>;)
  | (?P<other>.)
""", re.S | re.X)


@dataclass
class Scan:
    text: str
    diagnostics: list[Diagnostic]

    @property
    def unsupported(self) -> bool:
        return any(d.code == "E0110" for d in self.diagnostics)


def blank_unsupported(text: str, file: str) -> Scan:
    """The text with unsupported statements blanked, and a diagnostic for each."""
    chars = list(text)
    diagnostics: list[Diagnostic] = []
    tokens = list(_TOKEN.finditer(text))
    at_start = True
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        kind = tok.lastgroup
        if kind in ("space", "comment"):
            i += 1
            continue
        if kind == "pragma" or (at_start and tok.group() == "@"):  # `@` mid-statement is a modifier
            end = text.find("\n", tok.start())
            end = len(text) if end == -1 else end
            what = "pragma" if kind == "pragma" else "annotation"
            diagnostics.append(warning("W0301", f"{what} ignored", Span(file, tok.start(), end),
                                       "qdl does not interpret this"))
            _blank(chars, tok.start(), end)
            while i < len(tokens) and tokens[i].start() < end:
                i += 1
            continue
        if at_start and kind == "word" and tok.group() in UNSUPPORTED:
            end_index = _statement_end(tokens, i)
            end = tokens[end_index].end() if end_index < len(tokens) else len(text)
            diagnostics.append(error(
                "E0110", f"{UNSUPPORTED[tok.group()]} are not supported" if tok.group() not in
                ("break", "continue", "return", "end") else f"{UNSUPPORTED[tok.group()]} is not supported",
                Span(file, tok.start(), tok.end()), "not supported by qdl's OpenQASM importer",
                notes=("qdl imports the gate-level subset of OpenQASM 3: gates, modifiers, "
                       "`for` over ranges, `if` on measured bits, `input` parameters",)))
            _blank(chars, tok.start(), end)
            i = end_index + 1
            at_start = True
            continue
        at_start = kind in ("semi", "open", "close")
        i += 1
    return Scan("".join(chars), diagnostics)


def _statement_end(tokens: list[re.Match], start: int) -> int:
    """Index of the token ending the statement at `start`: its `;`, or its block's `}`."""
    depth = 0
    for j in range(start, len(tokens)):
        kind = tokens[j].lastgroup
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
            if depth <= 0:
                return j
        elif kind == "semi" and depth == 0:
            return j
    return len(tokens)


def _blank(chars: list[str], start: int, end: int) -> None:
    for k in range(start, end):
        if chars[k] != "\n":
            chars[k] = " "
