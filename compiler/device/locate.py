"""Where each key of a TOML file is: tomllib gives values but no positions, so find them in the text.

`locate(text)` maps a key path to the character offsets of the key and of its
value: `("timing", "granularity")`, `("qubits", 2, "t1_us")`,
`("calibrations", "ecr", 0, "duration")`.  A table header maps its own path
(`("calibrations", "sx")`, `("qubits", 2)`) to the header.  Handles headers,
arrays of tables, dotted keys and values spanning lines (arrays, strings);
inline tables are located as one value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

Path = tuple[str | int, ...]
_HEADER = re.compile(r"\s*(\[\[?)\s*([^\]]+?)\s*\]\]?")
_KEY = re.compile(r"\s*((?:[A-Za-z0-9_\-]+|\"[^\"]*\")(?:\s*\.\s*(?:[A-Za-z0-9_\-]+|\"[^\"]*\"))*)\s*=\s*")


@dataclass(frozen=True, slots=True)
class Place:
    """Offsets of a key (start, end) and of its value's first character."""

    key_start: int
    key_end: int
    value_start: int
    value_end: int


def _parts(dotted: str) -> tuple[str, ...]:
    return tuple(p.strip().strip('"') for p in re.findall(r'"[^"]*"|[^.]+', dotted))


def _depth_change(text: str) -> int:
    """Bracket depth change over one line of TOML values, strings and comments skipped."""
    depth, quote = 0, ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "#":
            break
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
    return depth


def locate(text: str) -> dict[Path, Place]:
    """Key path -> place, for every header and key of `text` (see the module docstring)."""
    places: dict[Path, Place] = {}
    counts: dict[Path, int] = {}
    table: Path = ()
    depth, offset = 0, 0
    for line in text.splitlines(keepends=True):
        if depth > 0:
            depth += _depth_change(line)
        elif (header := _HEADER.match(line)) and not _KEY.match(line):
            table = _table_path(header, counts)
            places[table] = Place(offset + header.start(2), offset + header.end(2), offset, offset + len(line))
        elif key := _KEY.match(line):
            path = table + _parts(key.group(1))
            value = line[key.end():].rstrip("\r\n")
            places[path] = Place(offset + key.start(1), offset + key.end(1), offset + key.end(),
                                 offset + key.end() + len(_strip_comment(value)))
            depth = _depth_change(value)
        offset += len(line)
    return places


def _table_path(header: re.Match[str], counts: dict[Path, int]) -> Path:
    path: Path = _parts(header.group(2))
    if header.group(1) == "[[":
        index = counts.get(path, 0)
        counts[path] = index + 1
        return path + (index,)
    return path


def _strip_comment(value: str) -> str:
    quote = ""
    for i, char in enumerate(value):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "#":
            return value[:i].rstrip()
    return value.rstrip()


def nearest(places: dict[Path, Place], path: Path) -> Place | None:
    """The place of `path`, else of its closest located ancestor (a table header)."""
    while path:
        if path in places:
            return places[path]
        path = path[:-1]
    return None
