"""What a command gets: its arguments, the output, and a client connected
on first use (so `doctor` can check the socket itself)."""
from __future__ import annotations

from pathlib import Path

from tobsctl.client import Client, check_profile, default_socket
from tobsctl.output import Output


class Context:
    def __init__(self, args, out: Output):
        self.args = args
        self.out = out
        self._socket_arg = getattr(args, "socket", None)
        self._profile = getattr(args, "profile", None)
        self._client: Client | None = None

    @property
    def socket(self) -> Path:
        """--socket, else the profile's or the default socket (a bad profile
        name is a Failure, reported like any other)."""
        if self._socket_arg:
            return Path(self._socket_arg)
        return default_socket(profile=check_profile(self._profile) if self._profile else None)

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = Client.connect(self.socket)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
