"""The two-lane lock: urgent waiters first, arrival order within a lane,
hand-over on release, cancellation passes the lock on."""
from __future__ import annotations

import asyncio

import pytest

from tobsd.core.prioritylock import PriorityLock
from tests.conditions import wait_for


async def test_urgent_waiters_go_first_and_each_lane_keeps_arrival_order():
    lock = PriorityLock()
    order: list[str] = []
    await lock.acquire()

    async def holder(name: str, urgent: bool):
        async with lock.hold(urgent=urgent):
            order.append(name)

    tasks = [asyncio.create_task(holder(n, u)) for n, u in
             [("o1", False), ("u1", True), ("o2", False), ("u2", True)]]
    await wait_for(lambda: lock.waiting() == (2, 2), what="four waiters")
    lock.release()
    await asyncio.gather(*tasks)
    assert order == ["u1", "u2", "o1", "o2"]
    assert lock.overtaken == 2 and not lock.locked()


async def test_a_waiter_cancelled_before_or_after_the_hand_over_passes_the_lock_on():
    lock = PriorityLock()
    await lock.acquire()
    got: list[str] = []

    async def holder(name: str):
        async with lock:
            got.append(name)

    cancelled_early = asyncio.create_task(holder("early"))
    handed = asyncio.create_task(holder("handed"))
    last = asyncio.create_task(holder("last"))
    await wait_for(lambda: lock.waiting() == (0, 3), what="three waiters")
    cancelled_early.cancel()
    await asyncio.gather(cancelled_early, return_exceptions=True)
    lock.release()                 # handed to "handed" ...
    handed.cancel()                # ... which is cancelled before it runs
    await asyncio.gather(handed, return_exceptions=True)
    await last
    assert got == ["last"] and not lock.locked()


async def test_releasing_a_free_lock_is_an_error():
    with pytest.raises(RuntimeError):
        PriorityLock().release()
