"""World events -> the Update objects the server pushes (and getDifference uses).

pts and pts_count are exactly the event's: Telethon's gap detection checks
local_pts + pts_count == pts for every update, so a wrong value makes the
client fetch a difference (or drop the update).
"""
from __future__ import annotations

from telethon.tl import types

from ..world.world import WorldEvent
from .build import make, ts
from .peers import peer as peer_of
from .refs import Refs


def _spread(event: WorldEvent) -> list[tuple[int, int]]:
    """(pts, pts_count) per message of a new/edit event: one event may carry
    several messages (an album), each then used one pts ending at event.pts."""
    n = len(event.messages)
    if n <= 1:
        return [(event.pts, event.pts_count)] * n
    if event.pts_count == n:
        return [(event.pts - (n - 1 - i), 1) for i in range(n)]
    return [(event.pts, event.pts_count)] * n


def event_updates(world, event: WorldEvent, refs: Refs) -> list:
    """The Update objects for one event, recording referenced peers in refs."""
    key = event.chat
    channel = key[0] == "channel"
    if event.kind == "delete":
        if channel:
            return [make(types.UpdateDeleteChannelMessages, channel_id=key[1],
                         messages=list(event.ids), pts=event.pts, pts_count=event.pts_count)]
        return [make(types.UpdateDeleteMessages, messages=list(event.ids), pts=event.pts,
                     pts_count=event.pts_count)]
    if event.kind == "user_name":
        user = world.users[key[1]]
        refs.user(user.id)
        usernames = [make(types.Username, username=user.username, active=True)] \
            if user.username else []
        return [make(types.UpdateUserName, user_id=user.id, first_name=user.first_name,
                     last_name=user.last_name, usernames=usernames)]
    if event.kind == "pin":
        if channel:
            return [make(types.UpdatePinnedChannelMessages, channel_id=key[1],
                         messages=list(event.ids), pts=event.pts, pts_count=event.pts_count,
                         pinned=event.pinned)]
        refs.chat(key)
        return [make(types.UpdatePinnedMessages, peer=peer_of(key), messages=list(event.ids),
                     pts=event.pts, pts_count=event.pts_count, pinned=event.pinned)]
    if event.kind == "new":
        cls = types.UpdateNewChannelMessage if channel else types.UpdateNewMessage
    elif event.kind == "edit":
        cls = types.UpdateEditChannelMessage if channel else types.UpdateEditMessage
    else:
        return []
    tl_messages = refs.messages(key, event.messages)
    updates = [make(cls, message=msg, pts=pts, pts_count=count)
               for msg, (pts, count) in zip(tl_messages, _spread(event))]
    return chat_updates(event) + updates


def chat_updates(event: WorldEvent) -> list:
    """The pts-less update Telegram sends with a title change (the client
    refetches the chat: UpdateChannel / UpdateChat)."""
    if event.title is None:
        return []
    key = event.chat
    if key[0] == "channel":
        return [make(types.UpdateChannel, channel_id=key[1])]
    return [make(types.UpdateChat, chat_id=key[1])]


def build_updates(world, event: WorldEvent):
    """The Updates container the server pushes for one world event, with the
    users and chats its messages mention (seq 0: no seq-ordered updates)."""
    refs = Refs(world)
    refs.chat(event.chat)
    updates = event_updates(world, event, refs)
    return make(types.Updates, updates=updates, users=refs.users(), chats=refs.chats(),
                date=ts(event.date or world.date), seq=0)
