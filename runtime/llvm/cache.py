"""The persistent caches: one checksummed file per entry, written atomically.

Two kinds share the format: "llvm" holds kernels' object code (`<key>.o`),
"programs" the source-level artifacts of `runtime.llvm.program_cache`
(`<key>.prog`).  Location: `$QDL_CACHE_DIR/<kind>`, else
`~/.cache/qdl/<kind>` (XDG_CACHE_HOME honoured).
An entry is `MAGIC + sha256(payload) + payload`; a short, truncated or
mismatching entry reads as a miss (and is overwritten by the rebuild), so a
crash mid-write or a flipped bit never reaches the JIT.  Writes go to a
unique temporary file in the same directory and are published with
`os.replace`, so concurrent processes only ever see whole entries.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

MAGIC = b"QDLOBJ1\n"
_DIGEST = 32
KINDS = {"llvm": ".o", "programs": ".prog"}  # kind -> file suffix


def cache_root() -> Path:
    """The folder holding every kind of cache."""
    root = os.environ.get("QDL_CACHE_DIR")
    if root:
        return Path(root)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "qdl"


def cache_dir(kind: str = "llvm") -> Path:
    """The folder of one kind of entries."""
    return cache_root() / kind


def entry_path(key: str, kind: str = "llvm") -> Path:
    return cache_dir(kind) / f"{key}{KINDS[kind]}"


def load(key: str, kind: str = "llvm") -> bytes | None:
    """The cached payload for `key`, or None when absent or corrupt."""
    try:
        blob = entry_path(key, kind).read_bytes()
    except OSError:
        return None
    head, digest, payload = blob[: len(MAGIC)], blob[len(MAGIC) : len(MAGIC) + _DIGEST], blob[len(MAGIC) + _DIGEST :]
    if head != MAGIC or hashlib.sha256(payload).digest() != digest or not payload:
        return None
    return payload


def store(key: str, payload: bytes, kind: str = "llvm") -> None:
    """Publish `payload` under `key` atomically; an unwritable cache is not an error."""
    path = entry_path(key, kind)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=KINDS[kind])
        with os.fdopen(fd, "wb") as out:
            out.write(MAGIC + hashlib.sha256(payload).digest() + payload)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)  # type: ignore[possibly-undefined]
        except (OSError, NameError):
            pass


def entries(kind: str = "llvm") -> list[Path]:
    """The cached entries of one kind (and stray temporary files) on disk."""
    directory = cache_dir(kind)
    if not directory.is_dir():
        return []
    return sorted(directory.glob(f"*{KINDS[kind]}")) + sorted(directory.glob(".tmp-*"))


def clear(kind: str = "llvm") -> int:
    """Delete every entry of one kind; returns how many files went."""
    removed = 0
    for path in entries(kind):
        try:
            path.unlink()
            removed += 1
        except OSError:
            pass
    return removed
