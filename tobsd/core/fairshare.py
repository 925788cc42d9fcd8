"""Weighted fair shares of a rate limit between kinds of work.

Telegram limits requests per method family and DC, whatever they are for.
When a backfill keeps a limit busy, a reconcile page, a live catch-up or a
media download must still get its turn, and a big backfill must not be
starved by them either. Every request is made on behalf of a *share*:

    LIVE       catching up on live updates (a gap, a reconnect)
    RECONCILE  a chat's newest page, its verification pages
    MEDIA      file downloads (its code sets `using(MEDIA)` around them)
    BACKFILL   history pages of a backfill

`WEIGHTS` says how a limit is split while several shares want it: a share
with weight w gets w/(sum of the weights of the shares waiting) of the
turns, so none waits forever; a share alone gets every turn. A new kind of
work adds its name and weight here.

The share travels with the task (a context variable), so the layers that
enforce limits (the request scheduler's pacers, the history budget) see
it without every call passing it along: `with using(RECONCILE): ...`. A
request made outside any `using` is BACKFILL's.

`FairTurns` hands out one turn at a time in that order: start-time fair
queueing over the shares (each share's virtual time advances by 1/weight
per turn taken; the waiting share with the least goes next, ties to the
heavier share), arrival order within a share.
"""
from __future__ import annotations

import asyncio
from collections import deque
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import AsyncIterator, Iterator, Mapping

LIVE = "live"
RECONCILE = "reconcile"
MEDIA = "media"
BACKFILL = "backfill"

WEIGHTS: Mapping[str, float] = {LIVE: 8.0, RECONCILE: 4.0, MEDIA: 2.0, BACKFILL: 1.0}

_current: ContextVar[str] = ContextVar("tobsd_share", default=BACKFILL)


def current() -> str:
    """The share the running task's requests are made for."""
    return _current.get()


@contextmanager
def using(share: str) -> Iterator[None]:
    """Requests made inside (and in tasks started inside) count for `share`."""
    if share not in WEIGHTS:
        raise ValueError(f"unknown share {share!r}; known: {', '.join(WEIGHTS)}")
    token = _current.set(share)
    try:
        yield
    finally:
        _current.reset(token)


class ShareClock:
    """The fair order itself: start-time fair queueing over shares.

    `arrive(share)` when a share that had nobody waiting gets a waiter;
    `pick(shares)` names the share (among those waiting) whose turn is next;
    `take(share)` records that it got one."""

    def __init__(self, weights: Mapping[str, float] = WEIGHTS) -> None:
        self._weights = dict(weights)
        self._vtime: dict[str, float] = {}
        self._clock = 0.0            # the virtual time of the last turn handed out
        self.taken: dict[str, int] = {}

    def weight(self, share: str) -> float:
        return self._weights.get(share, self._weights.get(BACKFILL, 1.0))

    def arrive(self, share: str) -> None:
        # A share that was idle does not bank turns for later.
        self._vtime[share] = max(self._vtime.get(share, 0.0), self._clock)

    def pick(self, shares) -> str:
        return min(shares, key=lambda s: (self._vtime.get(s, self._clock), -self.weight(s)))

    def take(self, share: str) -> None:
        start = self._vtime.get(share, self._clock)
        self._clock = max(self._clock, start)
        self._vtime[share] = start + 1.0 / self.weight(share)
        self.taken[share] = self.taken.get(share, 0) + 1


class FairTurns:
    """One turn at a time, shared by weight between the shares waiting.

    `async with turns.turn(share): ...` waits for the turn and holds it for
    the block (`share` defaults to the running task's). `taken` counts the
    turns each share got (for tests and status).
    """

    def __init__(self, weights: Mapping[str, float] = WEIGHTS) -> None:
        self._order = ShareClock(weights)
        self._waiting: dict[str, deque[asyncio.Future]] = {}
        self._held = False

    @property
    def taken(self) -> dict[str, int]:
        return self._order.taken

    def waiting(self) -> dict[str, int]:
        return {s: n for s, q in self._waiting.items() if (n := sum(not f.done() for f in q))}

    @asynccontextmanager
    async def turn(self, share: str | None = None) -> AsyncIterator[None]:
        share = share or current()
        await self._acquire(share)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, share: str) -> None:
        queue = self._waiting.setdefault(share, deque())
        if not queue:
            self._order.arrive(share)
        if not self._held and not any(self._waiting.values()):
            self._held = True
            self._order.take(share)
            return
        future = asyncio.get_running_loop().create_future()
        queue.append(future)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._release()          # handed the turn just before the cancel
            elif future in queue:
                queue.remove(future)
            raise

    def _release(self) -> None:
        for queue in self._waiting.values():
            while queue and queue[0].done():   # cancelled while waiting
                queue.popleft()
        ready = [s for s, q in self._waiting.items() if q]
        if not ready:
            self._held = False
            return
        share = self._order.pick(ready)
        self._order.take(share)
        self._waiting[share].popleft().set_result(None)   # stays held: handed over
