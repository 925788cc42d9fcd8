"""channels.* : messages by id, channel objects and ChannelFull, renames."""
from __future__ import annotations

from telethon.tl import functions, types

from ...rpc import RequestContext
from ..build import make
from ..peers import chat as convert_chat
from .common import messages_box
from .messages import _input_message_id, title_updates
from .resolve import input_channel


async def get_messages(ctx: RequestContext, req: functions.channels.GetMessagesRequest):
    """messages.ChannelMessages with the asked ids (MessageEmpty for missing)."""
    ctx.require_user()
    info = input_channel(ctx, req.channel)
    ids = [_input_message_id(item) or 0 for item in req.id]
    found = ctx.world.get_messages(info.key, ids)
    answer = messages_box(ctx, info.key, [m for m in found if m is not None], len(ids))
    # Put MessageEmpty where a message is missing, keeping the asked order.
    converted = iter(answer.messages)
    answer.messages = [next(converted) if m is not None else
                       make(types.MessageEmpty, id=msg_id, peer_id=types.PeerChannel(info.id))
                       for m, msg_id in zip(found, ids)]
    return answer


async def get_channels(ctx: RequestContext, req: functions.channels.GetChannelsRequest):
    ctx.require_user()
    return make(types.messages.Chats,
                chats=[convert_chat(ctx.world, input_channel(ctx, c)) for c in req.id])


async def get_full_channel(ctx: RequestContext, req: functions.channels.GetFullChannelRequest):
    """messages.ChatFull with ChannelFull: pts, participants, about; a
    forum's topics are listed by messages.getForumTopics."""
    ctx.require_user()
    info = input_channel(ctx, req.channel)
    world = ctx.world
    top = world.top_message(info.key)
    top_id = top.id if top else 0
    full = make(
        types.ChannelFull, id=info.id, about=info.about, read_inbox_max_id=top_id,
        read_outbox_max_id=top_id, unread_count=0, chat_photo=types.PhotoEmpty(id=0),
        notify_settings=make(types.PeerNotifySettings), bot_info=[],
        pts=world.channel_pts(info.key), participants_count=len(info.members) or None,
        can_view_participants=info.kind != "channel", hidden_prehistory=False,
        folder_id=1 if info.archived else None)
    return make(types.messages.ChatFull, full_chat=full, chats=[convert_chat(world, info)],
                users=[])


async def edit_title(ctx: RequestContext, req: functions.channels.EditTitleRequest):
    """Rename a channel or supergroup (MessageActionChatEditTitle)."""
    ctx.require_user()
    info = input_channel(ctx, req.channel)
    return title_updates(ctx, info.key, req.title)


HANDLERS = {
    "channels.EditTitleRequest": edit_title,
    "channels.GetMessagesRequest": get_messages,
    "channels.GetChannelsRequest": get_channels,
    "channels.GetFullChannelRequest": get_full_channel,
}
