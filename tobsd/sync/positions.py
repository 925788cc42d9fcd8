"""A common-box chat's history fetched several pages at once, by position.

Private chats and basic groups draw their ids from one counter for the
whole account, so their history cannot be cut into id ranges of a page
each; but once Telegram's count says how many messages lie below the
shard's top `hi`, it can be cut by position: page k is
``getHistory(offset_id=hi, add_offset=k * STEP, limit=PAGE)`` (Telegram's
documented paging: add_offset skips that many messages below offset_id),
so every page of a long private chat can be in flight at once, and the
chat takes its turn among the others like a channel's pieces do, instead of
waiting for one page after the other.

Pages overlap by one message (STEP = PAGE - 1): page k + 1 must begin with
the message page k ends with. That proves that no message lies between
them; a message deleted between the two requests shifts every position
below it, the overlap goes missing, and the caller goes on by offset from
the last page proven contiguous, one page at a time, as without a count
(nothing is skipped, a few requests may be repeated). Ids below `hi` never
appear later, so positions only move by deletions.

Pages come out in order, newest first, each only after its overlap with
the one before was checked: what the caller records after each page is a
contiguous run from the top, exactly as with paging by offset, so a crash
resumes where the last durable page ended.
"""
from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import AsyncIterator, Awaitable, Callable

from tobsd.core.models import Message
from tobsd.core.ports import HistoryPage

from .reconcile import PAGE

STEP = PAGE - 1       # one message of overlap between neighbouring pages

Fetch = Callable[[int], Awaitable[HistoryPage]]   # add_offset -> the page there


def pages_for(expected: int) -> int:
    """Pages of PAGE messages, STEP apart, that cover `expected` messages."""
    return max(1, math.ceil((expected - 1) / STEP))


@dataclass(slots=True)
class PositionedPage:
    """A page proven contiguous with the pages before it. `messages`: its
    messages less the one it shares with the page before; `lowest`: the
    lowest id it holds (its shared message counts); `last`: no page of the
    plan follows."""
    page: HistoryPage
    messages: list[Message]
    lowest: int | None
    last: bool


class PositionPages:
    """Fetches the planned pages, up to `ahead` beyond the one the caller
    waits for, and yields them in order from :meth:`pages_in_order` (see
    module doc). `broken` is True when a page did not overlap the one
    before: iteration stops at the last page proven contiguous, and what
    remains must be paged by offset from its lowest id."""

    def __init__(self, fetch: Fetch, expected: int, *, ahead: int):
        self.fetch = fetch
        self.planned = pages_for(expected)
        self.ahead = max(1, ahead)
        self.broken = False

    async def pages_in_order(self) -> AsyncIterator[PositionedPage]:
        """The pages, in order; fetches still running are cancelled when the
        iteration ends (use it under ``contextlib.aclosing``, so that an
        early exit of the caller ends them at once)."""
        started: dict[int, asyncio.Task] = {}
        following = 0
        try:
            previous_lowest: int | None = None
            for k in range(self.planned):
                while following < self.planned and following < k + self.ahead:
                    started[following] = asyncio.ensure_future(self.fetch(following * STEP))
                    following += 1
                page = await started.pop(k)
                ids = [m.id for m in page.messages]
                messages = page.messages
                if k:
                    if not ids or max(ids) != previous_lowest:
                        self.broken = True
                        return
                    messages = [m for m in messages if m.id != previous_lowest]
                previous_lowest = min(ids) if ids else None
                last = k == self.planned - 1 or len(ids) < PAGE or page.count is None
                yield PositionedPage(page, messages, previous_lowest, last)
                if last:
                    return
        finally:
            for task in started.values():
                task.cancel()
            await asyncio.gather(*started.values(), return_exceptions=True)
