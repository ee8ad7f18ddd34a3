"""Lay out a parsed program: indentation, blank lines, blocks, and comments re-attached by position.

Comment placement (every comment is kept, in source order, verbatim):

* A comment that starts on the line where the previous piece of code ends,
  with only spaces between, stays at the end of that line (`h q;  // why`);
  such comments on consecutive lines are lined up.
* Every other comment goes on its own line(s) before the next piece of code,
  at that code's indentation: before the next statement, before the `}` that
  closes its block, or at the end of the file.  A comment written *inside* a
  statement (between two arguments, say) therefore moves to the line before
  that statement; it stays in order with all other comments.

Blank lines: one between top-level items when either is a `gate` or
`circuit`; elsewhere a blank line in the source (any number) becomes one, and
none is kept just after `{` or just before `}`.  Indentation is 4 spaces, one
statement per line, every block on its own lines.
"""

from __future__ import annotations

import bisect
import re

from lark import Tree

from qdl.fmt.expressions import listed
from qdl.fmt.parse import Comment, Parsed
from qdl.fmt.statements import INDENT, circuit_header, for_header, gate_header, if_header, kids, simple_lines

_BLANK_LINE = re.compile(r"\n[ \t\r\f]*\n")
_DEFINITIONS = ("gate_def", "circuit_def")


class Printer:
    """Turns one `Parsed` program into canonical text (`run`)."""

    def __init__(self, parsed: Parsed, width: int) -> None:
        self.text = parsed.text
        self.tree = parsed.tree
        self.comments = list(parsed.comments)
        self.next = 0  # the first comment not yet printed
        self.width = width
        self.lines: list[str] = []
        self.last_end = 0  # source offset just after the last thing printed
        self.force_blank = False
        self.block_start = False  # no blank line right after `{`
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        self.trailers: dict[int, int] = {}  # line index -> length of its code, for lines with a trailing comment

    def run(self) -> str:
        """The formatted program, ending in exactly one newline (empty for an empty program)."""
        previous = None
        for item in self.tree.children:
            self.force_blank = previous is not None and (item.data in _DEFINITIONS or previous in _DEFINITIONS)
            self.statement(item, "")
            previous = item.data
        self.force_blank = False
        self.leading(len(self.text) + 1, "")
        self.align_trailers()
        return "\n".join(self.lines) + "\n" if self.lines else ""

    # -- comments and lines ------------------------------------------------------------------

    def line_of(self, offset: int) -> int:
        """The 0-based source line holding `offset`."""
        return bisect.bisect_right(self.line_starts, offset) - 1

    def emit(self, lines: list[str], indent: str, start: int) -> None:
        """Print code lines (the first unindented, the rest already indented) starting at `start`."""
        if self.lines and (self.force_blank or _BLANK_LINE.search(self.text, self.last_end, max(start, self.last_end))) \
                and self.lines[-1] != "" and not self.block_start:
            self.lines.append("")
        self.force_blank = self.block_start = False
        self.lines.append(indent + lines[0])
        self.lines.extend(lines[1:])

    def leading(self, limit: int, indent: str) -> None:
        """Print, each on its own line(s), the comments that start before `limit`."""
        while self.next < len(self.comments) and self.comments[self.next].start < limit:
            comment = self.comments[self.next]
            self.emit(comment.text.split("\n"), indent, comment.start)
            self.next += 1
            self.last_end = comment.end

    def trailing(self, end: int) -> None:
        """Append to the last line the comments that follow the code ending at `end` on its line."""
        line = self.line_of(max(end - 1, 0))
        self.last_end = max(self.last_end, end)
        while self.next < len(self.comments):
            comment: Comment = self.comments[self.next]
            if comment.start < end or self.line_of(comment.start) != line or self.text[end:comment.start].strip():
                return
            body = comment.text.split("\n")
            if len(body) == 1 and len(self.lines) - 1 not in self.trailers:
                self.trailers[len(self.lines) - 1] = len(self.lines[-1])
            self.lines[-1] += "  " + body[0]
            self.lines.extend(body[1:])
            self.next += 1
            end = self.last_end = comment.end

    def align_trailers(self) -> None:
        """Line up the trailing comments of consecutive lines, two spaces after the longest code."""
        runs: list[list[int]] = []
        for index in sorted(self.trailers):
            if runs and runs[-1][-1] == index - 1:
                runs[-1].append(index)
            else:
                runs.append([index])
        for run in runs:
            column = max(self.trailers[i] for i in run) + 2
            for i in run:
                code = self.lines[i][:self.trailers[i]]
                self.lines[i] = code.ljust(column) + self.lines[i][self.trailers[i]:].lstrip(" ")

    # -- code --------------------------------------------------------------------------------

    def statement(self, node: Tree, indent: str) -> None:
        """Print one item or statement with its comments."""
        block = kids(node, "block")
        head_end = block[0].meta.start_pos if block else node.meta.end_pos
        self.leading(head_end, indent)
        kind = node.data
        if kind == "gate_def":
            self.emit(gate_header(node, indent, self.width), indent, node.meta.start_pos)
        elif kind == "circuit_def":
            self.emit(circuit_header(node, indent, self.width), indent, node.meta.start_pos)
        elif kind == "for_stmt":
            self.emit([for_header(node)], indent, node.meta.start_pos)
        elif kind == "if_stmt":
            self.emit([if_header(node)], indent, node.meta.start_pos)
        else:
            self.emit(simple_lines(node, indent, self.width), indent, node.meta.start_pos)
            self.trailing(node.meta.end_pos)
            return
        has_else = kind == "if_stmt" and node.children[2] is not None
        self.body(block[0], indent, trail=not has_else)
        if has_else:
            self.else_branch(node.children[2], indent)

    def else_branch(self, node: Tree, indent: str) -> None:
        """`} else {` or `} else if (...) {` continuing the `}` line just printed."""
        if node.data == "block":
            self.lines[-1] += " else {"
            self.body(node, indent)
            return
        self.lines[-1] += " else " + if_header(node)
        has_else = node.children[2] is not None
        self.body(node.children[1], indent, trail=not has_else)
        if has_else:
            self.else_branch(node.children[2], indent)

    def body(self, node: Tree, indent: str, trail: bool = True) -> None:
        """The statements of a block whose `{` ends the last line, then its `}`.

        `trail=False` when an `else` follows the `}`: a comment after that `}`
        then moves into the else block instead of ending up before `else`.
        """
        opening, closing = node.meta.start_pos, node.meta.end_pos - 1
        has_comment = self.next < len(self.comments) and self.comments[self.next].start < closing
        statements = listed(node.children[0], "statements")
        if not statements and not has_comment:
            self.lines[-1] += "}"
            self.last_end = node.meta.end_pos
            if trail:
                self.trailing(node.meta.end_pos)
            return
        self.trailing(opening + 1)
        self.block_start = True
        inner = indent + INDENT
        for child in statements:
            self.statement(child, inner)
        self.leading(closing, inner)
        self.lines.append(indent + "}")
        self.last_end = node.meta.end_pos
        if trail:
            self.trailing(node.meta.end_pos)
