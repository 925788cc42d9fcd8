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

    def refund(self, share: str) -> None:
        """Undo the last `take(share)`: the turn was handed back unused."""
        self._vtime[share] = self._vtime.get(share, self._clock) - 1.0 / self.weight(share)
        self.taken[share] = self.taken.get(share, 1) - 1

    def before(self, other: str, share: str) -> bool:
        """Whether `other` would be picked before `share`'s last turn, had
        both been waiting when it was handed out."""
        start = self._vtime.get(share, self._clock) - 1.0 / self.weight(share)
        return (self._vtime.get(other, self._clock), -self.weight(other)) < \
            (start, -self.weight(share))


class FairTurns:
    """One turn at a time, shared by weight between the shares waiting.

    `async with turns.turn(share): ...` waits for the turn and holds it for
    the block (`share` defaults to the running task's). `taken` counts the
    turns each share got (for tests and status).

    A holder that must wait inside its turn (for a pacer's next slot) asks
    `outranked(share)` when it wakes: True when a share that arrived
    meanwhile comes first in the fair order. It then hands the turn back
    with `hand_back()` on what `turn` gave it (its share is not charged
    for it) and queues again at the head of its share
    (`turn(share, front=True)`), so the urgent share gets the slot that
    was due and the holder the one after.
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
    async def turn(self, share: str | None = None, *, front: bool = False
                   ) -> AsyncIterator["Turn"]:
        share = share or current()
        await self._acquire(share, front)
        held = Turn(self, share)
        try:
            yield held
        finally:
            if not held.handed_back:
                self._release()

    def outranked(self, share: str) -> bool:
        """Whether a share waiting now goes before the holder's (`share`)."""
        return any(other != share and any(not f.done() for f in queue)
                   and self._order.before(other, share)
                   for other, queue in self._waiting.items())

    def _hand_back(self, share: str) -> None:
        self._order.refund(share)
        self._release()

    async def _acquire(self, share: str, front: bool = False) -> None:
        queue = self._waiting.setdefault(share, deque())
        if not queue:
            self._order.arrive(share)
        if not self._held and not any(self._waiting.values()):
            self._held = True
            self._order.take(share)
            return
        future = asyncio.get_running_loop().create_future()
        if front:
            queue.appendleft(future)
        else:
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


class Turn:
    """A turn held (what `FairTurns.turn` yields)."""

    def __init__(self, turns: FairTurns, share: str) -> None:
        self._turns, self.share = turns, share
        self.handed_back = False

    def hand_back(self) -> None:
        """Give the turn up unused: the next waiter in fair order gets it.
        The `turn` block must end right after."""
        if not self.handed_back:
            self.handed_back = True
            self._turns._hand_back(self.share)
