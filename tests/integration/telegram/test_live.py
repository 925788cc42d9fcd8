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

    async def wait_for(self, count, timeout=30):
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


async def test_differences_carry_edits_and_deletions_made_while_offline(config, server, world):
    """Explicit differences from a persisted state: every kind of change
    made while offline comes back as an event (Telethon's own catch-up
    would pass on the new messages only)."""
    first = TelethonSource(config, MemoryFloodStore(), client_options=FAST)
    await first.start()
    news = await first.resolve("@news")
    state = await first.update_state()
    news_pts = (await first.channel_pts([news]))[news.id]
    await first.stop()
    key = news_key(world)
    old_dm = world.get_history(("user", BOB), limit=1).messages[0]
    offline = world.post(("user", BOB), "while you were away", from_id=BOB)
    world.edit(("user", BOB), old_dm.id, "edited while away")
    world.delete(("user", BOB), [offline.id])
    post = world.post(key, "offline post")
    world.edit(key, 5, "old post, edited")
    world.delete(key, [6])
    second = TelethonSource(config, MemoryFloodStore(), client_options=FAST)
    await second.start()
    try:
        diff = await second.difference(state)
        assert diff.final and not diff.too_long and diff.state.pts == world.pts
        kinds = [(e.kind, e.chat_id) for e in diff.events]
        assert ("new", BOB) in kinds and ("edit", BOB) in kinds and ("delete", None) in kinds
        edit = next(e for e in diff.events if e.kind == "edit")
        assert edit.messages[0].id == old_dm.id and edit.messages[0].text == "edited while away"
        assert next(e for e in diff.events if e.kind == "delete").ids == (offline.id,)
        channel = await second.channel_difference(news, news_pts)
        assert channel.final and channel.pts == world.channel_pts(key)
        assert [e.kind for e in channel.events] == ["new", "edit", "delete"]
        assert channel.events[0].messages[0].id == post.id
        assert channel.events[1].messages[0].text == "old post, edited"
        assert channel.events[2].ids == (6,) and channel.events[2].chat_id == news.id
    finally:
        await second.stop()


async def test_beyond_the_update_log_the_difference_says_too_long(config, server, world):
    source = TelethonSource(config, MemoryFloodStore(), client_options=FAST)
    await source.start()
    try:
        news = await source.resolve("@news")
        state = await source.update_state()
        news_pts = (await source.channel_pts([news]))[news.id]
        world.set_log_size(3)
        for i in range(5):
            world.post(("user", BOB), f"dm {i}", from_id=BOB)
            world.post(news_key(world), f"post {i}")
        diff = await source.difference(state)
        assert diff.too_long and diff.state.pts == world.pts
        channel = await source.channel_difference(news, news_pts)
        assert channel.too_long and channel.pts == world.channel_pts(news_key(world))
    finally:
        await source.stop()


async def test_history_hash_answers_not_modified_for_an_unchanged_page(source, world):
    news = await source.resolve("@news")
    page = await source.history(news, offset_id=50, limit=20)
    ids = [m.id for m in page.messages]
    same = await source.history(news, offset_id=50, limit=20, unless_ids=ids)
    assert same.not_modified and same.messages == []
    world.delete(news_key(world), [ids[3]])
    changed = await source.history(news, offset_id=50, limit=20, unless_ids=ids)
    assert not changed.not_modified and ids[3] not in {m.id for m in changed.messages}


async def test_a_position_probe_is_not_modified_until_a_message_above_it_is_deleted(source, world):
    news = await source.resolve("@news")
    ids = [m.id for m in (await source.history(news, offset_id=50, limit=20)).messages]
    probe = dict(offset_id=ids[0] + 1, add_offset=len(ids) - 1, limit=1, unless_ids=[ids[-1]])
    assert (await source.history(news, **probe)).not_modified
    world.delete(news_key(world), [ids[3]])
    moved = await source.history(news, **probe)
    assert not moved.not_modified and [m.id for m in moved.messages][0] < ids[-1]
