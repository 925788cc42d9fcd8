"""The control socket's place on disk, made safe to listen on (after
tailscale's safesocket): dial first; if a daemon answers, refuse; if nothing
answers, remove the stale socket; create the folder and, once bound, set
the socket's mode. gRPC has no peer credentials, so these modes are the
access control:

  - by default only the owner: the folder 0700, the socket 0600 (a user
    service, in $XDG_RUNTIME_DIR/tobsd);
  - with `[daemon] socket_group` (the system service: group tobs) the
    members of that group too: the socket 0660 of that group, in a folder
    0750 of that group (one tobsd makes; one made for it, such as the
    system unit's RuntimeDirectory=, keeps its modes, and a warning says
    when they keep the group out). When the group cannot be given (it does
    not exist, or tobsd's user is not in it) tobsd says so in its log and
    keeps the owner-only modes: it never opens the socket wider than asked.
"""
from __future__ import annotations

import errno
import grp
import logging
import os
import socket as socketlib
import stat
from pathlib import Path

from tobsd.core.errors import TobsError

log = logging.getLogger(__name__)

OWNER_DIR, OWNER_SOCKET = 0o700, 0o600
GROUP_DIR, GROUP_SOCKET = 0o750, 0o660


class SocketInUse(TobsError):
    """Another daemon answers on the socket."""


def prepare(path: Path, group: str | None = None) -> None:
    """Make `path` ready to bind: its folder exists (0700, or 0750 of
    `group`), nothing answers on it and no stale file is left. Raises SocketInUse."""
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
        folder.mkdir(parents=True, mode=OWNER_DIR)
        gid = _group_id(group, folder) if group else None
        if gid is not None and _give(folder, gid):
            os.chmod(folder, GROUP_DIR)
        else:
            os.chmod(folder, OWNER_DIR)      # mkdir's mode is masked by the umask
    elif group:
        # A folder made for us (systemd's RuntimeDirectory=, 0750 of the
        # group under the system unit): its modes are left as they are.
        st = folder.stat()
        gid = _group_id(group, folder)
        if gid is not None and not (st.st_gid == gid and st.st_mode & 0o050 == 0o050):
            log.warning("%s does not let group %s in (mode %o): only this user can reach the "
                        "socket", folder, group, stat.S_IMODE(st.st_mode))
    elif folder.name == "tobsd" and folder.stat().st_uid == os.getuid():
        os.chmod(folder, OWNER_DIR)          # our own runtime folder ($XDG_RUNTIME_DIR/tobsd)


def restrict(path: Path, group: str | None = None) -> None:
    """Once bound: the owner may connect, and the members of `group` when given."""
    gid = _group_id(group, path) if group else None
    if gid is not None and _give(path, gid):
        os.chmod(path, GROUP_SOCKET)
    else:
        os.chmod(path, OWNER_SOCKET)


def _group_id(name: str, what: Path) -> int | None:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        log.warning("no group %r on this system: only this user can use %s", name, what)
        return None


def _give(path: Path, gid: int) -> bool:
    """Make `gid` the group of `path` (ours); False, and a warning, when we may not.

    Under the system unit nothing needs changing (Group=tobs: the runtime
    folder and every file tobsd makes are the group's already), which is as
    well: its SystemCallFilter=~@privileged forbids chown."""
    if path.stat().st_gid == gid:
        return True
    try:
        os.chown(path, -1, gid)
        return True
    except OSError as exc:
        log.warning("cannot give %s to group %d (%s): only this user can use it; "
                    "tobsd's user must be in the group", path, gid, exc.strerror or exc)
        return False


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
