"""The daemon's event stream, for WatchEvents (`tobsctl events`).

Publishers call `EventHub.publish(kind, **fields)`; never blocks, never
fails. Each subscriber has a bounded queue: a reader that falls behind loses
the oldest events (the next event it gets says how many), so a slow client
never slows the sync. `LogForwarder` turns log records into events for the
subscribers that asked for log lines at that level.
"""
from __future__ import annotations

import asyncio
import collections
import logging
import time
from dataclasses import dataclass, field

QUEUE_SIZE = 1000


@dataclass(slots=True)
class DaemonEvent:
    """One event: `kind` is chat_state, progress, config_reloaded, log or daemon_state."""
    kind: str
    fields: dict
    time: float = field(default_factory=time.time)
    dropped: int = 0


class Subscription:
    def __init__(self, hub: "EventHub", log_level: int | None):
        self._hub = hub
        self.log_level = log_level        # None: no log lines
        self._items: collections.deque[DaemonEvent] = collections.deque()
        self._ready = asyncio.Event()
        self._dropped = 0
        self.closed = False

    def offer(self, event: DaemonEvent) -> None:
        if len(self._items) >= QUEUE_SIZE:
            self._items.popleft()
            self._dropped += 1
        self._items.append(event)
        self._ready.set()

    async def next_batch(self, limit: int = 100) -> list[DaemonEvent]:
        """The events waiting (at least one, at most `limit`), or [] once
        the hub is closed. A reader takes a burst in one go: one hop from
        its thread to the loop per burst, not per event."""
        while not self._items:
            if self.closed:
                return []
            self._ready.clear()
            await self._ready.wait()
        batch = [self._items.popleft() for _ in range(min(limit, len(self._items)))]
        if self._dropped:
            first = batch[0]
            batch[0] = DaemonEvent(first.kind, first.fields, first.time, self._dropped)
            self._dropped = 0
        return batch

    def close(self) -> None:
        self.closed = True
        self._ready.set()
        self._hub._subs.discard(self)


class EventHub:
    def __init__(self) -> None:
        self._subs: set[Subscription] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def subscribe(self, log_level: int | None = None) -> Subscription:
        self._loop = asyncio.get_running_loop()
        sub = Subscription(self, log_level)
        self._subs.add(sub)
        return sub

    @property
    def subscribers(self) -> int:
        return len(self._subs)

    def publish(self, kind: str, **fields) -> None:
        if not self._subs:
            return
        event = DaemonEvent(kind, fields)
        for sub in list(self._subs):
            if kind != "log" or (sub.log_level is not None and fields["levelno"] >= sub.log_level):
                sub.offer(event)

    def close(self) -> None:
        for sub in list(self._subs):
            sub.close()


class LogForwarder(logging.Handler):
    """Sends log records to the hub's subscribers that asked for log lines.
    Records from other threads are handed to the event loop's thread."""

    def __init__(self, hub: EventHub):
        super().__init__(logging.DEBUG)
        self.hub = hub
        self._in_emit = False

    def emit(self, record: logging.LogRecord) -> None:
        hub = self.hub
        if not hub._subs or self._in_emit:
            return
        wanted = min((s.log_level for s in hub._subs if s.log_level is not None), default=None)
        if wanted is None or record.levelno < wanted:
            return
        try:
            fields = {"levelno": record.levelno, "level": record.levelname.lower(),
                      "logger": record.name, "message": record.getMessage()}
        except Exception:
            return
        loop = hub._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        self._in_emit = True
        try:
            if running is loop:
                hub.publish("log", **fields)
            elif loop is not None and not loop.is_closed():
                loop.call_soon_threadsafe(lambda: hub.publish("log", **fields))
        finally:
            self._in_emit = False
