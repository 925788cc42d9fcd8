"""Backfill planning per chat kind, over an in-memory source and a real
store and vault: requests close to the minimum, nothing missed, a failing
backfill retried and never reported live."""
from __future__ import annotations

import asyncio
import math
import random

import pytest

from tobsd.core.models import ChatKind
from tobsd.core.states import ChatState
from tobsd.store import Store
from tests.unit.sync.fakesource import FakeSource
from tests.unit.sync.test_engine import engine_for, vault_ids, wait_live


@pytest.fixture
async def store(tmp_path):
    s = await Store.open(tmp_path / "state" / "tobsd.db")
    yield s
    await s.close()


def history_calls(source, chat_id):
    return [c for c in source.calls if c[0] == "history" and c[1] == chat_id]


def loop_requests(count: int) -> int:
    """What a plain newest-first paging loop needs: a page per 100 messages
    and a last, empty one (Telegram answers a slice with a count)."""
    return count // 100 + 1 if count > 100 else 1


@pytest.mark.parametrize("count", [1, 99, 100, 101, 374, 1000, 2345])
async def test_a_private_chat_costs_no_more_requests_than_a_plain_loop(store, tmp_path, count):
    source = FakeSource()
    rng = random.Random(count)
    # Account-wide ids: most ids in any range belong to other chats.
    ids = sorted(rng.sample(range(1, 60 * count + 100), count))
    chat = source.add_chat(2001, 0, kind=ChatKind.USER, title="Bob", ids=ids)
    engine, _ = engine_for(source, store, tmp_path, workers=6)
    await engine.add_chat(chat)
    await wait_live(engine)
    await engine.stop()
    assert sorted(vault_ids(tmp_path)) == ids
    calls = history_calls(source, chat.id)
    assert len(calls) <= loop_requests(count)
    # The newest page, then pages of 100 by position, one message of overlap
    # each; Telegram's count ends it without an empty page.
    below = max(0, count - 100)
    assert len(calls) == 1 + (max(1, math.ceil((below - 1) / 99)) if below else 0)


async def test_a_basic_group_is_paged_by_offset_without_id_ranges(store, tmp_path):
    source = FakeSource()
    ids = list(range(7, 90000, 97))
    chat = source.add_chat(-4001, 0, kind=ChatKind.GROUP, title="Club", ids=ids)
    engine, _ = engine_for(source, store, tmp_path, workers=6)
    await engine.add_chat(chat)
    await wait_live(engine)
    await engine.stop()
    assert sorted(vault_ids(tmp_path)) == ids
    calls = history_calls(source, chat.id)
    # The newest page, then pages by position below its lowest id, 99 apart
    # (one message of overlap), never id ranges.
    assert calls[0][2] == 0
    assert {c[2] for c in calls[1:]} == {ids[-100]} and {c[3] for c in calls} == {0}
    assert sorted(c[5] for c in calls[1:]) == [99 * k for k in range(len(calls) - 1)]
    assert len(calls) == 1 + math.ceil((len(ids) - 100 - 1) / 99)


@pytest.mark.parametrize("count", [452, 2345])
async def test_a_channel_is_cut_into_pieces_of_at_most_a_page(store, tmp_path, count):
    source = FakeSource()
    chat = source.add_chat(-1000000000011, count)
    engine, _ = engine_for(source, store, tmp_path, workers=4)
    await engine.add_chat(chat)
    await wait_live(engine)
    await engine.stop()
    assert sorted(vault_ids(tmp_path)) == list(range(1, count + 1))
    # Dense ids: one request per page of history, as a plain loop.
    assert len(history_calls(source, chat.id)) == math.ceil(count / 100)


async def test_a_channel_with_wide_empty_ranges_completes_with_idle_workers_splitting(store, tmp_path):
    source = FakeSource()
    # Dense at the top (100 ids a page), then a long run of deleted history:
    # most pieces come back empty while other workers still page through theirs.
    ids = list(range(1, 900)) + list(range(40_000, 40_400)) + list(range(80_000, 80_300))
    chat = source.add_chat(-1000000000012, 0, ids=ids)
    source.delay = 0.001
    engine, _ = engine_for(source, store, tmp_path, workers=6)
    await engine.add_chat(chat)
    await wait_live(engine)
    st = engine.chats[chat.id]
    await engine.stop()
    assert st.state is ChatState.LIVE and st.error is None
    assert sorted(vault_ids(tmp_path)) == ids
    assert not await store.shards.list(chat.id)


async def test_a_failing_backfill_is_retried_shows_the_error_and_is_never_live_early(store, tmp_path):
    source = FakeSource()
    chat = source.add_chat(-1000000000013, 1500)
    source.failing[chat.id] = 2
    engine, _ = engine_for(source, store, tmp_path, workers=4)
    seen: list[tuple[ChatState, str | None, bool]] = []

    def on_change():
        st = engine.chats.get(chat.id)
        if st is not None:
            seen.append((st.state, st.error, False))

    engine._on_change = on_change
    await engine.add_chat(chat)
    await wait_live(engine)
    await engine.stop()
    states = [s for s, _, _ in seen]
    assert ChatState.RETRYING in states
    retry_at = states.index(ChatState.RETRYING)
    assert "connection lost" in seen[retry_at][1]
    assert ChatState.LIVE not in states[:retry_at]
    assert states[-1] is ChatState.LIVE and engine.chats[chat.id].error is None
    assert sorted(vault_ids(tmp_path)) == list(range(1, 1501))
    cursor = await store.cursors.get(chat.id)
    assert cursor.backfill_done and not await store.shards.pending(chat.id)


async def test_small_chats_finish_first_while_a_big_channel_keeps_a_share(store, tmp_path):
    source = FakeSource()
    source.delay = 0.001
    big = source.add_chat(-1000000000020, 5_000, title="Big")
    rng = random.Random(3)
    small = [source.add_chat(3000 + n, 0, kind=ChatKind.USER, title=f"Small {n}",
                             ids=sorted(rng.sample(range(1, 50_000), rng.randint(20, 250))))
             for n in range(20)]
    engine, _ = engine_for(source, store, tmp_path, workers=4)
    live_at: dict[int, int] = {}           # chat -> history requests served when it went live

    def on_change():
        for cid, st in engine.chats.items():
            if st.state is ChatState.LIVE and cid not in live_at:
                live_at[cid] = len(source.calls)

    engine._on_change = on_change
    await engine.add_chat(big)
    for chat in small:
        await engine.add_chat(chat)
    await wait_live(engine)
    await engine.stop()
    last_small = max(live_at[c.id] for c in small)
    assert live_at[big.id] > last_small           # the small chats did not wait for the big one
    big_before = sum(1 for c in source.calls[:last_small] if c[1] == big.id)
    assert big_before >= 5                         # and the big one was not starved meanwhile
    assert len(history_calls(source, big.id)) == 50
