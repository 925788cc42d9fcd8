"""The control socket's place on disk, made safe to listen on (after
tailscale's safesocket): dial first; if a daemon answers, refuse; if nothing
answers, remove the stale socket; create the folder 0700 and, once bound,
make the socket 0600. gRPC has no peer credentials, so these modes are the
access control."""
from __future__ import annotations

import errno
import os
import socket as socketlib
import stat
from pathlib import Path

from tobsd.core.errors import TobsError


class SocketInUse(TobsError):
    """Another daemon answers on the socket."""


def prepare(path: Path) -> None:
    """Make `path` ready to bind: its folder exists (created 0700), nothing
    answers on it and no stale file is left. Raises SocketInUse."""
    path = Path(path)
    if _answers(path):
        raise SocketInUse(f"another tobsd is listening on {path}; stop it first "
                          "(two daemons on one state folder or vault are not allowed)")
    try:
        st = path.lstat()
    except FileNotFoundError:
        st = None
    if st is not None:
        if not stat.S_ISSOCK(st.st_mode):
            raise SocketInUse(f"{path} exists and is not a socket; remove it or set [daemon] socket")
        path.unlink()
    folder = path.parent
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o700)
        os.chmod(folder, 0o700)      # mkdir's mode is masked by the umask
    elif folder.name == "tobsd" and folder.stat().st_uid == os.getuid():
        os.chmod(folder, 0o700)      # our own runtime folder ($XDG_RUNTIME_DIR/tobsd)


def restrict(path: Path) -> None:
    """Once bound: only the owner may connect."""
    os.chmod(path, 0o600)


def _answers(path: Path) -> bool:
    sock = socketlib.socket(socketlib.AF_UNIX, socketlib.SOCK_STREAM)
    sock.settimeout(2)
    try:
        sock.connect(os.fspath(path))
        return True
    except (FileNotFoundError, ConnectionRefusedError, NotADirectoryError):
        return False
    except PermissionError:
        raise SocketInUse(f"{path} belongs to someone else (permission denied); "
                          "set [daemon] socket") from None
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ECONNREFUSED, errno.ENOTSOCK):
            return False
        raise
    finally:
        sock.close()


def remove(path: Path) -> None:
    """Remove our socket at shutdown (only if it is still a socket)."""
    try:
        if stat.S_ISSOCK(Path(path).lstat().st_mode):
            Path(path).unlink()
    except FileNotFoundError:
        pass
