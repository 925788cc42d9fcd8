"""The `cursors` table: how far each chat is synced.

Cursor moves are monotonic in SQL (MAX / MIN against the stored value), so a
late or repeated write can never move a cursor back and hide a message.
Callers advance a cursor in the same transaction as the index rows it covers,
after the notes are durably written.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from tobsd.store.db import Database


@dataclass(frozen=True, slots=True)
class Cursor:
    """`max_applied_id`: highest id applied (0: none). `min_backfilled_id`: lowest id the
    backfill reached (None: not started). The update state (account and channel
    pts) is in `update_state` (updatestate.py)."""

    chat_id: int
    max_applied_id: int = 0
    min_backfilled_id: int | None = None
    backfill_done: bool = False


def _ensure(conn, chat_id: int) -> None:
    conn.execute("INSERT OR IGNORE INTO cursors (chat_id, updated_at) VALUES (?, ?)",
                 (chat_id, int(time.time())))


def sql_advance_max_applied(conn, chat_id: int, msg_id: int) -> None:
    """Raise max_applied_id to msg_id (no-op if it is already higher)."""
    _ensure(conn, chat_id)
    conn.execute("UPDATE cursors SET max_applied_id = MAX(max_applied_id, ?), updated_at = ? "
                 "WHERE chat_id = ?", (msg_id, int(time.time()), chat_id))


def sql_advance_min_backfilled(conn, chat_id: int, msg_id: int) -> None:
    """Lower min_backfilled_id to msg_id (no-op if it is already lower)."""
    _ensure(conn, chat_id)
    conn.execute("UPDATE cursors SET min_backfilled_id = MIN(COALESCE(min_backfilled_id, ?), ?), "
                 "updated_at = ? WHERE chat_id = ?", (msg_id, msg_id, int(time.time()), chat_id))


def sql_set_backfill_done(conn, chat_id: int, done: bool) -> None:
    _ensure(conn, chat_id)
    conn.execute("UPDATE cursors SET backfill_done = ?, updated_at = ? WHERE chat_id = ?",
                 (int(done), int(time.time()), chat_id))


class CursorsTable:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, chat_id: int) -> Cursor:
        """The chat's cursor; a fresh one (nothing applied) when none is stored."""
        r = await self._db.fetchone(
            "SELECT max_applied_id, min_backfilled_id, backfill_done FROM cursors WHERE chat_id = ?",
            (chat_id,))
        if r is None:
            return Cursor(chat_id)
        return Cursor(chat_id, r[0], r[1], bool(r[2]))

    async def get_many(self, chat_ids) -> dict[int, Cursor]:
        """The cursors of `chat_ids` in one read (fresh ones where none is stored)."""
        wanted = set(chat_ids)
        out = {cid: Cursor(cid) for cid in wanted}
        if not wanted:
            return out
        for cid, top, low, done in await self._db.fetchall(
                "SELECT chat_id, max_applied_id, min_backfilled_id, backfill_done FROM cursors"):
            if cid in wanted:
                out[cid] = Cursor(cid, top, low, bool(done))
        return out

    async def advance_max_applied(self, chat_id: int, msg_id: int) -> None:
        """Raise max_applied_id to msg_id (no-op if it is already higher)."""
        await self._db.run(sql_advance_max_applied, chat_id, msg_id)

    async def advance_min_backfilled(self, chat_id: int, msg_id: int) -> None:
        """Lower min_backfilled_id to msg_id (no-op if it is already lower)."""
        await self._db.run(sql_advance_min_backfilled, chat_id, msg_id)

    async def set_backfill_done(self, chat_id: int, done: bool = True) -> None:
        await self._db.run(sql_set_backfill_done, chat_id, done)
