"""tobsctl's connection to tobsd: the control socket, the API version check,
and gRPC errors turned into `Failure`s with an exit status (tobsctl.exits).

    client = Client.connect(path)     # dials, checks the API version first
    client.call("GetStatus", pb.GetStatusRequest())
"""
from __future__ import annotations

import os
import re
import socket as socketlib
from pathlib import Path

import grpc

from tobs.v1 import API_VERSION, pb, pb_grpc
from tobsctl import exits

CALL_TIMEOUT_S = 30.0
PROFILE_RE = re.compile(r"[A-Za-z0-9_@-][A-Za-z0-9_.@-]*")

CODES = {
    grpc.StatusCode.NOT_FOUND: exits.NOT_FOUND,
    grpc.StatusCode.INVALID_ARGUMENT: exits.INVALID,
    grpc.StatusCode.FAILED_PRECONDITION: exits.REFUSED,
    grpc.StatusCode.ALREADY_EXISTS: exits.REFUSED,
    grpc.StatusCode.PERMISSION_DENIED: exits.PERMISSION,
    grpc.StatusCode.UNAVAILABLE: exits.UNREACHABLE,
    grpc.StatusCode.UNIMPLEMENTED: exits.VERSION,
}


class Failure(Exception):
    """What went wrong, for a person, and the exit status that says it to a script."""

    def __init__(self, message: str, exit_code: int, code: str = ""):
        super().__init__(message)
        self.exit_code = exit_code
        self.code = code          # the gRPC status code's name, when the daemon answered


def default_socket(env=os.environ, profile: str | None = None,
                   run_root: Path = Path("/run/tobsd")) -> Path:
    """Where tobsd's socket is when --socket does not say.

    Without a profile: $TOBS_SOCKET when set. Else the first of these that
    exists (the first when none does): the user service's socket
    ($XDG_RUNTIME_DIR/tobsd/tobsd.sock, or $XDG_RUNTIME_DIR/tobsd/PROFILE/tobsd.sock
    for the user template's instance PROFILE), then the system template's
    instance of that profile, or of this user (run_root/NAME/tobsd.sock).
    """
    if profile is None and env.get("TOBS_SOCKET"):
        return Path(env["TOBS_SOCKET"])
    candidates = []
    if env.get("XDG_RUNTIME_DIR"):
        folder = Path(env["XDG_RUNTIME_DIR"]) / "tobsd"
        candidates.append((folder / profile if profile else folder) / "tobsd.sock")
    name = profile or env.get("USER") or env.get("LOGNAME")
    if name:
        candidates.append(run_root / name / "tobsd.sock")
    if not candidates:
        return run_root / "tobsd.sock"
    return next((path for path in candidates if path.exists()), candidates[0])


def check_profile(name: str) -> str:
    """A profile is a systemd instance name: letters, digits, '_', '-', '.', '@',
    not starting with a dot (it names a folder)."""
    if not PROFILE_RE.fullmatch(name):
        raise Failure(f"not a profile name: {name!r} (letters, digits, '_', '-', '.', '@')",
                      exits.INVALID)
    return name


def probe(path: Path) -> None:
    """Raise Failure unless a connection to the socket can be opened (before
    gRPC, which would only say "unavailable")."""
    sock = socketlib.socket(socketlib.AF_UNIX, socketlib.SOCK_STREAM)
    sock.settimeout(5)
    try:
        sock.connect(os.fspath(path))
    except PermissionError:
        raise Failure(f"permission denied on {path}: it belongs to another user "
                      "(run tobsctl as the user tobsd runs as)", exits.PERMISSION) from None
    except (FileNotFoundError, NotADirectoryError):
        raise Failure(f"tobsd is not running: no socket at {path} "
                      "(start it, or point --socket / TOBS_SOCKET at its socket)",
                      exits.UNREACHABLE) from None
    except (ConnectionRefusedError, socketlib.timeout, OSError) as exc:
        raise Failure(f"tobsd is not answering on {path} ({exc.strerror or exc}); is it running?",
                      exits.UNREACHABLE) from None
    finally:
        sock.close()


class Client:
    def __init__(self, path: Path, channel: grpc.Channel):
        self.path = path
        self.channel = channel
        self.stub = pb_grpc.TobsStub(channel)
        self.version: pb.GetVersionResponse | None = None

    @classmethod
    def connect(cls, path: Path, *, check_version: bool = True) -> "Client":
        path = Path(path)
        probe(path)
        client = cls(path, grpc.insecure_channel(f"unix:{path}"))
        if check_version:
            client.check_version()
        return client

    def close(self) -> None:
        self.channel.close()

    def check_version(self) -> pb.GetVersionResponse:
        """The daemon's version; Failure(VERSION) when it speaks another API."""
        try:
            version = self.stub.GetVersion(pb.GetVersionRequest(), timeout=CALL_TIMEOUT_S)
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
                raise Failure("the daemon on this socket is older than this tobsctl "
                              "(it does not answer GetVersion); upgrade tobsd", exits.VERSION) from None
            raise self._failure(exc) from None
        if version.api_version != API_VERSION:
            older = version.api_version < API_VERSION
            raise Failure(
                f"version mismatch: tobsd {version.daemon_version or '?'} speaks API "
                f"v{version.api_version}, this tobsctl speaks v{API_VERSION}: "
                + ("tobsd is older; upgrade tobsd" if older else "tobsd is newer; upgrade tobsctl"),
                exits.VERSION)
        self.version = version
        return version

    def call(self, method: str, request, timeout: float | None = CALL_TIMEOUT_S):
        try:
            return getattr(self.stub, method)(request, timeout=timeout)
        except grpc.RpcError as exc:
            raise self._failure(exc) from None

    def stream(self, method: str, request):
        """Iterate a server stream; errors become Failure."""
        try:
            yield from getattr(self.stub, method)(request)
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.UNAVAILABLE:
                raise Failure("tobsd stopped", exits.UNREACHABLE) from None
            raise self._failure(exc) from None

    def _failure(self, exc: grpc.RpcError) -> Failure:
        code = exc.code()
        message = exc.details() or code.name.lower()
        if code == grpc.StatusCode.UNAVAILABLE:
            message = f"tobsd is not answering on {self.path}: {message}"
        return Failure(message, CODES.get(code, exits.INTERNAL), code.name)
