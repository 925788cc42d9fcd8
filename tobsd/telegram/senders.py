"""Several download connections per data centre.

`SenderPool.call(dc_id, request)` sends a file request on one of up to
`per_dc` connections of that DC, opened when first needed (round robin
over them). The first connection to a foreign DC gets its own auth key and
the user's authorisation exported to it; the others reuse that key (one
authorisation, several connections, as official clients do). On the home DC
the session's key is used on connections apart from the main one, so large
downloads never delay updates or history requests.
"""
from __future__ import annotations

import asyncio
import itertools
import logging

from .internals import call_on, open_download_sender

log = logging.getLogger(__name__)


class SenderPool:
    def __init__(self, client, home_dc: int) -> None:
        self._client = client
        self._home_dc = home_dc
        self._senders: dict[int, list] = {}
        self._keys: dict[int, object] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self._turn: dict[int, itertools.count] = {}
        self.opened = 0

    async def _sender(self, dc_id: int, per_dc: int):
        senders = self._senders.setdefault(dc_id, [])
        turn = next(self._turn.setdefault(dc_id, itertools.count()))
        if len(senders) >= per_dc:
            return senders[turn % len(senders)]
        async with self._locks.setdefault(dc_id, asyncio.Lock()):
            if len(senders) < per_dc:
                key = self._client.session.auth_key if dc_id == self._home_dc else self._keys.get(dc_id)
                sender = await open_download_sender(self._client, dc_id, key)
                self._keys.setdefault(dc_id, sender.auth_key)
                senders.append(sender)
                self.opened += 1
                log.debug("download connection %d to DC %d open", len(senders), dc_id)
                return sender
        return senders[turn % len(senders)]

    async def call(self, dc_id: int, per_dc: int, request):
        sender = await self._sender(dc_id, per_dc)
        return await call_on(self._client, sender, request)

    def count(self) -> dict[int, int]:
        return {dc: len(s) for dc, s in self._senders.items()}

    async def close(self) -> None:
        senders = [s for group in self._senders.values() for s in group]
        self._senders.clear()
        for sender in senders:
            try:
                await sender.disconnect()
            except Exception:   # closing: nothing more to do with it
                pass
