"""Moving a finished download into the vault, and removing a copy from it.

Every path is vault-relative POSIX; each existing component is lstat-ed and
a symbolic link anywhere refuses the move, so a file never lands outside
the vault. The move is a rename when the state folder and the vault share a
file system, else a copy to a temporary name beside the target (fsync), then
a rename; the folder is fsynced either way. A file of another content
already at the target is never replaced: the new file gets a suffix.
"""
from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
from pathlib import Path

from tobsd.core.errors import TobsError

TEMP_PREFIX = ".tobs-tmp-"   # swept at start like the writer's temporary files


class UnsafePath(TobsError):
    """A media path that would leave the vault (absolute, `..`, a symlink)."""


def inside(vault: Path, rel: str, *, create: bool = False) -> Path:
    """The absolute path of `rel` in `vault`, checked (see module doc)."""
    if not rel or rel.startswith("/") or "\\" in rel or "\x00" in rel:
        raise UnsafePath(f"not a vault-relative path: {rel!r}")
    parts = rel.split("/")
    current = Path(vault)
    for i, part in enumerate(parts):
        if part in ("", ".", ".."):
            raise UnsafePath(f"refusing component {part!r} in {rel!r}")
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            if create and i < len(parts) - 1:
                current.mkdir()
            continue
        if stat.S_ISLNK(mode):
            raise UnsafePath(f"{rel!r} goes through a symbolic link")
    return current


def _same_content(path: Path, sha256_hex: str) -> bool:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest() == sha256_hex


def _free_name(rel: str, sha256_hex: str) -> str:
    stem, dot, ext = rel.rpartition(".")
    if not dot or "/" in ext:
        return f"{rel}-{sha256_hex[:8]}"
    return f"{stem}-{sha256_hex[:8]}.{ext}"


def land(vault: Path, source: Path, rel: str, sha256_hex: str) -> str:
    """Move `source` (complete, fsynced) to `rel` in the vault; returns the
    vault path it got (`rel`, or `rel` with a suffix when another content
    sits there). Blocking: run it in a thread."""
    target = inside(vault, rel, create=True)
    if os.path.lexists(target):
        if target.is_file() and not target.is_symlink() and _same_content(target, sha256_hex):
            os.unlink(source)
            return rel
        rel = _free_name(rel, sha256_hex)
        target = inside(vault, rel, create=True)
        if os.path.lexists(target) and _same_content(target, sha256_hex):
            os.unlink(source)
            return rel
    try:
        os.rename(source, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        tmp = target.with_name(TEMP_PREFIX + target.name)
        with open(source, "rb") as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
            dst.flush()
            os.fsync(dst.fileno())
        os.replace(tmp, target)
        os.unlink(source)
    os.chmod(target, 0o644)
    dir_fd = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return rel


def remove(vault: Path, rel: str) -> bool:
    """Remove a stored copy no note links to any more (never a folder)."""
    try:
        target = inside(vault, rel)
    except UnsafePath:
        return False
    if target.is_file() and not target.is_symlink():
        target.unlink()
        return True
    return False
