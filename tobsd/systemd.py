"""systemd integration: Type=notify readiness, STATUS= lines, watchdog pings.

Everything is a no-op when tobsd does not run under systemd (no
NOTIFY_SOCKET). The watchdog is pinged from the status loop, which runs on
the event loop: a stalled loop misses the ping and systemd restarts tobsd.
"""
from __future__ import annotations

import os
import time

import sdnotify


class SystemdNotifier:
    def __init__(self):
        self._socket = os.environ.get("NOTIFY_SOCKET")
        self._notifier = sdnotify.SystemdNotifier() if self._socket else None
        usec = int(os.environ.get("WATCHDOG_USEC", "0") or 0)
        self.watchdog_interval_s = usec / 2e6 if usec else None
        self._last_ping = 0.0
        self._last_status = None

    def _send(self, line: str) -> None:
        if self._notifier is not None:
            self._notifier.notify(line)

    def ready(self) -> None:
        self._send("READY=1")

    def stopping(self) -> None:
        self._send("STOPPING=1")

    def status(self, text: str) -> None:
        if text != self._last_status:
            self._last_status = text
            self._send("STATUS=" + text.replace("\n", " "))

    def watchdog(self) -> None:
        if self.watchdog_interval_s is None:
            return
        now = time.monotonic()
        if now - self._last_ping >= min(self.watchdog_interval_s, 1.0):
            self._last_ping = now
            self._send("WATCHDOG=1")
