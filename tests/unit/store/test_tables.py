"""Round trips through each table, and what survives a reopen."""

from __future__ import annotations

import pytest

from tobsd.store import Cursor, Shard, Store
from tests.unit.store.conftest import CHAT, OTHER, entry


async def test_chats_round_trip(store):
    row = await store.chats.get(CHAT)
    assert (row.kind, row.title, row.username, row.paused, row.error, row.needs_resync) == \
        ("channel", "Chan", "chan", False, None, False)
    added = row.added_at
    await store.chats.set_paused(CHAT, True)
    await store.chats.set_error(CHAT, "CHANNEL_PRIVATE", now=123)
    await store.chats.set_needs_resync(CHAT, True)
    row = await store.chats.upsert(CHAT, "supergroup", "Renamed", None, now=added + 999)
    assert (row.kind, row.title, row.username, row.paused, row.error, row.error_at, row.needs_resync,
            row.added_at) == ("supergroup", "Renamed", None, True, "CHANNEL_PRIVATE", 123, True, added)
    await store.chats.set_error(CHAT, None)
    assert (await store.chats.get(CHAT)).error_at is None
    assert [c.id for c in await store.chats.list()] == sorted([CHAT, OTHER])
    assert not await store.chats.set_paused(12345, True)
    with pytest.raises(ValueError):
        await store.chats.upsert(7, "martian", "x")


async def test_removing_a_chat_removes_its_state(store):
    await store.index.put_many([entry(1), entry(2)])
    await store.cursors.advance_max_applied(CHAT, 2)
    await store.shards.create(CHAT, [(1, 10)])
    assert await store.chats.remove(CHAT)
    assert await store.index.count(CHAT) == 0
    assert await store.cursors.get(CHAT) == Cursor(CHAT)
    assert await store.shards.list(CHAT) == []


async def test_cursors_move_only_forward(store):
    assert await store.cursors.get(CHAT) == Cursor(CHAT, 0, None, False)
    await store.cursors.advance_max_applied(CHAT, 100)
    await store.cursors.advance_max_applied(CHAT, 50)
    await store.cursors.advance_min_backfilled(CHAT, 80)
    await store.cursors.advance_min_backfilled(CHAT, 90)
    await store.cursors.advance_min_backfilled(CHAT, 20)
    await store.cursors.set_backfill_done(CHAT)
    assert await store.cursors.get(CHAT) == Cursor(CHAT, 100, 20, True)


async def test_shards_resume_after_reopen(tmp_path):
    path = tmp_path / "tobsd.db"
    store = await Store.open(path)
    await store.chats.upsert(CHAT, "channel", "Chan")
    await store.shards.create(CHAT, [(1, 1000), (1000, 2000), (2000, 3001)])
    await store.shards.create(CHAT, [(1, 5)])  # same lo_id: kept as is
    async with store.transaction():
        await store.index.put_many([entry(i) for i in range(2900, 3001)])
        await store.shards.advance(CHAT, 2000, 2900)
    await store.shards.advance(CHAT, 2000, 2950)  # never moves back up
    await store.shards.advance(CHAT, 1, 1)         # reached lo_id: done
    await store.close()

    store = await Store.open(path)
    try:
        assert await store.shards.list(CHAT) == [
            Shard(CHAT, 2000, 3001, 2900, False), Shard(CHAT, 1000, 2000, 2000, False), Shard(CHAT, 1, 1000, 1, True)]
        assert [s.lo_id for s in await store.shards.pending(CHAT)] == [2000, 1000]
        await store.shards.finish(CHAT, 1000)
        assert [s.lo_id for s in await store.shards.pending(CHAT)] == [2000]
    finally:
        await store.close()


async def test_shard_split(store):
    await store.shards.create(CHAT, [(1, 1001)])
    await store.shards.advance(CHAT, 1, 800)
    lower = await store.shards.split(CHAT, 1, 400)
    assert lower == Shard(CHAT, 1, 400, 400)
    assert await store.shards.list(CHAT) == [Shard(CHAT, 400, 1001, 800), Shard(CHAT, 1, 400, 400)]
    for bad in (400, 800, 900):  # at the lo edge, at next_offset, above it
        with pytest.raises(ValueError):
            await store.shards.split(CHAT, 400, bad)
    with pytest.raises(KeyError):
        await store.shards.split(CHAT, 5, 6)
    with pytest.raises(ValueError):
        await store.shards.create(CHAT, [(10, 10)])
    await store.shards.clear(CHAT)
    assert await store.shards.list(CHAT) == []


async def test_try_split_refuses_what_split_would_and_changes_nothing(store):
    await store.shards.create(CHAT, [(100, 500)])
    await store.shards.finish(CHAT, 100)     # done: an empty last page, next_offset untouched
    assert not await store.shards.try_split(CHAT, 100, 300)
    assert await store.shards.list(CHAT) == [Shard(CHAT, 100, 500, 500, True)]
    await store.shards.clear(CHAT)
    await store.shards.create(CHAT, [(100, 500)])
    assert await store.shards.try_split(CHAT, 100, 300)
    for lo, at in ((300, 600), (300, 300), (5, 6)):
        assert not await store.shards.try_split(CHAT, lo, at)
    assert await store.shards.list(CHAT) == [Shard(CHAT, 300, 500, 500), Shard(CHAT, 100, 300, 300)]


async def test_shard_cut_equals_a_split_at_each_point(store, tmp_path):
    await store.shards.create(CHAT, [(1, 1001)])
    await store.shards.advance(CHAT, 1, 800)
    await store.shards.cut(CHAT, 1, [200, 600, 400])
    cut = await store.shards.list(CHAT)
    await store.shards.clear(CHAT)
    await store.shards.create(CHAT, [(1, 1001)])
    await store.shards.advance(CHAT, 1, 800)
    for at in (600, 400, 200):   # each split cuts the lowest piece, which keeps lo_id 1
        await store.shards.split(CHAT, 1, at)
    assert cut == await store.shards.list(CHAT) == [
        Shard(CHAT, 600, 1001, 800), Shard(CHAT, 400, 600, 600), Shard(CHAT, 200, 400, 400),
        Shard(CHAT, 1, 200, 200)]
    for bad in ([1], [800], [900]):   # at the lo edge, at next_offset, above it
        with pytest.raises(ValueError):
            await store.shards.cut(CHAT, 1, bad)
    assert len(await store.shards.list(CHAT)) == 4   # a refused cut changes nothing


async def test_index_round_trip_and_edits(store):
    e = entry(5, edit_date=1_700_000_100, note="Telegram/Chan/2024-01-02.md", content_hash=b"\x00\xff")
    await store.index.put_many([entry(1), entry(2), e, entry(3, chat_id=OTHER)])
    assert await store.index.get(CHAT, 5) == e
    assert await store.index.get(CHAT, 4) is None
    assert set(await store.index.get_many(CHAT, [1, 2, 4, 5])) == {1, 2, 5}
    # An edit replaces the row.
    edited = entry(5, edit_date=1_700_000_200, note="Telegram/Chan/2024-01-02.md", content_hash=b"new")
    await store.index.put(edited)
    assert await store.index.get(CHAT, 5) == edited
    assert await store.index.count(CHAT) == 3 and await store.index.count() == 4
    assert [r.msg_id for r in await store.index.recent(CHAT, 2)] == [5, 2]
    assert await store.index.ids_between(CHAT, 2, 6) == [2, 5]


async def test_mark_deleted(store):
    await store.index.put_many([entry(i) for i in range(1, 6)])
    assert await store.index.mark_deleted(CHAT, [2, 4, 99]) == [2, 4]
    assert await store.index.mark_deleted(CHAT, [2]) == []  # already deleted
    assert (await store.index.get(CHAT, 2)).deleted
    assert await store.index.ids_between(CHAT, 1, 10) == [1, 3, 5]
    assert await store.index.ids_between(CHAT, 1, 10, include_deleted=True) == [1, 2, 3, 4, 5]
    assert [r.msg_id for r in await store.index.recent(CHAT, 10)] == [5, 3, 1]
    assert await store.is_applied(CHAT, 2)  # a deleted message was applied


async def test_many_ids_cross_the_parameter_chunks(store):
    await store.index.put_many([entry(i) for i in range(1, 1501)])
    assert await store.index.existing_ids(CHAT, range(1000, 2500)) == set(range(1000, 1501))
    assert len(await store.index.get_many(CHAT, range(1, 1501))) == 1500
    assert await store.index.mark_deleted(CHAT, range(1, 1400)) == list(range(1, 1400))


async def test_flood_deadlines_survive_reopen(tmp_path):
    path = tmp_path / "tobsd.db"
    store = await Store.open(path)
    await store.flood.set("messages.getHistory@dc2", 2000.0)
    await store.flood.set("messages.getHistory@dc2", 1500.0)  # an earlier one does not shorten it
    await store.flood.set("upload.getFile@dc4", 1200.5)
    await store.flood.set("old@dc1", 900.0)
    await store.close()

    store = await Store.open(path)
    try:
        assert await store.flood.active(now=1000) == {"messages.getHistory@dc2": 2000.0, "upload.getFile@dc4": 1200.5}
        assert await store.flood.until("messages.getHistory@dc2", now=1000) == 2000.0
        assert await store.flood.until("upload.getFile@dc4", now=1300) is None
        assert await store.flood.purge(now=1300) == 2
        assert await store.flood.active(now=0) == {"messages.getHistory@dc2": 2000.0}
    finally:
        await store.close()


async def test_learned_rates_survive_reopen_and_stay_apart_from_other_meta(tmp_path):
    path = tmp_path / "tobsd.db"
    store = await Store.open(path)
    await store.flood.set_rate("messages.getHistory@dc2+takeout", {"rate": 3.0, "low": 2.9, "high": 3.1})
    await store.flood.set_rate("messages.getHistory@dc2+takeout", {"rate": 2.5, "low": None, "high": 3.0})
    await store.flood.set_rate("upload.getFile@dc4", {"rate": 40.0, "low": None, "high": None})
    await store.close()

    store = await Store.open(path)
    try:
        assert await store.flood.rates() == {
            "messages.getHistory@dc2+takeout": {"rate": 2.5, "low": None, "high": 3.0},
            "upload.getFile@dc4": {"rate": 40.0, "low": None, "high": None}}
        assert await store.flood.active(now=0) == {}      # rates are not deadlines
    finally:
        await store.close()


async def test_cursors_and_counts_of_many_chats_in_one_read(store):
    await store.index.put_many([entry(i) for i in range(1, 6)] + [entry(i, chat_id=OTHER)
                                                                   for i in (7, 9)])
    await store.cursors.advance_max_applied(CHAT, 5)
    await store.cursors.set_backfill_done(CHAT, True)
    many = await store.cursors.get_many([CHAT, OTHER, 77])
    assert many == {CHAT: await store.cursors.get(CHAT), OTHER: await store.cursors.get(OTHER),
                    77: Cursor(77)}
    assert many[CHAT].max_applied_id == 5 and many[CHAT].backfill_done
    assert await store.index.counts([CHAT, OTHER, 77]) == {CHAT: 5, OTHER: 2, 77: 0}
    assert await store.index.counts([]) == {}
