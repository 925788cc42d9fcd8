"""The `topics` table: forum topic titles, kept current across restarts."""
from __future__ import annotations

from typing import Iterable

from tobsd.store.db import Database


class TopicsTable:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def titles(self, chat_id: int) -> dict[int, str]:
        """topic id -> title for one forum."""
        return {r[0]: r[1] for r in await self._db.fetchall(
            "SELECT topic_id, title FROM topics WHERE chat_id = ?", (chat_id,))}

    async def put(self, chat_id: int, titles: Iterable[tuple[int, str]]) -> None:
        """Insert or replace these (topic id, title) pairs."""
        await self._db.executemany(
            "INSERT INTO topics (chat_id, topic_id, title) VALUES (?, ?, ?) "
            "ON CONFLICT (chat_id, topic_id) DO UPDATE SET title = excluded.title",
            [(chat_id, tid, title) for tid, title in titles])
