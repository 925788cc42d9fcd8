"""The message index: one row per message applied to the vault.

A row says which note holds the message and the hash of what was written, so
the engine can tell an edit (hash differs) from a repeat (same hash: nothing
to do). Deleted messages keep their row with `deleted` set, so a late copy of
a deleted message is recognised as already applied.

Every write of rows first tells the applied-set (the Bloom filter) about the
pairs, then bumps `index_generation` in the same transaction; see applied.py
for why the order matters.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Iterable, Sequence

from tobsd.core.ports import IndexEntry
from tobsd.store.db import Database

# SQLite's default limit on bound parameters is 32766 (3.32+); stay far below.
_CHUNK = 500


_SELECT = ("SELECT i.chat_id, i.msg_id, i.date, n.path, i.content_hash, i.edit_date, i.deleted "
           "FROM message_index i JOIN notes n ON n.id = i.note_id")


def _entry(r: tuple) -> IndexEntry:
    return IndexEntry(r[0], r[1], r[2], r[3], bytes(r[4]), r[5], bool(r[6]))


def chunks(items: Sequence, size: int = _CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


IndexRow = tuple[int, int, int, str, bytes, "int | None", bool]
"""An index row as a plain tuple, in IndexEntry's field order (cheaper to
make by the thousand than the frozen dataclass)."""


def sql_put_many(conn, rows: Sequence[IndexRow]) -> None:
    """Write the rows (the caller has told the Bloom filter) and bump the generation."""
    paths = sorted({r[3] for r in rows})
    conn.executemany("INSERT OR IGNORE INTO notes (path) VALUES (?)", [(p,) for p in paths])
    note_ids: dict[str, int] = {}
    for part in chunks(paths):
        marks = ",".join("?" * len(part))
        note_ids.update((path, note_id) for note_id, path in conn.execute(
            f"SELECT id, path FROM notes WHERE path IN ({marks})", part))
    conn.executemany(
        "INSERT INTO message_index (chat_id, msg_id, date, edit_date, note_id, content_hash, deleted) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (chat_id, msg_id) DO UPDATE SET "
        "date = excluded.date, edit_date = excluded.edit_date, note_id = excluded.note_id, "
        "content_hash = excluded.content_hash, deleted = excluded.deleted",
        [(chat_id, msg_id, date, edit_date, note_ids[path], bytes(digest), int(deleted))
         for chat_id, msg_id, date, path, digest, edit_date, deleted in rows])
    conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'index_generation'")


class MessageIndex:
    def __init__(self, db: Database, on_add: Callable[[list[tuple[int, int]]], None]) -> None:
        self._db = db
        self._on_add = on_add

    async def put_many(self, entries: Sequence[IndexEntry]) -> None:
        """Insert or replace the rows for `entries`, atomically (joins the caller's transaction)."""
        if not entries:
            return
        # Under the write lock and before the rows exist, so the filter
        # (or a rebuild starting meanwhile) never lacks a row the DB has.
        await self._db.run(sql_put_many, [dataclasses.astuple(e) for e in entries],
                           before=lambda: self._on_add([(e.chat_id, e.msg_id) for e in entries]))

    async def put(self, entry: IndexEntry) -> None:
        await self.put_many([entry])

    async def get(self, chat_id: int, msg_id: int) -> IndexEntry | None:
        r = await self._db.fetchone(f"{_SELECT} WHERE i.chat_id = ? AND i.msg_id = ?", (chat_id, msg_id))
        return None if r is None else _entry(r)

    async def get_many(self, chat_id: int, msg_ids: Iterable[int]) -> dict[int, IndexEntry]:
        """The rows that exist among `msg_ids`, by id."""
        found: dict[int, IndexEntry] = {}
        for part in chunks(sorted(set(msg_ids))):
            marks = ",".join("?" * len(part))
            for r in await self._db.fetchall(f"{_SELECT} WHERE i.chat_id = ? AND i.msg_id IN ({marks})",
                                             (chat_id, *part)):
                found[r[1]] = _entry(r)
        return found

    async def existing_ids(self, chat_id: int, msg_ids: Iterable[int]) -> set[int]:
        """Which of `msg_ids` have a row (deleted or not); one indexed lookup per 500 ids."""
        found: set[int] = set()
        for part in chunks(sorted(set(msg_ids))):
            marks = ",".join("?" * len(part))
            rows = await self._db.fetchall(
                f"SELECT msg_id FROM message_index WHERE chat_id = ? AND msg_id IN ({marks})", (chat_id, *part))
            found.update(r[0] for r in rows)
        return found

    async def mark_deleted(self, chat_id: int, msg_ids: Iterable[int]) -> list[int]:
        """Mark rows deleted; returns the ids that were present and not yet deleted, ascending."""
        ids = sorted(set(msg_ids))
        changed: list[int] = []
        async with self._db.transaction():
            for part in chunks(ids):
                marks = ",".join("?" * len(part))
                rows = await self._db.fetchall(
                    f"SELECT msg_id FROM message_index WHERE chat_id = ? AND deleted = 0 AND msg_id IN ({marks})",
                    (chat_id, *part))
                hit = [r[0] for r in rows]
                if hit:
                    marks = ",".join("?" * len(hit))
                    await self._db.execute(
                        f"UPDATE message_index SET deleted = 1 WHERE chat_id = ? AND msg_id IN ({marks})",
                        (chat_id, *hit))
                changed.extend(hit)
        return sorted(changed)

    async def ids_between(self, chat_id: int, lo_id: int, hi_id: int, include_deleted: bool = False) -> list[int]:
        """Ids with a row in lo_id <= id < hi_id, ascending (for reconciling a range)."""
        extra = "" if include_deleted else " AND deleted = 0"
        rows = await self._db.fetchall(
            f"SELECT msg_id FROM message_index WHERE chat_id = ? AND msg_id >= ? AND msg_id < ?{extra} "
            "ORDER BY msg_id", (chat_id, lo_id, hi_id))
        return [r[0] for r in rows]

    async def ids_below(self, chat_id: int, hi_id: int, limit: int) -> list[int]:
        """The `limit` highest ids below hi_id that are not deleted, highest
        first (the page Telegram's history would answer from hi_id)."""
        rows = await self._db.fetchall(
            "SELECT msg_id FROM message_index WHERE chat_id = ? AND msg_id < ? AND deleted = 0 "
            "ORDER BY msg_id DESC LIMIT ?", (chat_id, hi_id, limit))
        return [r[0] for r in rows]

    async def newest_ids(self, chat_ids: Iterable[int]) -> dict[int, int]:
        """chat_id -> the highest id it holds that is not deleted (0: none),
        for every chat asked (the top message Telegram's dialog should show)."""
        chats = list(chat_ids)
        found = {c: 0 for c in chats}
        for start in range(0, len(chats), 500):
            part = chats[start:start + 500]
            marks = ",".join("?" * len(part))
            for chat_id, top in await self._db.fetchall(
                    f"SELECT chat_id, MAX(msg_id) FROM message_index WHERE chat_id IN ({marks}) "
                    "AND deleted = 0 GROUP BY chat_id", part):
                found[chat_id] = top or 0
        return found

    async def owners(self, chat_ids: Sequence[int], msg_ids: Iterable[int]) -> dict[int, int]:
        """msg_id -> the chat among `chat_ids` whose row it is (for deletions
        Telegram names by id alone: ids are unique across those chats)."""
        found: dict[int, int] = {}
        chats = list(chat_ids)
        if not chats:
            return found
        chat_marks = ",".join("?" * len(chats))
        for part in chunks(sorted(set(msg_ids))):
            marks = ",".join("?" * len(part))
            for chat_id, msg_id in await self._db.fetchall(
                    f"SELECT chat_id, msg_id FROM message_index WHERE chat_id IN ({chat_marks}) "
                    f"AND msg_id IN ({marks})", (*chats, *part)):
                found[msg_id] = chat_id
        return found

    async def recent(self, chat_id: int, limit: int) -> list[IndexEntry]:
        """The chat's `limit` highest-id rows that are not deleted, highest first (for edit checks)."""
        rows = await self._db.fetchall(
            f"{_SELECT} WHERE i.chat_id = ? AND i.deleted = 0 ORDER BY i.msg_id DESC LIMIT ?", (chat_id, limit))
        return [_entry(r) for r in rows]

    async def counts(self, chat_ids) -> dict[int, int]:
        """Index rows per chat of `chat_ids`, in one read."""
        wanted = sorted(set(chat_ids))
        out = dict.fromkeys(wanted, 0)
        for start in range(0, len(wanted), 500):    # SQLite's bound parameters per statement
            part = wanted[start:start + 500]
            for cid, n in await self._db.fetchall(
                    f"SELECT chat_id, count(*) FROM message_index WHERE chat_id IN "
                    f"({','.join('?' * len(part))}) GROUP BY chat_id", part):
                out[cid] = n
        return out

    async def count(self, chat_id: int | None = None) -> int:
        if chat_id is None:
            r = await self._db.fetchone("SELECT count(*) FROM message_index")
        else:
            r = await self._db.fetchone("SELECT count(*) FROM message_index WHERE chat_id = ?", (chat_id,))
        return int(r[0]) if r else 0
