"""Forum topics: messages.getForumTopics (channels.getForumTopics in layers
before the method moved) and getForumTopicsByID."""
from __future__ import annotations

from telethon.tl import types

from ...rpc import RequestContext, RpcError
from ...world.model import ChatInfo, Topic
from ..build import make, ts
from ..refs import Refs
from .resolve import input_channel, input_peer

MAX_LIMIT = 100


def _forum(ctx: RequestContext, req) -> ChatInfo:
    if hasattr(req, "peer"):
        key = input_peer(ctx, req.peer)
        info = ctx.world.chat(key)
    else:
        info = input_channel(ctx, req.channel)
    if info is None or info.kind != "forum":
        raise RpcError(400, "CHANNEL_FORUM_MISSING")
    return info


def _topic(ctx: RequestContext, info: ChatInfo, t: Topic, top_id: int):
    return make(types.ForumTopic, id=t.id, date=ts(t.date), peer=types.PeerChannel(info.id),
                title=t.title, icon_color=t.icon_color, top_message=top_id,
                read_inbox_max_id=top_id, read_outbox_max_id=top_id, unread_count=0,
                unread_mentions_count=0, unread_reactions_count=0,
                from_id=types.PeerUser(user_id=t.creator_id or info.creator_id or ctx.world.me),
                notify_settings=make(types.PeerNotifySettings), my=t.creator_id == ctx.world.me,
                closed=t.closed, pinned=t.pinned)


def _answer(ctx: RequestContext, info: ChatInfo, topics: list[Topic], count: int):
    """messages.ForumTopics with each topic's top message."""
    refs = Refs(ctx.world)
    refs.chat(info.key)
    tl_topics, messages = [], []
    for t in topics:
        page = ctx.world.get_history(info.key, topic_id=t.id, limit=1)
        top = page.messages[0] if page.messages else None
        tl_topics.append(_topic(ctx, info, t, top.id if top else t.id))
        refs.user(t.creator_id)
        if top is not None:
            messages.extend(refs.messages(info.key, [top]))
    return make(types.messages.ForumTopics, count=count, topics=tl_topics, messages=messages,
                chats=refs.chats(), users=refs.users(), pts=ctx.world.channel_pts(info.key))


async def get_forum_topics(ctx: RequestContext, req):
    """A page of a forum's topics, newest first; offset_topic pages (the
    page starts after that topic), q filters by title."""
    ctx.require_user()
    info = _forum(ctx, req)
    topics = ctx.world.topics(info.key)
    if getattr(req, "q", None):
        topics = [t for t in topics if req.q.lower() in t.title.lower()]
    count = len(topics)
    if req.offset_topic:
        ids = [t.id for t in topics]
        topics = topics[ids.index(req.offset_topic) + 1:] if req.offset_topic in ids else \
            [t for t in topics if t.id < req.offset_topic]
    limit = max(0, min(req.limit, MAX_LIMIT))
    return _answer(ctx, info, topics[:limit], count)


async def get_forum_topics_by_id(ctx: RequestContext, req):
    """The asked topics; one that does not exist (any more) is answered as
    forumTopicDeleted, as Telegram does."""
    ctx.require_user()
    info = _forum(ctx, req)
    by_id = {t.id: t for t in ctx.world.topics(info.key)}
    answer = _answer(ctx, info, [by_id[i] for i in req.topics if i in by_id], len(req.topics))
    found = {t.id: t for t in answer.topics}
    answer.topics = [found[i] if i in found else make(types.ForumTopicDeleted, id=i)
                     for i in req.topics]
    return answer


HANDLERS = {
    "messages.GetForumTopicsRequest": get_forum_topics,
    "channels.GetForumTopicsRequest": get_forum_topics,
    "messages.GetForumTopicsByIDRequest": get_forum_topics_by_id,
    "channels.GetForumTopicsByIDRequest": get_forum_topics_by_id,
}
