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
  is raised when they keep failing. Other errors are raised at once.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Awaitable, Callable, Mapping, TypeVar

from telethon import errors

from .floodstore import FloodPersistence

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Errors worth retrying after a short pause: Telegram's internal trouble and
#: the network's.
TRANSIENT = (errors.ServerError, errors.RpcCallFailError, errors.TimedOutError,
             ConnectionError, asyncio.TimeoutError, OSError)
FLOOD = (errors.FloodWaitError, errors.FloodPremiumWaitError)


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
                 max_flood_waits: int = 50, clock: Callable[[], float] = time.time) -> None:
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
            self._loaded = True

    def waits(self) -> dict[str, float]:
        """Key -> seconds left, for the deadlines not yet passed."""
        now = self._clock()
        return {k: round(v - now, 3) for k, v in sorted(self._deadlines.items()) if v > now}

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

    async def call(self, method: str, dc_id: int, fn: Callable[[], Awaitable[T]]) -> T:
        """Run `fn()` (one request; called again for each retry) under the
        key's limit and flood wait; returns its result."""
        if not self._loaded:
            await self.load()
        key = request_key(method, dc_id)
        sem = self._semaphore(key, method)
        failures = floods = 0
        while True:
            await self._wait_deadline(key)
            async with sem:
                # A caller ahead of us may have hit a flood wait meanwhile.
                await self._wait_deadline(key)
                try:
                    return await fn()
                except FLOOD as exc:
                    floods += 1
                    self.flood_waits_seen += 1
                    await self._flooded(key, exc.seconds)
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
            await asyncio.sleep(delay)
