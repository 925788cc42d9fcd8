"""Where the rate scheduler keeps FloodWait deadlines across restarts.

The scheduler takes any object with `load()` and `save()` (the
`FloodPersistence` Protocol). The daemon wires it to the state database's
flood-wait table with `FloodTableAdapter`; tests use `MemoryFloodStore`.
Keys are the scheduler's ("messages.getHistory@dc2", "takeout_delay");
deadlines are Unix times in seconds.
"""
from __future__ import annotations

import time
from typing import Protocol


class FloodPersistence(Protocol):
    async def load(self) -> dict[str, float]:
        """Every deadline still in the future, by key."""

    async def save(self, key: str, until_epoch: float) -> None:
        """Record a deadline (a later one already recorded for the key wins)."""


class MemoryFloodStore:
    """FloodPersistence in memory: survives a new scheduler, not a new process."""

    def __init__(self, initial: dict[str, float] | None = None) -> None:
        self.deadlines: dict[str, float] = dict(initial or {})

    async def load(self) -> dict[str, float]:
        now = time.time()
        return {k: v for k, v in self.deadlines.items() if v > now}

    async def save(self, key: str, until_epoch: float) -> None:
        self.deadlines[key] = max(self.deadlines.get(key, 0.0), float(until_epoch))


class FloodTableAdapter:
    """FloodPersistence over the store's flood-wait table (an object with
    `async active() -> dict[str, float]` and `async set(key, until)`, as
    tobsd.store.floodwait.FloodWaits has), without importing the store."""

    def __init__(self, table) -> None:
        self._table = table

    async def load(self) -> dict[str, float]:
        return dict(await self._table.active())

    async def save(self, key: str, until_epoch: float) -> None:
        await self._table.set(key, until_epoch)
