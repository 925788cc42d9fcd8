"""The one path by which messages become durable: the note first, then the DB.

Order, for every batch (a backfill page, a live event, a reconcile page):
1. under the chat's lock, compare the batch with the message index and keep
   only what is new or changed (a Bloom filter answers "certainly new" for
   most ids without a read; a "maybe" is checked in SQLite);
2. the vault writer applies those messages; it returns once every note it
   touched is durably on disk (temp file, fsync, rename, fsync of the folder);
3. one SQLite transaction records the index rows and advances the cursors.

A crash between 2 and 3 re-applies the batch on restart, which changes
nothing in the notes. The lock per chat makes a stale copy (a backfill page
fetched before an edit arrived) unable to overwrite a newer one, and a
message once deleted stays deleted.
"""
from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from collections import defaultdict
from datetime import datetime
from typing import Awaitable, Callable, Sequence

from tobsd.core.models import Chat, Message
from tobsd.store import IndexEntry, Store

Progress = Callable[[], Awaitable[None]]


_SHOWN = tuple(f.name for f in dataclasses.fields(Message) if f.name != "views")


def content_hash(message: Message) -> bytes:
    """A digest of everything the vault shows of a message (not its views,
    which change too often to be worth a rewrite)."""
    shown = repr(tuple(getattr(message, name) for name in _SHOWN))
    return hashlib.blake2b(shown.encode(), digest_size=16).digest()


def _epoch(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


class Applier:
    """Applies batches of one chat's messages in the fixed durable order."""

    def __init__(self, store: Store, writer):
        self.store = store
        self.writer = writer
        self._locks: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    def lock(self, chat_id: int) -> asyncio.Lock:
        return self._locks[chat_id]

    async def apply(self, chat: Chat, messages: Sequence[Message], *,
                    after: Callable[[], Awaitable[None]] | None = None) -> int:
        """Make `messages` durable; then, in the same transaction, run
        `after` (cursor or shard advances). Returns how many messages were
        new or changed."""
        async with self._locks[chat.id]:
            fresh = await self._changed(chat, messages)
            if fresh:
                await self._locate_replied(chat, [m for m, _ in fresh])
                await self.writer.apply(chat, [m for m, _ in fresh])
            entries = [IndexEntry(chat.id, m.id, _epoch(m.date) or 0,
                                  self.writer.note_of(chat.id, m.id) or "", digest,
                                  _epoch(m.edit_date), m.deleted)
                       for m, digest in fresh]
            async with self.store.transaction():
                if entries:
                    await self.store.index.put_many(entries)
                if after is not None:
                    await after()
            return len(fresh)

    async def _locate_replied(self, chat: Chat, messages: list[Message]) -> None:
        """Tell the writer which notes hold the messages these reply to, when
        it does not remember (an older message, or after a restart), so the
        reply links to the right note."""
        wanted = {m.reply.msg_id for m in messages
                  if m.reply is not None and m.reply.msg_id and m.reply.chat_id in (None, chat.id)
                  and self.writer.note_of(chat.id, m.reply.msg_id) is None}
        if not wanted:
            return
        for entry in (await self.store.index.get_many(chat.id, wanted)).values():
            if entry.note_path:
                self.writer.remember_location(chat.id, entry.msg_id, entry.note_path)

    async def _changed(self, chat: Chat, messages: Sequence[Message]) -> list[tuple[Message, bytes]]:
        ids = [m.id for m in messages]
        maybe = await self.store.applied_ids(chat.id, ids) if ids else set()
        known = await self.store.index.get_many(chat.id, maybe) if maybe else {}
        out = []
        for m in sorted(messages, key=lambda m: m.id):
            digest = content_hash(m)
            entry = known.get(m.id)
            if entry is not None:
                if entry.deleted or entry.content_hash == digest:
                    continue   # deleted stays deleted; the same content changes nothing
                if entry.edit_date and (m.edit_date is None or _epoch(m.edit_date) < entry.edit_date):
                    continue   # an older copy than the one already applied
            out.append((m, digest))
        return out

    async def delete(self, chat: Chat, ids: Sequence[int]) -> int:
        """Mark messages deleted in their notes, then in the index. Returns
        how many were known and not yet deleted."""
        async with self._locks[chat.id]:
            known = await self.store.index.get_many(chat.id, ids)
            live = [e for e in known.values() if not e.deleted]
            if not live:
                return 0
            for entry in live:
                if entry.note_path:
                    self.writer.remember_location(chat.id, entry.msg_id, entry.note_path)
            await self.writer.mark_deleted(chat, [e.msg_id for e in live])
            async with self.store.transaction():
                await self.store.index.mark_deleted(chat.id, [e.msg_id for e in live])
            return len(live)
