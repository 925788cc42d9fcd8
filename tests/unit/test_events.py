"""The daemon's event hub (tobsd.events): bursts are read in one go, a slow
reader loses the oldest events and is told how many, a closed hub ends
every reader."""
from __future__ import annotations

import asyncio

from tobsd import events
from tobsd.events import EventHub


async def test_a_burst_is_read_in_one_batch_in_order():
    hub = EventHub()
    sub = hub.subscribe()
    for i in range(5):
        hub.publish("progress", n=i)
    batch = await sub.next_batch()
    assert [e.fields["n"] for e in batch] == [0, 1, 2, 3, 4] and all(e.dropped == 0 for e in batch)
    assert [e.fields["n"] for e in await _after(sub, hub, 7)] == [7]


async def _after(sub, hub, n):
    reader = asyncio.ensure_future(sub.next_batch())
    await asyncio.sleep(0)            # the reader waits on the empty queue
    assert not reader.done()
    hub.publish("progress", n=n)
    return await asyncio.wait_for(reader, 5)


async def test_a_slow_reader_loses_the_oldest_and_is_told(monkeypatch):
    monkeypatch.setattr(events, "QUEUE_SIZE", 3)
    hub = EventHub()
    sub = hub.subscribe()
    for i in range(5):
        hub.publish("progress", n=i)
    batch = await sub.next_batch(limit=2)
    assert [e.fields["n"] for e in batch] == [2, 3] and batch[0].dropped == 2 and batch[1].dropped == 0
    assert [e.fields["n"] for e in await sub.next_batch()] == [4]


async def test_log_lines_only_for_who_asked_and_close_ends_readers():
    hub = EventHub()
    quiet, chatty = hub.subscribe(None), hub.subscribe(20)
    hub.publish("log", levelno=20, level="info", logger="x", message="hello")
    hub.publish("progress", n=1)
    assert [e.kind for e in await chatty.next_batch()] == ["log", "progress"]
    assert [e.kind for e in await quiet.next_batch()] == ["progress"]
    hub.close()
    assert await quiet.next_batch() == [] and hub.subscribers == 0
