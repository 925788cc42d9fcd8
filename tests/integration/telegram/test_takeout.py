"""Takeout for history backfill: opened once and used, TAKEOUT_INIT_DELAY
persisted and reported with a fallback to the normal API (and a return to
Takeout when the delay is over, without looping on init), finished on stop."""
from __future__ import annotations

from fakegram.faults import FaultRule
from tobsd.telegram.floodstore import MemoryFloodStore
from tobsd.telegram.source import TelethonSource
from tobsd.telegram.takeout import TAKEOUT_DELAY_KEY
from tests.conditions import wait_for

from .conftest import FAST


def takeout_flags(server):
    return [r["takeout"] for r in server.request_log(method="messages.getHistory")]


async def test_history_uses_one_takeout_and_stop_finishes_it(config, server):
    source = TelethonSource(config, MemoryFloodStore(), client_options=FAST)
    await source.start()
    await source.takeout.current()   # start() opens it in the background
    assert source.status().takeout == "open"
    chat = await source.resolve("@news")
    for offset in (0, 90, 60, 30):
        await source.history(chat, offset_id=offset, limit=30)
    assert takeout_flags(server) == [True] * 4
    assert len(server.request_log(method="account.initTakeoutSession")) == 1
    assert server.state.takeouts
    await source.stop()
    finish = server.request_log(method="account.finishTakeoutSession")
    assert [r["error"] for r in finish] == [None]
    assert not server.state.takeouts
    assert source.status().takeout == "off"


async def test_takeout_id_is_kept_across_restarts(config, server):
    first = TelethonSource(config, MemoryFloodStore(), client_options=FAST)
    await first.start()
    chat = await first.resolve("@news")
    await first.history(chat, limit=10)
    # A crash: no finish; the session file keeps the takeout id.
    await first.client.disconnect()
    second = TelethonSource(config, MemoryFloodStore(), client_options=FAST)
    await second.start()
    await second.history(await second.resolve("@news"), limit=10)
    assert len(server.request_log(method="account.initTakeoutSession")) == 1
    assert takeout_flags(server) == [True, True]
    await second.stop()


async def test_init_delay_falls_back_then_returns_to_takeout(config, server):
    store = MemoryFloodStore()
    server.faults.add(FaultRule(error="TAKEOUT_INIT_DELAY_2", method="account.initTakeoutSession",
                                nth=1))
    source = TelethonSource(config, store, client_options=FAST)
    await source.start()
    await source.takeout.current()   # start() opens it in the background
    try:
        assert source.status().takeout.startswith("delayed until ")
        assert store.deadlines[TAKEOUT_DELAY_KEY] > 0
        chat = await source.resolve("@news")
        for offset in (0, 90, 60):
            page = await source.history(chat, offset_id=offset, limit=10)
            assert len(page.messages) == 10
        assert takeout_flags(server) == [False] * 3
        # No loop on init while delayed: the one refused attempt only.
        assert len(server.request_log(method="account.initTakeoutSession")) == 1
        await wait_for(lambda: source.takeout.delayed_until() is None, 30,
                       what="Telegram's 2 s Takeout delay to pass")
        await source.history(chat, offset_id=30, limit=10)
        assert takeout_flags(server)[-1] is True
        assert source.status().takeout == "open"
    finally:
        await source.stop()


async def test_a_persisted_delay_is_honoured_by_a_new_source(config, server):
    import time
    store = MemoryFloodStore({TAKEOUT_DELAY_KEY: time.time() + 30})
    source = TelethonSource(config, store, client_options=FAST)
    await source.start()
    await source.takeout.current()   # start() opens it in the background
    try:
        await source.history(await source.resolve("@news"), limit=10)
        assert takeout_flags(server) == [False]
        assert server.request_log(method="account.initTakeoutSession") == []
        assert "delayed until" in source.status().takeout
    finally:
        await source.stop()
