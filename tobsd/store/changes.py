"""`Changes`: the writes of one transaction, collected first and then
committed in a single trip to the database's thread.

The applier records a batch this way: its index rows, the end of its
pending-writes row and what the batch's caller adds (cursor and shard
advances), all in one transaction, without a round trip through the event
loop per statement (see db.py). The statements are the ones the tables'
own methods run.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence

from tobsd.store import cursors, index, pending, replies, shards, updatestate
from tobsd.store.index import IndexRow


class Changes:
    """Writes to make together; `await store.commit(changes)` runs them in
    the order they were added, as one transaction."""

    def __init__(self) -> None:
        self._ops: list[tuple[Callable[..., None], tuple[Any, ...]]] = []
        self._indexed: list[tuple[int, int]] = []

    def __bool__(self) -> bool:
        return bool(self._ops)

    def put_index(self, rows: Sequence[IndexRow]) -> None:
        """Insert or replace these message index rows (tuples in
        IndexEntry's field order)."""
        if rows:
            self._indexed.extend((r[0], r[1]) for r in rows)
            self._ops.append((index.sql_put_many, (rows,)))

    def clear_pending(self, key: int) -> None:
        """End a pending-writes row: its batch is indexed by this transaction."""
        self._ops.append((pending.sql_clear, ([key],)))

    def add_reply_waits(self, chat_id: int, pairs: Sequence[tuple[int, int]]) -> None:
        """Record (reply msg id, target msg id) pairs written without a link."""
        if pairs:
            self._ops.append((replies.sql_add, (chat_id, list(pairs))))

    def advance_max_applied(self, chat_id: int, msg_id: int) -> None:
        self._ops.append((cursors.sql_advance_max_applied, (chat_id, msg_id)))

    def advance_min_backfilled(self, chat_id: int, msg_id: int) -> None:
        self._ops.append((cursors.sql_advance_min_backfilled, (chat_id, msg_id)))

    def set_backfill_done(self, chat_id: int, done: bool = True) -> None:
        self._ops.append((cursors.sql_set_backfill_done, (chat_id, done)))

    def create_shards(self, chat_id: int, ranges: Iterable[tuple[int, int]]) -> None:
        self._ops.append((shards.sql_create, (chat_id, list(ranges))))

    def advance_shard(self, chat_id: int, lo_id: int, next_offset: int) -> None:
        self._ops.append((shards.sql_advance, (chat_id, lo_id, next_offset)))

    def finish_shard(self, chat_id: int, lo_id: int) -> None:
        self._ops.append((shards.sql_finish, (chat_id, lo_id)))

    def put_update_state(self, box: int, state: "updatestate.BoxState") -> None:
        """Record the update state (account box 0 or a channel) the batch completes."""
        self._ops.append((updatestate.sql_put, (box, state)))

    def add_verify(self, chat_id: int) -> None:
        """Start (or restart) the chat's verification pass."""
        self._ops.append((updatestate.sql_verify_add, (chat_id,)))

    def advance_verify(self, chat_id: int, next_offset: int, checked: int) -> None:
        self._ops.append((updatestate.sql_verify_advance, (chat_id, next_offset, checked)))

    def finish_verify(self, chat_id: int) -> None:
        self._ops.append((updatestate.sql_verify_done, (chat_id,)))

    @property
    def indexed_pairs(self) -> list[tuple[int, int]]:
        """The (chat, message) pairs whose index rows this writes."""
        return self._indexed

    def run(self, conn) -> None:
        """Execute every write on `conn` (in the database thread, in a transaction)."""
        for fn, args in self._ops:
            fn(conn, *args)
