"""Paging a common-box chat by position: pages in flight together, handed
out in order, and a deletion between two requests never loses a message."""
from __future__ import annotations

import asyncio
import random
from contextlib import aclosing

import pytest

from tobsd.core.models import ChatKind
from tobsd.core.ports import HistoryPage
from tobsd.store import Store
from tobsd.sync.positions import PositionPages, pages_for
from tests.unit.sync.fakesource import FakeSource, msg
from tests.unit.sync.test_engine import engine_for, vault_ids, wait_live


class Positions:
    """A chat's ids below a top, served by position; a fetch waits until
    released, so a test sees how many are in flight at once."""

    def __init__(self, ids: list[int]):
        self.ids = sorted(ids, reverse=True)
        self.asked: list[int] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.release = asyncio.Event()
        self.release.set()

    async def fetch(self, add_offset: int) -> HistoryPage:
        self.asked.append(add_offset)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await self.release.wait()
            return HistoryPage([msg(7, i) for i in self.ids[add_offset:add_offset + 100]],
                               count=len(self.ids))
        finally:
            self.in_flight -= 1


async def collect(plan: PositionPages) -> list:
    async with aclosing(plan.pages_in_order()) as pages:
        return [p async for p in pages]


@pytest.mark.parametrize("count", [101, 199, 200, 990, 2345])
async def test_every_message_once_in_order_with_the_overlap_dropped(count):
    ids = sorted(random.Random(count).sample(range(1, 50 * count), count))
    source = Positions(ids)
    plan = PositionPages(source.fetch, count, ahead=4)
    pages = await collect(plan)
    got = [m.id for p in pages for m in p.messages]
    assert got == sorted(ids, reverse=True)
    assert not plan.broken and pages[-1].last and not any(p.last for p in pages[:-1])
    assert len(pages) == pages_for(count) and sorted(source.asked) == [99 * k for k in range(len(pages))]
    assert [p.lowest for p in pages] == [min(m.id for m in p.page.messages) for p in pages]


async def test_pages_are_in_flight_together_up_to_ahead():
    source = Positions(list(range(1, 1001)))
    source.release.clear()
    plan = PositionPages(source.fetch, 1000, ahead=4)
    task = asyncio.ensure_future(collect(plan))
    while source.in_flight < 4:
        await asyncio.sleep(0)
    for _ in range(20):            # nothing beyond `ahead` starts while they wait
        await asyncio.sleep(0)
    assert source.in_flight == 4 and sorted(source.asked) == [0, 99, 198, 297]
    source.release.set()
    pages = await task
    assert source.most_in_flight == 4 and len(pages) == pages_for(1000)


async def test_a_deletion_between_two_requests_breaks_the_plan_at_the_last_proven_page():
    ids = list(range(1, 501))
    source = Positions(ids)
    fetch = source.fetch

    async def deleting(add_offset: int) -> HistoryPage:
        page = await fetch(add_offset)
        if add_offset == 99:          # page 1 fetched; then a message above page 2 goes
            source.ids.remove(450)
        return page

    plan = PositionPages(deleting, 500, ahead=1)
    pages = await collect(plan)
    assert plan.broken
    # Pages 0 and 1 were proven contiguous; page 2 (fetched after the
    # deletion) lost its overlap, so the caller goes on below page 1.
    assert len(pages) == 2 and pages[-1].lowest == 500 - 199 + 1 - 0
    assert [m.id for p in pages for m in p.messages] == list(range(500, 301, -1))


async def test_an_early_exit_cancels_the_fetches_still_running():
    source = Positions(list(range(1, 1001)))
    source.release.clear()
    first = asyncio.Event()

    async def fetch(add_offset: int) -> HistoryPage:
        if add_offset == 0:
            first.set()
            return HistoryPage([msg(7, i) for i in range(1000, 900, -1)], count=1000)
        return await source.fetch(add_offset)

    plan = PositionPages(fetch, 1000, ahead=6)
    async with aclosing(plan.pages_in_order()) as pages:
        async for _ in pages:
            assert source.in_flight == 5     # the others wait
            break
    assert first.is_set() and source.in_flight == 0


@pytest.fixture
async def store(tmp_path):
    s = await Store.open(tmp_path / "state" / "tobsd.db")
    yield s
    await s.close()


@pytest.mark.parametrize("delete_at", [1, 3, 7])
async def test_a_private_chat_backfilled_by_position_loses_nothing_to_a_deletion(
        store, tmp_path, delete_at):
    """Messages deleted while the pages are fetched: every message still
    there is in the vault, fetched by offset from where the plan broke."""
    source = FakeSource()
    rng = random.Random(delete_at)
    ids = sorted(rng.sample(range(1, 80_000), 1500))
    chat = source.add_chat(2002, 0, kind=ChatKind.USER, title="Eve", ids=ids)
    history = source.history
    asked = 0
    gone: list[int] = []

    async def deleting_history(chat_, **kw):
        nonlocal asked
        page = await history(chat_, **kw)
        if chat_.id == chat.id and kw.get("add_offset"):
            asked += 1
            if asked == delete_at:    # a message near the top goes meanwhile
                victim = sorted(source.histories[chat.id])[-150]
                gone.append(victim)
                source.histories[chat.id].pop(victim)
        return page

    source.history = deleting_history
    engine, _ = engine_for(source, store, tmp_path, workers=6)
    await engine.add_chat(chat)
    await wait_live(engine)
    await engine.stop()
    assert gone
    in_vault = set(vault_ids(tmp_path))
    assert set(ids) - set(gone) <= in_vault
    calls = [c for c in source.calls if c[0] == "history" and c[1] == chat.id]
    top = ids[-100]   # the newest page's lowest id: the positions count from it
    assert any(c[5] for c in calls)                                    # by position first,
    assert any(not c[5] and c[2] not in (0, top) for c in calls)       # then by offset
    assert len(calls) <= 1500 // 100 + 1 + 10   # a few repeated pages at most
