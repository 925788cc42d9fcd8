"""A set of chats with work due, handed out in rounds: the waiting is on
the first addition, not on a clock, so a daemon at rest does not wake."""
from __future__ import annotations

import asyncio
import time


class DueSet:
    """Chat ids with work due. :meth:`add` marks one; :meth:`take` waits
    until some are marked and returns them all, at most once per
    ``min_interval_s`` (so many marks in a burst make one round)."""

    def __init__(self) -> None:
        self._ids: set[int] = set()
        self._event = asyncio.Event()
        self._last = float("-inf")

    def add(self, chat_id: int) -> None:
        self._ids.add(chat_id)
        self._event.set()

    def __contains__(self, chat_id: object) -> bool:
        return chat_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    async def take(self, min_interval_s: float) -> set[int]:
        """Wait for a marked chat, then until ``min_interval_s`` after the
        previous round; return (and forget) every chat marked by then."""
        while not self._ids:
            self._event.clear()
            await self._event.wait()
        remaining = self._last + min_interval_s - time.monotonic()
        if remaining > 0:
            await asyncio.sleep(remaining)
        self._last = time.monotonic()
        ids, self._ids = self._ids, set()
        self._event.clear()
        return ids
