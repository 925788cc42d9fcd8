"""When the daemon takes its status again: on events, not on a clock.

Taking the status costs work per chat (the store's cursors and counts, the
protobuf answer), so a daemon that took it every second would spend CPU in
proportion to its chats while nothing happens. Instead:

* a state change (:meth:`ReportDue.now`) is reported at once;
* while anything is under way (a chat not live, a flood wait counting
  down: not :func:`at_rest`) every ``min_interval_s``, as a clock would;
* at rest, progress (:meth:`ReportDue.soon`: live messages written,
  deletions) at most once per ``min_interval_s``; with nothing announced
  only every ``max_interval_s`` (for what changes without an
  announcement), so a daemon at rest wakes for it once a minute whatever
  its number of chats.
"""
from __future__ import annotations

import asyncio
import time


AT_REST_CHAT_STATES = frozenset({"live", "paused", "error"})


def at_rest(status: dict) -> bool:
    """Whether a status shows nothing under way: every chat live, paused or
    failed for good, no flood wait counting down, the daemon running."""
    return (_value(status.get("state")) == "running"
            and all(_value(c.get("state")) in AT_REST_CHAT_STATES for c in status.get("chats", ()))
            and not (status.get("source") or {}).get("flood_waits"))


def _value(state) -> str | None:
    return getattr(state, "value", state)   # a str Enum hashes by its name, not its value


class ReportDue:
    """The report loop's wait (see module doc). Loop-bound: call from the event loop."""

    def __init__(self, *, min_interval_s: float = 1.0, max_interval_s: float | None = 60.0):
        self.min_interval_s = min_interval_s
        self.max_interval_s = max_interval_s
        self._event = asyncio.Event()
        self._urgent = False
        self._last = time.monotonic()

    def now(self) -> None:
        """A state changed: the next report goes out at once."""
        self._urgent = True
        self._event.set()

    # An Event-like face, for callers that were handed `Event.set`.
    set = now

    def soon(self) -> None:
        """Progress was made: report it within ``min_interval_s`` of the last report."""
        self._event.set()

    async def wait(self, *, at_rest: bool = False) -> None:
        """Until the next report is due; ``at_rest``: the last status showed
        nothing under way."""
        try:
            await asyncio.wait_for(self._event.wait(),
                                   self.max_interval_s if at_rest else self.min_interval_s)
        except asyncio.TimeoutError:
            pass
        while not self._urgent:
            remaining = self._last + self.min_interval_s - time.monotonic()
            if remaining <= 0:
                break
            self._event.clear()
            try:   # a state change meanwhile cuts the wait short
                await asyncio.wait_for(self._event.wait(), remaining)
            except asyncio.TimeoutError:
                break
        self._event.clear()
        self._urgent = False
        self._last = time.monotonic()
