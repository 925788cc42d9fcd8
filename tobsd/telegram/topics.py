"""Listing a forum's topics (messages.getForumTopics, paged)."""
from __future__ import annotations

from typing import Awaitable, Callable

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
            if isinstance(t, types.ForumTopic):
                topics.append(Topic(chat_id=chat_id, id=t.id, title=t.title,
                                    closed=bool(t.closed)))
        if not fresh or len(seen) >= (result.count or 0):
            return topics
        last = fresh[-1]
        top = {m.id: m for m in result.messages}.get(getattr(last, "top_message", 0))
        offset_date = getattr(top, "date", None) or getattr(last, "date", None)
        offset_id = getattr(last, "top_message", 0)
        offset_topic = last.id
