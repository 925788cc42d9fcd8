"""Resumable partial files, kept in the state folder, never in the vault.

A download in progress is two files in `<state_dir>/media-partial/`:
`<name>.part` holds the bytes at their offsets (parts arrive out of order
from parallel streams) and `<name>.parts` lists, one per line, the parts
that were written and verified. A part is recorded only after its bytes were
flushed to disk (fdatasync), so after a kill -9 or a power cut every listed
part is whole and a restart fetches only the parts not listed: at most the
ones that were in flight. A torn last line is ignored.

Why the state folder: Obsidian indexes every file of the vault it can show
(and sync tools copy them), so half-written media there would appear as
broken attachments; the state folder is private (0700) and belongs to
tobsd alone. The finished file is moved into the vault in one rename (or a
copy then rename when the two are on different file systems: landing.py).
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from tobsd.core.files import private_dir

PARTIAL_DIR = "media-partial"


def partial_name(key: str) -> str:
    """A file-system-safe, stable name for the download of `key`."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]


class PartialFile:
    """One resumable download (see the module docstring)."""

    def __init__(self, folder: Path, key: str) -> None:
        self.folder = Path(folder)
        name = partial_name(key)
        self.data_path = self.folder / f"{name}.part"
        self.journal_path = self.folder / f"{name}.parts"
        self.done: set[int] = set()
        self._fd: int | None = None
        self._journal = None

    def open(self) -> set[int]:
        """Open (creating) the files; returns the parts already verified."""
        private_dir(self.folder)
        self._fd = os.open(self.data_path, os.O_RDWR | os.O_CREAT, 0o600)
        self.done = set()
        try:
            with open(self.journal_path, "rb") as fh:
                # Only whole lines count: a torn last one has no newline yet.
                for line in fh.read().split(b"\n")[:-1]:
                    if line.isdigit():
                        self.done.add(int(line))
        except FileNotFoundError:
            pass
        self._rewrite_journal()   # without the torn line, so appends start clean
        self._journal = open(self.journal_path, "ab", buffering=0)
        return set(self.done)

    def _rewrite_journal(self) -> None:
        tmp = self.journal_path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(b"".join(b"%d\n" % i for i in sorted(self.done)))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.journal_path)

    def write(self, index: int, offset: int, data: bytes) -> None:
        """Store one verified part durably, then record it."""
        assert self._fd is not None and self._journal is not None
        view = memoryview(data)
        while view:
            written = os.pwrite(self._fd, view, offset)
            view, offset = view[written:], offset + written
        os.fdatasync(self._fd)
        self._journal.write(b"%d\n" % index)
        self.done.add(index)

    def truncate(self, size: int) -> None:
        assert self._fd is not None
        os.ftruncate(self._fd, size)

    def sha256(self) -> tuple[str, int]:
        """(hex SHA-256, size) of the data file (blocking: run it in a thread)."""
        digest = hashlib.sha256()
        size = 0
        with open(self.data_path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
        return digest.hexdigest(), size

    def head(self, n: int = 64) -> bytes:
        with open(self.data_path, "rb") as fh:
            return fh.read(n)

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def remove(self) -> None:
        """Forget the download (its message is gone, or it landed)."""
        self.close()
        for path in (self.data_path, self.journal_path):
            path.unlink(missing_ok=True)
