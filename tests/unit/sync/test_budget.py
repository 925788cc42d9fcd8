"""The shared request budget: at most n at once, fair between chats."""
from __future__ import annotations

import asyncio

from tobsd.sync.budget import RequestBudget


async def test_a_chat_with_nothing_in_flight_goes_before_a_second_request_of_another():
    budget = RequestBudget(3)
    order: list[int] = []
    done: dict[int, asyncio.Event] = {}

    async def request(n: int, chat: int):
        async with budget.slot(chat):
            order.append(chat)
            done[n] = asyncio.Event()
            await done[n].wait()

    async def settle():
        for _ in range(5):
            await asyncio.sleep(0)

    tasks = [asyncio.create_task(request(n, 1)) for n in range(6)]   # a big chat's workers, first
    await settle()
    tasks += [asyncio.create_task(request(10 + c, c)) for c in (2, 3, 4)]
    await settle()
    assert order == [1, 1, 1]
    for n in (0, 1):                  # two of the big chat's requests end
        done[n].set()
        await settle()
    # The freed slots go to the small chats, which had nothing in flight,
    # although the big chat's other workers waited longer.
    assert order[3:] == [2, 3] and budget.chat_in_flight(1) == 1
    done[2].set()                     # the big chat has nothing in flight now: its turn
    await settle()
    assert order[5] == 1
    done[12].set()
    await settle()
    assert order[6] == 4
    while len(order) < 9 or any(not e.is_set() for e in done.values()):
        for e in done.values():
            e.set()
        await settle()
    await asyncio.gather(*tasks)
    assert budget.in_flight == 0 and budget.granted == 9


async def test_never_more_than_the_budget_and_cancel_gives_the_slot_back():
    budget = RequestBudget(3)
    peak = 0

    async def request(chat: int):
        nonlocal peak
        async with budget.slot(chat):
            peak = max(peak, budget.in_flight)
            await asyncio.sleep(0)

    waiting = asyncio.Event()

    async def holder():
        async with budget.slot(99):
            await waiting.wait()

    held = [asyncio.create_task(holder()) for _ in range(3)]
    await asyncio.sleep(0)
    victim = asyncio.create_task(request(5))
    await asyncio.sleep(0)
    victim.cancel()
    waiting.set()
    await asyncio.gather(*held)
    await asyncio.gather(victim, return_exceptions=True)
    await asyncio.gather(*(request(c % 7) for c in range(50)))
    assert peak <= 3 and budget.in_flight == 0 and budget.chat_in_flight(5) == 0


async def test_freed_slots_are_shared_by_weight_between_kinds_of_work():
    """Backfill workers of one chat hold the budget and more wait; a
    reconcile (weight 4) of another chat gets four of every five slots that
    free while both wait, and the backfill still gets its fifth."""
    from tobsd.core import fairshare

    budget = RequestBudget(2)
    order: list[str] = []
    release: list[asyncio.Event] = []

    async def request(chat: int, share: str):
        with fairshare.using(share):
            async with budget.slot(chat):
                order.append(share[0])
                done = asyncio.Event()
                release.append(done)
                await done.wait()

    async def settle():
        for _ in range(5):
            await asyncio.sleep(0)

    tasks = [asyncio.create_task(request(1, fairshare.BACKFILL)) for _ in range(12)]
    await settle()
    tasks += [asyncio.create_task(request(2, fairshare.RECONCILE)) for _ in range(8)]
    await settle()
    assert order == ["b", "b"]
    while len(order) < 20:                 # free the slots one at a time, oldest first
        release[len(order) - 2].set()
        await settle()
    for done in release:
        done.set()
    await asyncio.gather(*tasks)
    shared = "".join(order[2:12])          # both waiting: 4 to 1
    assert shared.count("r") == 8 and "rrrrrr" not in shared, shared
    assert budget.shares == {"backfill": 12, "reconcile": 8} and budget.in_flight == 0
