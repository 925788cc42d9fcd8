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

    async def load_rates(self) -> dict[str, dict]:
        """What each pacer learned (see pacer.Learned), by pacer key."""

    async def save_rate(self, key: str, learned: dict) -> None:
        """Record what a pacer learned, replacing what was recorded."""


class MemoryFloodStore:
    """FloodPersistence in memory: survives a new scheduler, not a new process."""

    def __init__(self, initial: dict[str, float] | None = None) -> None:
        self.deadlines: dict[str, float] = dict(initial or {})
        self.rates: dict[str, dict] = {}

    async def load(self) -> dict[str, float]:
        now = time.time()
        return {k: v for k, v in self.deadlines.items() if v > now}

    async def save(self, key: str, until_epoch: float) -> None:
        self.deadlines[key] = max(self.deadlines.get(key, 0.0), float(until_epoch))

    async def load_rates(self) -> dict[str, dict]:
        return dict(self.rates)

    async def save_rate(self, key: str, learned: dict) -> None:
        self.rates[key] = dict(learned)


class FloodTableAdapter:
    """FloodPersistence over the store's flood-wait table (an object with
    `async active() -> dict[str, float]`, `async set(key, until)`,
    `async rates() -> dict[str, dict]` and `async set_rate(key, dict)`, as
    tobsd.store.floodwait.FloodWaits has), without importing the store."""

    def __init__(self, table) -> None:
        self._table = table

    async def load(self) -> dict[str, float]:
        return dict(await self._table.active())

    async def save(self, key: str, until_epoch: float) -> None:
        await self._table.set(key, until_epoch)

    async def load_rates(self) -> dict[str, dict]:
        return dict(await self._table.rates())

    async def save_rate(self, key: str, learned: dict) -> None:
        await self._table.set_rate(key, learned)
