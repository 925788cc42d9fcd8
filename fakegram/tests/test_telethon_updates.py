"""Pushed updates: Telethon's event handlers fire for posts, edits and
deletions made through the HTTP control endpoint, and a pts gap is found and
recovered with getChannelDifference / getDifference."""
from __future__ import annotations

import asyncio

import pytest
from telethon import events

from fakegram.control import Control, ControlClient, ControlHTTP
from fakegram.testing import BOB, connected_client


@pytest.fixture
async def control(server):
    http = ControlHTTP(Control(server))
    await http.start()
    yield ControlClient(http.url)
    await http.stop()


class Collector:
    """Collects events of one kind until `count` arrived."""

    def __init__(self):
        self.items = []
        self.changed = asyncio.Event()

    async def handler(self, event):
        self.items.append(event)
        self.changed.set()

    async def wait_for(self, count, timeout=30):
        async def wait():
            while len(self.items) < count:
                self.changed.clear()
                await self.changed.wait()
        await asyncio.wait_for(wait(), timeout)


async def _live_client(server):
    cm = connected_client(server, receive_updates=True)
    client = await cm.__aenter__()
    await client.get_me()
    await client.get_dialogs()   # learn the channels (and their pts) like an app does
    return cm, client


@pytest.mark.parametrize("chat", [["channel", None], ["user", BOB]])
async def test_new_edit_delete_events_fire(server, world, control, chat):
    if chat[1] is None:
        chat = list(next(c.key for c in world.chats() if c.title == "News"))
    cm, client = await _live_client(server)
    new, edited, deleted = Collector(), Collector(), Collector()
    client.add_event_handler(new.handler, events.NewMessage())
    client.add_event_handler(edited.handler, events.MessageEdited())
    client.add_event_handler(deleted.handler, events.MessageDeleted())
    try:
        posted = await asyncio.to_thread(control.post, chat, "fresh news", from_id=BOB if chat[0] == "user" else None)
        await new.wait_for(1)
        assert new.items[0].message.id == posted["id"]
        assert new.items[0].message.message == "fresh news"
        await asyncio.to_thread(control.edit, chat, posted["id"], "fresh news, corrected")
        await edited.wait_for(1)
        assert edited.items[0].message.message == "fresh news, corrected"
        await asyncio.to_thread(control.delete, chat, [posted["id"]])
        await deleted.wait_for(1)
        assert posted["id"] in deleted.items[0].deleted_ids
    finally:
        await cm.__aexit__(None, None, None)


async def test_a_channel_pts_gap_is_recovered(server, world, control):
    key = list(next(c.key for c in world.chats() if c.title == "News"))
    cm, client = await _live_client(server)
    new = Collector()
    client.add_event_handler(new.handler, events.NewMessage())
    try:
        await asyncio.to_thread(control.suppress_pushes, 2)
        first = await asyncio.to_thread(control.post, key, "missed one")
        second = await asyncio.to_thread(control.post, key, "missed two")
        third = await asyncio.to_thread(control.post, key, "pushed")
        await new.wait_for(3)
        assert sorted(e.message.id for e in new.items) == [first["id"], second["id"], third["id"]]
        assert server.request_log(method="updates.getChannelDifference")
    finally:
        await cm.__aexit__(None, None, None)


async def test_a_common_box_pts_gap_is_recovered(server, world, control):
    cm, client = await _live_client(server)
    new = Collector()
    client.add_event_handler(new.handler, events.NewMessage())
    try:
        await asyncio.to_thread(control.suppress_pushes, 1)
        first = await asyncio.to_thread(control.post, ["user", BOB], "missed", from_id=BOB)
        second = await asyncio.to_thread(control.post, ["user", BOB], "pushed", from_id=BOB)
        await new.wait_for(2)
        assert sorted(e.message.id for e in new.items) == [first["id"], second["id"]]
        assert server.request_log(method="updates.getDifference")
    finally:
        await cm.__aexit__(None, None, None)


async def test_control_endpoint_reports_errors_clearly(control):
    from fakegram.control import ControlError
    with pytest.raises(ControlError, match="no chat"):
        await asyncio.to_thread(control.post, "No such chat", "x")
    with pytest.raises(ControlError, match="error"):
        await asyncio.to_thread(control.add_fault, method="x")


async def test_renames_arrive_as_telegram_sends_them(server, world, control):
    """editTitle: a messageActionChatEditTitle service message (with the
    renamed chat in the update's chats); a user's new name: updateUserName."""
    from telethon.tl import types
    key = list(next(c.key for c in world.chats() if c.title == "News"))
    cm, client = await _live_client(server)
    raw = Collector()
    client.add_event_handler(raw.handler, events.Raw())

    async def first(kind):
        while not (found := [u for u in raw.items if isinstance(u, kind)]):
            await raw.wait_for(len(raw.items) + 1)
        return found[0]
    try:
        await asyncio.to_thread(control.rename_chat, key, "News Daily")
        update = await first(types.UpdateNewChannelMessage)
        assert isinstance(update.message.action, types.MessageActionChatEditTitle)
        assert update.message.action.title == "News Daily"
        assert (await client.get_entity(update.message.peer_id)).title == "News Daily"
        await asyncio.to_thread(control.rename_user, BOB, "Robert", "Stone")
        update = await first(types.UpdateUserName)
        assert (update.user_id, update.first_name, update.last_name) == (BOB, "Robert", "Stone")
        with pytest.raises(Exception, match="private chat"):
            await asyncio.to_thread(control.rename_chat, ["user", BOB], "nope")
    finally:
        await cm.__aexit__(None, None, None)
