"""What a command gets: its arguments, the output, and a client connected
on first use (so `doctor` can check the socket itself)."""
from __future__ import annotations

from pathlib import Path

from tobsctl.client import Client, default_socket
from tobsctl.output import Output


class Context:
    def __init__(self, args, out: Output):
        self.args = args
        self.out = out
        self.socket = Path(args.socket) if getattr(args, "socket", None) else default_socket()
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = Client.connect(self.socket)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
