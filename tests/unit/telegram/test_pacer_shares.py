"""A pacer shared by kinds of work under contention: the slots its rate
allows go to the shares by weight (core.fairshare), a share alone gets them
all, and the lightest share is never starved. On a simulated clock."""
from __future__ import annotations

import asyncio

from tobsd.core import fairshare
from tobsd.core.fairshare import BACKFILL, LIVE, RECONCILE
from tobsd.telegram.pacer import Learned, Pacer
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


class VirtualClock(Clock):
    """Simulated time where a sleep lasts until `advance` passes its end,
    so tasks can arrive while another sleeps."""

    def __init__(self):
        super().__init__()
        self._sleepers: list[tuple[float, int, asyncio.Future]] = []
        self._seq = 0

    async def sleep(self, seconds):
        future = asyncio.get_running_loop().create_future()
        self._seq += 1
        self._sleepers.append((self.now + seconds, self._seq, future))
        await future

    async def advance(self, to: float):
        """Wake the sleepers due up to `to`, in order, letting every task
        run to its next wait after each."""
        while True:
            await settle()
            due = sorted(s for s in self._sleepers if s[0] <= to)
            if not due:
                break
            self._sleepers.remove(due[0])
            self.now = max(self.now, due[0][0])
            due[0][2].set_result(None)
        self.now = max(self.now, to)
        await settle()


async def settle():
    for _ in range(20):
        await asyncio.sleep(0)


async def test_a_live_request_gets_the_next_slot_even_while_backfill_sleeps_for_it():
    """The bucket is empty and a backfill request is asleep until the next
    slot is due when a live request arrives: the live request gets that
    slot, and the backfill request the one after (it waited first, but live
    updates must not wait behind backfill)."""
    clock = VirtualClock()
    pacer = Pacer(learned=Learned(rate=1.0, low=1.0, high=1.1), clock=clock, sleep=clock.sleep)
    pacer.succeeded(await pacer.acquire(BACKFILL))     # the bucket's one slot, at t=0
    granted: dict[str, float] = {}

    async def request(share):
        pacer.succeeded(await pacer.acquire(share))
        granted[share] = clock.now

    backfill = asyncio.create_task(request(BACKFILL))   # asleep until t=1
    await clock.advance(0.5)
    live = asyncio.create_task(request(LIVE))
    await clock.advance(3.0)
    await asyncio.gather(backfill, live)
    assert granted == {LIVE: 1.0, BACKFILL: 2.0}
    assert pacer.shares() == {BACKFILL: 2, LIVE: 1}


async def test_backfill_keeps_its_place_when_it_hands_a_slot_to_live():
    """The backfill request that handed its slot over goes first among the
    backfill requests after it, and no share is charged a slot it did not get."""
    clock = VirtualClock()
    pacer = Pacer(learned=Learned(rate=1.0, low=1.0, high=1.1), clock=clock, sleep=clock.sleep)
    pacer.succeeded(await pacer.acquire(BACKFILL))
    order: list[str] = []

    async def request(name, share):
        pacer.succeeded(await pacer.acquire(share))
        order.append(name)

    first = asyncio.create_task(request("backfill-1", BACKFILL))
    await settle()
    second = asyncio.create_task(request("backfill-2", BACKFILL))
    await clock.advance(0.5)
    live = asyncio.create_task(request("live", LIVE))
    await clock.advance(5.0)
    await asyncio.gather(first, second, live)
    assert order == ["live", "backfill-1", "backfill-2"]
    assert pacer.shares() == {BACKFILL: 3, LIVE: 1}
