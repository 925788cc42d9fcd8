"""Durable, atomic file replacement and the vault's I/O errors.

:func:`atomic_write` and :func:`replace_if_unchanged` are the only ways the
vault puts bytes on disk; both:

1. create a uniquely named temp file in the *same* folder (so the rename
   cannot cross file systems), write everything, ``fsync`` it;
2. ``rename`` it over the target (atomic on POSIX: readers see the old or the
   new note, never a mix);
3. ``fsync`` the folder so the rename itself survives a power cut.

:func:`replace_if_unchanged` is the compare-and-swap variant the writer uses.

When the disk is full (``ENOSPC``, ``EDQUOT``) the temp file is removed and
the core :class:`~tobsd.core.errors.DiskFull` is raised; the old note is untouched. Any other
``OSError`` also removes the temp file and propagates unchanged.
"""

from __future__ import annotations

import ctypes
import errno
import os
from pathlib import Path

from tobsd.core.errors import DiskFull

_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
TEMP_PREFIX = ".tobs-tmp-"


class VaultError(Exception):
    """Base of the vault's own errors."""


class PathEscapeError(VaultError):
    """A path would leave the vault (``..``, absolute, or through a symbolic link)."""


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to ``fd`` (a separate function so tests can inject failures)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def fsync_dir(folder: Path) -> None:
    """fsync a folder so a rename or create inside it is durable."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _temp_with(path: Path, data: bytes, durable: bool, mode: int = 0o644,
               folder: Path | None = None) -> Path:
    """A fully written (and fsynced) temp file next to ``path`` (or in ``folder``)."""
    tmp = (folder or path.parent) / f"{TEMP_PREFIX}{path.name[:60]}.{os.getpid()}.{os.urandom(4).hex()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
    try:
        try:
            _write_all(fd, data)
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        _unlink_quietly(tmp)
        raise
    return tmp


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _full(path: Path, exc: OSError) -> Exception:
    return DiskFull(path, exc) if exc.errno in _FULL_ERRNOS else exc


def atomic_write(path: Path, data: bytes, *, durable: bool = True, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` atomically (see module doc). The folder must exist.

    ``durable=False`` skips both fsyncs (benchmarks of pure rendering cost,
    never the daemon). ``mode``: the new file's permissions (less the umask).
    """
    try:
        tmp = _temp_with(path, data, durable, mode)
    except OSError as exc:
        raise _full(path, exc) from exc
    try:
        os.replace(tmp, path)
    except OSError as exc:
        _unlink_quietly(tmp)
        raise _full(path, exc) from exc
    if durable:
        fsync_dir(path.parent)


_libc = None
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with Linux ``renameat2(RENAME_EXCHANGE)``; False if unsupported."""
    global _libc
    if _libc is None:
        try:
            _libc = ctypes.CDLL(None, use_errno=True)
            _libc.renameat2  # noqa: B018 - probe that the symbol exists
        except (OSError, AttributeError):
            _libc = False
    if _libc is False:
        return False
    rc = _libc.renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def replace_if_unchanged(path: Path, data: bytes, expected: bytes | None, *,
                         durable: bool = True) -> bool:
    """Compare-and-swap: put ``data`` at ``path`` only if it still holds ``expected``.

    ``expected=None`` means "only if ``path`` does not exist" (done with a hard
    link, which fails when the name is taken). Otherwise the new file is
    swapped in with ``renameat2(RENAME_EXCHANGE)`` and the displaced file is
    compared with ``expected``; on a mismatch the swap is undone, so a change
    that landed at any moment before the swap is never lost. Where the
    exchange is unsupported it falls back to compare-then-rename (a window of
    a few system calls). Returns False on a mismatch; raises DiskFull
    when the disk is full, leaving ``path`` as it was.
    """
    try:
        tmp = _temp_with(path, data, durable)
    except OSError as exc:
        raise _full(path, exc) from exc
    try:
        swapped = swap_in(tmp, path, expected)
    finally:
        _unlink_quietly(tmp)
    if swapped and durable:
        fsync_dir(path.parent)
    return swapped


def swap_in(tmp: Path, path: Path, expected: bytes | None) -> bool:
    """The compare-and-swap step of :func:`replace_if_unchanged`: put the
    fully written ``tmp`` at ``path`` if ``path`` still holds ``expected``
    (None: does not exist). Neither file nor folder is fsynced here; the
    caller removes ``tmp`` afterwards (after a swap it holds the old note, or
    is a second link to the new one). False on a mismatch."""
    try:
        if expected is None:
            try:
                os.link(tmp, path, follow_symlinks=False)
            except FileExistsError:
                return False
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
                    raise
                if os.path.lexists(path):
                    return False
                os.replace(tmp, path)
        elif _exchange(tmp, path):
            if tmp.read_bytes() != expected:
                _exchange(tmp, path)  # put the other writer's version back
                return False
        else:
            try:
                if path.read_bytes() != expected:
                    return False
            except FileNotFoundError:
                return False
            os.replace(tmp, path)
    except OSError as exc:
        raise _full(path, exc) from exc
    return True


def temp_copy(path: Path, data: bytes, *, durable: bool, folder: Path | None = None) -> Path:
    """A temp file next to ``path`` (or in ``folder``, on the same file
    system) holding ``data`` (fsynced when ``durable``); DiskFull when the
    disk is full, and nothing left behind."""
    try:
        return _temp_with(path, data, durable, folder=folder)
    except OSError as exc:
        raise _full(path, exc) from exc


def unlink_quietly(path: Path) -> None:
    """Remove ``path`` if it is there."""
    _unlink_quietly(path)


def make_dirs(vault_dir: Path, rel_folder: str) -> Path:
    """Create ``rel_folder`` (POSIX, relative to ``vault_dir``) component by component.

    Refuses to go through a symbolic link, so a link planted inside the vault
    can never redirect a write outside it. Returns the absolute folder.
    """
    current = vault_dir
    for part in [p for p in rel_folder.split("/") if p]:
        if part in (".", ".."):
            raise PathEscapeError(f"refusing path component {part!r} in {rel_folder!r}")
        current = current / part
        try:
            os.mkdir(current)
        except FileExistsError:
            if os.path.islink(current) or not current.is_dir():
                raise PathEscapeError(f"{current} is not a real folder inside the vault")
        except OSError as exc:
            if exc.errno in _FULL_ERRNOS:
                raise DiskFull(current, exc) from exc
            raise
    return current
