"""The `media_items` and `media_files` tables: what the download queue knows.

A `media_items` row per message with a downloadable file says where the
note's embed points and how the download stands; a `media_files` row per
stored content (by SHA-256) says where the one copy is. A copy is referenced
by every item whose `sha256` names it; `release` drops items and answers the
copies nothing references any more, so a file another note links to is
never removed.
"""
from __future__ import annotations

import sqlite3
from typing import Iterable, Sequence

from tobsd.core.media_ports import MediaItem, StoredFile
from tobsd.store.db import Database

_ITEM = ("chat_id, msg_id, file_id, tg_key, kind, size, mime, file_name, path, state, sha256, "
         "attempts, next_try, error")
LIVE_STATES = ("queued", "done", "failed", "skipped", "budget")


def _item(r: tuple) -> MediaItem:
    return MediaItem(*r)


def _file(r: tuple) -> StoredFile:
    derived = tuple(tuple(line.split("\t", 1)) for line in (r[4] or "").splitlines() if "\t" in line)
    return StoredFile(r[0], r[1], r[2], bool(r[3]), derived, r[5])


_FILE = "sha256, path, size, processed, derived, transcript"


def _requeue(conn: sqlite3.Connection, sha256: bytes) -> list[tuple[int, int]]:
    """The items showing the copy of `sha256`, whose file is gone, are
    queued to be downloaded again; returns them (chat id, message id)."""
    items = [tuple(r) for r in conn.execute(
        "SELECT chat_id, msg_id FROM media_items WHERE sha256 = ?", (sha256,)).fetchall()]
    conn.execute("UPDATE media_items SET state = 'queued', sha256 = NULL, attempts = 0, next_try = 0, "
                 "error = NULL, shown = 0 WHERE sha256 = ?", (sha256,))
    return items


class MediaTable:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get_many(self, chat_id: int, msg_ids: Iterable[int]) -> dict[int, MediaItem]:
        ids = list(msg_ids)
        out: dict[int, MediaItem] = {}
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            marks = ",".join("?" * len(part))
            for r in await self._db.fetchall(
                    f"SELECT {_ITEM} FROM media_items WHERE chat_id = ? AND msg_id IN ({marks})",
                    (chat_id, *part)):
                out[r[1]] = _item(r)
        return out

    async def get(self, chat_id: int, msg_id: int) -> MediaItem | None:
        return (await self.get_many(chat_id, [msg_id])).get(msg_id)

    async def insert(self, items: Sequence[MediaItem]) -> None:
        """Record new items (an item already recorded is left as it is);
        they are planned for a note about to be written, which shows them."""
        if items:
            await self._db.executemany(
                f"INSERT OR IGNORE INTO media_items ({_ITEM}, shown) VALUES ({','.join('?' * 15)})",
                [(*i.row(), 1) for i in items])

    async def replace(self, items: Sequence[MediaItem]) -> None:
        """Record items in place of the message's earlier one (an edit gave it another file)."""
        if items:
            await self._db.executemany(
                f"INSERT OR REPLACE INTO media_items ({_ITEM}, shown) VALUES ({','.join('?' * 15)})",
                [(*i.row(), 1) for i in items])

    async def done_by_key(self, tg_key: str) -> tuple[MediaItem, StoredFile] | None:
        """A downloaded copy of the content Telegram calls `tg_key`, if any."""
        r = await self._db.fetchone(
            f"SELECT {', '.join('i.' + c.strip() for c in _ITEM.split(','))} FROM media_items i "
            "JOIN media_files f ON f.sha256 = i.sha256 WHERE i.tg_key = ? AND i.state = 'done' "
            "LIMIT 1", (tg_key,))
        if r is None:
            return None
        stored = await self.file(r[10])
        return (_item(r), stored) if stored is not None else None

    async def file(self, sha256: bytes) -> StoredFile | None:
        r = await self._db.fetchone(f"SELECT {_FILE} FROM media_files WHERE sha256 = ?", (sha256,))
        return _file(r) if r else None

    async def files(self, sha256s: Iterable[bytes]) -> dict[bytes, StoredFile]:
        out = {}
        for sha in set(sha256s):
            stored = await self.file(sha)
            if stored is not None:
                out[sha] = stored
        return out

    async def due(self, now: float, limit: int, exclude: Iterable[tuple[int, int]] = ()) -> list[MediaItem]:
        """Queued items whose next try has come, oldest first (ties by message)."""
        skip = set(exclude)
        rows = await self._db.fetchall(
            f"SELECT {_ITEM} FROM media_items WHERE state = 'queued' AND next_try <= ? "
            "ORDER BY next_try, chat_id, msg_id LIMIT ?", (now, limit + len(skip)))
        return [i for i in map(_item, rows) if (i.chat_id, i.msg_id) not in skip][:limit]

    async def next_due(self) -> float | None:
        r = await self._db.fetchone("SELECT MIN(next_try) FROM media_items WHERE state = 'queued'")
        return r[0] if r else None

    async def land(self, item: MediaItem, sha256: bytes, path: str,
                   size: int) -> tuple[StoredFile, list[tuple[int, int]]]:
        """The item's file is in the vault at `path`: record the copy and
        point the item at it. A copy is landed only when the content has no
        copy on disk, so a row the content already has names a file that is
        gone (deleted by the user, or with a removed chat's notes): the row
        takes the new path and is processed afresh, and every other item
        that showed the lost copy shows the new one. A row of another
        content at `path` (its file was gone, so the name was free) is
        dropped and its items are queued again. Returns the copy and the
        other items changed (chat id, message id), whose notes need a rewrite."""
        def run(conn: sqlite3.Connection) -> tuple:
            moved: list[tuple[int, int]] = []
            # Another content recorded at this path lost its file there (the
            # name was free again): its items download it anew.
            for (stale,) in conn.execute("SELECT sha256 FROM media_files WHERE path = ? AND sha256 != ?",
                                         (path, sha256)).fetchall():
                moved += _requeue(conn, stale)
                conn.execute("DELETE FROM media_files WHERE sha256 = ?", (stale,))
            old = conn.execute("SELECT path FROM media_files WHERE sha256 = ?", (sha256,)).fetchone()
            if old is None:
                conn.execute("INSERT INTO media_files (sha256, path, size) VALUES (?, ?, ?)",
                             (sha256, path, size))
            else:
                conn.execute("UPDATE media_files SET path = ?, size = ?, processed = 0, derived = '', "
                             "transcript = NULL WHERE sha256 = ?", (path, size, sha256))
                moved += conn.execute("SELECT chat_id, msg_id FROM media_items WHERE sha256 = ? "
                                      "AND state = 'done' AND NOT (chat_id = ? AND msg_id = ?)",
                                      (sha256, item.chat_id, item.msg_id)).fetchall()
                conn.execute("UPDATE media_items SET path = ?, shown = 0 WHERE sha256 = ? AND state = 'done'",
                             (path, sha256))
            conn.execute("UPDATE media_items SET state = 'done', sha256 = ?, path = ?, error = NULL, "
                         "shown = 0 WHERE chat_id = ? AND msg_id = ?",
                         (sha256, path, item.chat_id, item.msg_id))
            row = conn.execute(f"SELECT {_FILE} FROM media_files WHERE sha256 = ?", (sha256,)).fetchone()
            return _file(row), [tuple(m) for m in moved]
        return await self._db.run(run)

    async def viewers(self, sha256: bytes) -> list[tuple[int, int]]:
        """The items (chat id, message id) that show the copy of `sha256`."""
        return [tuple(r) for r in await self._db.fetchall(
            "SELECT chat_id, msg_id FROM media_items WHERE sha256 = ? AND state = 'done'", (sha256,))]

    async def move_copy(self, sha256: bytes, path: str, size: int) -> None:
        """The copy of `sha256` is the file at `path` from now on (its
        compact re-encoding replaced the original), for every item showing it."""
        def run(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE media_files SET path = ?, size = ? WHERE sha256 = ?", (path, size, sha256))
            conn.execute("UPDATE media_items SET path = ?, shown = 0 WHERE sha256 = ? AND state = 'done'",
                         (path, sha256))
        await self._db.run(run)

    async def set_state(self, chat_id: int, msg_id: int, state: str, *, error: str | None = None,
                        attempts: int | None = None, next_try: float | None = None,
                        path: str | None = None) -> None:
        sets, args = ["state = ?", "error = ?", "shown = 0"], [state, error]
        for col, value in (("attempts", attempts), ("next_try", next_try), ("path", path)):
            if value is not None:
                sets.append(f"{col} = ?")
                args.append(value)
        await self._db.execute(f"UPDATE media_items SET {', '.join(sets)} WHERE chat_id = ? AND msg_id = ?",
                               (*args, chat_id, msg_id))

    async def link_existing(self, chat_id: int, msg_id: int, stored: StoredFile) -> None:
        await self._db.execute("UPDATE media_items SET state = 'done', sha256 = ?, path = ?, error = NULL, "
                               "shown = 0 WHERE chat_id = ? AND msg_id = ?",
                               (stored.sha256, stored.path, chat_id, msg_id))

    async def queued_with_key(self, tg_key: str) -> list[MediaItem]:
        return [_item(r) for r in await self._db.fetchall(
            f"SELECT {_ITEM} FROM media_items WHERE tg_key = ? AND state = 'queued'", (tg_key,))]

    async def set_processed(self, sha256: bytes, derived: Sequence[tuple[str, str]],
                            transcript: str | None) -> None:
        await self._db.execute(
            "UPDATE media_files SET processed = 1, derived = ?, transcript = ? WHERE sha256 = ?",
            ("\n".join(f"{role}\t{path}" for role, path in derived), transcript, sha256))

    async def release(self, chat_id: int, msg_ids: Iterable[int], *,
                      drop_done: bool) -> tuple[list[MediaItem], list[StoredFile]]:
        """Messages deleted in Telegram: items not downloaded become 'gone';
        with `drop_done` the downloaded ones are dropped too. Returns the
        items released and the copies no item references any more."""
        ids = list(msg_ids)

        def run(conn: sqlite3.Connection):
            released, orphans = [], []
            for mid in ids:
                r = conn.execute(f"SELECT {_ITEM} FROM media_items WHERE chat_id = ? AND msg_id = ?",
                                 (chat_id, mid)).fetchone()
                if r is None:
                    continue
                item = _item(r)
                if item.state == "done" and not drop_done:
                    continue
                released.append(item)
                if item.state == "done":
                    conn.execute("DELETE FROM media_items WHERE chat_id = ? AND msg_id = ?", (chat_id, mid))
                    left = conn.execute("SELECT COUNT(*) FROM media_items WHERE sha256 = ?",
                                        (item.sha256,)).fetchone()[0]
                    if not left:
                        f = conn.execute(f"SELECT {_FILE} FROM media_files WHERE sha256 = ?",
                                         (item.sha256,)).fetchone()
                        conn.execute("DELETE FROM media_files WHERE sha256 = ?", (item.sha256,))
                        if f:
                            orphans.append(_file(f))
                elif item.state != "gone":
                    conn.execute("UPDATE media_items SET state = 'gone' WHERE chat_id = ? AND msg_id = ?",
                                 (chat_id, mid))
            return released, orphans
        return await self._db.run(run)

    async def requeue_budget(self) -> int:
        """Items held by the disk budget go back to the queue (the budget is checked again)."""
        return await self._db.execute("UPDATE media_items SET state = 'queued', next_try = 0 "
                                      "WHERE state = 'budget'")

    async def stored_bytes(self) -> int:
        r = await self._db.fetchone("SELECT COALESCE(SUM(size), 0) FROM media_files")
        return int(r[0])

    async def referenced_bytes(self) -> int:
        r = await self._db.fetchone("SELECT COALESCE(SUM(f.size), 0) FROM media_items i "
                                    "JOIN media_files f ON f.sha256 = i.sha256 WHERE i.state = 'done'")
        return int(r[0])

    async def counts(self) -> dict[int, dict[str, int]]:
        """chat id -> state -> items."""
        out: dict[int, dict[str, int]] = {}
        for chat_id, state, n in await self._db.fetchall(
                "SELECT chat_id, state, COUNT(*) FROM media_items GROUP BY chat_id, state"):
            out.setdefault(chat_id, {})[state] = n
        return out

    async def failures(self, limit: int = 5) -> dict[int, list[str]]:
        """chat id -> the latest errors of its items that failed or are retrying."""
        out: dict[int, list[str]] = {}
        for chat_id, msg_id, err in await self._db.fetchall(
                "SELECT chat_id, msg_id, error FROM media_items WHERE error IS NOT NULL "
                "AND state IN ('queued', 'failed') ORDER BY chat_id, msg_id DESC"):
            if len(out.setdefault(chat_id, [])) < limit:
                out[chat_id].append(f"message {msg_id}: {err}")
        return out

    async def mark_shown(self, chat_id: int, msg_ids: Iterable[int]) -> None:
        await self._db.executemany("UPDATE media_items SET shown = 1 WHERE chat_id = ? AND msg_id = ?",
                                   [(chat_id, m) for m in msg_ids])

    async def unshown(self, limit: int = 10_000) -> dict[int, list[int]]:
        """chat id -> messages whose note may not show their item's state yet
        (a stop came between a change and the note's rewrite)."""
        out: dict[int, list[int]] = {}
        for chat_id, msg_id in await self._db.fetchall(
                "SELECT chat_id, msg_id FROM media_items WHERE shown = 0 AND state NOT IN ('queued', 'gone') "
                "LIMIT ?", (limit,)):
            out.setdefault(chat_id, []).append(msg_id)
        return out

    async def forget_chat(self, chat_id: int) -> list[MediaItem]:
        """Drop the chat's items not downloaded (a removed chat); returns them.
        Downloaded ones stay: their copies are in the vault, maybe linked by others."""
        def run(conn: sqlite3.Connection) -> list[MediaItem]:
            rows = conn.execute(f"SELECT {_ITEM} FROM media_items WHERE chat_id = ? AND state != 'done'",
                                (chat_id,)).fetchall()
            conn.execute("DELETE FROM media_items WHERE chat_id = ? AND state != 'done'", (chat_id,))
            return [_item(r) for r in rows]
        return await self._db.run(run)

    async def shown_elsewhere(self, chat_id: int) -> set[str]:
        """Paths of the copies some other chat's item shows."""
        return {r[0] for r in await self._db.fetchall(
            "SELECT DISTINCT f.path FROM media_files f JOIN media_items i ON i.sha256 = f.sha256 "
            "WHERE i.chat_id != ? AND i.state = 'done'", (chat_id,))}

    async def forget_deleted(self, chat_id: int, paths: Iterable[str]) -> list[tuple[int, int]]:
        """A removed chat's files were deleted from the vault (`paths`,
        vault-relative): the chat's remaining items go, so a chat added
        again plans its files afresh, and the copies at `paths` are
        forgotten. Another chat's item that showed one of them is queued
        again (its file is gone); those are returned (chat id, message id)."""
        gone = list(paths)

        def run(conn: sqlite3.Connection) -> list[tuple[int, int]]:
            conn.execute("DELETE FROM media_items WHERE chat_id = ?", (chat_id,))
            requeued: list[tuple[int, int]] = []
            for i in range(0, len(gone), 500):
                part = gone[i:i + 500]
                marks = ",".join("?" * len(part))
                shas = [r[0] for r in conn.execute(
                    f"SELECT sha256 FROM media_files WHERE path IN ({marks})", part).fetchall()]
                for sha in shas:
                    requeued += _requeue(conn, sha)
                    conn.execute("DELETE FROM media_files WHERE sha256 = ?", (sha,))
            return requeued
        return await self._db.run(run)
