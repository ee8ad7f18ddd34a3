"""The persistent object-code cache: one checksummed file per kernel, written atomically.

Location: `$QDL_CACHE_DIR/llvm`, else `~/.cache/qdl/llvm` (XDG_CACHE_HOME honoured).
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


def cache_dir() -> Path:
    root = os.environ.get("QDL_CACHE_DIR")
    if root:
        return Path(root) / "llvm"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "qdl" / "llvm"


def entry_path(key: str) -> Path:
    return cache_dir() / f"{key}.o"


def load(key: str) -> bytes | None:
    """The cached object code for `key`, or None when absent or corrupt."""
    try:
        blob = entry_path(key).read_bytes()
    except OSError:
        return None
    head, digest, payload = blob[: len(MAGIC)], blob[len(MAGIC) : len(MAGIC) + _DIGEST], blob[len(MAGIC) + _DIGEST :]
    if head != MAGIC or hashlib.sha256(payload).digest() != digest or not payload:
        return None
    return payload


def store(key: str, payload: bytes) -> None:
    """Publish `payload` under `key` atomically; an unwritable cache is not an error."""
    path = entry_path(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".o")
        with os.fdopen(fd, "wb") as out:
            out.write(MAGIC + hashlib.sha256(payload).digest() + payload)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)  # type: ignore[possibly-undefined]
        except (OSError, NameError):
            pass


def entries() -> list[Path]:
    """The cached kernels (and stray temporary files) on disk."""
    directory = cache_dir()
    return sorted(directory.glob("*.o")) + sorted(directory.glob(".tmp-*")) if directory.is_dir() else []


def clear() -> int:
    """Delete every cached kernel; returns how many files went."""
    removed = 0
    for path in entries():
        try:
            path.unlink()
            removed += 1
        except OSError:
            pass
    return removed
