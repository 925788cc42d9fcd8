"""The one path by which messages become durable: the note first, then the DB.

Order, for every batch (a backfill page, a live event, a reconcile page):
1. in the chat's arrival order, compare the batch with the message index
   (and with what batches still in flight will write) and keep only what is
   new or changed (a Bloom filter answers "certainly new" for most ids
   without a read; a "maybe" is checked in SQLite);
2. record those messages as pending writes (id, date, topic);
3. hand them to the vault writer, which applies what it is handed in that
   order and answers once every note it touched is durably on disk (temp
   file, fsync, rename, fsync of the folder);
4. one SQLite transaction records the index rows, clears the pending rows
   and makes what the batch's `after` adds (cursor and shard advances);
   it is collected as a `ChangeSet` and committed in one trip to the database
   thread.

5. replies whose target is in the batch, written earlier without a link
   (the target was not in the vault yet: a newest-first backfill writes
   most replies before what they reply to), get the link in their notes;
   then their `reply_waits` rows go. Step 4 records such replies of the
   batch itself, from what the writer reports. Only the notes holding
   such replies are rewritten, once per batch that brings targets.

A crash between 3 and 4 re-applies the batch on restart, which changes
nothing in the notes; one during 5 leaves rows that the chat's next sync
links. If Telegram deletes such a message before it comes
again, its pending row still says where its block may be, so the deletion
is marked there.

Pipelining: steps 1-3 of a chat run one group at a time (the chat's order
lock), step 4 runs in the background, so the daemon's SQLite work for one
group overlaps the writer's work on the previous one. At most
`writes_in_flight` groups of a chat are at the writer at once; step 4 of
the groups commits in the order they were sent. Step 1 of a group compares
each message with the newest copy an earlier group in flight will write,
before the index, exactly as if that group were already committed.

The order per chat makes a stale copy (a backfill page fetched before an
edit arrived) unable to overwrite a newer one, and a message once deleted
stays deleted. A deletion can also arrive before the message does: a page
fetched just before the deletion is applied after it. The applier
remembers the ids of recent deletions it could not place (message ids are
never reused in a chat) and drops such late copies. In memory only: after
a restart every page is fetched anew, without the deleted message.

Group commit: batches of one chat that arrive while the writer is busy wait
together and are applied in one pass (one write per note, one transaction),
in arrival order, as if each had been applied alone (up to
`GROUP_MESSAGES` messages a group; the rest go in the next one). With several backfill
requests in flight this writes a daily note once per group instead of once
per page. If a group fails, the batch that sent it gets the error and each
other batch is applied again on its own, so every caller gets its own
batch's outcome. A caller cancelled after its batch was sent does not stop
it: the batch is still made durable and recorded.

Live first: a live batch must reach the vault within the live latency
target even while a big backfill keeps the writer busy. Batches say what
they are (`kind`): a `BACKFILL` page's `after` only advances its own
shard; a `LIVE` batch is a live event; anything else is `ORDERED`. A live
batch goes in the urgent lane when everything of its chat still waiting or
in flight is backfill pages with none of its message ids (so applying it
first gives the same notes and index as applying it in arrival order):
it takes the order lock before waiting backfill pages, is not grouped with
them nor held by their `writes_in_flight`, goes to the writer as urgent
(ahead of writes queued there) and commits without waiting for their
commits. Urgent groups keep their order among themselves. Otherwise (a
reconcile page or an earlier live batch in flight, which move the cursor,
or a shared id) it goes in arrival order like any batch. A crash after an
urgent commit leaves the overtaken pages pending, fetched again at restart
as before; a group sent after an urgent one commits after it.
"""
from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, defaultdict, deque
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import AsyncIterator, Awaitable, Callable, Sequence

from tobsd.core.models import Chat, Message
from tobsd.core.ports import ChangeSet, IndexEntry, StatePort, VaultPort
from tobsd.core.prioritylock import PriorityLock

from .fresh import Known, epoch, select_fresh

log = logging.getLogger(__name__)

After = Callable[[ChangeSet], None]   # adds the batch's own writes to its transaction

RECENT_DELETIONS_KEPT = 100_000   # (chat, id) pairs deleted before they were seen
WRITES_IN_FLIGHT = 2              # groups of one chat at the writer at once
# A group takes the batches waiting up to this many messages (at least one
# batch): the writer's time on one group bounds how long an urgent batch
# waits for the group in progress to end.
GROUP_MESSAGES = 1000

_RETRY = object()                 # a batch's outcome: its group failed, apply it on its own

# What a batch is (see "Live first" above).
ORDERED = "ordered"     # reconcile, verify, resync: never overtaken, never overtakes
BACKFILL = "backfill"   # a backfill page: its `after` touches its own shard only
LIVE = "live"           # a live event: may overtake backfill pages


@dataclass(slots=True, eq=False)
class _Batch:
    messages: Sequence[Message]
    after: After | None
    done: asyncio.Future          # the count of fresh messages, _RETRY, or an error
    kind: str = ORDERED
    ids: frozenset[int] = frozenset()
    urgent: bool = False          # in the urgent lane (decided when it arrives)
    sent: bool = False
    fresh: int = 0


@dataclass(slots=True, eq=False)
class _Flight:
    """A group handed to the writer whose index rows are not committed yet."""
    known: dict[int, Known]
    urgent: bool = False          # an urgent group (live batches that overtook backfill pages)
    overtakable: bool = False     # only backfill pages: urgent groups may commit before it
    written: asyncio.Event = field(default_factory=asyncio.Event)    # the writer answered
    committed: asyncio.Event = field(default_factory=asyncio.Event)  # step 4 ended, either way
    task: asyncio.Task | None = None


def _settle(future: asyncio.Future, outcome) -> None:
    if future.done():
        return   # its caller was cancelled meanwhile
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


class Applier:
    """Applies batches of one chat's messages in the fixed durable order.

    `writer` offers `submit(chat, messages)` (hand over, in order; returns
    an awaitable of the outcome), `mark_deleted`, `note_of` and
    `remember_location`: a `VaultWriter` or a `RemoteWriter`.
    """

    def __init__(self, store: StatePort, writer: VaultPort, *, writes_in_flight: int = WRITES_IN_FLIGHT,
                 prepare: Callable[[Chat, Sequence[Message]], Awaitable[None]] | None = None):
        """`prepare(chat, messages)` runs before a batch is queued (the
        engine learns the titles of the forum topics it names there)."""
        self.store = store
        self.writer = writer
        self.prepare = prepare
        self.writes_in_flight = max(1, writes_in_flight)
        self._order: dict[int, PriorityLock] = defaultdict(PriorityLock)
        self._waiting: dict[int, list[_Batch]] = defaultdict(list)
        self._flights: dict[int, deque[_Flight]] = defaultdict(deque)
        self._deleted_unseen: OrderedDict[tuple[int, int], None] = OrderedDict()

    @asynccontextmanager
    async def exclusive(self, chat_id: int) -> AsyncIterator[None]:
        """Hold the chat still: no batch of it is being decided, sent or
        committed inside the block (for changes to the chat's shards that
        must not interleave with a page's advance)."""
        async with self._order[chat_id]:
            await self._drain(chat_id)
            yield

    async def drain(self) -> None:
        """Wait until every batch sent to the writer has been committed (or failed)."""
        for chat_id in list(self._flights):
            await self._drain(chat_id)

    async def _drain(self, chat_id: int) -> None:
        while self._flights[chat_id]:
            await self._flights[chat_id][-1].committed.wait()

    # --- applying ---------------------------------------------------------------
    async def apply(self, chat: Chat, messages: Sequence[Message], *,
                    after: After | None = None, kind: str = ORDERED) -> int:
        """Make `messages` durable; then record them in one transaction with
        what `after(changes)` adds to it (cursor or shard advances; it runs
        just before the commit). `kind`: ORDERED, BACKFILL or LIVE (see the
        module doc). Returns how many messages were new or changed."""
        loop = asyncio.get_running_loop()
        if self.prepare is not None and messages:
            await self.prepare(chat, messages)
        ids = frozenset(m.id for m in messages)
        while True:
            batch = _Batch(messages, after, loop.create_future(), kind, ids)
            batch.urgent = kind == LIVE and self._may_overtake(chat.id, ids)
            self._waiting[chat.id].append(batch)
            try:
                while not batch.sent:
                    busy = None
                    async with self._order[chat.id].hold(urgent=batch.urgent):
                        if batch.sent:
                            break
                        # A full writer queue holds back ordinary groups, and
                        # the lock is not held meanwhile, so urgent ones pass.
                        busy = None if batch.urgent else self._busy(chat.id)
                        if busy is None:
                            await self._send_waiting(chat, batch)
                    if busy is not None:
                        await busy.written.wait()
            except BaseException:
                if batch in self._waiting[chat.id]:
                    self._waiting[chat.id].remove(batch)
                raise
            outcome = await asyncio.shield(batch.done)
            if outcome is not _RETRY:
                return outcome

    def _may_overtake(self, chat_id: int, ids: frozenset[int]) -> bool:
        """Whether a live batch of these ids may go before everything of the
        chat that is not urgent: all of it is backfill pages without them."""
        for b in self._waiting.get(chat_id, ()):
            if not b.urgent and (b.kind != BACKFILL or not ids.isdisjoint(b.ids)):
                return False
        for f in self._flights.get(chat_id, ()):
            if not f.urgent and (not f.overtakable or not ids.isdisjoint(f.known)):
                return False
        return True

    def _busy(self, chat_id: int) -> _Flight | None:
        """The oldest ordinary group still at the writer when
        `writes_in_flight` of them are, else None (room for one more)."""
        busy = [f for f in self._flights.get(chat_id, ()) if not f.urgent and not f.written.is_set()]
        return busy[0] if len(busy) >= self.writes_in_flight else None

    async def _send_waiting(self, chat: Chat, own: _Batch) -> None:
        """Steps 1-3 for every batch of `own`'s lane now waiting for this
        chat, `own` among them (the caller holds the chat's order lock);
        step 4 is started."""
        flights = self._flights[chat.id]
        waiting = self._waiting.pop(chat.id, [])
        group, size = [], 0
        for b in waiting:           # in arrival order: the first that does not fit ends it
            if b.urgent != own.urgent:
                continue
            if group and size + len(b.messages) > GROUP_MESSAGES:
                break
            group.append(b)
            size += len(b.messages)
        if len(group) < len(waiting):
            self._waiting[chat.id] = [b for b in waiting if b not in group]
        earlier = list(flights)
        cancelled = False
        try:
            fresh, seen = await self._changed(chat, group, earlier)
            messages = [m for m, _ in sorted(fresh.values(), key=lambda md: md[0].id)]
            pending = reply = None
            if messages:
                await self._locate_replied(chat, messages)
                # Recording the pending row and handing the batch over go
                # together: a caller cancelled in between (a clean stop)
                # must not leave a row that no commit will ever clear.
                # Messages never recorded before: only they may go into a
                # note the user deleted.
                new_ids = frozenset(m.id for m in messages if m.id not in seen)
                hand_over = asyncio.ensure_future(
                    self._hand_over(chat, messages, new_ids, own.urgent))
                try:
                    pending, reply = await asyncio.shield(hand_over)
                except asyncio.CancelledError:
                    if not hand_over.done():
                        cancelled = True
                        pending, reply = await hand_over
                    elif hand_over.cancelled() or hand_over.exception() is not None:
                        raise
                    else:
                        cancelled = True
                        pending, reply = hand_over.result()
        except BaseException:
            # Nothing of the group was sent: the others go back to wait and
            # are applied by their own callers; `own` gets the error.
            others = [b for b in group if b is not own]
            for b in others:
                b.fresh = 0
            self._waiting[chat.id][:0] = others
            raise
        for b in group:
            b.sent = True
        flight = _Flight({m.id: Known(digest, epoch(m.edit_date), m.deleted)
                          for m, digest in fresh.values()}, urgent=own.urgent,
                         overtakable=all(b.kind == BACKFILL for b in group))
        if own.urgent:   # commits after what it may not overtake (see _may_overtake)
            before = [f for f in earlier if f.urgent or not f.overtakable
                      or not f.known.keys().isdisjoint(flight.known)]
        else:
            before = earlier
        flights.append(flight)
        flight.task = asyncio.get_running_loop().create_task(
            self._commit(chat, group, own, fresh, pending, reply, flight, before))
        if cancelled:
            raise asyncio.CancelledError

    async def _hand_over(self, chat: Chat, messages: list[Message], new_ids: frozenset[int],
                         urgent: bool):
        """Steps 2 and 3: the pending row, then the batch to the writer."""
        pending = await self.store.pending.add(
            chat.id, [(m.id, epoch(m.date) or 0, m.topic_id) for m in messages])
        if urgent:
            return pending, await self.writer.submit(chat, messages, new_ids=new_ids, urgent=True)
        return pending, await self.writer.submit(chat, messages, new_ids=new_ids)

    async def _commit(self, chat: Chat, group: list[_Batch], own: _Batch,
                      fresh: dict[int, tuple[Message, bytes]], pending: int | None,
                      reply, flight: _Flight, before: list[_Flight]) -> None:
        """Step 4 of a sent group, once its notes are durable and the groups
        it must follow (`before`) have committed."""
        try:
            written = None
            try:
                if reply is not None:
                    written = await reply
            finally:
                flight.written.set()
            for previous in before:
                await previous.committed.wait()
            note_of, chat_id = self.writer.note_of, chat.id
            changes = self.store.changes()
            changes.put_index([(chat_id, m.id, epoch(m.date) or 0, note_of(chat_id, m.id) or "",
                                digest, epoch(m.edit_date), m.deleted)
                               for m, digest in fresh.values()])
            if pending is not None:
                changes.clear_pending(pending)
            unlinked = getattr(written, "unlinked", None) or []
            changes.add_reply_waits(chat_id, unlinked)
            for b in group:
                if b.after is not None:
                    b.after(changes)
            await self.store.commit(changes)
            await self.relink_replies(chat, set(fresh) | {t for _, t in unlinked})
        except BaseException as exc:
            for b in group:
                _settle(b.done, exc if b is own or len(group) == 1 else _RETRY)
            if not isinstance(exc, Exception):
                raise
        else:
            for b in group:
                _settle(b.done, b.fresh)
        finally:
            self._flights[chat.id].remove(flight)
            flight.committed.set()

    async def relink_replies(self, chat: Chat, target_ids=None) -> int:
        """Link the replies written before their target, for targets indexed
        now (among `target_ids`, or all of the chat's). The notes are
        changed first, then the waits forgotten; a failure leaves them for
        the next try (the chat's next sync). Returns how many were linked."""
        try:
            links = await self.store.replies.resolvable(chat.id, target_ids)
            if not links:
                return 0
            result = await self.writer.relink_replies(
                chat, [(link.msg_id, link.note_path, link.target_id, link.target_note)
                       for link in links])
            log.debug("%s: %d replies linked, %d notes rewritten", chat.title, len(links),
                      len(getattr(result, "written", ())))
            await self.store.replies.clear(chat.id, [(link.msg_id, link.target_id)
                                                     for link in links])
            return len(links)
        except Exception as exc:
            log.warning("reply links in %s not written yet (%s); retried at its next sync",
                        chat.title, exc)
            return 0

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

    async def _changed(self, chat: Chat, group: list[_Batch], earlier: list[_Flight]
                       ) -> tuple[dict[int, tuple[Message, bytes]], set[int]]:
        """The messages of `group` that are new or changed (id -> the last
        fresh copy and its hash), batch by batch in arrival order, compared
        with the index overlaid by what the `earlier` groups in flight will
        write; and the ids of the group that index and flights knew."""
        ids = list({m.id for b in group for m in b.messages})
        maybe = await self.store.applied_ids(chat.id, ids) if ids else set()
        known: dict[int, Known] = {
            e.msg_id: Known(e.content_hash, e.edit_date, e.deleted)
            for e in (await self.store.index.get_many(chat.id, maybe) if maybe else {}).values()}
        for flight in earlier:   # oldest first: the newest copy wins
            known.update(flight.known)
        seen = set(known)
        out: dict[int, tuple[Message, bytes]] = {}
        for b in group:
            b.fresh = select_fresh(chat.id, b.messages, known, self._deleted_unseen, out)
        return out, seen

    # --- deleting ---------------------------------------------------------------
    async def delete(self, chat: Chat, ids: Sequence[int]) -> int:
        """Mark messages deleted in their notes, then in the index. Returns
        how many were known and not yet deleted."""
        async with self.exclusive(chat.id):
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
                # Written before a crash but never indexed: recorded now, as deleted.
                await self.store.index.put_many([
                    IndexEntry(chat.id, mid, date, self.writer.note_of(chat.id, mid) or "",
                               b"", None, True) for mid, (date, _) in pending.items()])
            return len(live) + len(pending)


__all__ = ["Applier", "After", "BACKFILL", "LIVE", "ORDERED"]
