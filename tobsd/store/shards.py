"""The `backfill_shards` table: a chat's history split into id ranges fetched concurrently.

A shard covers ids lo_id <= id < hi_id and is fetched downwards: requests ask
for ids below `next_offset` (Telegram's offset_id), so everything in
[next_offset, hi_id) is applied. The engine advances next_offset in the same
transaction as the index rows of the page, so after a crash each shard
resumes where its last committed page ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from tobsd.store.db import Database


@dataclass(frozen=True, slots=True)
class Shard:
    chat_id: int
    lo_id: int
    hi_id: int
    next_offset: int
    done: bool = False


def _shard(r: tuple) -> Shard:
    return Shard(r[0], r[1], r[2], r[3], bool(r[4]))


def sql_create(conn, chat_id: int, ranges: list[tuple[int, int]]) -> None:
    rows = []
    for lo, hi in ranges:
        if lo >= hi:
            raise ValueError(f"empty shard range [{lo}, {hi})")
        rows.append((chat_id, lo, hi, hi))
    conn.executemany(
        "INSERT OR IGNORE INTO backfill_shards (chat_id, lo_id, hi_id, next_offset) VALUES (?, ?, ?, ?)", rows)


def sql_advance(conn, chat_id: int, lo_id: int, next_offset: int) -> None:
    conn.execute(
        "UPDATE backfill_shards SET next_offset = MIN(next_offset, ?), "
        "done = CASE WHEN MIN(next_offset, ?) <= lo_id THEN 1 ELSE done END "
        "WHERE chat_id = ? AND lo_id = ?", (next_offset, next_offset, chat_id, lo_id))


def sql_finish(conn, chat_id: int, lo_id: int) -> None:
    conn.execute("UPDATE backfill_shards SET done = 1 WHERE chat_id = ? AND lo_id = ?",
                 (chat_id, lo_id))


def sql_cut(conn, chat_id: int, lo_id: int, points: list[int]) -> None:
    """See ShardsTable.cut; `points` descending."""
    row = conn.execute("SELECT next_offset, done FROM backfill_shards WHERE chat_id = ? AND lo_id = ?",
                       (chat_id, lo_id)).fetchone()
    if row is None:
        raise KeyError(f"no shard ({chat_id}, {lo_id})")
    next_offset, done = row
    if done or not all(lo_id < p < next_offset for p in points):
        raise ValueError(f"cannot cut shard {lo_id} (next_offset {next_offset}) at {points}")
    if not points:
        return
    conn.execute("UPDATE backfill_shards SET lo_id = ? WHERE chat_id = ? AND lo_id = ?",
                 (points[0], chat_id, lo_id))
    uppers = points
    lowers = points[1:] + [lo_id]
    conn.executemany(
        "INSERT INTO backfill_shards (chat_id, lo_id, hi_id, next_offset) VALUES (?, ?, ?, ?)",
        [(chat_id, lo, hi, hi) for lo, hi in zip(lowers, uppers)])


def sql_try_split(conn, chat_id: int, lo_id: int, at: int) -> bool:
    """See ShardsTable.try_split."""
    row = conn.execute("SELECT next_offset, done FROM backfill_shards WHERE chat_id = ? AND lo_id = ?",
                       (chat_id, lo_id)).fetchone()
    if row is None or row[1] or not lo_id < at < row[0]:
        return False
    conn.execute("UPDATE backfill_shards SET lo_id = ? WHERE chat_id = ? AND lo_id = ?",
                 (at, chat_id, lo_id))
    conn.execute("INSERT INTO backfill_shards (chat_id, lo_id, hi_id, next_offset) VALUES (?, ?, ?, ?)",
                 (chat_id, lo_id, at, at))
    return True


class ShardsTable:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, chat_id: int, ranges: Iterable[tuple[int, int]]) -> None:
        """Add shards for the (lo_id, hi_id) ranges; a range whose lo_id already has a shard is kept as is."""
        await self._db.run(sql_create, chat_id, list(ranges))

    async def list(self, chat_id: int, pending_only: bool = False) -> list[Shard]:
        """The chat's shards, highest range first (newest history is fetched first)."""
        where = " AND done = 0" if pending_only else ""
        rows = await self._db.fetchall(
            "SELECT chat_id, lo_id, hi_id, next_offset, done FROM backfill_shards "
            f"WHERE chat_id = ?{where} ORDER BY hi_id DESC", (chat_id,))
        return [_shard(r) for r in rows]

    async def pending(self, chat_id: int) -> list[Shard]:
        return await self.list(chat_id, pending_only=True)

    async def advance(self, chat_id: int, lo_id: int, next_offset: int) -> None:
        """Record that [next_offset, hi_id) is applied; never moves back up. At or below lo_id the shard is done."""
        await self._db.run(sql_advance, chat_id, lo_id, next_offset)

    async def finish(self, chat_id: int, lo_id: int) -> None:
        """Mark the shard done (e.g. Telegram returned no more messages in its range)."""
        await self._db.run(sql_finish, chat_id, lo_id)

    async def split(self, chat_id: int, lo_id: int, at: int) -> Shard:
        """Split a pending shard's unfetched part at id `at`: it keeps [at, hi_id) and a new shard
        takes [lo_id, at). Requires lo_id < at < next_offset. Returns the new lower shard."""
        async with self._db.transaction():
            r = await self._db.fetchone(
                "SELECT chat_id, lo_id, hi_id, next_offset, done FROM backfill_shards WHERE chat_id = ? AND lo_id = ?",
                (chat_id, lo_id))
            if r is None:
                raise KeyError(f"no shard ({chat_id}, {lo_id})")
            shard = _shard(r)
            if shard.done or not shard.lo_id < at < shard.next_offset:
                raise ValueError(f"cannot split shard [{shard.lo_id}, {shard.hi_id}) "
                                 f"(next_offset {shard.next_offset}) at {at}")
            await self._db.execute("UPDATE backfill_shards SET lo_id = ? WHERE chat_id = ? AND lo_id = ?",
                                   (at, chat_id, lo_id))
            await self._db.execute(
                "INSERT INTO backfill_shards (chat_id, lo_id, hi_id, next_offset) VALUES (?, ?, ?, ?)",
                (chat_id, lo_id, at, at))
        return Shard(chat_id, lo_id, at, at)

    async def try_split(self, chat_id: int, lo_id: int, at: int) -> bool:
        """`split`, checked and made in one step in the database thread:
        False (and nothing changed) when the shard is gone, done, or `at`
        is not inside its unfetched part."""
        return await self._db.run(sql_try_split, chat_id, lo_id, at)

    async def cut(self, chat_id: int, lo_id: int, points: list[int]) -> None:
        """Cut a pending shard's unfetched part at each of `points` (ids with
        lo_id < point < next_offset): one shard per piece, in one
        transaction (the same as a `split` at each point, highest first)."""
        await self._db.run(sql_cut, chat_id, lo_id, sorted(set(points), reverse=True))

    async def clear(self, chat_id: int) -> None:
        """Drop all the chat's shards (its backfill is done or restarted)."""
        await self._db.execute("DELETE FROM backfill_shards WHERE chat_id = ?", (chat_id,))
