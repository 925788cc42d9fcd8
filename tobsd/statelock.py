"""One daemon per state folder: an exclusive flock on `state_dir/tobsd.lock`,
held for the daemon's life (the kernel drops it when the process dies, so a
killed daemon never leaves a stale lock)."""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

from tobsd.core.errors import TobsError


class StateDirBusy(TobsError):
    """Another tobsd holds this state folder."""


class StateLock:
    def __init__(self, state_dir: Path):
        self.path = Path(state_dir) / "tobsd.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise StateDirBusy naming the holder's pid."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise StateDirBusy(f"another tobsd (pid {holder}) is running on the state folder "
                               f"{self.path.parent}; stop it first") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
