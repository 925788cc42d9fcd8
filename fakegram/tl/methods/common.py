"""Pieces several namespaces share: message boxes and Dialog objects."""
from __future__ import annotations

from telethon.tl import types

from ...rpc import RequestContext
from ...world.model import ChatInfo, Message
from ..build import make
from ..peers import peer
from ..refs import Refs

Key = tuple[str, int]


def messages_box(ctx: RequestContext, key: Key, msgs: list[Message], count: int,
                 topics: list | None = None):
    """The messages.Messages-family answer for messages of one chat:
    ChannelMessages(pts, count) for channels, messages.Messages when the
    page holds the whole chat, MessagesSlice(count) otherwise."""
    refs = Refs(ctx.world)
    tl_msgs = refs.messages(key, msgs)
    body = dict(messages=tl_msgs, topics=topics or [], chats=refs.chats(), users=refs.users())
    if key[0] == "channel":
        return make(types.messages.ChannelMessages, pts=ctx.world.channel_pts(key),
                    count=count, **body)
    if len(msgs) >= count:
        return make(types.messages.Messages, **body)
    return make(types.messages.MessagesSlice, count=count, **body)


def mixed_box(ctx: RequestContext, items: list[tuple[Key, Message | None, int]]):
    """messages.Messages for messages from several chats, in the asked order;
    (key, None, id) entries become MessageEmpty."""
    refs = Refs(ctx.world)
    out = []
    for key, m, msg_id in items:
        if m is None:
            out.append(make(types.MessageEmpty, id=msg_id))
        else:
            out.extend(refs.messages(key, [m]))
    return make(types.messages.Messages, messages=out, topics=[], chats=refs.chats(),
                users=refs.users())


def dialog(ctx: RequestContext, info: ChatInfo, top: Message | None):
    """The Dialog for a chat: everything read (fakegram keeps no read
    state), pts for channels, folder 1 when archived."""
    top_id = top.id if top is not None else 0
    return make(
        types.Dialog, peer=peer(info.key), top_message=top_id, read_inbox_max_id=top_id,
        read_outbox_max_id=top_id, unread_count=0, unread_mentions_count=0,
        unread_reactions_count=0, notify_settings=make(types.PeerNotifySettings),
        pinned=info.pinned, pts=ctx.world.channel_pts(info.key) if info.is_channel else None,
        folder_id=1 if info.archived else None)
