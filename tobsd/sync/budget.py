"""The history requests in flight, all chats together, shared fairly.

`RequestBudget(n)` lets at most n requests run at once. When a slot frees,
it goes to the waiting request whose chat has the fewest requests in flight
(oldest wait first among those). So every chat that wants a request gets
one before any chat gets a second: hundreds of small chats each get their
turn while a big channel waits with its extra workers, and the big channel
still always holds a slot of its own. Once the small chats are done, the
big one takes the whole budget.

Between kinds of work (core.fairshare: backfill, reconcile, live catch-up,
media) the freed slots are shared by weight first: a reconcile page waiting
behind a big backfill's workers gets its share of the slots as they free,
and the backfill keeps its own share. Within a share, the chat rule above.

A slot is held with `async with budget.slot(chat_id): ...` (for the running
task's share, or `slot(chat_id, share)`). A request
cancelled while it waits takes nothing; one cancelled after it was granted
a slot gives it back.
"""
from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from contextlib import asynccontextmanager
from typing import AsyncIterator

from tobsd.core.fairshare import ShareClock, current


class RequestBudget:
    def __init__(self, size: int):
        self.size = max(1, size)
        self.in_flight = 0
        self.granted = 0                       # slots handed out so far (for tests and status)
        self._per_chat: Counter[int] = Counter()
        self._waiters: list[tuple[int, int, asyncio.Future, str]] = []   # (chat, seq, future, share)
        self._seq = itertools.count()
        self._shares = ShareClock()

    def chat_in_flight(self, chat_id: int) -> int:
        return self._per_chat[chat_id]

    @asynccontextmanager
    async def slot(self, chat_id: int, share: str | None = None) -> AsyncIterator[None]:
        """Hold one of the budget's slots for a request of `chat_id`."""
        share = share or current()
        if not any(e[3] == share for e in self._waiters):
            self._shares.arrive(share)
        if self.in_flight < self.size and not self._waiters:
            self._shares.take(share)
            self._grant(chat_id)
        else:
            future = asyncio.get_running_loop().create_future()
            entry = (chat_id, next(self._seq), future, share)
            self._waiters.append(entry)
            try:
                await future
            except asyncio.CancelledError:
                if future.done() and not future.cancelled():
                    self._release(chat_id)       # granted just before the cancel
                elif entry in self._waiters:
                    self._waiters.remove(entry)
                raise
        try:
            yield
        finally:
            self._release(chat_id)

    def _grant(self, chat_id: int) -> None:
        self.in_flight += 1
        self.granted += 1
        self._per_chat[chat_id] += 1

    def _release(self, chat_id: int) -> None:
        self.in_flight -= 1
        self._per_chat[chat_id] -= 1
        if not self._per_chat[chat_id]:
            del self._per_chat[chat_id]
        self._wake()

    @property
    def shares(self) -> dict[str, int]:
        """Slots granted so far, per share."""
        return dict(self._shares.taken)

    def _wake(self) -> None:
        while self.in_flight < self.size and self._waiters:
            self._waiters = [e for e in self._waiters if not e[2].done()]   # cancelled meanwhile
            if not self._waiters:
                return
            share = self._shares.pick({e[3] for e in self._waiters})
            per_chat = self._per_chat
            best = min((e for e in self._waiters if e[3] == share),
                       key=lambda e: (per_chat[e[0]], e[1]))
            self._waiters.remove(best)
            chat_id, _, future, _ = best
            self._shares.take(share)
            self._grant(chat_id)
            future.set_result(None)
