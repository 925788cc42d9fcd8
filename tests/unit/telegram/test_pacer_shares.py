"""A pacer shared by kinds of work under contention: the slots its rate
allows go to the shares by weight (core.fairshare), a share alone gets them
all, and the lightest share is never starved. On a simulated clock."""
from __future__ import annotations

import asyncio

from tobsd.core import fairshare
from tobsd.core.fairshare import BACKFILL, LIVE, RECONCILE
from tobsd.telegram.pacer import Pacer
from tests.unit.telegram.test_pacer import Clock


class YieldingClock(Clock):
    """Simulated time whose sleep lets the other tasks run (and queue up)."""

    async def sleep(self, seconds):
        self.now += seconds
        await asyncio.sleep(0)


async def test_the_rate_is_shared_by_weight_and_no_share_starves():
    clock = YieldingClock()
    pacer = Pacer(start_rate=2.0, max_rate=2.0, clock=clock, sleep=clock.sleep)
    grants: list[tuple[str, float]] = []

    async def worker(share: str, requests: int):
        with fairshare.using(share):                  # as the sync layer marks its requests
            for _ in range(requests):
                ticket = await pacer.acquire()
                grants.append((share, clock.now))
                pacer.succeeded(ticket)
                await asyncio.sleep(0)                # the request's round trip

    # Each share has several requests waiting at once (a share with none
    # waiting gets no slot: the rate is not held back for it).
    workers = ([asyncio.create_task(worker(BACKFILL, 100)) for _ in range(16)]
               + [asyncio.create_task(worker(RECONCILE, 20)) for _ in range(4)]
               + [asyncio.create_task(worker(LIVE, 10)) for _ in range(4)])
    await asyncio.gather(*workers)

    assert pacer.shares() == {BACKFILL: 1600, RECONCILE: 80, LIVE: 40}
    first = [s for s, _ in grants[:65]]           # all three waiting: 13 slots a round
    assert 38 <= first.count(LIVE) <= 42          # 8 of 13
    assert 18 <= first.count(RECONCILE) <= 22     # 4 of 13
    assert 4 <= first.count(BACKFILL) <= 6        # 1 of 13: never starved
    # Once the others are done, backfill has the whole rate.
    tail = grants[-100:]
    assert all(s == BACKFILL for s, _ in tail)
    assert abs((tail[-1][1] - tail[0][1]) - 99 / 2.0) < 1.0
