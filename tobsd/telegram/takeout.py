"""The Takeout session used for history backfill.

Telegram serves history exports inside a Takeout session with laxer limits.
One session is opened (account.initTakeoutSession) on first need and kept:
its id lives in the Telethon session file, so a restart reuses it. History
requests are wrapped in InvokeWithTakeoutRequest while it is open.

When Telegram answers TAKEOUT_INIT_DELAY_X, no session can be opened for X
seconds: the deadline is persisted (key "takeout_delay"), reported in the
status, and backfill uses the normal API meanwhile. The next attempt to open
one is made only after the deadline, so the layer never loops on init. A
session Telegram no longer knows (TAKEOUT_INVALID) is forgotten and reopened
on next need. On a clean stop the session is finished with success=True.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from typing import Awaitable, Callable

from telethon import errors
from telethon.tl import functions

from .floodstore import FloodPersistence

log = logging.getLogger(__name__)

TAKEOUT_DELAY_KEY = "takeout_delay"
#: After an unexpected refusal (not a delay), wait this long before trying again.
RETRY_AFTER_FAILURE_S = 600.0
FILE_MAX_SIZE = 4 * 1024 ** 3

Invoke = Callable[[str, object], Awaitable[object]]


class TakeoutManager:
    """Opens, reports and finishes the account's Takeout session.

    `invoke(method, request)` sends a request through the rate scheduler;
    `session` is the Telethon session whose `takeout_id` keeps the id.
    """

    def __init__(self, invoke: Invoke, session, persistence: FloodPersistence, *,
                 enabled: bool = True, clock: Callable[[], float] = time.time) -> None:
        self._invoke = invoke
        self._session = session
        self._persistence = persistence
        self._enabled = enabled
        self._clock = clock
        self._lock = asyncio.Lock()
        self._delay_until = 0.0
        self._retry_after = 0.0
        self.init_attempts = 0

    @property
    def takeout_id(self) -> int | None:
        return self._session.takeout_id

    async def load(self) -> None:
        """Pick up a persisted TAKEOUT_INIT_DELAY deadline."""
        saved = await self._persistence.load()
        self._delay_until = max(self._delay_until, saved.get(TAKEOUT_DELAY_KEY, 0.0))

    def delayed_until(self) -> float | None:
        """The Unix time before which Telegram refuses a session, if still ahead."""
        return self._delay_until if self._delay_until > self._clock() else None

    def status(self) -> str:
        """"open", "delayed until <ISO time>" or "off"."""
        if self.takeout_id is not None:
            return "open"
        until = self.delayed_until()
        if until is not None:
            when = dt.datetime.fromtimestamp(until, dt.timezone.utc).isoformat(timespec="seconds")
            return f"delayed until {when}"
        return "off"

    async def current(self) -> int | None:
        """The open session's id, opening one when allowed; None means "use
        the normal API for now"."""
        if not self._enabled:
            return None
        if self.takeout_id is not None:
            return self.takeout_id
        now = self._clock()
        if now < self._delay_until or now < self._retry_after:
            return None
        async with self._lock:
            if self.takeout_id is not None:
                return self.takeout_id
            if self._clock() < max(self._delay_until, self._retry_after):
                return None
            return await self._open()

    async def _open(self) -> int | None:
        self.init_attempts += 1
        request = functions.account.InitTakeoutSessionRequest(
            contacts=False, message_users=True, message_chats=True, message_megagroups=True,
            message_channels=True, files=True, file_max_size=FILE_MAX_SIZE)
        try:
            takeout = await self._invoke("account.initTakeoutSession", request)
        except errors.TakeoutInitDelayError as exc:
            self._delay_until = self._clock() + exc.seconds
            await self._persistence.save(TAKEOUT_DELAY_KEY, self._delay_until)
            log.info("Takeout delayed by Telegram for %d s; using the normal API", exc.seconds)
            return None
        except errors.RPCError as exc:
            self._retry_after = self._clock() + RETRY_AFTER_FAILURE_S
            log.warning("Takeout refused (%s); using the normal API", type(exc).__name__)
            return None
        self._session.takeout_id = takeout.id
        self._delay_until = 0.0
        log.info("Takeout session open")
        return takeout.id

    def wrap(self, takeout_id: int, request):
        return functions.InvokeWithTakeoutRequest(takeout_id=takeout_id, query=request)

    def invalidate(self, takeout_id: int) -> None:
        """Telegram no longer knows this session (TAKEOUT_INVALID): forget it."""
        if self.takeout_id == takeout_id:
            self._session.takeout_id = None

    async def finish(self, success: bool = True) -> None:
        """Finish the open session (on a clean stop); harmless when none is open."""
        takeout_id = self.takeout_id
        if takeout_id is None:
            return
        request = self.wrap(takeout_id, functions.account.FinishTakeoutSessionRequest(
            success=success))
        try:
            await self._invoke("account.finishTakeoutSession", request)
        except (errors.RPCError, ConnectionError, OSError) as exc:
            log.warning("finishing the Takeout session failed (%s)", type(exc).__name__)
        finally:
            self._session.takeout_id = None
