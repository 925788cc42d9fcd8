"""Pending writes: batches being written to notes whose index rows are not
committed yet (see migrations/0002_pending_writes.sql for why they are kept).

Rows are few: one per batch in flight, plus any a crash left behind."""
from __future__ import annotations

from typing import Iterable, Sequence

import msgpack

from tobsd.store.db import Database
from tobsd.store.index import chunks


def sql_add(conn, chat_id: int, packed: bytes) -> int:
    return conn.execute("INSERT INTO pending_writes (chat_id, messages) VALUES (?, ?)",
                        (chat_id, packed)).lastrowid


def sql_clear(conn, keys: list[int]) -> None:
    conn.executemany("DELETE FROM pending_writes WHERE id = ?", [(k,) for k in keys])


class PendingWrites:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, chat_id: int, rows: Sequence[tuple[int, int, int | None]]) -> int:
        """Record a batch of (msg_id, date, topic_id) about to be written; returns its key."""
        return await self._db.run(sql_add, chat_id, msgpack.packb([list(r) for r in rows]))

    async def clear(self, keys: Iterable[int]) -> None:
        """Forget batches whose index rows are now recorded (joins the caller's transaction)."""
        await self._db.run(sql_clear, list(keys))

    async def get_many(self, chat_id: int, msg_ids: Iterable[int]) -> dict[int, tuple[int, int | None]]:
        """msg_id -> (date, topic_id) for the given ids found in the chat's pending batches."""
        wanted = set(msg_ids)
        out: dict[int, tuple[int, int | None]] = {}
        if not wanted:
            return out
        for (blob,) in await self._db.fetchall(
                "SELECT messages FROM pending_writes WHERE chat_id = ?", (chat_id,)):
            for msg_id, date, topic_id in msgpack.unpackb(blob):
                if msg_id in wanted:
                    out[msg_id] = (date, topic_id)
        return out

    async def ids(self, chat_id: int) -> list[int]:
        """Every message id in the chat's pending batches (written to a note
        perhaps, never indexed: a crash left them), ascending."""
        found: set[int] = set()
        for (blob,) in await self._db.fetchall(
                "SELECT messages FROM pending_writes WHERE chat_id = ?", (chat_id,)):
            found.update(r[0] for r in msgpack.unpackb(blob))
        return sorted(found)

    async def prune(self) -> int:
        """Drop batches a crash left behind whose messages have all been
        indexed since (applied again after the restart). Returns how many."""
        dropped = 0
        for key, chat_id, blob in await self._db.fetchall(
                "SELECT id, chat_id, messages FROM pending_writes"):
            ids = [r[0] for r in msgpack.unpackb(blob)]
            indexed = {row[0] for part in chunks(ids) for row in await self._db.fetchall(
                f"SELECT msg_id FROM message_index WHERE chat_id = ? AND msg_id IN "
                f"({','.join('?' * len(part))})", (chat_id, *part))}
            if indexed.issuperset(ids):
                await self.clear([key])
                dropped += 1
        return dropped
