"""Live updates mapped to LiveEvents in order (new, edit, delete; channel and
common-box deletions), and catching up on what changed while offline."""
from __future__ import annotations

import asyncio

from tobsd.telegram.floodstore import MemoryFloodStore
from tobsd.telegram.source import TelethonSource

from .conftest import BOB, FAST


class Events:
    def __init__(self):
        self.items = []
        self.changed = asyncio.Event()

    async def __call__(self, event):
        self.items.append(event)
        self.changed.set()

    async def wait_for(self, count, timeout=5):
        async def wait():
            while len(self.items) < count:
                self.changed.clear()
                await self.changed.wait()
        await asyncio.wait_for(wait(), timeout)


def news_key(world):
    return next(c.key for c in world.chats() if c.title == "News")


async def test_channel_new_edit_delete_arrive_in_order(source, server, world):
    chat = await source.resolve("@news")
    got = Events()
    source.subscribe(got)
    key = news_key(world)
    first = world.post(key, "breaking")
    second = world.post(key, "more")
    world.edit(key, first.id, "breaking, corrected")
    world.delete(key, [second.id])
    await got.wait_for(4)
    assert [e.kind for e in got.items] == ["new", "new", "edit", "delete"]
    assert all(e.chat_id == chat.id for e in got.items)
    assert got.items[0].messages[0].text == "breaking"
    assert got.items[0].messages[0].id == first.id
    assert got.items[2].messages[0].edit_date is not None
    assert got.items[2].messages[0].text == "breaking, corrected"
    assert got.items[3].ids == (second.id,)


async def test_private_chat_events_and_common_box_deletion(source, server, world):
    got = Events()
    source.subscribe(got)
    msg = world.post(("user", BOB), "hello Ada", from_id=BOB)
    await got.wait_for(1)
    new = got.items[0]
    assert new.chat_id == BOB and new.messages[0].sender.id == BOB
    world.delete(("user", BOB), [msg.id])
    await got.wait_for(2)
    assert got.items[1].kind == "delete" and got.items[1].chat_id is None
    assert got.items[1].ids == (msg.id,)


async def test_catch_up_delivers_what_changed_while_offline(config, server, world):
    first = TelethonSource(config, MemoryFloodStore(), client_options=FAST)
    await first.start()
    await first.dialogs()
    await first.stop()
    offline = world.post(("user", BOB), "while you were away", from_id=BOB)
    post = world.post(news_key(world), "offline post")
    second = TelethonSource(config, MemoryFloodStore(), client_options=FAST)
    got = Events()
    second.subscribe(got)
    await second.start()
    try:
        await second.catch_up()
        await got.wait_for(2)
        new = {(e.chat_id, e.messages[0].id) for e in got.items if e.kind == "new"}
        assert (BOB, offline.id) in new
        assert (-(10**12 + news_key(world)[1]), post.id) in new
    finally:
        await second.stop()
