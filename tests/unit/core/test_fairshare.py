"""Weighted fair shares: under contention each share gets turns in
proportion to its weight, none starves, an idle share banks nothing, and
the share travels with the task."""
from __future__ import annotations

import asyncio

import pytest

from tobsd.core import fairshare
from tobsd.core.fairshare import BACKFILL, LIVE, MEDIA, RECONCILE, WEIGHTS, FairTurns, ShareClock


def test_turns_follow_the_weights_and_no_share_waits_more_than_a_round():
    clock = ShareClock()
    shares = [BACKFILL, RECONCILE, LIVE, MEDIA]
    for s in shares:
        clock.arrive(s)
    order = []
    for _ in range(150):          # ten rounds of 15 (= 1 + 4 + 8 + 2) turns
        share = clock.pick(shares)
        clock.take(share)
        order.append(share)
    assert clock.taken == {BACKFILL: 10, RECONCILE: 40, LIVE: 80, MEDIA: 20}
    # No starvation: the lightest share gets a turn in every window of 15 + 1.
    gaps = [i for i, s in enumerate(order) if s == BACKFILL]
    assert max(b - a for a, b in zip([-1] + gaps, gaps)) <= 16


def test_a_share_that_was_idle_banks_no_turns():
    clock = ShareClock({"a": 1.0, "b": 1.0})
    clock.arrive("a")
    for _ in range(100):          # "a" alone for a long time
        clock.take(clock.pick(["a"]))
    clock.arrive("b")             # "b" arrives: it alternates with "a", no run of 100
    order = []
    for _ in range(10):
        share = clock.pick(["a", "b"])
        clock.take(share)
        order.append(share)
    assert order.count("b") == 5 and "b,b,b" not in ",".join(order)


async def test_fair_turns_serve_waiters_by_weight_and_in_arrival_order_within_a_share():
    turns = FairTurns()
    got: list[tuple[str, int]] = []
    gate = asyncio.Event()

    async def holder():
        async with turns.turn(BACKFILL):
            await gate.wait()

    first = asyncio.create_task(holder())
    await asyncio.sleep(0)

    async def request(share, n):
        async with turns.turn(share):
            got.append((share, n))

    tasks = [asyncio.create_task(request(BACKFILL, n)) for n in range(10)]
    tasks += [asyncio.create_task(request(RECONCILE, n)) for n in range(10)]
    for _ in range(3):
        await asyncio.sleep(0)
    assert turns.waiting() == {BACKFILL: 10, RECONCILE: 10}
    gate.set()
    await asyncio.gather(first, *tasks)
    # Reconcile (weight 4) gets four turns to backfill's one while both
    # wait (the holder's turn was backfill's first; ties go to the heavier).
    R, B = RECONCILE, BACKFILL
    assert [s for s, _ in got[:12]] == [R, R, R, R, R, B, R, R, R, R, B, R]
    assert [n for s, n in got if s == BACKFILL] == list(range(10))
    assert [n for s, n in got if s == RECONCILE] == list(range(10))


async def test_a_cancelled_waiter_gives_its_turn_on():
    turns = FairTurns()
    gate = asyncio.Event()
    got = []

    async def holder():
        async with turns.turn(BACKFILL):
            await gate.wait()

    async def request(share):
        async with turns.turn(share):
            got.append(share)

    h = asyncio.create_task(holder())
    await asyncio.sleep(0)
    victim = asyncio.create_task(request(LIVE))
    other = asyncio.create_task(request(BACKFILL))
    await asyncio.sleep(0)
    victim.cancel()
    await asyncio.gather(victim, return_exceptions=True)
    gate.set()
    await asyncio.gather(h, other)
    assert got == [BACKFILL] and turns.waiting() == {}


async def test_the_share_travels_with_the_task():
    assert fairshare.current() == BACKFILL
    seen = []

    async def inner():
        seen.append(fairshare.current())

    with fairshare.using(RECONCILE):
        await asyncio.create_task(inner())
        seen.append(fairshare.current())
    seen.append(fairshare.current())
    assert seen == [RECONCILE, RECONCILE, BACKFILL]
    with pytest.raises(ValueError):
        with fairshare.using("nonsense"):
            pass
    assert set(WEIGHTS) == {LIVE, RECONCILE, MEDIA, BACKFILL}
