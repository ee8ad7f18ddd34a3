"""`qdlc fmt`: the canonical layout of a qdl program.

    format_source(text, filename) -> str

The formatter prints the parse tree (not the AST, which drops details such as
`measure q -> c` versus `c = measure q`), so the output parses back to the
same tree and hence compiles to the same IR.  Comments are kept: see
`qdl.fmt.parse` for how they are collected and `qdl.fmt.printer` for where
they go.  Formatting is idempotent because the layout depends only on the
tree, the comments and (for blank lines) whether the source had one.

Only syntax matters: a program with syntax errors raises `FormatError` with
the compiler's diagnostics; one with semantic errors (an unknown gate, say) is
formatted, as while editing it.  Before returning, the result is re-parsed
and checked to have the same tree and the same comments; a difference is a
formatter bug, raised as `AssertionError` rather than written to a file.
"""

from __future__ import annotations

from qdl.fmt.parse import Comment, FormatError, Parsed, parse_with_comments
from qdl.fmt.printer import Printer

__all__ = ["DEFAULT_WIDTH", "FormatError", "Comment", "Parsed", "format_source", "parse_with_comments"]

DEFAULT_WIDTH = 100


def format_source(text: str, filename: str = "<stdin>", width: int = DEFAULT_WIDTH) -> str:
    """`text` in canonical layout; raises `FormatError` (rendered diagnostics) if it has syntax errors."""
    text = text.replace("\r\n", "\n")  # the output always uses \n line ends
    parsed = parse_with_comments(text, filename)
    result = Printer(parsed, width).run()
    _check(parsed, result, filename)
    return result


def _check(before: Parsed, text: str, filename: str) -> None:
    """The formatted text must parse to the same tree with the same comments, in order."""
    try:
        after = parse_with_comments(text, filename)
    except FormatError as exc:
        raise AssertionError(f"qdlc fmt produced invalid code for {filename} (please report):\n{exc}") from exc
    if after.tree != before.tree:
        raise AssertionError(f"qdlc fmt changed the meaning of {filename} (please report)")
    if [c.text for c in after.comments] != [c.text for c in before.comments]:
        raise AssertionError(f"qdlc fmt lost or reordered a comment of {filename} (please report)")
