"""Many notes made durable together, with the guarantees of one.

Replacing a note alone (:func:`~tobsd.vault.atomic.replace_if_unchanged`)
costs two fsyncs: the temp file, then its folder after the swap. On a
journalling file system each is a journal commit, a few milliseconds, and a
backfill of an account writes thousands of small notes. :func:`replace_many`
keeps the order that makes a note never half-written and the swap durable,
but pays it once per batch instead of once per note:

1. every note's temp file is written (next to its note);
2. all temp files are fsynced together (concurrent fsyncs share the file
   system's journal commits);
3. each is swapped in by compare-and-swap
   (:func:`~tobsd.vault.atomic.swap_in`): only a fully durable file ever
   takes a note's name, and a note changed meanwhile is left as it is;
4. every folder that got a note is fsynced once, together.

The temp files may be made in one ``staging`` folder of the same file
system instead of next to their notes: the swap (a link or an exchange
of names) works across folders all the same, and making a new file is
the dearest step of all on a journalling file system when it spreads over
many folders (each folder's inodes live in a group of their own), several
times dearer than in one folder. A note whose folder is on another file
system gets its temp file next to it, as before.

Only after :func:`replace_many` returns is any note of the batch known to be
durable; a caller records nothing (acknowledges nothing) before. A crash at
any point leaves each note either as it was or as it was meant to be, and
temp files that the writer's start removes. Only the fsyncs are shared: no
file but the batch's own is flushed, so a busy disk elsewhere does not make
a batch wait.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from tobsd.vault.atomic import fsync_dir, swap_in, temp_copy, unlink_quietly

SYNC_THREADS = 8      # fsyncs in flight at once: enough to share journal commits

_pool: ThreadPoolExecutor | None = None


@dataclass(slots=True)
class Replacement:
    """One note of a batch: put ``data`` at ``path`` if it still holds
    ``expected`` (None: if it does not exist)."""
    path: Path
    data: bytes
    expected: bytes | None


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_all(fn, paths: Iterable[Path]) -> None:
    """``fn(path)`` for every path, several at once; the first error is raised
    after all have ended."""
    global _pool
    paths = list(paths)
    if len(paths) <= 1:
        for p in paths:
            fn(p)
        return
    if _pool is None:
        _pool = ThreadPoolExecutor(SYNC_THREADS, thread_name_prefix="tobs-fsync")
    futures = [_pool.submit(fn, p) for p in paths]
    errors = [f.exception() for f in futures]
    for exc in errors:
        if exc is not None:
            raise exc


def _temp_folders(staging: Path | None, folders: set[Path]) -> dict[Path, Path | None]:
    """Per note folder, where its notes' temp files go: `staging` when it
    is on the same file system, else None (next to the note)."""
    if staging is None:
        return dict.fromkeys(folders)
    device = os.stat(staging).st_dev
    return {f: staging if os.stat(f).st_dev == device else None for f in folders}


def replace_many(batch: list[Replacement], *, durable: bool = True,
                 staging: Path | None = None) -> list[bool]:
    """Compare-and-swap every note of ``batch`` (see module doc); per note,
    True if it was put in place, False if it no longer held what was
    expected (it is left as it is). When this returns, every note put in
    place is durable. On an error (DiskFull, another OSError) the notes
    already swapped in are made durable first, no temp file stays behind,
    and the error is raised: the caller treats the whole batch as not
    applied (applying it again changes nothing where it landed).
    ``durable=False`` skips the fsyncs (benchmarks of pure rendering cost).
    ``staging``: the folder for the temp files (see module doc)."""
    temps: list[Path] = []
    landed: list[bool] = []
    try:
        where = _temp_folders(staging, {item.path.parent for item in batch})
        for item in batch:
            temps.append(temp_copy(item.path, item.data, durable=False,
                                   folder=where[item.path.parent]))
        if durable:
            _sync_all(_fsync_path, temps)
        for item, tmp in zip(batch, temps):
            landed.append(swap_in(tmp, item.path, item.expected))
    finally:
        for tmp in temps:
            unlink_quietly(tmp)
        if durable:
            _sync_all(fsync_dir, {item.path.parent for item, ok in zip(batch, landed) if ok})
    return landed
