"""Private files: what tobsd keeps about the account is readable by its user only.

The state folder holds the session (the account's login), the database
(chat titles, usernames, message index) and the Bloom filter; the vault's
`.tobs/` folder the names tobsd gave. Folders are 0700 and files 0600,
whatever the umask, and even when the folder existed with wider modes
(then tobsd narrows them and says so).
"""
from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def mode_of(path: Path) -> int | None:
    """The permission bits of `path` (None when it does not exist)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        return None


def wider_than(mode: int | None, allowed: int) -> bool:
    """Whether `mode` grants anyone other than the owner more than `allowed` does."""
    return mode is not None and bool(mode & ~allowed & 0o077)


def private_dir(path: Path, log: logging.Logger | None = None, what: str = "") -> Path:
    """Create `path` (and its parents) and make it 0700; with `log`, warn
    when it existed with wider modes."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    mode = mode_of(path)
    if mode != PRIVATE_DIR:
        if log is not None and wider_than(mode, PRIVATE_DIR):
            log.warning("%s%s was mode %04o, readable by others; setting it to 0700",
                        f"{what}: " if what else "", path, mode)
        os.chmod(path, PRIVATE_DIR)
    return path


def private_files(folder: Path, log: logging.Logger | None = None) -> list[Path]:
    """Make every regular file directly in `folder` 0600 (not following
    links); with `log`, warn once about those that were wider. Returns them."""
    narrowed = []
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return narrowed
    for entry in entries:
        if not entry.is_file(follow_symlinks=False):
            continue
        mode = stat.S_IMODE(entry.stat(follow_symlinks=False).st_mode)
        if mode & 0o077 or mode & 0o100:
            os.chmod(entry.path, PRIVATE_FILE)
            if wider_than(mode, PRIVATE_FILE):
                narrowed.append(Path(entry.path))
    if narrowed and log is not None:
        log.warning("%d files in %s were readable by others; set to 0600: %s", len(narrowed),
                    folder, ", ".join(p.name for p in narrowed))
    return narrowed


def create_private(path: Path) -> None:
    """Create `path` empty with mode 0600 if it does not exist, so whatever
    fills it (SQLite, which gives its -wal and -shm files the same mode)
    never makes it readable by others, not even for a moment."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return
    os.close(fd)
