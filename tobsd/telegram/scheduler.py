"""One rate scheduler for every request tobsd makes to Telegram.

Requests are grouped by key "<method>@dc<N>" (for example
"messages.getHistory@dc2"). Per key:

* concurrency is bounded (`limits` per method, else `default_limit`);
* a FloodWait answered to any caller sets the key's deadline: every caller of
  that key waits until it passes, then the failed call is retried. Deadlines
  are saved through the `FloodPersistence` and loaded by the next scheduler,
  so a restart keeps honouring them;
* server errors (500, RPC_CALL_FAIL, timeouts) and dropped connections are
  retried a bounded number of times with exponential backoff; the last error
  is raised when they keep failing. Other errors are raised at once;
* the bulk methods Telegram rate-limits (`PACED_METHODS`) also pass a
  `Pacer` per (method, DC, Takeout or not) that learns the rate Telegram
  allows from its flood waits and keeps just under it (see pacer.py). What
  each pacer learned is saved through the persistence too, so a restart
  starts at the learned rate instead of probing again.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Awaitable, Callable, Mapping, TypeVar

from telethon import errors

from .floodstore import FloodPersistence
from .pacer import Learned, Pacer, Ticket

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Errors worth retrying after a short pause: Telegram's internal trouble and
#: the network's.
TRANSIENT = (errors.ServerError, errors.RpcCallFailError, errors.TimedOutError,
             ConnectionError, asyncio.TimeoutError, OSError)
FLOOD = (errors.FloodWaitError, errors.FloodPremiumWaitError)

#: Methods used in bulk, for which Telegram answers flood waits to clients
#: that go too fast. Login, update and state requests are rare and must not
#: wait behind a learned rate, so they are not paced.
PACED_METHODS = frozenset({
    "messages.getHistory", "messages.search", "messages.getReplies", "messages.getMessages",
    "channels.getMessages", "messages.getDialogs", "messages.getPeerDialogs",
    "channels.getForumTopics", "channels.getForumTopicsByID", "contacts.resolveUsername",
    "upload.getFile", "upload.getFileHashes",
})
#: Learned rates are saved at most this often per pacer (and after each flood wait).
SAVE_EVERY_S = 10.0


def request_key(method: str, dc_id: int) -> str:
    """The scheduler's key (and the persisted flood-wait key) of a request."""
    return f"{method}@dc{dc_id}"


class RateScheduler:
    """Runs request callables under per-(method, DC) limits and flood waits.

    `clock` is wall-clock time (deadlines are persisted as Unix times).
    """

    def __init__(self, persistence: FloodPersistence, *,
                 limits: Mapping[str, int] | None = None, default_limit: int = 8,
                 max_attempts: int = 5, backoff_s: float = 0.25, max_backoff_s: float = 8.0,
                 max_flood_waits: int = 50, clock: Callable[[], float] = time.time,
                 pacer_options: Mapping[str, float] | None = None) -> None:
        self._persistence = persistence
        self._limits = dict(limits or {})
        self._default_limit = default_limit
        self._max_attempts = max_attempts
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s
        self._max_flood_waits = max_flood_waits
        self._clock = clock
        self._deadlines: dict[str, float] = {}
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._pacers: dict[str, Pacer] = {}
        self._pacer_options = dict(pacer_options or {})
        self._learned: dict[str, Learned] = {}
        self._saved_at: dict[str, float] = {}
        self._loaded = False
        self._load_lock = asyncio.Lock()
        self.flood_waits_seen = 0
        self.retries = 0

    async def load(self) -> None:
        """Load the persisted deadlines (done on the first call otherwise)."""
        async with self._load_lock:
            if self._loaded:
                return
            for key, until in (await self._persistence.load()).items():
                if "@" in key:           # other users of the store keep their own keys
                    self._deadlines[key] = max(self._deadlines.get(key, 0.0), until)
            for key, data in (await self._persistence.load_rates()).items():
                learned = Learned.from_dict(data)
                if learned is not None:
                    self._learned[key] = learned
            self._loaded = True

    def waits(self) -> dict[str, float]:
        """Key -> seconds left, for the deadlines not yet passed."""
        now = self._clock()
        return {k: round(v - now, 3) for k, v in sorted(self._deadlines.items()) if v > now}

    def pacing(self) -> dict[str, dict]:
        """Pacer key -> its rate now, the bracket it learned around Telegram's
        ceiling (requests per second) and the flood waits it met."""
        return {key: {**p.state().to_dict(), "flood_waits": p.flood_waits}
                for key, p in sorted(self._pacers.items())}

    def _pacer(self, key: str) -> Pacer:
        pacer = self._pacers.get(key)
        if pacer is None:
            pacer = self._pacers[key] = Pacer(learned=self._learned.get(key),
                                              **self._pacer_options)
        return pacer

    async def _save_rate(self, key: str, pacer: Pacer, *, now_too: bool = False) -> None:
        now = self._clock()
        if not pacer.changed or (not now_too and now - self._saved_at.get(key, 0.0) < SAVE_EVERY_S):
            return
        pacer.changed = False
        self._saved_at[key] = now
        await self._persistence.save_rate(key, pacer.state().to_dict())

    def set_limit(self, method: str, limit: int) -> None:
        """Requests of `method` in flight per DC from now on (keys not used yet)."""
        self._limits[method] = max(1, limit)

    def in_flight_limit(self, method: str) -> int:
        return self._limits.get(method, self._default_limit)

    def _semaphore(self, key: str, method: str) -> asyncio.Semaphore:
        sem = self._semaphores.get(key)
        if sem is None:
            sem = self._semaphores[key] = asyncio.Semaphore(self.in_flight_limit(method))
        return sem

    async def _wait_deadline(self, key: str) -> None:
        while True:
            left = self._deadlines.get(key, 0.0) - self._clock()
            if left <= 0:
                return
            await asyncio.sleep(left)

    async def _flooded(self, key: str, seconds: int) -> None:
        until = self._clock() + max(1, seconds)
        if until > self._deadlines.get(key, 0.0):
            self._deadlines[key] = until
            log.info("flood wait of %d s on %s", seconds, key)
            await self._persistence.save(key, until)

    async def call(self, method: str, dc_id: int, fn: Callable[[], Awaitable[T]], *,
                   takeout: bool = False) -> T:
        """Run `fn()` (one request; called again for each retry) under the
        key's limit, pace and flood wait; returns its result. `takeout`: the
        request is wrapped in a Takeout session (Telegram limits those apart)."""
        if not self._loaded:
            await self.load()
        key = request_key(method, dc_id)
        sem = self._semaphore(key, method)
        pace_key = key + ("+takeout" if takeout else "")
        pacer = self._pacer(pace_key) if method in PACED_METHODS else None
        failures = floods = 0
        while True:
            await self._wait_deadline(key)
            async with sem:
                # A caller ahead of us may have hit a flood wait meanwhile.
                await self._wait_deadline(key)
                ticket: Ticket | None = None
                if pacer is not None:
                    ticket = await pacer.acquire()
                    await self._wait_deadline(key)
                try:
                    result = await fn()
                except FLOOD as exc:
                    floods += 1
                    self.flood_waits_seen += 1
                    if pacer is not None:
                        pacer.flooded(ticket, exc.seconds)
                        log.info("%s: pace now %.3g requests/s (ceiling between %s and %s)",
                                 pace_key, pacer.rate, pacer.low, pacer.high)
                    # The deadline first: no caller may send while the rate is saved.
                    await self._flooded(key, exc.seconds)
                    if pacer is not None:
                        await self._save_rate(pace_key, pacer, now_too=True)
                    if floods > self._max_flood_waits:
                        raise
                    continue
                except TRANSIENT as exc:
                    failures += 1
                    if failures >= self._max_attempts:
                        raise
                    self.retries += 1
                    delay = min(self._max_backoff_s, self._backoff_s * 2 ** (failures - 1))
                    log.warning("%s failed (%s); retry %d in %.2f s", key,
                                type(exc).__name__, failures, delay)
                else:
                    if pacer is not None:
                        pacer.succeeded(ticket)
                        await self._save_rate(pace_key, pacer)
                    return result
            await asyncio.sleep(delay)
