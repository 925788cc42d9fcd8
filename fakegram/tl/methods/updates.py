"""updates.* : state, common-box difference and channel difference."""
from __future__ import annotations

from telethon.tl import functions, types

from ...rpc import RequestContext
from ..build import make, ts
from ..push import chat_updates, event_updates
from ..refs import Refs
from .common import dialog
from .resolve import input_channel

DIFFERENCE_LIMIT = 1000        # events per getDifference answer
CHANNEL_LIMIT = 100            # Telegram's cap for user accounts
CHANNEL_TIMEOUT = 30           # seconds the client waits before asking again


def _state(world, pts: int | None = None):
    return make(types.updates.State, pts=world.pts if pts is None else pts, qts=world.qts,
                date=ts(world.date), seq=world.seq, unread_count=0)


def _split(world, events, refs: Refs):
    """New messages go to new_messages; edits, deletions, pins and the
    chat updates of title changes to other_updates."""
    new_messages, other = [], []
    for event in events:
        if event.kind == "new":
            new_messages.extend(refs.messages(event.chat, event.messages))
            other.extend(chat_updates(event))
        else:
            other.extend(event_updates(world, event, refs))
    return new_messages, other


def _channels_changed_since(ctx: RequestContext, date: int, refs: Refs) -> list:
    """UpdateChannelTooLong for every channel whose newest message is newer
    than `date`: as on Telegram, getDifference only points at channels with
    news and the client fetches each with getChannelDifference."""
    if not date:
        return []
    out = []
    for info in ctx.world.chats():
        if not info.is_channel:
            continue
        top = ctx.world.top_message(info.key)
        if top is not None and top.date > date:
            refs.chat(info.key)
            out.append(make(types.UpdateChannelTooLong, channel_id=info.id,
                            pts=ctx.world.channel_pts(info.key)))
    return out


def _req_date(value) -> int:
    if value is None:
        return 0
    return value if isinstance(value, int) else int(value.timestamp())


async def get_state(ctx: RequestContext, req):
    ctx.require_user()
    return _state(ctx.world)


async def get_difference(ctx: RequestContext, req: functions.updates.GetDifferenceRequest):
    """DifferenceEmpty, Difference, DifferenceSlice (more to fetch: the
    intermediate state's pts) or DifferenceTooLong, from world.difference;
    channels with messages newer than the asked date are listed as
    UpdateChannelTooLong in other_updates."""
    ctx.require_user()
    world = ctx.world
    limit = req.pts_total_limit or DIFFERENCE_LIMIT
    diff = world.difference(req.pts, limit=min(limit, DIFFERENCE_LIMIT))
    if diff.too_long:
        return make(types.updates.DifferenceTooLong, pts=world.pts)
    refs = Refs(world)
    channels = _channels_changed_since(ctx, _req_date(req.date), refs)
    if not diff.events and not channels:
        return make(types.updates.DifferenceEmpty, date=ts(world.date), seq=world.seq)
    new_messages, other = _split(world, diff.events, refs)
    other += channels
    body = dict(new_messages=new_messages, new_encrypted_messages=[], other_updates=other,
                chats=refs.chats(), users=refs.users())
    if diff.final_pts < world.pts:
        return make(types.updates.DifferenceSlice, intermediate_state=_state(world, diff.final_pts),
                    **body)
    return make(types.updates.Difference, state=_state(world), **body)


async def get_channel_difference(ctx: RequestContext,
                                 req: functions.updates.GetChannelDifferenceRequest):
    """ChannelDifferenceEmpty, ChannelDifference (final once it reaches the
    channel's pts) or ChannelDifferenceTooLong with the dialog and the newest
    messages, from world.channel_difference."""
    ctx.require_user()
    world = ctx.world
    info = input_channel(ctx, req.channel)
    key = info.key
    channel_pts = world.channel_pts(key)
    limit = max(1, min(req.limit or CHANNEL_LIMIT, CHANNEL_LIMIT))
    diff = world.channel_difference(key, req.pts, limit=limit)
    if diff.too_long:
        page = world.get_history(key, limit=limit)
        refs = Refs(world)
        refs.chat(key)
        messages = refs.messages(key, page.messages)
        top = page.messages[0] if page.messages else None
        return make(types.updates.ChannelDifferenceTooLong, dialog=dialog(ctx, info, top),
                    messages=messages, chats=refs.chats(), users=refs.users(), final=True,
                    timeout=CHANNEL_TIMEOUT)
    if not diff.events:
        return make(types.updates.ChannelDifferenceEmpty, pts=channel_pts, final=True,
                    timeout=CHANNEL_TIMEOUT)
    refs = Refs(world)
    refs.chat(key)
    new_messages, other = _split(world, diff.events, refs)
    return make(types.updates.ChannelDifference, pts=diff.final_pts, new_messages=new_messages,
                other_updates=other, chats=refs.chats(), users=refs.users(),
                final=diff.final_pts >= channel_pts, timeout=CHANNEL_TIMEOUT)


HANDLERS = {
    "updates.GetStateRequest": get_state,
    "updates.GetDifferenceRequest": get_difference,
    "updates.GetChannelDifferenceRequest": get_channel_difference,
}
