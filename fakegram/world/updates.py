"""Update boxes: a pts counter with a bounded log of what changed.

The account has one box for the common message box (private chats and basic
groups); every channel has its own. A box remembers its last `size` events;
asking for a difference from a pts older than that answers too_long, as
Telegram does when a client was away too long.
"""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # world.py imports this module
    from .world import WorldEvent

DEFAULT_LOG_SIZE = 10_000


class UpdateBox:
    """One pts sequence and its recent events (oldest first)."""

    __slots__ = ("pts", "_log", "_floor")

    def __init__(self, pts: int, size: int = DEFAULT_LOG_SIZE):
        self.pts = pts
        self._log: deque[WorldEvent] = deque(maxlen=size)
        self._floor = pts  # the oldest pts a difference can start from

    def record(self, event: WorldEvent) -> WorldEvent:
        """Append an event whose pts/pts_count the caller has not set yet:
        this sets event.pts to the box's pts after the change."""
        self.pts += event.pts_count
        event.pts = self.pts
        if len(self._log) == self._log.maxlen:
            dropped = self._log[0]
            self._floor = dropped.pts
        self._log.append(event)
        return event

    def resize(self, size: int) -> None:
        """Keep at most the last `size` events from now on (older ones are
        forgotten: a difference from before them is too long)."""
        size = max(1, int(size))
        kept = list(self._log)[-size:]
        if len(kept) < len(self._log):
            self._floor = self._log[len(self._log) - len(kept) - 1].pts
        self._log = deque(kept, maxlen=size)

    def difference(self, pts: int, limit: int) -> tuple[list[WorldEvent], int, bool]:
        """(events after `pts` oldest first, at most `limit` of them; the pts
        after them; too_long) -- the fields of a `Difference`."""
        if pts >= self.pts:
            return [], self.pts, False
        if pts < self._floor:
            return [], self.pts, True
        limit = max(1, limit)
        events = []
        for event in reversed(self._log):  # the asked gap is usually short
            if event.pts <= pts:
                break
            events.append(event)
        events.reverse()
        events = events[:limit]
        return events, (events[-1].pts if events else self.pts), False
