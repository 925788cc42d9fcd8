"""The `reply_waits` table: replies written before the message they reply to.

A row is added in the transaction that indexes the reply (its note is
durable by then); it goes once the reply's block links to its target.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from tobsd.store.db import Database
from tobsd.store.index import chunks


@dataclass(frozen=True, slots=True)
class ReplyLink:
    """A waiting reply whose target is now indexed: where both blocks are."""

    msg_id: int
    note_path: str
    target_id: int
    target_note: str


def sql_add(conn, chat_id: int, pairs: Sequence[tuple[int, int]]) -> None:
    """Record (reply msg id, target msg id) pairs."""
    conn.executemany("INSERT OR IGNORE INTO reply_waits (chat_id, target_id, msg_id) "
                     "VALUES (?, ?, ?)", [(chat_id, t, m) for m, t in pairs])


_RESOLVABLE = (
    "SELECT w.msg_id, rn.path, w.target_id, tn.path FROM reply_waits w "
    "JOIN message_index r ON r.chat_id = w.chat_id AND r.msg_id = w.msg_id "
    "JOIN notes rn ON rn.id = r.note_id "
    "JOIN message_index t ON t.chat_id = w.chat_id AND t.msg_id = w.target_id "
    "JOIN notes tn ON tn.id = t.note_id WHERE w.chat_id = ?")


class ReplyWaits:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, chat_id: int, pairs: Sequence[tuple[int, int]]) -> None:
        """Record (reply msg id, target msg id) pairs (joins the caller's transaction)."""
        if pairs:
            await self._db.run(sql_add, chat_id, list(pairs))

    async def resolvable(self, chat_id: int, target_ids: Iterable[int] | None = None,
                         limit: int = 10_000) -> list[ReplyLink]:
        """Waiting replies whose target is indexed now (among `target_ids`,
        or any), with both notes; at most `limit` of them."""
        rows: list[tuple] = []
        if target_ids is None:
            rows = await self._db.fetchall(_RESOLVABLE + " LIMIT ?", (chat_id, limit))
        else:
            for part in chunks(sorted(set(target_ids))):
                rows += await self._db.fetchall(
                    _RESOLVABLE + f" AND w.target_id IN ({','.join('?' * len(part))})",
                    (chat_id, *part))
        return [ReplyLink(*r) for r in rows if r[1] and r[3]][:limit]

    async def waiting(self, chat_id: int) -> list[tuple[int, int]]:
        """Every (reply msg id, target msg id) still waiting in the chat."""
        return [(r[0], r[1]) for r in await self._db.fetchall(
            "SELECT msg_id, target_id FROM reply_waits WHERE chat_id = ? ORDER BY msg_id",
            (chat_id,))]

    async def clear(self, chat_id: int, pairs: Iterable[tuple[int, int]]) -> None:
        """Forget (reply msg id, target msg id) pairs: their links are written."""
        await self._db.executemany(
            "DELETE FROM reply_waits WHERE chat_id = ? AND target_id = ? AND msg_id = ?",
            [(chat_id, t, m) for m, t in pairs])
