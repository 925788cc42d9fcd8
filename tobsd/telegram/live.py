"""Telegram updates -> core `LiveEvent`s, delivered to the subscribed handlers.

Telethon's update loop (gap recovery, getDifference / getChannelDifference
included) hands every update to `LiveDispatcher.on_update`, one at a time and
in order (the client runs with sequential_updates). New and edited messages
become "new"/"edit" events of their chat; deletions in a channel carry the
channel's id, deletions in private chats and basic groups carry None
(Telegram names only the ids there). A user's new name (updateUserName)
becomes a "people" event. Every event says where it sits in
Telegram's pts sequences (difference.sequence_of), and other updates that
move a sequence come as "pts" events, so the sync engine can tell when it
missed something and ask for the difference itself.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Callable

from tobsd.core.models import Person
from tobsd.core.ports import EventHandler, LiveEvent

from .difference import event_from_update

log = logging.getLogger(__name__)


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

    async def reconnected(self) -> None:
        """Telethon reconnected: a "reconnected" event (catching up is due)."""
        await self._deliver(LiveEvent("reconnected", None))

    async def on_update(self, update) -> None:
        try:
            event = event_from_update(update, self._me())
        except Exception:
            log.exception("could not map an update of type %s", type(update).__name__)
            return
        if event is None:
            return
        await self._deliver(event)

    async def _deliver(self, event: LiveEvent) -> None:
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
