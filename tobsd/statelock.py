"""One daemon per state folder and per vault: an exclusive flock on
`state_dir/tobsd.lock` and on `.tobsd.lock` in tobsd's folder of the vault
(vault.root, which tobsd owns; a dot file, so Obsidian does not list it),
held for the daemon's life (the kernel drops it when the process dies, so a
killed daemon never leaves a stale lock)."""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

from tobsd.core.errors import TobsError


class StateDirBusy(TobsError):
    """Another tobsd holds this state folder (or vault)."""


class StateLock:
    def __init__(self, folder: Path, name: str = "tobsd.lock", what: str = "state folder"):
        self.path = Path(folder) / name
        self.what = what
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise StateDirBusy naming the holder's pid."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise StateDirBusy(f"another tobsd (pid {holder}) is running on the {self.what} "
                               f"{self.path.parent}; stop it first") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
