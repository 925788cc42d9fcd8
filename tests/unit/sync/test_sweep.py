"""The dialogs sweep over a real SQLite store: it wakes exactly the chats
whose newest message is not the one tobsd holds, and catches up first the
channels whose dialog pts is past the stored one."""
from __future__ import annotations

import pytest

from tobsd.core.models import ChatKind
from tobsd.core.ports import IndexEntry, UpdateState
from tobsd.store import Store
from tobsd.sync.sweep import sweep
from tests.unit.sync.fakesource import FakeSource


@pytest.fixture
async def store(tmp_path):
    s = await Store.open(tmp_path / "state" / "tobsd.db")
    yield s
    await s.close()


async def index(store, chat, ids) -> None:
    await store.chats.upsert(chat.id, chat.kind.value, chat.title)
    await store.index.put_many([IndexEntry(chat.id, i, 0, "n.md", b"h") for i in ids])


async def test_sweep_wakes_only_chats_whose_newest_message_differs(store):
    source = FakeSource()
    same = source.add_chat(2001, 10, kind=ChatKind.USER)
    missed = source.add_chat(2002, 12, kind=ChatKind.USER)
    shown = source.add_chat(2003, 15, kind=ChatKind.USER)       # 15: a message not indexed
    gone = source.add_chat(-1000000000004, 8)                   # its newest (9) deleted
    moved = source.add_chat(-1000000000005, 20)                 # pts moved: caught up first
    await index(store, same, range(1, 11))
    await index(store, missed, range(1, 11))
    await index(store, shown, range(1, 15))
    await index(store, gone, range(1, 10))
    await index(store, moved, range(1, 19))
    source.pts = {gone.id: 30, moved.id: 41}
    await store.updates.put(gone.id, UpdateState(30))
    await store.updates.put(moved.id, UpdateState(40))
    caught_up = []

    async def run_channels(chats):
        caught_up.extend(c.id for c in chats)
        await index(store, moved, [19, 20])      # what its difference brings

    chats = [same, missed, shown, gone, moved]
    woken = await sweep(source, store, chats, {shown.id: 15}, run_channels)
    assert caught_up == [moved.id]
    assert sorted(c.id for c in woken) == sorted([missed.id, gone.id])
    assert source.calls.count(("dialog_tops", tuple(c.id for c in chats))) == 1


async def test_sweep_of_no_chats_asks_nothing(store):
    source = FakeSource()

    async def run_channels(chats):
        raise AssertionError("nothing to catch up")

    assert await sweep(source, store, [], {}, run_channels) == []
    assert source.calls == []
