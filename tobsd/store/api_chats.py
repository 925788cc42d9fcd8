"""The `api_chats` table: chats added through the control API, so they
survive restarts. Chats of the configuration file never appear here."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from tobsd.store.db import Database

_COLUMNS = "chat_id, ref, since, media, remove_deleted, added_at"


@dataclass(frozen=True, slots=True)
class ApiChatRow:
    chat_id: int
    ref: str
    since: dt.date | None
    media: bool
    remove_deleted: bool
    added_at: int


def _row(r: tuple) -> ApiChatRow:
    since = dt.date.fromisoformat(r[2]) if r[2] else None
    return ApiChatRow(r[0], r[1], since, bool(r[3]), bool(r[4]), r[5])


class ApiChatsTable:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def put(self, chat_id: int, ref: str, *, since: dt.date | None, media: bool,
                  remove_deleted: bool, now: int | None = None) -> None:
        """Record (or replace) an API chat; its `chats` row must exist."""
        await self._db.execute(
            f"INSERT OR REPLACE INTO api_chats ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
            (chat_id, ref, since.isoformat() if since else None, int(media), int(remove_deleted),
             int(time.time()) if now is None else now))

    async def list(self) -> list[ApiChatRow]:
        return [_row(r) for r in await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM api_chats ORDER BY added_at, chat_id")]

    async def remove(self, chat_id: int) -> bool:
        return await self._db.execute("DELETE FROM api_chats WHERE chat_id = ?", (chat_id,)) > 0
