"""messages.* : history, replies in forum topics, messages by id, split
ranges, basic groups. Dialogs and forum topics live in dialogs.py / topics.py."""
from __future__ import annotations

from telethon.tl import functions, types

from ...rpc import RequestContext, RpcError
from ..build import make, ts
from ..hashing import ids_hash
from ..peers import chat as convert_chat
from ..peers import user as convert_user
from .common import messages_box, mixed_box
from .resolve import input_peer

MAX_LIMIT = 100


def _date(value) -> int:
    """A request's date (datetime, int or None) as a Unix time."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    return int(value.timestamp())


def _history_args(req) -> dict:
    return dict(offset_id=req.offset_id, offset_date=_date(req.offset_date),
                add_offset=req.add_offset, limit=max(0, min(req.limit, MAX_LIMIT)),
                max_id=req.max_id, min_id=req.min_id)


async def get_history(ctx: RequestContext, req: functions.messages.GetHistoryRequest):
    """A page of one chat's history with the users and chats it mentions;
    messages.messagesNotModified when `hash` is the page's ids hash
    (fakegram.tl.hashing)."""
    ctx.require_user()
    key = input_peer(ctx, req.peer)
    if ctx.world.chat(key) is None:     # e.g. a user the account never talked to
        return messages_box(ctx, key, [], 0)
    page = ctx.world.get_history(key, **_history_args(req))
    if req.hash and req.hash == ids_hash(m.id for m in page.messages):
        # The client holds this page already (Telegram's "message ID hashes").
        return make(types.messages.MessagesNotModified, count=page.count)
    return messages_box(ctx, key, page.messages, page.count)


async def get_replies(ctx: RequestContext, req: functions.messages.GetRepliesRequest):
    """The messages of a forum topic (msg_id = the topic's id). Reply
    threads outside forums are not modelled: MSG_ID_INVALID."""
    ctx.require_user()
    key = input_peer(ctx, req.peer)
    info = ctx.world.chat(key)
    if info is None or info.kind != "forum":
        raise RpcError(400, "MSG_ID_INVALID")
    topic_ids = {t.id for t in ctx.world.topics(key)} | {1}
    if req.msg_id not in topic_ids:
        raise RpcError(400, "MSG_ID_INVALID")
    page = ctx.world.get_history(key, topic_id=req.msg_id, **_history_args(req))
    return messages_box(ctx, key, page.messages, page.count)


def _input_message_id(item) -> int | None:
    if isinstance(item, types.InputMessageID):
        return item.id
    if isinstance(item, int):
        return item
    return None


async def get_messages(ctx: RequestContext, req: functions.messages.GetMessagesRequest):
    """Common-box messages by id; MessageEmpty where there is none."""
    ctx.require_user()
    items = []
    for item in req.id:
        msg_id = _input_message_id(item)
        found = ctx.world.find_common(msg_id) if msg_id else None
        if found is None:
            items.append((None, None, msg_id or 0))
        else:
            items.append((found[0], found[1], msg_id))
    return mixed_box(ctx, items)


async def get_split_ranges(ctx: RequestContext, req):
    ctx.require_user()
    return [make(types.MessageRange, min_id=lo, max_id=hi) for lo, hi in ctx.world.split_ranges()]


def _basic_group(ctx: RequestContext, chat_id: int):
    info = ctx.world.chat(("chat", chat_id))
    if info is None:
        raise RpcError(400, "CHAT_ID_INVALID")
    return info


async def get_full_chat(ctx: RequestContext, req: functions.messages.GetFullChatRequest):
    """messages.ChatFull with ChatFull (participants, about) for a basic group."""
    ctx.require_user()
    info = _basic_group(ctx, req.chat_id)
    world = ctx.world
    creator = info.creator_id
    participants = []
    for uid in info.members:
        if uid == creator:
            participants.append(make(types.ChatParticipantCreator, user_id=uid))
        else:
            participants.append(make(types.ChatParticipant, user_id=uid, inviter_id=creator or uid,
                                     date=ts(info.date)))
    full = make(types.ChatFull, id=info.id, about=info.about,
                participants=make(types.ChatParticipants, chat_id=info.id,
                                  participants=participants, version=1),
                notify_settings=make(types.PeerNotifySettings))
    users = [convert_user(world, world.users[uid]) for uid in info.members if uid in world.users]
    return make(types.messages.ChatFull, full_chat=full, chats=[convert_chat(world, info)],
                users=users)


async def get_chats(ctx: RequestContext, req: functions.messages.GetChatsRequest):
    ctx.require_user()
    chats = [convert_chat(ctx.world, _basic_group(ctx, chat_id)) for chat_id in req.id]
    return make(types.messages.Chats, chats=chats)


def title_updates(ctx: RequestContext, key, title: str):
    """Rename the chat and answer as Telegram does: Updates with the
    chat's update and the service message (its pts, as pushed)."""
    from ...world.world import WorldEvent
    from ..push import build_updates
    try:
        msg = ctx.world.edit_title(key, title, from_id=ctx.world.me)
    except ValueError:
        raise RpcError(400, "CHAT_TITLE_EMPTY") from None
    pts = ctx.world.channel_pts(key) if key[0] == "channel" else ctx.world.pts
    event = WorldEvent("new", key, pts, 1, messages=[msg], date=msg.date, title=title)
    return build_updates(ctx.world, event)


async def edit_chat_title(ctx: RequestContext, req: functions.messages.EditChatTitleRequest):
    """Rename a basic group (MessageActionChatEditTitle)."""
    ctx.require_user()
    info = _basic_group(ctx, req.chat_id)
    return title_updates(ctx, info.key, req.title)


HANDLERS = {
    "messages.EditChatTitleRequest": edit_chat_title,
    "messages.GetHistoryRequest": get_history,
    "messages.GetRepliesRequest": get_replies,
    "messages.GetMessagesRequest": get_messages,
    "messages.GetSplitRangesRequest": get_split_ranges,
    "messages.GetFullChatRequest": get_full_chat,
    "messages.GetChatsRequest": get_chats,
}
