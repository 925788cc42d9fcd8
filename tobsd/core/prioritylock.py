"""A lock with two lanes: urgent holders are served before ordinary ones.

`asyncio.Lock` serves waiters first come, first served. Live messages must
not wait behind a queue of backfill work (the live latency target holds
while a big backfill rides Telegram's rate limit), so the applier's per-chat
order lock and the vault writer's lock use this one instead:

    async with lock:                     # an ordinary holder
    async with lock.hold(urgent=True):   # goes before every ordinary waiter

Within a lane waiters are served in arrival order, so callers that rely on
the order they queued in (batches of one chat) keep it. A caller that uses
the urgent lane promises that its work commutes with the ordinary work it
overtakes; the lock only orders, it cannot check that.

When the lock is released it is handed straight to the next waiter (no
newcomer can slip in between), and a waiter cancelled after it was handed
the lock passes it on.
"""
from __future__ import annotations

import asyncio
from collections import deque
from contextlib import asynccontextmanager
from typing import AsyncIterator


class PriorityLock:
    def __init__(self) -> None:
        self._held = False
        self._urgent: deque[asyncio.Future] = deque()
        self._ordinary: deque[asyncio.Future] = deque()
        self.overtaken = 0   # times an urgent waiter went before a waiting ordinary one

    def locked(self) -> bool:
        return self._held

    def waiting(self) -> tuple[int, int]:
        """(urgent, ordinary) waiters not yet served."""
        return (sum(not f.done() for f in self._urgent), sum(not f.done() for f in self._ordinary))

    async def acquire(self, *, urgent: bool = False) -> None:
        if not self._held and not self._urgent and not self._ordinary:
            self._held = True
            return
        future = asyncio.get_running_loop().create_future()
        (self._urgent if urgent else self._ordinary).append(future)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()           # handed the lock just before the cancel
            else:
                lane = self._urgent if urgent else self._ordinary
                if future in lane:
                    lane.remove(future)
            raise

    def release(self) -> None:
        if not self._held:
            raise RuntimeError("PriorityLock released while not held")
        for lane in (self._urgent, self._ordinary):
            while lane:
                future = lane.popleft()
                if future.done():        # cancelled while it waited
                    continue
                if lane is self._urgent and any(not f.done() for f in self._ordinary):
                    self.overtaken += 1
                future.set_result(None)  # stays held: handed over
                return
        self._held = False

    @asynccontextmanager
    async def hold(self, *, urgent: bool = False) -> AsyncIterator[None]:
        await self.acquire(urgent=urgent)
        try:
            yield
        finally:
            self.release()

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *exc) -> None:
        self.release()
