"""Backfill: a chat's missing history fetched as id-range shards.

A shard is a range lo <= id < hi, fetched downwards from `next_offset`
(persisted) with `offset_id=next_offset, min_id=lo-1`. Every page is a
contiguous run of the chat's messages, so after it is applied the shard's
`next_offset` can drop to the page's lowest id in the same transaction: a
crash resumes each shard where its last durable page ended.

How a chat's shards are planned depends on how its ids are counted:

- Channels and supergroups count their own ids (dense: about 100 ids a
  page). Their ranges are cut up front into pieces of at most one page of
  ids, fetched by several workers at once; a piece of at most one page of
  ids is done after one request. When a worker runs out of pieces while
  another shard still has much left, that shard is split at the middle of
  what remains and the idle worker takes the lower half.
- Private chats and basic groups draw their ids from one counter for the
  whole account, so most ids in any range belong to other chats: a range
  cut by ids would be mostly empty pages. Their history is paged by
  offset from the newest message down, about as many requests as the
  messages need. When Telegram's count of the messages below is known (a
  chat's first backfill), the pages are cut by position instead and fetched
  several at once (positions.py), so a long private chat is not one page
  after the other; otherwise (a resumed shard, `since`) one request at a
  time. Such chats are fetched in parallel with each other besides (see
  RequestBudget).

A shard (or chain) is done when a page comes back empty, when the page
held the whole chat (Telegram answers without a count), when the range
left was at most one page of ids, when the page reached the range's
bottom, or when as many messages were fetched as Telegram said were below
the newest page.

Each worker fetches its next pages while its earlier ones are applied, so
requests stay in flight while the vault is written; a worker holds at most
PAGES_AHEAD + 1 pages. If any worker fails, the others are cancelled and the
error propagates: the chat is retried, never reported complete.
"""
from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from contextlib import aclosing
from dataclasses import dataclass
from datetime import datetime

from tobsd.core.errors import ChatUnavailable, NeedsLogin
from tobsd.core.models import Chat, ChatKind, Message
from tobsd.core.ports import ChangeSet, StatePort, TelegramSource

from .applier import BACKFILL, Applier
from .budget import RequestBudget
from .positions import PositionPages, pages_for
from .reconcile import PAGE, keep_since

log = logging.getLogger(__name__)

# Private chats and basic groups: ids from the account-wide counter.
COMMON_BOX_KINDS = frozenset({ChatKind.USER, ChatKind.BOT, ChatKind.GROUP})
DEFAULT_IDS_PER_PAGE = 20 * PAGE  # when the chat's density is not known: assume sparse ids
MAX_SHARDS_PER_CUT = 20_000
SPLIT_MIN_REMAINING = 4 * PAGE    # never split a shard with less than this left
PAGES_AHEAD = 2                   # pages a worker has fetched that wait to be applied


class IncompleteBackfill(RuntimeError):
    """The workers stopped while shards were still pending (a bug, or a
    change to the shards from elsewhere): the chat is retried, never live."""


@dataclass
class _Active:
    """A shard being fetched; `lo` may rise when the shard is split.
    `finished` is set as soon as its last page is fetched, before that page
    is applied, so no worker splits a shard that is ending. `expected`:
    messages still to come in it when known (see module docstring)."""
    lo: int
    hi: int
    next_offset: int
    finished: bool = False
    expected: int | None = None

    @property
    def remaining(self) -> int:
        return 0 if self.finished else self.next_offset - self.lo


def cut(lo: int, hi: int, pieces: int) -> list[tuple[int, int]]:
    """[lo, hi) cut into up to `pieces` contiguous, non-empty ranges, highest first."""
    pieces = max(1, min(pieces, hi - lo))
    step = (hi - lo) / pieces
    bounds = sorted({lo + round(i * step) for i in range(pieces)} | {hi})
    return [(a, b) for a, b in zip(bounds[:-1], bounds[1:])][::-1]


def _most_telling(failed: BaseExceptionGroup) -> BaseException:
    """The one error of the workers' errors the engine should act on: a lost
    session before a refused chat before anything else."""
    errors = []
    stack = [failed]
    while stack:
        for exc in stack.pop().exceptions:
            (stack if isinstance(exc, BaseExceptionGroup) else errors).append(exc)
    for kind in (NeedsLogin, ChatUnavailable):
        for exc in errors:
            if isinstance(exc, kind):
                return exc
    return errors[0]


def is_common_box(chat: Chat) -> bool:
    return chat.kind in COMMON_BOX_KINDS


class Backfill:
    """Fetches one chat's pending shards: with up to `workers` concurrent
    workers for a channel, one offset-paged chain for a common-box chat;
    every request through the shared `requests` budget."""

    def __init__(self, source: TelegramSource, applier: Applier, store: StatePort, chat: Chat, *,
                 workers: int, requests: RequestBudget, since: datetime | None = None,
                 on_page=None, ids_per_page: int | None = None,
                 expected_below: tuple[int, int] | None = None):
        """`expected_below` = (hi, n): Telegram reported n messages with ids
        below hi when the gap [.., hi) was found (its newest page and count)."""
        self.source, self.applier, self.store, self.chat = source, applier, store, chat
        self.chained = is_common_box(chat)
        self.workers = 1 if self.chained else max(1, workers)
        self.position_ahead = max(1, workers)   # a common-box chat's pages in flight at once
        self.requests = requests
        self.since = since
        self.on_page = on_page
        self.shard_ids = max(PAGE, ids_per_page or DEFAULT_IDS_PER_PAGE)
        self.expected_below = expected_below
        self._queue: list[_Active] = []
        self._active: list[_Active] = []
        self._lock = asyncio.Lock()   # the queue and the active list

    async def run(self) -> None:
        """Fetch until every shard is done, then mark the chat's backfill
        done. Raises what a worker raised (the others are cancelled first),
        or IncompleteBackfill if shards are left pending."""
        pending = await self.store.shards.pending(self.chat.id)
        if not pending:
            cursor = await self.store.cursors.get(self.chat.id)
            if not cursor.backfill_done and cursor.max_applied_id:
                await self.store.cursors.set_backfill_done(self.chat.id, True)
            return
        for shard in pending:
            pieces = [(shard.lo_id, shard.next_offset)] if self.chained else \
                self._pieces(shard.lo_id, shard.next_offset)
            if len(pieces) > 1:
                await self.store.shards.cut(self.chat.id, shard.lo_id, [lo for lo, _ in pieces[:-1]])
            for lo, hi in pieces:
                active = _Active(lo, hi, hi)
                if self.expected_below and len(pieces) == 1 and hi == self.expected_below[0] \
                        and shard.next_offset == shard.hi_id:
                    active.expected = self.expected_below[1]
                self._queue.append(active)
        self._queue.sort(key=lambda a: a.hi)   # taken from the end: newest history first
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(self.workers):
                    group.create_task(self._worker())
        except BaseExceptionGroup as failed:
            raise _most_telling(failed) from None
        async with self.store.transaction():
            left = await self.store.shards.pending(self.chat.id)
            if not left:
                await self.store.shards.clear(self.chat.id)
                await self.store.cursors.set_backfill_done(self.chat.id, True)
        if left:
            raise IncompleteBackfill(
                f"{len(left)} shards of {self.chat.title} still pending after the backfill "
                f"(lowest [{left[-1].lo_id}, {left[-1].hi_id}))")

    def _pieces(self, lo: int, next_offset: int) -> list[tuple[int, int]]:
        span = next_offset - lo
        pieces = min(MAX_SHARDS_PER_CUT, max(1, math.ceil(span / self.shard_ids)))
        return cut(lo, next_offset, pieces)

    async def _take(self) -> _Active | None:
        async with self._lock:
            if self._queue:
                shard = self._queue.pop()
                self._active.append(shard)
                return shard
            if self.chained:
                return None
            # Idle: take the lower half of the biggest remainder.
            victim = max(self._active, key=lambda a: a.remaining, default=None)
            if victim is None or victim.remaining < SPLIT_MIN_REMAINING:
                return None
            # With the chat held still, so no page of the victim commits
            # its advance between the split in the DB and the one in memory.
            async with self.applier.exclusive(self.chat.id):
                # What the victim's worker did while the chat was drained counts:
                # it may have fetched its last page or moved well down meanwhile.
                if victim not in self._active or victim.remaining < SPLIT_MIN_REMAINING:
                    return None
                mid = (victim.lo + victim.next_offset) // 2
                if not await self.store.shards.try_split(self.chat.id, victim.lo, mid):
                    return None
                lower = _Active(victim.lo, mid, mid)
                victim.lo = mid
                victim.expected = None
            self._active.append(lower)
            return lower

    async def _worker(self) -> None:
        """Take shards until none is left. The worker keeps fetching while
        its earlier pages (of this shard or the ones before) are applied:
        at most PAGES_AHEAD of them wait to be applied, in the order
        fetched, so its request slot is not idle while the vault is written."""
        applying: deque[asyncio.Future] = deque()
        try:
            while (shard := await self._take()) is not None:
                try:
                    await self._fetch_shard(shard, applying)
                finally:
                    async with self._lock:
                        self._active.remove(shard)
            while applying:
                await applying.popleft()
        finally:
            for pending in applying:
                pending.cancel()
            await asyncio.gather(*applying, return_exceptions=True)

    def _by_position(self, shard: _Active) -> bool:
        """Whether the shard's pages can be cut by position (positions.py):
        a common-box chat's whole history below its newest page, with
        Telegram's count of it, more than a page, and every message wanted."""
        return (self.chained and self.since is None and shard.expected is not None
                and shard.lo <= 1 and shard.next_offset == shard.hi
                and pages_for(shard.expected) > 1)

    async def _fetch_by_position(self, shard: _Active, applying: deque[asyncio.Future]) -> None:
        """The shard's pages by position, several in flight; the shard
        is left finished, or at the lowest id proven contiguous (to go on
        by offset from there)."""
        top = shard.next_offset

        async def fetch(add_offset: int):
            async with self.requests.slot(self.chat.id):
                return await self.source.history(self.chat, offset_id=top, min_id=shard.lo - 1,
                                                 limit=PAGE, add_offset=add_offset)

        plan = PositionPages(fetch, shard.expected, ahead=self.position_ahead)
        got = 0
        async with aclosing(plan.pages_in_order()) as pages:
            async for p in pages:
                got += len(p.messages)
                lowest = p.lowest if p.lowest is not None else shard.lo
                done = p.last and (len(p.page.messages) < PAGE or p.page.count is None
                                   or lowest <= shard.lo or got >= shard.expected)
                shard.finished = done
                await self._queue_page(shard, p.messages, lowest, done, applying,
                                       bool(p.page.messages))
                if done:
                    return
                shard.next_offset = lowest
        shard.expected = None   # the rest (if any) by offset, until a page ends it

    async def _queue_page(self, shard: _Active, messages: list[Message], lowest: int, done: bool,
                          applying: deque[asyncio.Future], any_fetched: bool) -> None:
        """Hand a page to be applied after the worker's earlier ones; its
        advance records the shard's progress in the same transaction."""

        def advance(changes: ChangeSet) -> None:
            # Never while the chat is held still (see _take): shard.lo is current.
            if done:
                changes.finish_shard(self.chat.id, shard.lo)
            else:
                changes.advance_shard(self.chat.id, shard.lo, lowest)
            if any_fetched:
                changes.advance_min_backfilled(self.chat.id, lowest)

        while len(applying) >= PAGES_AHEAD:
            await applying.popleft()
        applying.append(asyncio.ensure_future(self._apply_page(messages, advance)))

    async def _fetch_shard(self, shard: _Active, applying: deque[asyncio.Future]) -> None:
        """Page through one shard, adding each page's apply to `applying`."""
        if self._by_position(shard):
            await self._fetch_by_position(shard, applying)
        while shard.next_offset > shard.lo and not shard.finished:
            whole_range = shard.next_offset - shard.lo <= PAGE
            async with self.requests.slot(self.chat.id):
                page = await self.source.history(self.chat, offset_id=shard.next_offset,
                                                 min_id=shard.lo - 1, limit=PAGE)
            fetched = page.messages
            messages = keep_since(fetched, self.since)
            lowest = min((m.id for m in fetched), default=shard.lo)
            if shard.expected is not None:
                shard.expected -= len(fetched)
            done = (not fetched or len(messages) < len(fetched) or page.count is None
                    or whole_range or lowest <= shard.lo
                    or (shard.expected is not None and shard.expected <= 0))
            # At once, before anything yields: a shard ending is never split.
            shard.finished = done
            await self._queue_page(shard, messages, lowest, done, applying, bool(fetched))
            if done:
                break
            shard.next_offset = lowest

    async def _apply_page(self, messages: list[Message], advance) -> None:
        # Its advance touches its own shard only: live batches may overtake it.
        await self.applier.apply(self.chat, messages, after=advance, kind=BACKFILL)
        if self.on_page is not None:
            self.on_page(self.chat, len(messages))
