"""Backfill: a chat's history fetched as id-range shards, several requests in
flight at once.

A shard is a range lo <= id < hi, fetched downwards from `next_offset`
(persisted) with `offset_id=next_offset, min_id=lo-1`. Every page is a
contiguous run of the chat's messages, so after it is applied the shard's
`next_offset` can drop to the page's lowest id in the same transaction: a
crash resumes each shard where its last durable page ended.

Large ranges are cut up front into pieces of about one page of history
each, sized from the id span of the chat's newest page (dense channel ids:
100 ids a page; private chats and basic groups share one id counter per
account, so theirs are sparser). The workers then fetch neighbouring pages,
so the messages in flight fall into a few period notes, and each note is
rewritten once for many pages instead of once per page. When a worker runs out of shards
while another shard still has much left, that shard is split at the middle
of what remains and the idle worker takes the lower half (adaptive
splitting). Sparse id spaces (private chats and basic groups share one
counter per account) only cost an extra, empty, page per shard.

Each worker fetches its next pages while its earlier ones are applied, so
requests stay in flight while the vault is written. Memory stays bounded:
a worker holds at most PAGES_AHEAD + 1 pages (one being fetched, the rest
waiting to be applied).
"""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from tobsd.core.models import Chat, Message
from tobsd.core.ports import ChangeSet, StatePort, TelegramSource

from .applier import Applier
from .reconcile import PAGE, keep_since

log = logging.getLogger(__name__)

SHARD_PAGES = 1                   # pages of history per shard when cutting a range up front
DEFAULT_IDS_PER_PAGE = 20 * PAGE  # when the chat's density is not known: assume sparse ids
MAX_SHARDS_PER_CUT = 20_000
SPLIT_MIN_REMAINING = 4 * PAGE    # never split a shard with less than this left
PAGES_AHEAD = 2                   # pages a worker has fetched that wait to be applied


@dataclass
class _Active:
    """A shard being fetched; `lo` may rise when the shard is split."""
    lo: int
    hi: int
    next_offset: int


def cut(lo: int, hi: int, pieces: int) -> list[tuple[int, int]]:
    """[lo, hi) cut into up to `pieces` contiguous, non-empty ranges, highest first."""
    pieces = max(1, min(pieces, hi - lo))
    step = (hi - lo) / pieces
    bounds = sorted({lo + round(i * step) for i in range(pieces)} | {hi})
    return [(a, b) for a, b in zip(bounds[:-1], bounds[1:])][::-1]


class Backfill:
    """Fetches one chat's pending shards with `workers` concurrent workers."""

    def __init__(self, source: TelegramSource, applier: Applier, store: StatePort, chat: Chat, *,
                 workers: int, requests: asyncio.Semaphore, since: datetime | None = None,
                 on_page=None, ids_per_page: int | None = None):
        self.source, self.applier, self.store, self.chat = source, applier, store, chat
        self.workers = max(1, workers)
        self.requests = requests
        self.since = since
        self.on_page = on_page
        self.shard_ids = SHARD_PAGES * max(PAGE, ids_per_page or DEFAULT_IDS_PER_PAGE)
        self._queue: list[_Active] = []
        self._active: list[_Active] = []
        self._lock = asyncio.Lock()   # the queue and the active list

    async def run(self) -> None:
        """Fetch until every shard is done, then mark the chat's backfill done."""
        pending = await self.store.shards.pending(self.chat.id)
        if not pending:
            cursor = await self.store.cursors.get(self.chat.id)
            if not cursor.backfill_done and cursor.max_applied_id:
                await self.store.cursors.set_backfill_done(self.chat.id, True)
            return
        for shard in pending:
            pieces = self._pieces(shard.lo_id, shard.next_offset)
            if len(pieces) > 1:
                await self.store.shards.cut(self.chat.id, shard.lo_id, [lo for lo, _ in pieces[:-1]])
            self._queue.extend(_Active(lo, hi, hi) for lo, hi in pieces)
        self._queue.sort(key=lambda a: a.hi)   # taken from the end: newest history first
        await asyncio.gather(*(self._worker() for _ in range(self.workers)))
        async with self.store.transaction():
            if not await self.store.shards.pending(self.chat.id):
                await self.store.shards.clear(self.chat.id)
                await self.store.cursors.set_backfill_done(self.chat.id, True)

    def _pieces(self, lo: int, next_offset: int) -> list[tuple[int, int]]:
        span = next_offset - lo
        pieces = min(MAX_SHARDS_PER_CUT, max(1, span // self.shard_ids))
        return cut(lo, next_offset, pieces)

    async def _take(self) -> _Active | None:
        async with self._lock:
            if self._queue:
                shard = self._queue.pop()
                self._active.append(shard)
                return shard
            # Idle: take the lower half of the biggest remainder.
            victim = max(self._active, key=lambda a: a.next_offset - a.lo, default=None)
            if victim is None or victim.next_offset - victim.lo < SPLIT_MIN_REMAINING:
                return None
            mid = (victim.lo + victim.next_offset) // 2
            # With the chat held still, so no page of the victim commits
            # its advance between the split in the DB and the one in memory.
            async with self.applier.exclusive(self.chat.id):
                await self.store.shards.split(self.chat.id, victim.lo, mid)
                lower = _Active(victim.lo, mid, mid)
                victim.lo = mid
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

    async def _fetch_shard(self, shard: _Active, applying: deque[asyncio.Future]) -> None:
        """Page through one shard, adding each page's apply to `applying`."""
        while shard.next_offset > shard.lo:
            async with self.requests:
                page = await self.source.history(self.chat, offset_id=shard.next_offset,
                                                 min_id=shard.lo - 1, limit=PAGE)
            fetched = page.messages
            messages = keep_since(fetched, self.since)
            done = not fetched or len(messages) < len(fetched)
            lowest = min((m.id for m in fetched), default=shard.lo)

            def advance(changes: ChangeSet, lowest=lowest, done=done, any_fetched=bool(fetched)) -> None:
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
            if done:
                break
            shard.next_offset = lowest

    async def _apply_page(self, messages: list[Message], advance) -> None:
        await self.applier.apply(self.chat, messages, after=advance)
        if self.on_page is not None:
            self.on_page(self.chat, len(messages))
