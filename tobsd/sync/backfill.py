"""Backfill: a chat's history fetched as id-range shards, several requests in
flight at once.

A shard is a range lo <= id < hi, fetched downwards from `next_offset`
(persisted) with `offset_id=next_offset, min_id=lo-1`. Every page is a
contiguous run of the chat's messages, so after it is applied the shard's
`next_offset` can drop to the page's lowest id in the same transaction: a
crash resumes each shard where its last durable page ended.

Large ranges are cut into pieces up front; when a worker runs out of shards
while another shard still has much left, that shard is split at the middle
of what remains and the idle worker takes the lower half (adaptive
splitting). Sparse id spaces (private chats and basic groups share one
counter per account) only cost an extra, empty, page per shard.

Each worker fetches its next page while its previous one is applied, so
requests stay in flight while the vault is written. Memory stays bounded:
a worker holds at most two pages (one being fetched, one being applied).
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from tobsd.core.models import Chat, Message
from tobsd.core.ports import TelegramSource
from tobsd.store import Changes, Store

from .applier import Applier
from .reconcile import PAGE, keep_since

log = logging.getLogger(__name__)

SHARD_TARGET_IDS = 20 * PAGE      # ids per shard when cutting a range up front
MAX_SHARDS_PER_CUT = 256
SPLIT_MIN_REMAINING = 4 * PAGE    # never split a shard with less than this left


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

    def __init__(self, source: TelegramSource, applier: Applier, store: Store, chat: Chat, *,
                 workers: int, requests: asyncio.Semaphore, since: datetime | None = None,
                 on_page=None):
        self.source, self.applier, self.store, self.chat = source, applier, store, chat
        self.workers = max(1, workers)
        self.requests = requests
        self.since = since
        self.on_page = on_page
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
            for lo, hi in self._pieces(shard.lo_id, shard.next_offset):
                if (lo, hi) != (shard.lo_id, shard.next_offset):
                    await self._resplit(shard.lo_id, lo)
                self._queue.append(_Active(lo, hi, hi))
        self._queue.sort(key=lambda a: a.hi, reverse=True)
        await asyncio.gather(*(self._worker() for _ in range(self.workers)))
        async with self.store.transaction():
            if not await self.store.shards.pending(self.chat.id):
                await self.store.shards.clear(self.chat.id)
                await self.store.cursors.set_backfill_done(self.chat.id, True)

    def _pieces(self, lo: int, next_offset: int) -> list[tuple[int, int]]:
        span = next_offset - lo
        pieces = min(MAX_SHARDS_PER_CUT, max(1, span // SHARD_TARGET_IDS))
        return cut(lo, next_offset, pieces)

    async def _resplit(self, shard_lo: int, at: int) -> None:
        """Persist a cut of a pending shard (its lower part becomes its own shard)."""
        shards = {s.lo_id: s for s in await self.store.shards.pending(self.chat.id)}
        owner = max((s for s in shards.values() if s.lo_id < at < s.next_offset),
                    key=lambda s: s.lo_id, default=None)
        if owner is not None:
            await self.store.shards.split(self.chat.id, owner.lo_id, at)

    async def _take(self) -> _Active | None:
        async with self._lock:
            if self._queue:
                shard = self._queue.pop(0)
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
        while (shard := await self._take()) is not None:
            try:
                await self._fetch_shard(shard)
            finally:
                async with self._lock:
                    self._active.remove(shard)

    async def _fetch_shard(self, shard: _Active) -> None:
        """Page through one shard. The next page is fetched while the
        previous one is applied; a worker has at most one page waiting to
        be applied, and its pages are applied in order."""
        applying: asyncio.Future | None = None
        try:
            while shard.next_offset > shard.lo:
                async with self.requests:
                    page = await self.source.history(self.chat, offset_id=shard.next_offset,
                                                     min_id=shard.lo - 1, limit=PAGE)
                fetched = page.messages
                messages = keep_since(fetched, self.since)
                done = not fetched or len(messages) < len(fetched)
                lowest = min((m.id for m in fetched), default=shard.lo)

                def advance(changes: Changes, lowest=lowest, done=done, any_fetched=bool(fetched)) -> None:
                    # Never while the chat is held still (see _take): shard.lo is current.
                    if done:
                        changes.finish_shard(self.chat.id, shard.lo)
                    else:
                        changes.advance_shard(self.chat.id, shard.lo, lowest)
                    if any_fetched:
                        changes.advance_min_backfilled(self.chat.id, lowest)

                if applying is not None:
                    await applying
                applying = asyncio.ensure_future(self._apply_page(messages, advance))
                if done:
                    break
                shard.next_offset = lowest
            if applying is not None:
                await applying
        finally:
            if applying is not None and not applying.done():
                applying.cancel()
                await asyncio.gather(applying, return_exceptions=True)

    async def _apply_page(self, messages: list[Message], advance) -> None:
        await self.applier.apply(self.chat, messages, after=advance)
        if self.on_page is not None:
            self.on_page(self.chat, len(messages))
