"""The one path by which messages become durable: the note first, then the DB.

Order, for every batch (a backfill page, a live event, a reconcile page):
1. under the chat's lock, compare the batch with the message index and keep
   only what is new or changed (a Bloom filter answers "certainly new" for
   most ids without a read; a "maybe" is checked in SQLite);
2. record those messages as pending writes (id, date, topic);
3. the vault writer applies them; it returns once every note it touched is
   durably on disk (temp file, fsync, rename, fsync of the folder);
4. one SQLite transaction records the index rows, clears the pending rows
   and advances the cursors.

A crash between 3 and 4 re-applies the batch on restart, which changes
nothing in the notes. If Telegram deletes such a message before it comes
again, its pending row still says where its block may be, so the deletion
is marked there.

The lock per chat makes a stale copy (a backfill page fetched before an
edit arrived) unable to overwrite a newer one, and a message once deleted
stays deleted. A deletion can also arrive before the message does: a page
fetched just before the deletion is applied after it. The applier
remembers the ids of recent deletions it could not place (message ids are
never reused in a chat) and drops such late copies. In memory only: after
a restart every page is fetched anew, without the deleted message.

Group commit: batches of one chat that arrive while an earlier one is being
applied wait together, and the first of them to get the lock applies them
all in one pass (one write per note, one transaction), in arrival order, as
if each had been applied alone. With several backfill requests in flight
this writes a daily note once per group instead of once per page. If the
group fails, each waiting batch is applied again on its own, so every
caller gets its own batch's outcome.
"""
from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Awaitable, Callable, Sequence

from tobsd.core.models import Chat, Message
from tobsd.store import IndexEntry, Store

After = Callable[[], Awaitable[None]]

_SHOWN = tuple(f.name for f in dataclasses.fields(Message) if f.name != "views")


def content_hash(message: Message) -> bytes:
    """A digest of everything the vault shows of a message (not its views,
    which change too often to be worth a rewrite)."""
    shown = repr(tuple(getattr(message, name) for name in _SHOWN))
    return hashlib.blake2b(shown.encode(), digest_size=16).digest()


def _epoch(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


@dataclass(slots=True)
class _Batch:
    messages: Sequence[Message]
    after: After | None
    done: asyncio.Future
    fresh: int = 0


@dataclass(slots=True)
class _Known:
    """What decides whether a copy of a message is news: the index row, or
    the copy an earlier batch of the same group is about to write."""
    content_hash: bytes
    edit_date: int | None
    deleted: bool


RECENT_DELETIONS_KEPT = 100_000   # (chat, id) pairs deleted before they were seen


class Applier:
    """Applies batches of one chat's messages in the fixed durable order."""

    def __init__(self, store: Store, writer):
        self.store = store
        self.writer = writer
        self._locks: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._waiting: dict[int, list[_Batch]] = defaultdict(list)
        self._deleted_unseen: OrderedDict[tuple[int, int], None] = OrderedDict()

    def lock(self, chat_id: int) -> asyncio.Lock:
        return self._locks[chat_id]

    async def apply(self, chat: Chat, messages: Sequence[Message], *,
                    after: After | None = None) -> int:
        """Make `messages` durable; then, in the same transaction, run
        `after` (cursor or shard advances). Returns how many messages were
        new or changed."""
        batch = _Batch(messages, after, asyncio.get_running_loop().create_future())
        self._waiting[chat.id].append(batch)
        try:
            async with self._locks[chat.id]:
                if not batch.done.done():
                    await self._apply_waiting(chat, batch)
        except BaseException:
            if batch in self._waiting[chat.id]:
                self._waiting[chat.id].remove(batch)
            raise
        return batch.done.result()

    async def _apply_waiting(self, chat: Chat, own: _Batch) -> None:
        """Apply every batch now waiting for this chat, `own` among them
        (the caller holds the chat's lock)."""
        group = self._waiting.pop(chat.id, [])
        try:
            await self._apply_group(chat, group)
        except BaseException:
            # Nothing of the group is done: the others go back to wait and
            # are applied again by their own callers; `own` gets the error.
            others = [b for b in group if b is not own]
            for b in others:
                b.fresh = 0
            self._waiting[chat.id][:0] = others
            raise
        for b in group:
            b.done.set_result(b.fresh)

    async def _apply_group(self, chat: Chat, group: list[_Batch]) -> None:
        fresh = await self._changed(chat, group)
        pending = None
        messages = [m for m, _ in sorted(fresh.values(), key=lambda md: md[0].id)]
        if messages:
            await self._locate_replied(chat, messages)
            pending = await self.store.pending.add(
                chat.id, [(m.id, _epoch(m.date) or 0, m.topic_id) for m in messages])
            await self.writer.apply(chat, messages)
        entries = [IndexEntry(chat.id, m.id, _epoch(m.date) or 0,
                              self.writer.note_of(chat.id, m.id) or "", digest,
                              _epoch(m.edit_date), m.deleted)
                   for m, digest in fresh.values()]
        async with self.store.transaction():
            if entries:
                await self.store.index.put_many(entries)
            if pending is not None:
                await self.store.pending.clear([pending])
            for b in group:
                if b.after is not None:
                    await b.after()

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

    async def _changed(self, chat: Chat, group: list[_Batch]) -> dict[int, tuple[Message, bytes]]:
        """The messages of `group` that are new or changed (id -> the last
        fresh copy and its hash), batch by batch in arrival order: a later
        batch is compared with what an earlier one will write, exactly as if
        the earlier one had been applied first."""
        ids = list({m.id for b in group for m in b.messages})
        maybe = await self.store.applied_ids(chat.id, ids) if ids else set()
        known: dict[int, _Known] = {
            e.msg_id: _Known(e.content_hash, e.edit_date, e.deleted)
            for e in (await self.store.index.get_many(chat.id, maybe) if maybe else {}).values()}
        out: dict[int, tuple[Message, bytes]] = {}
        for b in group:
            for m in sorted(b.messages, key=lambda m: m.id):
                if (chat.id, m.id) in self._deleted_unseen:
                    continue   # a copy fetched before its deletion arrived
                digest = content_hash(m)
                entry = known.get(m.id)
                if entry is not None:
                    if entry.deleted or entry.content_hash == digest:
                        continue   # deleted stays deleted; the same content changes nothing
                    if entry.edit_date and (m.edit_date is None or _epoch(m.edit_date) < entry.edit_date):
                        continue   # an older copy than the one already applied
                known[m.id] = _Known(digest, _epoch(m.edit_date), m.deleted)
                out[m.id] = (m, digest)
                b.fresh += 1
        return out

    async def delete(self, chat: Chat, ids: Sequence[int]) -> int:
        """Mark messages deleted in their notes, then in the index. Returns
        how many were known and not yet deleted."""
        async with self._locks[chat.id]:
            known = await self.store.index.get_many(chat.id, ids)
            live = [e for e in known.values() if not e.deleted]
            pending = await self.store.pending.get_many(chat.id, set(ids) - set(known))
            for mid in set(ids) - set(known) - set(pending):
                self._deleted_unseen[(chat.id, mid)] = None
            while len(self._deleted_unseen) > RECENT_DELETIONS_KEPT:
                self._deleted_unseen.popitem(last=False)
            if not live and not pending:
                return 0
            for entry in live:
                if entry.note_path:
                    self.writer.remember_location(chat.id, entry.msg_id, entry.note_path)
            await self.writer.mark_deleted(chat, [e.msg_id for e in live] + sorted(pending),
                                           hints=pending)
            async with self.store.transaction():
                await self.store.index.mark_deleted(chat.id, [e.msg_id for e in live])
                if pending:
                    # Written before a crash but never indexed: recorded now, as deleted.
                    await self.store.index.put_many([
                        IndexEntry(chat.id, mid, date, self.writer.note_of(chat.id, mid) or "",
                                   b"", None, True) for mid, (date, _) in pending.items()])
            return len(live) + len(pending)
