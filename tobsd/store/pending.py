"""Pending writes: messages being written to notes whose index rows are not
committed yet (see migrations/0002_pending_writes.sql for why they are kept)."""
from __future__ import annotations

from typing import Iterable, Sequence

from tobsd.store.db import Database
from tobsd.store.index import chunks


class PendingWrites:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_many(self, chat_id: int, rows: Sequence[tuple[int, int, int | None]]) -> None:
        """Record (msg_id, date, topic_id) rows about to be written."""
        if not rows:
            return
        async with self._db.transaction():
            await self._db.executemany(
                "INSERT OR REPLACE INTO pending_writes (chat_id, msg_id, date, topic_id) "
                "VALUES (?, ?, ?, ?)", [(chat_id, *row) for row in rows])

    async def clear(self, chat_id: int, msg_ids: Iterable[int]) -> None:
        """Forget rows whose index rows are now recorded (joins the caller's transaction)."""
        ids = sorted(set(msg_ids))
        async with self._db.transaction():
            for part in chunks(ids):
                marks = ",".join("?" * len(part))
                await self._db.execute(
                    f"DELETE FROM pending_writes WHERE chat_id = ? AND msg_id IN ({marks})",
                    (chat_id, *part))

    async def get_many(self, chat_id: int, msg_ids: Iterable[int]) -> dict[int, tuple[int, int | None]]:
        """msg_id -> (date, topic_id) for the ids that have a pending row."""
        ids = sorted(set(msg_ids))
        out: dict[int, tuple[int, int | None]] = {}
        for part in chunks(ids):
            marks = ",".join("?" * len(part))
            for msg_id, date, topic_id in await self._db.fetchall(
                    f"SELECT msg_id, date, topic_id FROM pending_writes "
                    f"WHERE chat_id = ? AND msg_id IN ({marks})", (chat_id, *part)):
                out[msg_id] = (date, topic_id)
        return out
