"""Local dates and times as the vault writes them, without ``strftime``.

Every message needs its header time and its period note's name; formatting
them through ``strftime`` (or format specs) costs more than the rest of the
header. These functions give exactly what ``strftime`` gives for the same
fields, from a table of two-digit strings. The caller converts to the local
time zone first (``astimezone``), so DST and odd offsets stay right.

Years below 1000 go through ``strftime`` itself: whether ``%Y`` pads them
depends on the C library.
"""

from __future__ import annotations

from datetime import datetime

_TWO = tuple(f"{i:02d}" for i in range(100))


def clock(local: datetime, period: str) -> str:
    """``strftime("%H:%M")`` for daily notes, else ``strftime("%Y-%m-%d %H:%M")``."""
    if period == "day":
        return _TWO[local.hour] + ":" + _TWO[local.minute]
    if local.year < 1000:
        return local.strftime("%Y-%m-%d %H:%M")
    return f"{local.year}-{_TWO[local.month]}-{_TWO[local.day]} {_TWO[local.hour]}:{_TWO[local.minute]}"


def period_name(local: datetime, period: str) -> str:
    """``strftime("%Y-%m")`` for monthly notes, else ``strftime("%Y-%m-%d")``."""
    if local.year < 1000:
        return local.strftime("%Y-%m") if period == "month" else local.strftime("%Y-%m-%d")
    if period == "month":
        return f"{local.year}-{_TWO[local.month]}"
    return f"{local.year}-{_TWO[local.month]}-{_TWO[local.day]}"
