"""The service manager's end of NOTIFY_SOCKET, for tests: a real datagram
socket that records what a process tells systemd (sd_notify(3))."""
from __future__ import annotations

import socket

from tests.conditions import wait_for
from tests.daemonkit import TobsdProcess


class NotifyListener:
    """The manager's end of NOTIFY_SOCKET: every datagram, parsed."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.setblocking(False)
        self.datagrams: list[dict[str, str]] = []

    def _drain(self) -> None:
        while True:
            try:
                data = self.sock.recv(4096)
            except BlockingIOError:
                return
            self.datagrams.append(dict(line.split("=", 1) for line in data.decode().splitlines()))

    def count(self, key: str, value: str | None = None) -> int:
        self._drain()
        return sum(1 for d in self.datagrams if key in d and (value is None or d[key] == value))

    async def wait(self, predicate, what: str, tobsd: TobsdProcess, timeout: float = 60) -> None:
        """`predicate()` true over what was received, within `timeout`;
        fails at once when tobsd exits meanwhile."""
        def holds():
            self._drain()
            if predicate():
                return True
            if tobsd.proc.poll() is not None:
                raise AssertionError(f"tobsd exited ({tobsd.proc.returncode}) waiting for {what}:\n"
                                     + tobsd.log()[-3000:])
            return False
        await wait_for(holds, timeout, what=what, interval=0.05,
                       describe=lambda: f"{self.datagrams}\n{tobsd.log()[-3000:]}")

    def index(self, key: str, value: str | None = None, start: int = 0) -> int:
        self._drain()
        for i, d in enumerate(self.datagrams[start:], start):
            if key in d and (value is None or d[key] == value):
                return i
        return -1

    def close(self) -> None:
        self.sock.close()
