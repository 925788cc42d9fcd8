"""`Store`: tobsd's state database, one object with a small table object per job.

    store = await Store.open(state_dir / "tobsd.db")
    async with store.transaction():          # one atomic batch
        await store.index.put_many(entries)  # notes already durably written
        await store.cursors.advance_max_applied(chat_id, entries[-1].msg_id)
    changes = Changes()                      # the same, in one trip to the DB thread
    changes.put_index(entries)
    changes.advance_max_applied(chat_id, entries[-1].msg_id)
    await store.commit(changes)
    if not await store.is_applied(chat_id, msg_id): ...
    await store.close()

Tables: `chats`, `api_chats` (chats added through the control API), `cursors`, `shards` (backfill id ranges), `index` (message
index), `pending` (messages being written whose index rows are not committed
yet), `flood` (FloodWait deadlines, also the Takeout init delay), `topics`
(forum topic titles), `replies` (replies written before their target),
`update_state` (the pts tobsd has applied, per box), `verify_pending`
(chats whose verification pass is under way), `followed` (chats a
restart may resume from the catch-up, see followed.py) and `media` (downloads and
the stored copies, see media.py). The Takeout id lives in the
Telethon session file. Every method runs in the caller's open transaction if its task
has one, else in its own. See db.py for transactions and durability,
applied.py for the Bloom filter behind `is_applied`.
"""

from __future__ import annotations

import secrets
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator, Iterable

from tobsd.store.api_chats import ApiChatsTable
from tobsd.store.applied import AppliedSet
from tobsd.store.changes import Changes
from tobsd.store.chats import ChatsTable
from tobsd.store.cursors import CursorsTable
from tobsd.store.db import Database
from tobsd.store.floodwait import FloodWaits
from tobsd.store.followed import FollowedChats
from tobsd.store.index import MessageIndex
from tobsd.store.media import MediaTable
from tobsd.store.pending import PendingWrites
from tobsd.store.replies import ReplyWaits
from tobsd.store.shards import ShardsTable
from tobsd.store.topics import TopicsTable
from tobsd.store.updatestate import UpdateStateTable

DEFAULT_BLOOM_CAPACITY = 1_000_000
DEFAULT_BLOOM_FP_RATE = 0.001


class Store:
    """The open state database; create with `await Store.open(path)`, end with `await close()`."""

    def __init__(self, db: Database, applied: AppliedSet) -> None:
        self.db = db
        self.applied = applied
        self.chats = ChatsTable(db)
        self.api_chats = ApiChatsTable(db)
        self.cursors = CursorsTable(db)
        self.shards = ShardsTable(db)
        self.index = MessageIndex(db, applied.note_added)
        self.flood = FloodWaits(db)
        self.pending = PendingWrites(db)
        self.topics = TopicsTable(db)
        self.replies = ReplyWaits(db)
        self.updates = UpdateStateTable(db)
        self.media = MediaTable(db)
        self.followed = FollowedChats(db)
        self._closed = False

    @classmethod
    async def open(cls, path: str | Path, *, bloom_path: str | Path | None = None,
                   bloom_capacity: int = DEFAULT_BLOOM_CAPACITY,
                   bloom_fp_rate: float = DEFAULT_BLOOM_FP_RATE) -> "Store":
        """Open or create the database at `path`, migrate it, and load or rebuild the Bloom filter.

        `bloom_path` defaults to `path` with the suffix ".bloom". The filter is
        sized for at least `bloom_capacity` messages at `bloom_fp_rate`.
        Raises SchemaTooNewError for a database from a newer tobsd.
        """
        path = Path(path)
        db = await Database.open(path)
        try:
            await db.executemany("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
                                 [("db_id", secrets.token_hex(16)), ("index_generation", 0)])
            applied = AppliedSet(db, Path(bloom_path) if bloom_path else path.with_suffix(".bloom"),
                                 bloom_capacity, bloom_fp_rate)
            await applied.start()
        except BaseException:
            await db.close()
            raise
        return cls(db, applied)

    async def close(self) -> None:
        """Save the Bloom filter and close the database; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        try:
            await self.applied.close()
        finally:
            await self.db.close()

    async def __aenter__(self) -> "Store":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Everything the task does in the block commits together, or not at all if it raises."""
        async with self.db.transaction():
            yield

    def changes(self) -> "Changes":
        """An empty set of writes to fill and `commit` (see changes.py)."""
        from tobsd.store.changes import Changes
        return Changes()

    async def commit(self, changes: "Changes") -> None:
        """Make `changes` in one transaction (or in the task's open one)."""
        if not changes:
            return
        pairs = changes.indexed_pairs
        # Under the write lock, before the rows exist: see applied.py.
        await self.db.run(lambda conn: changes.run(conn),
                          before=(lambda: self.applied.note_added(pairs)) if pairs else None)

    async def is_applied(self, chat_id: int, msg_id: int) -> bool:
        """Whether the message has an index row (deleted ones included). Never a false "no"."""
        return await self.applied.is_applied(chat_id, msg_id)

    async def applied_ids(self, chat_id: int, msg_ids: Iterable[int]) -> set[int]:
        """The subset of `msg_ids` that have an index row; batched form of is_applied."""
        return await self.applied.applied_ids(chat_id, msg_ids)

    async def save_bloom(self) -> bool:
        """Persist the Bloom filter if it changed (call now and then, and it is done at close)."""
        return await self.applied.save()
