"""Logging set-up shared by the daemon and its vault writer process.

tobsd's own loggers ("tobsd.*") log at the configured level; every other
library (aiosqlite, which logs each SQL statement with its parameters at
debug; Telethon; watchfiles; asyncio) stays at warning, so a debug log of an
idle daemon stays small and holds no chat titles from SQL parameters. Ask
for more with `--log-libraries LEVEL` (or $TOBSD_LOG_LIBRARIES, which the
vault writer process inherits).

One line per event on stderr, for journald: a message's or a traceback's
own line breaks are folded into " | ". Under systemd (JOURNAL_STREAM set)
each line starts with its syslog priority ("<3>" for errors, as sd-daemon(3)
describes: journald files the line at that priority) and carries no
timestamp (the journal adds its own); elsewhere it starts with the time.
No colour is ever written. Repeats of one message (same logger, same
format string) beyond a burst are dropped for a while and counted, so a hot
path cannot flood the journal.
"""
from __future__ import annotations

import logging
import os
import sys
import time

LIBRARIES_ENV = "TOBSD_LOG_LIBRARIES"

# logging level -> syslog priority (sd-daemon(3): <3> err, <4> warning, <6> info, <7> debug)
PRIORITIES = ((logging.CRITICAL, 2), (logging.ERROR, 3), (logging.WARNING, 4), (logging.INFO, 6))


def priority(levelno: int) -> int:
    for level, prio in PRIORITIES:
        if levelno >= level:
            return prio
    return 7


class OneLineFormatter(logging.Formatter):
    """Formats a record (with its traceback) as a single line."""

    def __init__(self, journal: bool):
        fmt = "%(levelname)s %(name)s: %(message)s" if journal \
            else "%(asctime)s %(levelname)s %(name)s: %(message)s"
        super().__init__(fmt)
        self.journal = journal

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        text = " | ".join(line for line in text.splitlines() if line.strip())
        return f"<{priority(record.levelno)}>{text}" if self.journal else text


class RateLimit(logging.Filter):
    """Lets `burst` records of one message (logger and format string) through
    per `window_s` seconds; the rest are dropped and the next one let through
    says how many were."""

    def __init__(self, burst: int = 10, window_s: float = 60.0, clock=time.monotonic):
        super().__init__()
        self.burst, self.window_s, self.clock = burst, window_s, clock
        self._seen: dict[tuple[str, object], list] = {}    # key -> [window start, count, dropped]

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.msg)
        now = self.clock()
        entry = self._seen.get(key)
        if entry is None or now - entry[0] >= self.window_s:
            dropped = entry[2] if entry else 0
            self._seen[key] = [now, 1, 0]
            if len(self._seen) > 1000:              # forget the oldest keys
                for old in list(self._seen)[:500]:
                    del self._seen[old]
            if dropped:
                record.msg = f"{record.msg} ({dropped} more like this were not logged)"
            return True
        entry[1] += 1
        if entry[1] <= self.burst:
            return True
        entry[2] += 1
        return False


def _level(value: str | int) -> int:
    if isinstance(value, int):
        return value
    level = logging.getLevelName(value.upper())
    return level if isinstance(level, int) else logging.WARNING


def setup_logging(level: str | int, libraries: str | int | None = None) -> None:
    """Log to stderr: tobsd's loggers at `level`, other libraries at
    `libraries` (default: $TOBSD_LOG_LIBRARIES, else warning)."""
    journal = bool(os.environ.get("JOURNAL_STREAM"))
    if libraries is None:
        libraries = os.environ.get(LIBRARIES_ENV) or logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLineFormatter(journal))
    handler.addFilter(RateLimit())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(_level(libraries))
    logging.getLogger("tobsd").setLevel(_level(level))
