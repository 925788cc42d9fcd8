"""What a catch-up run says it caught up without a break (the boxes from
which a followed chat may come back without reading its history): a box
answered up to a final difference with none "too long"; not one seen for
the first time, cut short by differenceTooLong, or refused."""
from __future__ import annotations

import asyncio

import pytest

from tobsd.core.errors import ChatUnavailable
from tobsd.core.models import ChatKind
from tobsd.core.ports import ACCOUNT_BOX, Difference, UpdateState
from tobsd.store import Store
from tobsd.sync.catchup import CatchUp
from tests.unit.sync.fakesource import FakeSource


@pytest.fixture
async def store(tmp_path):
    s = await Store.open(tmp_path / "state" / "tobsd.db")
    yield s
    await s.close()


class Source(FakeSource):
    def __init__(self, too_long=(), refused=()):
        super().__init__()
        self.too_long, self.refused = set(too_long), set(refused)

    async def difference(self, state):
        if ACCOUNT_BOX in self.too_long:
            self.too_long.discard(ACCOUNT_BOX)
            return Difference([], final=False, too_long=True, state=UpdateState(state.pts + 50))
        return Difference([], state=state)

    async def channel_difference(self, chat, pts):
        if chat.id in self.refused:
            raise ChatUnavailable("gone")
        return Difference([], too_long=chat.id in self.too_long, pts=pts + 1)


async def run_once(store, source, chats):
    verified = []

    async def apply(event):
        pass

    async def verify(found):
        verified.extend(c.id for c in found)

    catchup = CatchUp(source, store, apply, lambda: chats, verify)
    number = catchup.next_run()
    waiting = asyncio.ensure_future(catchup.outcome(number))
    await asyncio.sleep(0)
    assert not waiting.done()           # the run has not ended yet
    await catchup.run()
    return await waiting, verified


async def test_only_boxes_caught_up_from_a_stored_state_without_a_break(store):
    source = Source(too_long=[-1000000000002], refused=[-1000000000003])
    whole = source.add_chat(-1000000000001, 5)
    cut = source.add_chat(-1000000000002, 5)
    refused = source.add_chat(-1000000000003, 5)
    fresh = source.add_chat(-1000000000004, 5)
    dm = source.add_chat(2001, 5, kind=ChatKind.USER)
    await store.updates.put(ACCOUNT_BOX, UpdateState(10, 1, 1, 1))
    for chat in (whole, cut, refused):
        await store.updates.put(chat.id, UpdateState(7))
    clean, verified = await run_once(store, source, [whole, cut, refused, fresh, dm])
    assert clean == {ACCOUNT_BOX, whole.id}
    assert verified == [cut.id]


async def test_an_account_difference_too_long_leaves_the_common_box_out(store):
    source = Source(too_long=[ACCOUNT_BOX])
    dm = source.add_chat(2001, 5, kind=ChatKind.USER)
    await store.updates.put(ACCOUNT_BOX, UpdateState(10, 1, 1, 1))
    clean, verified = await run_once(store, source, [dm])
    assert clean == set() and verified == [dm.id]


async def test_a_first_start_catches_nothing_up(store):
    source = Source()
    dm = source.add_chat(2001, 5, kind=ChatKind.USER)
    channel = source.add_chat(-1000000000001, 5)
    clean, _ = await run_once(store, source, [dm, channel])
    assert clean == set()
    assert await store.updates.get(ACCOUNT_BOX) is not None
    assert await store.updates.get(channel.id) is not None
