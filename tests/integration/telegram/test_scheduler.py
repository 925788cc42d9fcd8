"""The rate scheduler with real requests against fakegram's fault rules:
FloodWait storms honoured by every caller and persisted across scheduler
instances, RPC_CALL_FAIL and dropped connections retried, limits kept."""
from __future__ import annotations

import asyncio
import time

import pytest
from telethon import errors

from fakegram.faults import FaultRule
from tobsd.core.config import LimitsConfig
from tobsd.telegram.floodstore import MemoryFloodStore
from tobsd.telegram.scheduler import RateScheduler, request_key
from tobsd.telegram.source import TelethonSource

from .conftest import FAST, log_in_session, make_config

KEY = request_key("messages.getHistory", 2)


async def news(source):
    return await source.resolve("@news")


async def test_flood_wait_storm_makes_every_caller_wait(source, server, flood_store):
    chat = await news(source)
    server.faults.add(FaultRule(error="FLOOD_WAIT_2", method="messages.getHistory", nth=1))
    started = time.monotonic()
    pages = await asyncio.gather(*(source.history(chat, offset_id=100 - 10 * i, limit=10)
                                   for i in range(6)))
    elapsed = time.monotonic() - started
    assert all(len(p.messages) == 10 for p in pages)
    assert elapsed >= 1.9
    log = server.request_log(method="messages.getHistory")
    errors_seen = [r for r in log if r["error"]]
    assert [r["error"] for r in errors_seen] == ["FLOOD_WAIT_2"]
    flood_at = errors_seen[0]["at"]
    # Requests already in flight are answered (however long a loaded machine
    # takes to answer them); nobody asks again until the wait is over.
    in_flight = source.scheduler.in_flight_limit("messages.getHistory")
    during = [r for r in log if flood_at < r["at"] < flood_at + 1.9]
    assert len(during) <= in_flight - 1 and all(r["error"] is None for r in during)
    assert len([r for r in log if r["at"] >= flood_at + 1.9]) >= 1
    assert flood_store.deadlines[KEY] >= flood_at + 1.9
    assert source.scheduler.flood_waits_seen == 1


async def test_persisted_deadline_delays_a_new_scheduler(server, config):
    deadline = time.time() + 4   # still ahead once the source has started, however slowly
    store = MemoryFloodStore({KEY: deadline})
    source = TelethonSource(config, store, client_options=FAST)
    await source.start()
    try:
        assert 0 < source.status().flood_waits[KEY] <= 4
        chat = await news(source)
        page = await source.history(chat, limit=5)
        assert len(page.messages) == 5
        [asked] = server.request_log(method="messages.getHistory")
        assert asked["at"] - asked["ms"] / 1000 >= deadline   # not asked before the deadline
    finally:
        await source.stop()


async def test_rpc_call_fail_is_retried(source, server):
    chat = await news(source)
    server.faults.add(FaultRule(error="RPC_CALL_FAIL", method="messages.getHistory", nth=1))
    page = await source.history(chat, limit=5)
    assert len(page.messages) == 5
    assert [r["error"] for r in server.request_log(method="messages.getHistory")] == \
        ["RPC_CALL_FAIL", None]


async def test_a_dropped_connection_is_survived(source, server):
    chat = await news(source)
    server.faults.add(FaultRule(error="drop", method="messages.getHistory", nth=1))
    page = await asyncio.wait_for(source.history(chat, limit=5), 20)
    assert len(page.messages) == 5
    assert source.status().connected


async def test_persistent_failures_give_up_after_bounded_retries():
    calls = []

    async def failing():
        calls.append(time.monotonic())
        raise errors.RpcCallFailError(request=None)

    scheduler = RateScheduler(MemoryFloodStore(), max_attempts=3, backoff_s=0.01)
    with pytest.raises(errors.RpcCallFailError):
        await scheduler.call("messages.getHistory", 2, failing)
    assert len(calls) == 3


async def test_in_flight_limit_per_method_and_dc():
    # A pace far above what these requests reach: only the in-flight limit binds.
    scheduler = RateScheduler(MemoryFloodStore(), limits={"messages.getHistory": 2},
                              pacer_options={"start_rate": 1e6})
    running = peak = 0

    async def work():
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.02)
        running -= 1
        return 1

    await asyncio.gather(*(scheduler.call("messages.getHistory", 2, work) for _ in range(8)))
    assert peak == 2
    # Another DC has its own budget.
    running = peak = 0
    await asyncio.gather(*(scheduler.call("messages.getHistory", dc, work)
                           for dc in (2, 2, 4, 4)))
    assert peak == 4


async def test_history_concurrency_comes_from_the_config(server, tmp_path):
    config = make_config(server, tmp_path, limits=LimitsConfig(backfill_requests_in_flight=3))
    log_in_session(server, config)
    source = TelethonSource(config, MemoryFloodStore(), client_options=FAST)
    assert source.scheduler.in_flight_limit("messages.getHistory") == 3
