"""The `followed_chats` table: chats whose update stream tobsd applied
without a break since they were last complete (tobsd/sync/followed.py
says when a chat is written here and what a restart may skip for it)."""
from __future__ import annotations

from typing import Iterable

from tobsd.store.db import Database


def _take(conn) -> list[int]:
    ids = [r[0] for r in conn.execute("SELECT chat_id FROM followed_chats").fetchall()]
    conn.execute("DELETE FROM followed_chats")
    return ids


class FollowedChats:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def take(self) -> set[int]:
        """Every chat recorded, removed from the table in the same transaction."""
        return set(await self._db.run(_take))

    async def add(self, chat_id: int) -> None:
        """Record the chat (a chat the state does not know is ignored)."""
        await self._db.execute("INSERT OR IGNORE INTO followed_chats (chat_id) "
                               "SELECT id FROM chats WHERE id = ?", (chat_id,))

    async def discard(self, chat_ids: Iterable[int]) -> None:
        ids = list(chat_ids)
        if ids:
            await self._db.executemany("DELETE FROM followed_chats WHERE chat_id = ?",
                                       [(i,) for i in ids])

    async def list(self) -> set[int]:
        return {r[0] for r in await self._db.fetchall("SELECT chat_id FROM followed_chats")}
