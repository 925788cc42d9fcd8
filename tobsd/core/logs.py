"""Logging set-up shared by the daemon and its vault writer process.

tobsd's own loggers ("tobsd.*") log at the configured level; every other
library (aiosqlite, which logs each SQL statement with its parameters at
debug; Telethon; watchfiles; asyncio) stays at warning, so a debug log of an
idle daemon stays small and holds no chat titles from SQL parameters. Ask
for more with `--log-libraries LEVEL` (or $TOBSD_LOG_LIBRARIES, which the
vault writer process inherits).
"""
from __future__ import annotations

import logging
import os
import sys

LIBRARIES_ENV = "TOBSD_LOG_LIBRARIES"


def _level(value: str | int) -> int:
    if isinstance(value, int):
        return value
    level = logging.getLevelName(value.upper())
    return level if isinstance(level, int) else logging.WARNING


def setup_logging(level: str | int, libraries: str | int | None = None) -> None:
    """Log to stderr: tobsd's loggers at `level`, other libraries at
    `libraries` (default: $TOBSD_LOG_LIBRARIES, else warning)."""
    # Under systemd the journal adds its own timestamps.
    fmt = "%(levelname)s %(name)s: %(message)s" if os.environ.get("JOURNAL_STREAM") \
        else "%(asctime)s %(levelname)s %(name)s: %(message)s"
    if libraries is None:
        libraries = os.environ.get(LIBRARIES_ENV) or logging.WARNING
    logging.basicConfig(level=_level(libraries), stream=sys.stderr, format=fmt)
    logging.getLogger().setLevel(_level(libraries))
    logging.getLogger("tobsd").setLevel(_level(level))

