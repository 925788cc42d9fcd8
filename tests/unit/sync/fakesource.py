"""A TelegramSource over in-memory histories, for pure unit tests of the
engine (integration tests use fakegram and the real Telegram layer)."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from tobsd.core.errors import ChatUnavailable
from tobsd.core.models import Chat, ChatKind, Message, Person
from tobsd.core.ports import (DialogTop, Difference, HistoryPage, LiveEvent, SourceStatus,
                              UpdateState)

BASE = datetime(2026, 1, 1, tzinfo=timezone.utc)
ME = Person(id=1000, name="Ada Lovelace", username="ada")


def msg(chat_id: int, msg_id: int, text: str | None = None, **kw) -> Message:
    return Message(chat_id=chat_id, id=msg_id, date=BASE + timedelta(minutes=msg_id),
                   sender=ME, text=text if text is not None else f"message {msg_id}", **kw)


class FakeSource:
    def __init__(self):
        self.histories: dict[int, dict[int, Message]] = {}
        self.chats: dict[int, Chat] = {}
        self.handlers = []
        self.calls: list[tuple] = []
        self.unavailable: set[int] = set()
        self.failing: dict[int, int] = {}   # chat id -> backfill requests (offset_id != 0) that fail
        self.delay = 0.0
        self.pts: dict[int, int] = {}        # channel id -> its pts, as its dialog shows it

    def add_chat(self, chat_id: int, count: int, kind=ChatKind.CHANNEL, title=None,
                 ids=None) -> Chat:
        chat = Chat(id=chat_id, kind=kind, title=title or f"Chat {chat_id}")
        self.chats[chat_id] = chat
        self.histories[chat_id] = {i: msg(chat_id, i) for i in (ids or range(1, count + 1))}
        return chat

    # -- changes, as Telegram would make them ---------------------------------
    async def post(self, chat_id: int, text: str, push: bool = True) -> Message:
        new_id = max(self.histories[chat_id], default=0) + 1
        m = msg(chat_id, new_id, text)
        self.histories[chat_id][new_id] = m
        if push:
            await self._emit(LiveEvent("new", chat_id, (m,)))
        return m

    async def edit(self, chat_id: int, msg_id: int, text: str, push: bool = True) -> Message:
        old = self.histories[chat_id][msg_id]
        m = msg(chat_id, msg_id, text, edit_date=old.date + timedelta(hours=1))
        self.histories[chat_id][msg_id] = m
        if push:
            await self._emit(LiveEvent("edit", chat_id, (m,)))
        return m

    async def delete(self, chat_id: int, ids: list[int], push: bool = True) -> None:
        for i in ids:
            self.histories[chat_id].pop(i, None)
        if push:
            await self._emit(LiveEvent("delete", chat_id, ids=tuple(ids)))

    async def _emit(self, event: LiveEvent) -> None:
        for handler in self.handlers:
            await handler(event)

    # -- TelegramSource ---------------------------------------------------------------
    async def start(self) -> Person:
        return ME

    async def stop(self) -> None:
        pass

    async def dialogs(self) -> list[Chat]:
        return list(self.chats.values())

    async def resolve(self, ref):
        return self.chats[int(ref)]

    async def history(self, chat: Chat, *, offset_id: int = 0, min_id: int = 0,
                      limit: int = 100, unless_ids=None, add_offset: int = 0) -> HistoryPage:
        self.calls.append(("history", chat.id, offset_id, min_id, limit, add_offset))
        if chat.id in self.unavailable:
            raise ChatUnavailable(f"{chat.title}: CHANNEL_PRIVATE")
        if self.delay:
            await asyncio.sleep(self.delay)
        if offset_id and self.failing.get(chat.id):
            self.failing[chat.id] -= 1
            raise RuntimeError(f"connection lost while fetching {chat.title}")
        ids = sorted((i for i in self.histories[chat.id]
                      if (not offset_id or i < offset_id) and i > min_id),
                     reverse=True)[add_offset:add_offset + limit]
        if unless_ids and list(unless_ids) == ids:   # the caller holds this result
            return HistoryPage([], count=len(self.histories[chat.id]), not_modified=True)
        return HistoryPage([self.histories[chat.id][i] for i in ids],
                           count=len(self.histories[chat.id]))

    async def messages(self, chat, ids):
        return [self.histories[chat.id].get(i) for i in ids]

    async def topics(self, chat):
        return []

    async def topics_by_id(self, chat, ids):
        return []

    def subscribe(self, handler) -> None:
        self.handlers.append(handler)

    async def update_state(self) -> UpdateState:
        return UpdateState(pts=1)

    async def difference(self, state: UpdateState) -> Difference:
        return Difference([], state=state)

    async def channel_difference(self, chat: Chat, pts: int) -> Difference:
        return Difference([], pts=pts)

    async def channel_pts(self, chats) -> dict[int, int]:
        return {c.id: 1 for c in chats}

    async def dialog_tops(self, chats) -> dict[int, DialogTop]:
        self.calls.append(("dialog_tops", tuple(c.id for c in chats)))
        return {c.id: DialogTop(max(self.histories[c.id], default=0), self.pts.get(c.id))
                for c in chats if c.id in self.histories}

    async def check(self) -> None:
        pass

    def status(self) -> SourceStatus:
        return SourceStatus(connected=True)
