"""systemd's service notification protocol (sd_notify(3)), spoken directly.

The daemon tells systemd where it stands through the datagram socket named by
$NOTIFY_SOCKET:

    READY=1        start-up done: the database is open and Telegram answered,
                   or the daemon reports a degraded state (needs-login)
    STATUS=...     one line of progress for `systemctl status`
    RELOADING=1    a reload (SIGHUP) began; sent with MONOTONIC_USEC=, as
                   Type=notify-reload requires; READY=1 follows when it is done
    STOPPING=1     a stop began
    WATCHDOG=1     the event loop is alive (see `watchdog_loop`)

Everything is a no-op when tobsd does not run under systemd (no
NOTIFY_SOCKET). The protocol is one datagram per message, so tobsd sends it
itself rather than through the `sdnotify` package: sdnotify 0.3.2 (its last
release) connects once when constructed, silently drops every message if the
socket was not there at that moment, and knows neither WATCHDOG_USEC nor
WATCHDOG_PID. The variables are taken out of the environment once read, as
sd_notify's `unset_environment` does, so child processes (the vault writer,
ffmpeg) never talk to systemd in tobsd's name. A failed send is logged once
and never raised: the daemon's work does not depend on systemd hearing it.
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from typing import MutableMapping

log = logging.getLogger("tobsd.systemd")

#: How often the watchdog is pinged, as a share of WatchdogSec (sd_watchdog_enabled(3)
#: advises pinging at half the interval; a third leaves room for a loaded machine).
WATCHDOG_SHARE = 3


def monotonic_usec() -> int:
    """CLOCK_MONOTONIC in microseconds, the clock systemd reads MONOTONIC_USEC= against."""
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000


class SystemdNotifier:
    """Sends notifications to the socket in $NOTIFY_SOCKET (path or @abstract)."""

    def __init__(self, environ: MutableMapping[str, str] | None = None):
        env = os.environ if environ is None else environ
        self._address = _socket_address(env.pop("NOTIFY_SOCKET", ""))
        usec = env.pop("WATCHDOG_USEC", "")
        pid = env.pop("WATCHDOG_PID", "")
        self.watchdog_interval_s: float | None = None
        if usec.isdigit() and int(usec) > 0 and (not pid or pid == str(os.getpid())):
            self.watchdog_interval_s = int(usec) / 1e6 / WATCHDOG_SHARE
        self._socket: socket.socket | None = None
        self._failed = False
        self._last_status: str | None = None

    @property
    def enabled(self) -> bool:
        return self._address is not None

    def send(self, *lines: str) -> None:
        """Send one datagram of newline-separated assignments."""
        if self._address is None:
            return
        try:
            if self._socket is None:
                self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self._socket.sendto("\n".join(lines).encode(), self._address)
        except OSError as exc:
            if not self._failed:   # once: a vanished socket must not flood the log
                log.warning("cannot notify systemd (%s)", exc.strerror or exc)
            self._failed = True
        else:
            self._failed = False

    def ready(self, status: str | None = None) -> None:
        if status is not None:
            self._last_status = status
            self.send("READY=1", "STATUS=" + _one_line(status))
        else:
            self.send("READY=1")

    def reloading(self) -> None:
        self.send("RELOADING=1", f"MONOTONIC_USEC={monotonic_usec()}",
                  "STATUS=reloading the configuration")
        self._last_status = None

    def stopping(self) -> None:
        self.send("STOPPING=1", "STATUS=stopping: finishing the batch in flight and Takeout")
        self._last_status = None

    def status(self, text: str) -> None:
        """STATUS=text, sent only when it changed."""
        if text != self._last_status:
            self._last_status = text
            self.send("STATUS=" + _one_line(text))

    def ping_watchdog(self) -> None:
        self.send("WATCHDOG=1")

    async def watchdog_loop(self) -> None:
        """Ping the watchdog from the event loop until cancelled.

        It is its own task and does nothing else, so a failing status write or
        a slow disk never costs a ping; only a stalled event loop does, which
        is what the watchdog is for.
        """
        if self.watchdog_interval_s is None or self._address is None:
            return
        while True:
            self.ping_watchdog()
            await asyncio.sleep(self.watchdog_interval_s)

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None


def _socket_address(value: str) -> str | bytes | None:
    if not value:
        return None
    if value.startswith("@"):   # the abstract namespace: a leading NUL byte
        return b"\0" + value[1:].encode()
    if value.startswith("/"):
        return value
    log.warning("NOTIFY_SOCKET=%r is neither a path nor @abstract; not notifying", value)
    return None


def _one_line(text: str) -> str:
    return " ".join(text.split())
