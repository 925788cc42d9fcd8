"""Telegram updates -> core `LiveEvent`s, delivered to the subscribed handlers.

Telethon's update loop (gap recovery, getDifference / getChannelDifference
included) hands every update to `LiveDispatcher.on_update`, one at a time and
in order (the client runs with sequential_updates). New and edited messages
become "new"/"edit" events of their chat; deletions in a channel carry the
channel's id, deletions in private chats and basic groups carry None
(Telegram names only the ids there). A user's new name (updateUserName)
becomes a "people" event.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Callable

from telethon import utils
from telethon.tl import types

from tobsd.core.models import Person
from tobsd.core.ports import EventHandler, LiveEvent

from .mapping import map_message

log = logging.getLogger(__name__)

_NEW = (types.UpdateNewMessage, types.UpdateNewChannelMessage)
_EDIT = (types.UpdateEditMessage, types.UpdateEditChannelMessage)


def event_from_update(update, me: Person | None) -> LiveEvent | None:
    """The LiveEvent of one update; None for updates tobsd does not follow."""
    entities = getattr(update, "_entities", None) or {}
    if isinstance(update, _NEW + _EDIT):
        message = map_message(update.message, entities, me)
        if message is None:
            return None
        kind = "new" if isinstance(update, _NEW) else "edit"
        return LiveEvent(kind, message.chat_id, messages=(message,))
    if isinstance(update, types.UpdateDeleteChannelMessages):
        chat_id = utils.get_peer_id(types.PeerChannel(update.channel_id))
        return LiveEvent("delete", chat_id, ids=tuple(update.messages))
    if isinstance(update, types.UpdateDeleteMessages):
        return LiveEvent("delete", None, ids=tuple(update.messages))
    if isinstance(update, types.UpdateUserName):
        return LiveEvent("people", None, people=(renamed_person(update),))
    return None


def renamed_person(update) -> Person:
    """The Person an updateUserName describes (its new names)."""
    name = f"{update.first_name or ''} {update.last_name or ''}".strip() or f"User {update.user_id}"
    usernames = [u.username for u in getattr(update, "usernames", None) or ()
                 if getattr(u, "active", False)]
    return Person(id=update.user_id, name=name, username=usernames[0] if usernames else None)


class LiveDispatcher:
    """Holds the subscribed handlers and feeds them events in order.

    Until the first handler subscribes, updates wait (in Telethon's update
    loop, in order), so the difference Telethon fetches right after
    connecting is not lost when the engine subscribes after `start()`.
    `delivered` counts events delivered; `idle` is set while no event is
    being handled (catching up waits for it).
    """

    def __init__(self, me: Callable[[], Person | None]) -> None:
        self._me = me
        self._handlers: list[EventHandler] = []
        self.delivered = 0
        self.idle = asyncio.Event()
        self.idle.set()
        self._subscribed = asyncio.Event()

    def subscribe(self, handler: EventHandler) -> None:
        self._handlers.append(handler)
        self._subscribed.set()

    async def on_update(self, update) -> None:
        try:
            event = event_from_update(update, self._me())
        except Exception:
            log.exception("could not map an update of type %s", type(update).__name__)
            return
        if event is None:
            return
        self.idle.clear()
        try:
            await self._subscribed.wait()
            for handler in list(self._handlers):
                try:
                    await handler(event)
                except Exception:
                    # One failing handler must not stop the update loop.
                    log.exception("live event handler failed on a %s event", event.kind)
            self.delivered += 1
        finally:
            self.idle.set()
