"""Derived files appear whole or not at all.

A job writes to a temporary name in the destination folder, the file is
flushed to disk, then renamed over the final name and the folder flushed: a
crash or a failed job never leaves a partial `<stem>.ogg` for a note to
embed. Temporary names start with the vault writer's prefix, so the
daemon's start-up sweep removes what a killed job left.
"""
from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import Iterator

#: The vault writer's temporary-file prefix (tobsd.vault.atomic.TEMP_PREFIX);
#: the start-up sweep removes files named so.
TEMP_PREFIX = ".tobs-tmp-"


def derived_path(out_dir: Path, stem: str, suffix: str) -> Path:
    """`<out_dir>/<stem><suffix>`; ValueError if that would leave `out_dir`."""
    if not stem or "/" in stem or "\\" in stem or stem in (".", "..") or "\0" in stem:
        raise ValueError(f"not a file name stem: {stem!r}")
    path = out_dir / f"{stem}{suffix}"
    if path.parent != out_dir:
        raise ValueError(f"{path} is outside {out_dir}")
    return path


@contextlib.contextmanager
def atomic_output(final: Path) -> Iterator[Path]:
    """Yield a temporary path beside `final` (same suffix, so tools that
    pick a format by name still do); on success flush it and rename it to
    `final`; on any error remove it and let the error through."""
    temp = final.with_name(f"{TEMP_PREFIX}{secrets.token_hex(4)}-{final.name}")
    try:
        yield temp
        if not temp.is_file() or temp.stat().st_size == 0:
            raise OSError(f"nothing was written to {final.name}")
        fd = os.open(temp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, final)
        _sync_dir(final.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def _sync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
