"""Takeout state: the open Takeout session's id, and the TAKEOUT_INIT_DELAY deadline.

While `delay_until` is in the future Telegram refuses a new Takeout session;
the backfill uses the normal API until then and tries Takeout again after,
never in a loop. The id is kept so a restart can reuse the session, and
cleared when the session is finished on a clean shutdown.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from tobsd.store.db import Database


@dataclass(frozen=True, slots=True)
class TakeoutState:
    takeout_id: int | None = None
    delay_until: float | None = None
    started_at: int | None = None

    def delayed(self, now: float | None = None) -> bool:
        """Whether Telegram still makes us wait before a Takeout session can open."""
        now = time.time() if now is None else now
        return self.delay_until is not None and self.delay_until > now


class TakeoutTable:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self) -> TakeoutState:
        r = await self._db.fetchone("SELECT takeout_id, delay_until, started_at FROM takeout WHERE id = 1")
        return TakeoutState() if r is None else TakeoutState(r[0], r[1], r[2])

    async def _update(self, assignments: str, params: tuple) -> None:
        async with self._db.transaction():
            await self._db.execute("INSERT OR IGNORE INTO takeout (id) VALUES (1)")
            await self._db.execute(f"UPDATE takeout SET {assignments} WHERE id = 1", params)

    async def set_session(self, takeout_id: int, now: int | None = None) -> None:
        """A Takeout session opened; the delay, if any, is over."""
        started = int(time.time()) if now is None else now
        await self._update("takeout_id = ?, started_at = ?, delay_until = NULL", (takeout_id, started))

    async def clear_session(self) -> None:
        """The session was finished (account.finishTakeoutSession) or found invalid."""
        await self._update("takeout_id = NULL, started_at = NULL", ())

    async def set_delay(self, until: float) -> None:
        """Telegram answered TAKEOUT_INIT_DELAY: no session before `until` (Unix seconds)."""
        await self._update("delay_until = ?", (float(until),))

    async def clear_delay(self) -> None:
        await self._update("delay_until = NULL", ())
