"""The persistent caches: one checksummed file per entry, written atomically.

Kinds share the format: "llvm" holds kernels' object code (`llvm/<key>.o`),
"programs" the source-level artifacts of `runtime.llvm.program_cache`
(`programs/<key>.prog`) and "ir" their programs' IR (`programs/<key>.ir`).
Location: under `$QDL_CACHE_DIR`, else `~/.cache/qdl` (XDG_CACHE_HOME honoured).
An entry is `MAGIC + crc32(payload) + len(payload) + payload`; a short,
truncated or mismatching entry reads as a miss (and is overwritten by the
rebuild), so a crash mid-write or a flipped bit never reaches the JIT.  The
check guards against damage, not against someone who can write the folder
(who could write any object code): CRC-32 does that at twice sha256's speed,
which counts for the 9 MB object of a 100,000-op kernel on a warm start.  Writes go to a
unique temporary file in the same directory and are published with
`os.replace`, so concurrent processes only ever see whole entries.
"""

from __future__ import annotations

import os
import struct
import tempfile
import zlib
from pathlib import Path

MAGIC = b"QDLOBJ2\n"
_HEADER = struct.Struct("<IQ")  # crc32 and length of the payload
KINDS = {"llvm": ("llvm", ".o"), "programs": ("programs", ".prog"), "ir": ("programs", ".ir")}  # folder, suffix


def cache_root() -> Path:
    """The folder holding every kind of cache."""
    root = os.environ.get("QDL_CACHE_DIR")
    if root:
        return Path(root)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "qdl"


def cache_dir(kind: str = "llvm") -> Path:
    """The folder of one kind of entries."""
    return cache_root() / KINDS[kind][0]


def entry_path(key: str, kind: str = "llvm") -> Path:
    return cache_dir(kind) / f"{key}{KINDS[kind][1]}"


def load(key: str, kind: str = "llvm") -> bytes | None:
    """The cached payload for `key`, or None when absent or corrupt."""
    start = len(MAGIC) + _HEADER.size
    try:
        with open(entry_path(key, kind), "rb") as entry:
            head, payload = entry.read(start), entry.read()  # the payload unsliced: no copy of a big object
    except OSError:
        return None
    if len(head) < start or head[:len(MAGIC)] != MAGIC:
        return None
    crc, length = _HEADER.unpack_from(head, len(MAGIC))
    if not payload or len(payload) != length or zlib.crc32(payload) != crc:
        return None
    return payload


def store(key: str, payload: bytes, kind: str = "llvm") -> None:
    """Publish `payload` under `key` atomically; an unwritable cache is not an error."""
    path = entry_path(key, kind)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=KINDS[kind][1])
        with os.fdopen(fd, "wb") as out:
            out.write(MAGIC + _HEADER.pack(zlib.crc32(payload), len(payload)) + payload)
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
    suffix = KINDS[kind][1]
    return sorted(directory.glob(f"*{suffix}")) + sorted(directory.glob(f".tmp-*{suffix}"))


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
