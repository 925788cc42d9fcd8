"""Logging set-up shared by the daemon and its vault writer process."""
from __future__ import annotations

import logging
import os
import sys


def setup_logging(level: str | int) -> None:
    """Log to stderr at `level` (a name or a number); quieter libraries."""
    # Under systemd the journal adds its own timestamps.
    fmt = "%(levelname)s %(name)s: %(message)s" if os.environ.get("JOURNAL_STREAM") \
        else "%(asctime)s %(levelname)s %(name)s: %(message)s"
    logging.basicConfig(level=level.upper() if isinstance(level, str) else level,
                        stream=sys.stderr, format=fmt)
    # Telethon logs connection details at INFO, watchfiles every batch of
    # changes (most of them the daemon's own writes); keep the log readable.
    for noisy in ("telethon", "watchfiles"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
