"""Titles that change: forum topics, and chats and people renamed on Telegram.

Topic titles come from Telegram's topic lists: the whole list when a forum
is synced (messages.getForumTopics), the missing ones by id when a message
names a topic not seen yet (messages.getForumTopicsByID). They are kept in
the store and told to the vault writer before any message of the topic is
written, so the topic's folder is named after its title (the writer picks
folder names once, with the same safe-name rules as chats, and keeps them).

Renames follow what Telegram sends live: the service messages of a new
chat title (messageActionChatEditTitle) or topic title
(messageActionTopicEdit), and updateUserName for people; and what each
sync reads anyway: the topic list, and the chat as Telegram lists it with
the newest history page (a rename while tobsd was away). The new title goes
into the Chat object every later write uses and into the store, without
resolving the chat again. Older service messages (a backfill's) never
change a title: an admin may have deleted the newer ones.
"""
from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Iterable, Sequence

from tobsd.core.models import ActionKind, Chat, ChatKind, Message, Person, Topic
from tobsd.core.ports import StatePort, TelegramSource, VaultPort

log = logging.getLogger(__name__)

TITLED_KINDS = (ChatKind.GROUP, ChatKind.SUPERGROUP, ChatKind.CHANNEL, ChatKind.FORUM)
PEOPLE_KINDS = (ChatKind.USER, ChatKind.BOT)


class Titles:
    """Topic titles per forum, and the renames Telegram reports (see module doc)."""

    def __init__(self, source: TelegramSource, store: StatePort, writer: VaultPort) -> None:
        self.source, self.store, self.writer = source, store, writer
        self._topics: dict[int, dict[int, str]] = {}   # chat -> topic id -> title
        self._asked: dict[int, set[int]] = {}          # topic ids Telegram did not list
        self._asking: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)   # one request at a time

    def topic_title(self, chat_id: int, topic_id: int) -> str | None:
        return self._topics.get(chat_id, {}).get(topic_id)

    async def load(self, chat: Chat) -> None:
        """Tell the writer the titles stored for a forum (before its first write)."""
        if chat.kind is not ChatKind.FORUM or chat.id in self._topics:
            return
        stored = await self.store.topics.titles(chat.id)
        if chat.id not in self._topics:   # else newer titles came meanwhile
            self._topics[chat.id] = {}
            self._register(chat.id, stored.items())

    async def refresh_topics(self, chat: Chat) -> bool:
        """Fetch every topic of a forum from Telegram; True when a title is new or changed."""
        if chat.kind is not ChatKind.FORUM:
            return False
        await self.load(chat)
        return await self._learn(chat.id, await self.source.topics(chat))

    async def prepare(self, chat: Chat, messages: Sequence[Message]) -> None:
        """Before messages of a forum are written: learn the titles of the
        topics they name that are not known yet (one request for all)."""
        if chat.kind is not ChatKind.FORUM:
            return
        await self.load(chat)
        known = self._topics[chat.id]
        asked = self._asked.setdefault(chat.id, set())
        if not {m.topic_id or 1 for m in messages} - set(known) - asked:
            return
        async with self._asking[chat.id]:
            missing = {m.topic_id or 1 for m in messages} - set(known) - asked
            if missing:
                await self._ask(chat, messages, missing)

    async def _ask(self, chat: Chat, messages: Sequence[Message], missing: set[int]) -> None:
        known, asked = self._topics[chat.id], self._asked[chat.id]
        await self._learn(chat.id, await self.source.topics_by_id(chat, sorted(missing)))
        for topic_id in missing - set(known):
            # Deleted, or not listed: its creating message (when here) still names it.
            created = [m for m in messages if m.id == topic_id and m.action is not None
                       and m.action.kind is ActionKind.TOPIC_CREATE and m.action.title]
            if created:
                await self._learn(chat.id, [Topic(chat.id, topic_id, created[0].action.title)])
            else:
                asked.add(topic_id)

    async def follow(self, chat: Chat, messages: Iterable[Message]) -> bool:
        """Apply the renames in live service messages (in order). True when
        the chat's title or one of its topics' changed."""
        changed = False
        for m in messages:
            action = m.action
            if action is None or not action.title:
                continue
            if action.kind is ActionKind.TITLE and chat.kind in TITLED_KINDS:
                changed |= await self.rename_chat(chat, action.title)
            elif chat.kind is ChatKind.FORUM and action.kind in (ActionKind.TOPIC_EDIT,
                                                                 ActionKind.TOPIC_CREATE):
                await self.load(chat)
                topic_id = m.id if action.kind is ActionKind.TOPIC_CREATE else (m.topic_id or 1)
                changed |= await self._learn(chat.id, [Topic(chat.id, topic_id, action.title)])
        return changed

    async def rename_chat(self, chat: Chat, title: str) -> bool:
        """Give the chat a new title (in place: every later write uses it)."""
        if title == chat.title:
            return False
        log.info("chat %r is now called %r", chat.title, title)
        chat.title = title
        await self.store.chats.upsert(chat.id, chat.kind.value, chat.title, chat.username)
        return True

    async def rename_people(self, chats: Iterable[Chat], people: Sequence[Person]) -> list[Chat]:
        """People with new names: their private chats take the new name, the
        writer updates their people notes. Returns the chats renamed."""
        by_id = {p.id: p for p in people}
        renamed = [chat for chat in chats if chat.kind in PEOPLE_KINDS and chat.id in by_id
                   and await self.rename_chat(chat, by_id[chat.id].name)]
        await self.writer.rename_people(list(people))
        return renamed

    async def _learn(self, chat_id: int, topics: Iterable[Topic]) -> bool:
        known = self._topics.setdefault(chat_id, {})
        fresh = [(t.id, t.title) for t in topics if t.title and known.get(t.id) != t.title]
        if not fresh:
            return False
        await self.store.topics.put(chat_id, fresh)
        self._register(chat_id, fresh)
        return True

    def _register(self, chat_id: int, titles: Iterable[tuple[int, str]]) -> None:
        known = self._topics.setdefault(chat_id, {})
        for topic_id, title in titles:
            known[topic_id] = title
            self._asked.get(chat_id, set()).discard(topic_id)
            self.writer.register_topic(Topic(chat_id, topic_id, title))
