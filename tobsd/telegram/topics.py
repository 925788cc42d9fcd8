"""A forum's topics: all of them (messages.getForumTopics, paged) or some by
id (messages.getForumTopicsByID)."""
from __future__ import annotations

from typing import Awaitable, Callable, Sequence

from telethon import functions, types

from tobsd.core.models import Topic

PAGE = 100


async def fetch_topics(send: Callable[[object], Awaitable[object]], peer,
                       chat_id: int) -> list[Topic]:
    """Every topic of the forum `peer`, in Telegram's order (General included
    when Telegram lists it). `send` sends one request."""
    topics: list[Topic] = []
    seen: set[int] = set()
    offset_date, offset_id, offset_topic = None, 0, 0
    while True:
        result = await send(functions.messages.GetForumTopicsRequest(
            peer=peer, offset_date=offset_date, offset_id=offset_id,
            offset_topic=offset_topic, limit=PAGE))
        fresh = [t for t in result.topics if t.id not in seen]
        for t in fresh:
            seen.add(t.id)
            if (topic := _topic(t, chat_id)) is not None:
                topics.append(topic)
        if not fresh or len(seen) >= (result.count or 0):
            return topics
        last = fresh[-1]
        top = {m.id: m for m in result.messages}.get(getattr(last, "top_message", 0))
        offset_date = getattr(top, "date", None) or getattr(last, "date", None)
        offset_id = getattr(last, "top_message", 0)
        offset_topic = last.id


def _topic(t, chat_id: int) -> Topic | None:
    if not isinstance(t, types.ForumTopic):
        return None   # ForumTopicDeleted: nothing to name
    return Topic(chat_id=chat_id, id=t.id, title=t.title, closed=bool(t.closed))


async def fetch_topics_by_id(send: Callable[[object], Awaitable[object]], peer, chat_id: int,
                             ids: Sequence[int]) -> list[Topic]:
    """The topics `ids` of the forum `peer` that exist (a deleted topic is
    left out), asked PAGE ids per request."""
    topics: list[Topic] = []
    ids = sorted(set(ids))
    for start in range(0, len(ids), PAGE):
        result = await send(functions.messages.GetForumTopicsByIDRequest(
            peer=peer, topics=ids[start:start + PAGE]))
        topics += [t for raw in result.topics if (t := _topic(raw, chat_id)) is not None]
    return topics
