"""Persisted FloodWait deadlines, so a restart keeps honouring Telegram's waits,
and the request rates the scheduler learned, so a restart does not probe again.

A key names what must wait, e.g. "messages.getHistory@dc2" (the rate
scheduler chooses the keys); the deadline is a Unix time in seconds (float).
Learned rates are small JSON objects kept in the `meta` table under
"learned_rate:<key>".
"""

from __future__ import annotations

import json
import time

from tobsd.store.db import Database


RATE_PREFIX = "learned_rate:"


class FloodWaits:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def set(self, key: str, until: float) -> None:
        """Record a deadline; an existing later deadline for the key is kept."""
        await self._db.execute(
            "INSERT INTO flood_waits (key, until) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET until = MAX(until, excluded.until)", (key, float(until)))

    async def until(self, key: str, now: float | None = None) -> float | None:
        """The key's deadline if it is still in the future, else None."""
        now = time.time() if now is None else now
        r = await self._db.fetchone("SELECT until FROM flood_waits WHERE key = ? AND until > ?", (key, now))
        return None if r is None else float(r[0])

    async def active(self, now: float | None = None) -> dict[str, float]:
        """Every deadline still in the future, by key (the scheduler loads these at start)."""
        now = time.time() if now is None else now
        rows = await self._db.fetchall("SELECT key, until FROM flood_waits WHERE until > ? ORDER BY key", (now,))
        return {k: float(u) for k, u in rows}

    async def purge(self, now: float | None = None) -> int:
        """Drop deadlines that have passed; returns how many."""
        now = time.time() if now is None else now
        return await self._db.execute("DELETE FROM flood_waits WHERE until <= ?", (now,))

    async def rates(self) -> dict[str, dict]:
        """Every learned rate, by scheduler key (unreadable entries are skipped)."""
        rows = await self._db.fetchall("SELECT key, value FROM meta WHERE key >= ? AND key < ?",
                                       (RATE_PREFIX, RATE_PREFIX[:-1] + ";"))
        out = {}
        for key, value in rows:
            try:
                data = json.loads(value)
            except (TypeError, ValueError):
                continue
            if isinstance(data, dict):
                out[key[len(RATE_PREFIX):]] = data
        return out

    async def set_rate(self, key: str, learned: dict) -> None:
        await self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (RATE_PREFIX + key, json.dumps(learned, sort_keys=True)))
