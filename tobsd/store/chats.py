"""The `chats` table: the chats tobsd tracks and their health."""

from __future__ import annotations

import time
from dataclasses import dataclass

from tobsd.store.db import Database

CHAT_KINDS = ("user", "bot", "group", "supergroup", "channel", "forum")

_COLUMNS = "id, kind, title, username, added_at, paused, error, error_at, needs_resync"


@dataclass(frozen=True, slots=True)
class ChatRow:
    """One tracked chat. `error` is a short code (e.g. CHANNEL_PRIVATE) or None while healthy."""

    id: int
    kind: str
    title: str
    username: str | None
    added_at: int
    paused: bool = False
    error: str | None = None
    error_at: int | None = None
    needs_resync: bool = False


def _row(r: tuple) -> ChatRow:
    return ChatRow(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7], bool(r[8]))


class ChatsTable:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def upsert(self, chat_id: int, kind: str, title: str, username: str | None = None,
                     now: int | None = None) -> ChatRow:
        """Add the chat, or refresh its kind, title and username; keeps added_at, pause and error."""
        if kind not in CHAT_KINDS:
            raise ValueError(f"unknown chat kind {kind!r}")
        added_at = int(time.time()) if now is None else now
        async with self._db.transaction():
            await self._db.execute(
                "INSERT INTO chats (id, kind, title, username, added_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, title = excluded.title, "
                "username = excluded.username",
                (chat_id, kind, title, username, added_at))
            row = await self.get(chat_id)
        assert row is not None
        return row

    async def get(self, chat_id: int) -> ChatRow | None:
        r = await self._db.fetchone(f"SELECT {_COLUMNS} FROM chats WHERE id = ?", (chat_id,))
        return None if r is None else _row(r)

    async def list(self) -> list[ChatRow]:
        return [_row(r) for r in await self._db.fetchall(f"SELECT {_COLUMNS} FROM chats ORDER BY id")]

    async def set_paused(self, chat_id: int, paused: bool) -> bool:
        """Returns False when no such chat."""
        return await self._db.execute("UPDATE chats SET paused = ? WHERE id = ?", (int(paused), chat_id)) > 0

    async def set_error(self, chat_id: int, error: str | None, now: int | None = None) -> bool:
        """Record the chat's error code, or clear it with None."""
        at = None if error is None else (int(time.time()) if now is None else now)
        return await self._db.execute("UPDATE chats SET error = ?, error_at = ? WHERE id = ?",
                                      (error, at, chat_id)) > 0

    async def set_needs_resync(self, chat_id: int, needs: bool) -> bool:
        return await self._db.execute("UPDATE chats SET needs_resync = ? WHERE id = ?",
                                      (int(needs), chat_id)) > 0

    async def remove(self, chat_id: int) -> bool:
        """Forget the chat with its cursor, shards and index rows (the notes stay in the vault)."""
        return await self._db.execute("DELETE FROM chats WHERE id = ?", (chat_id,)) > 0
