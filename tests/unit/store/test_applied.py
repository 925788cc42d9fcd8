"""`Store.is_applied`: the Bloom filter in front of the index, its file, and its rebuilds."""

from __future__ import annotations

import sqlite3

from tobsd.store import Store
from tobsd.store.bloom import BloomFilter
from tests.unit.store.conftest import CHAT, OTHER, entry


async def open_ready(path, **kw) -> Store:
    store = await Store.open(path, **kw)
    await store.applied.wait_ready()
    return store


async def fill(store: Store, chat: int, ids, batch: int = 500) -> None:
    await store.chats.upsert(chat, "channel", f"c{chat}")
    ids = list(ids)
    for start in range(0, len(ids), batch):
        await store.index.put_many([entry(i, chat_id=chat) for i in ids[start:start + batch]])


async def test_certainly_new_is_answered_without_a_db_read(store):
    await store.index.put_many([entry(i) for i in range(1, 101)])
    before = store.applied.stats.db_lookups
    assert [await store.is_applied(CHAT, i) for i in range(1000, 1100)].count(True) <= 2
    assert store.applied.stats.db_lookups - before <= 2  # only the rare false positive reads
    assert store.applied.stats.certainly_new >= 98
    assert all([await store.is_applied(CHAT, i) for i in range(1, 101)])
    assert await store.applied_ids(CHAT, range(50, 150)) == set(range(50, 101))


async def test_a_false_positive_never_drops_a_message(store):
    await store.index.put(entry(1))
    bloom = store.applied.filter
    bloom.bits[:] = b"\xff" * len(bloom.bits)  # every question now answers "maybe"
    assert not await store.is_applied(CHAT, 2)
    assert await store.applied_ids(CHAT, [1, 2, 3]) == {1}
    assert store.applied.stats.false_positives >= 3


async def test_filter_persists_and_reloads_without_rebuild(tmp_path):
    path = tmp_path / "tobsd.db"
    store = await open_ready(path)
    await fill(store, CHAT, range(1, 2001))
    await store.close()
    assert (tmp_path / "tobsd.bloom").exists()

    store = await open_ready(path)
    try:
        assert store.applied.stats.loaded_from_file and store.applied.stats.rebuilds == 0
        assert await store.applied_ids(CHAT, range(1, 2001)) == set(range(1, 2001))
        assert not await store.save_bloom()  # nothing new since it was loaded
        await store.index.put(entry(5000))
        assert await store.save_bloom()
    finally:
        await store.close()


async def test_stale_file_is_detected_and_rebuilt(tmp_path):
    """A crash after more writes than the file covers: the old file must not be trusted."""
    path = tmp_path / "tobsd.db"
    store = await open_ready(path)
    await fill(store, CHAT, range(1, 1001))
    assert await store.save_bloom()
    old_file = (tmp_path / "tobsd.bloom").read_bytes()
    await fill(store, OTHER, range(1, 501))
    await store.close()
    (tmp_path / "tobsd.bloom").write_bytes(old_file)  # as if tobsd died before saving again

    store = await open_ready(path)
    try:
        assert not store.applied.stats.loaded_from_file
        assert store.applied.stats.rebuilds == 1 and "stale" in store.applied.stats.last_rebuild_reason
        assert await store.applied_ids(OTHER, range(1, 501)) == set(range(1, 501))
        assert all(store.applied.filter.might_contain(OTHER, i) for i in range(1, 501))
    finally:
        await store.close()


async def test_file_from_another_database_is_not_trusted(tmp_path):
    a = await open_ready(tmp_path / "a.db", bloom_path=tmp_path / "shared.bloom")
    await fill(a, CHAT, range(1, 10))
    await a.close()
    b = await open_ready(tmp_path / "b.db", bloom_path=tmp_path / "shared.bloom")
    try:
        assert not b.applied.stats.loaded_from_file and b.applied.stats.rebuilds == 1
    finally:
        await b.close()


async def test_corrupt_file_triggers_rebuild(tmp_path):
    path = tmp_path / "tobsd.db"
    store = await open_ready(path)
    await fill(store, CHAT, range(1, 301))
    await store.close()
    data = bytearray((tmp_path / "tobsd.bloom").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "tobsd.bloom").write_bytes(bytes(data))

    store = await open_ready(path)
    try:
        assert store.applied.stats.rebuilds == 1 and "checksum" in store.applied.stats.last_rebuild_reason
        assert await store.applied_ids(CHAT, range(1, 301)) == set(range(1, 301))
    finally:
        await store.close()


async def test_rows_written_behind_the_filters_back_are_found_after_rebuild(tmp_path):
    """Rows the file never saw (written by a crashed run, here straight through sqlite3) are found."""
    path = tmp_path / "tobsd.db"
    store = await open_ready(path)
    await fill(store, CHAT, range(1, 11))
    await store.close()
    with sqlite3.connect(path) as conn:
        note = conn.execute("SELECT id FROM notes").fetchone()[0]
        conn.executemany("INSERT INTO message_index VALUES (?, ?, 0, NULL, ?, x'00', 0)",
                         [(CHAT, i, note) for i in range(100, 200)])
        conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'index_generation'")
    store = await open_ready(path)
    try:
        assert await store.applied_ids(CHAT, range(1, 300)) == set(range(1, 11)) | set(range(100, 200))
    finally:
        await store.close()


async def test_queries_stay_correct_while_the_first_rebuild_runs(tmp_path):
    path = tmp_path / "tobsd.db"
    store = await open_ready(path)
    await fill(store, CHAT, range(1, 20_001), batch=5000)
    await store.close()
    (tmp_path / "tobsd.bloom").unlink()

    store = await Store.open(path)  # not waiting: the rebuild runs in the background
    try:
        # Written while the rebuild may still be scanning: must end up in the new filter.
        await fill(store, OTHER, range(1, 201))
        assert await store.is_applied(CHAT, 19_999) and await store.is_applied(OTHER, 200)
        assert not await store.is_applied(CHAT, 30_000)
        await store.applied.wait_ready()
        bloom = store.applied.filter
        assert bloom is not None and bloom.capacity >= 1_000_000
        assert all(bloom.might_contain(OTHER, i) for i in range(1, 201))
        assert all(bloom.might_contain(CHAT, i) for i in range(1, 20_001, 7))
    finally:
        await store.close()


async def test_a_full_filter_grows_by_rebuilding(tmp_path):
    store = await open_ready(tmp_path / "tobsd.db", bloom_capacity=100)
    try:
        first = store.applied.filter
        assert first.capacity == 100
        await fill(store, CHAT, range(1, 1001), batch=50)
        await store.applied.wait_ready()
        grown = store.applied.filter
        assert grown is not first and grown.capacity >= 200 and store.applied.stats.rebuilds >= 2
        await fill(store, CHAT, range(1001, 1101), batch=50)
        await store.applied.wait_ready()
        bloom = store.applied.filter
        assert all(bloom.might_contain(CHAT, i) for i in range(1, 1101))
        assert await store.applied_ids(CHAT, range(1, 1200)) == set(range(1, 1101))
    finally:
        await store.close()


async def test_changed_rate_rebuilds(tmp_path):
    path = tmp_path / "tobsd.db"
    await (await open_ready(path)).close()
    store = await open_ready(path, bloom_fp_rate=0.01)
    try:
        assert store.applied.stats.rebuilds == 1 and store.applied.filter.fp_rate == 0.01
    finally:
        await store.close()
    assert BloomFilter.load(tmp_path / "tobsd.bloom")[0].fp_rate == 0.01


async def test_rows_added_during_a_growth_rebuild_reach_the_new_filter(tmp_path):
    """The rebuild is held at its start (the scan waits), so the writes certainly land while it runs."""
    import threading

    from tests.conditions import wait_for

    store = await open_ready(tmp_path / "tobsd.db", bloom_capacity=100)
    gate = threading.Event()
    scanning = threading.Event()
    scan = store.applied._build_from_db

    def gated_scan():
        scanning.set()
        gate.wait(30)
        return scan()

    store.applied._build_from_db = gated_scan
    try:
        await fill(store, CHAT, range(1, 151), batch=50)   # passes capacity 100: a growth rebuild starts
        await wait_for(scanning.is_set, what="the growth rebuild's scan to start")
        old = store.applied.filter
        assert old.capacity == 100
        await fill(store, OTHER, range(1, 301), batch=50)  # the old filter answers and takes these too
        assert await store.applied_ids(OTHER, range(1, 400)) == set(range(1, 301))
        gate.set()
        await store.applied.wait_ready()
        new = store.applied.filter
        assert new is not old and new.capacity >= 300
        assert all(new.might_contain(OTHER, i) for i in range(1, 301))
        assert all(new.might_contain(CHAT, i) for i in range(1, 151))
    finally:
        gate.set()
        await store.close()
