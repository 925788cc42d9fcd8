"""The scheduler's flood-wait bookkeeping without a network."""
from __future__ import annotations

import asyncio
import time

from telethon import errors

from tobsd.telegram.floodstore import FloodTableAdapter, MemoryFloodStore
from tobsd.telegram.scheduler import RateScheduler


class Table:
    """The shape of tobsd.store.floodwait.FloodWaits."""

    def __init__(self):
        self.rows = {}
        self.learned = {}

    async def active(self):
        return {k: v for k, v in self.rows.items() if v > time.time()}

    async def set(self, key, until):
        self.rows[key] = max(self.rows.get(key, 0), until)

    async def rates(self):
        return dict(self.learned)

    async def set_rate(self, key, learned):
        self.learned[key] = learned


async def test_flood_wait_is_saved_and_retried():
    table = Table()
    scheduler = RateScheduler(FloodTableAdapter(table))
    calls = []

    async def once_flooded():
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise errors.FloodWaitError(request=None, capture=1)
        return "ok"

    assert await scheduler.call("messages.getHistory", 2, once_flooded) == "ok"
    assert calls[1] - calls[0] >= 0.95
    assert "messages.getHistory@dc2" in table.rows
    assert scheduler.waits() == {}


async def test_other_keys_of_the_store_are_not_flood_waits():
    store = MemoryFloodStore({"takeout_delay": time.time() + 60,
                              "upload.getFile@dc4": time.time() + 60})
    scheduler = RateScheduler(store)
    await scheduler.load()
    assert list(scheduler.waits()) == ["upload.getFile@dc4"]
    done = []

    async def quick():
        done.append(1)

    await asyncio.wait_for(scheduler.call("upload.getFile", 2, quick), 10)   # not the 60 s wait
    assert done == [1]
