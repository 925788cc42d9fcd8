"""The sync engine over an in-memory source, a real SQLite store and a real
vault writer: backfill, live changes, reconcile, resume after a cancel."""
from __future__ import annotations

import asyncio

import pytest

from tobsd.core.models import ChatKind
from tobsd.core.states import ChatState
from tobsd.store import Store
from tobsd.sync.engine import ChatOptions, SyncEngine
from tobsd.vault.writer import VaultWriter
from tests.unit.sync.fakesource import FakeSource
from tests.conditions import wait_for
from tests.vaultscan import by_message, leftovers, scan


@pytest.fixture
async def store(tmp_path):
    s = await Store.open(tmp_path / "state" / "tobsd.db")
    yield s
    await s.close()


def engine_for(source, store, tmp_path, **kw):
    (tmp_path / "vault").mkdir(exist_ok=True)
    writer = VaultWriter(tmp_path / "vault")
    return SyncEngine(source, store, writer, reconcile_every_s=3600, **kw), writer


async def wait_live(engine, timeout=30):
    await wait_for(lambda: engine.chats and all(st.state in ("live", "error")
                                                for st in engine.chats.values()),
                   timeout, what="every chat live", describe=lambda: {
                       c: st.state for c, st in engine.chats.items()})


async def indexed_at_least(store, chat_id: int, count: int) -> bool:
    return await store.index.count(chat_id) >= count


def vault_ids(tmp_path) -> dict[int, int]:
    return {i: len(bs) for i, bs in by_message(scan(tmp_path / "vault")).items()}


async def test_backfill_writes_every_message_once(store, tmp_path):
    source = FakeSource()
    chat = source.add_chat(-1000000000001, 2345)
    engine, _ = engine_for(source, store, tmp_path, workers=4)
    await engine.add_chat(chat)
    await wait_live(engine)
    await engine.stop()
    counts = vault_ids(tmp_path)
    assert sorted(counts) == list(range(1, 2346))
    assert set(counts.values()) == {1}
    cursor = await store.cursors.get(chat.id)
    assert cursor.max_applied_id == 2345 and cursor.backfill_done
    assert not await store.shards.pending(chat.id)
    assert leftovers(tmp_path / "vault") == []


async def test_sparse_common_box_ids(store, tmp_path):
    source = FakeSource()
    ids = list(range(5, 30000, 37))
    chat = source.add_chat(2001, 0, kind=ChatKind.USER, title="Bob", ids=ids)
    engine, _ = engine_for(source, store, tmp_path, workers=3)
    await engine.add_chat(chat)
    await wait_live(engine)
    await engine.stop()
    assert sorted(vault_ids(tmp_path)) == ids


async def test_live_new_edit_delete_reach_the_vault(store, tmp_path):
    source = FakeSource()
    chat = source.add_chat(-1000000000002, 150)
    engine, _ = engine_for(source, store, tmp_path)
    await engine.add_chat(chat)
    await wait_live(engine)
    new = await source.post(chat.id, "hello live")
    await source.edit(chat.id, 100, "edited text")
    await source.delete(chat.id, [50])
    await engine.stop()
    blocks = by_message(scan(tmp_path / "vault"))
    assert blocks[new.id][0].text == "hello live"
    assert blocks[100][0].text == "edited text"
    assert blocks[50][0].deleted and not blocks[49][0].deleted
    assert (await store.cursors.get(chat.id)).max_applied_id == new.id


async def test_reconcile_repairs_missed_changes_in_one_request(store, tmp_path):
    source = FakeSource()
    chat = source.add_chat(-1000000000003, 300)
    engine, _ = engine_for(source, store, tmp_path)
    await engine.add_chat(chat)
    await wait_live(engine)
    await engine.stop()
    # While tobsd is away: new posts, an edit and a deletion near the top.
    for i in range(5):
        await source.post(chat.id, f"missed {i}", push=False)
    await source.edit(chat.id, 290, "changed while away", push=False)
    await source.delete(chat.id, [295], push=False)
    engine2, _ = engine_for(source, store, tmp_path)
    source.calls.clear()
    await engine2.add_chat(chat)
    await wait_live(engine2)
    await engine2.stop()
    assert len(source.calls) == 1
    blocks = by_message(scan(tmp_path / "vault"))
    assert blocks[305][0].text == "missed 4"
    assert blocks[290][0].text == "changed while away"
    assert blocks[295][0].deleted
    # Nothing new: a resync costs one request.
    engine3, _ = engine_for(source, store, tmp_path)
    source.calls.clear()
    await engine3.add_chat(chat)
    await wait_live(engine3)
    await engine3.stop()
    assert len(source.calls) == 1


async def test_a_long_absence_is_backfilled_as_a_shard(store, tmp_path):
    source = FakeSource()
    chat = source.add_chat(-1000000000004, 120)
    engine, _ = engine_for(source, store, tmp_path)
    await engine.add_chat(chat)
    await wait_live(engine)
    await engine.stop()
    for i in range(1000):
        await source.post(chat.id, f"away {i}", push=False)
    engine2, _ = engine_for(source, store, tmp_path, workers=4)
    await engine2.add_chat(chat)
    await wait_live(engine2)
    await engine2.stop()
    counts = vault_ids(tmp_path)
    assert sorted(counts) == list(range(1, 1121)) and set(counts.values()) == {1}


async def test_cancelled_backfill_resumes_without_loss_or_duplicates(store, tmp_path):
    source = FakeSource()
    source.delay = 0.002
    chat = source.add_chat(-1000000000005, 5000)
    for stop_at in (300, 1500, 3000):   # messages indexed when the engine is stopped
        engine, _ = engine_for(source, store, tmp_path, workers=4)
        await engine.add_chat(chat)
        await wait_for(lambda: indexed_at_least(store, chat.id, stop_at), what=f"{stop_at} indexed")
        await engine.stop()
        cursor = await store.cursors.get(chat.id)
        assert not cursor.backfill_done, f"stopped at {stop_at}, after the backfill ended"
    engine, _ = engine_for(source, store, tmp_path, workers=4)
    await engine.add_chat(chat)
    await wait_live(engine)
    await engine.stop()
    counts = vault_ids(tmp_path)
    assert sorted(counts) == list(range(1, 5001)) and set(counts.values()) == {1}


async def test_an_unavailable_chat_reports_and_others_go_on(store, tmp_path):
    source = FakeSource()
    bad = source.add_chat(-1000000000006, 10, title="Private")
    good = source.add_chat(-1000000000007, 10, title="Open")
    source.unavailable.add(bad.id)
    engine, _ = engine_for(source, store, tmp_path)
    await engine.add_chat(bad)
    await engine.add_chat(good)
    await wait_live(engine)
    status = {c["title"]: c for c in (await engine.status())["chats"]}
    await engine.stop()
    assert status["Private"]["state"] == "error" and "CHANNEL_PRIVATE" in status["Private"]["error"]
    assert status["Open"]["state"] == "live" and status["Open"]["indexed"] == 10
    assert (await store.chats.get(bad.id)).error


async def test_since_date_limits_the_backfill(store, tmp_path):
    import dataclasses
    from datetime import timedelta
    from tests.unit.sync.fakesource import BASE
    source = FakeSource()
    chat = source.add_chat(-1000000000008, 1000)
    history = source.histories[chat.id]
    for i, m in history.items():   # one message an hour: 2026-01-01 .. 2026-02-11
        history[i] = dataclasses.replace(m, date=BASE + timedelta(hours=i))
    engine, _ = engine_for(source, store, tmp_path, workers=3)
    await engine.add_chat(chat, ChatOptions(since=(BASE + timedelta(hours=500)).date()))
    await wait_live(engine)
    await engine.stop()
    # 2026-01-21 00:00 is hour 480: messages 480..1000 are kept, none older.
    assert sorted(vault_ids(tmp_path)) == list(range(480, 1001))


async def test_a_reply_after_a_restart_links_to_the_note_of_an_old_message(store, tmp_path):
    from tests.unit.sync.fakesource import msg
    from tobsd.core.models import ReplyRef
    from tobsd.core.ports import LiveEvent
    source = FakeSource()
    chat = source.add_chat(-1000000000009, 3000)   # one message a minute: three days
    engine, _ = engine_for(source, store, tmp_path)
    await engine.add_chat(chat)
    await wait_live(engine)
    await engine.stop()
    old_note = (await store.index.get(chat.id, 3)).note_path
    # A new process: a writer that remembers nothing (and the old engine hears nothing).
    source.handlers.clear()
    engine2, _ = engine_for(source, store, tmp_path)
    await engine2.add_chat(chat)
    await wait_live(engine2)
    assert engine2.writer.note_of(chat.id, 3) is None
    reply = msg(chat.id, 3001, "answering an old one", reply=ReplyRef(msg_id=3))
    source.histories[chat.id][3001] = reply
    await source._emit(LiveEvent("new", chat.id, (reply,)))
    await engine2.stop()
    new_note = (await store.index.get(chat.id, 3001)).note_path
    assert new_note != old_note
    text = (tmp_path / "vault" / new_note).read_text()
    assert f"[[{old_note[:-3]}#^m3|reply]]" in text


async def test_a_chat_that_turns_live_while_the_status_counts_is_not_reported_live(store, tmp_path):
    """The status counts the index while the chat's last page commits and
    the chat turns live: it reports the state it saw before counting, never
    `live` beside a count from before the last page."""
    source = FakeSource()
    chat = source.add_chat(-1000000000031, 3, title="Racing")
    engine, _ = engine_for(source, store, tmp_path)
    st = await engine.add_chat(chat, ChatOptions(paused=True))
    real_counts = store.index.counts
    moved = []

    async def counts_then_go_live(chat_ids):
        counts = await real_counts(chat_ids)
        st.move(ChatState.STARTING)          # meanwhile the chat completes
        st.move(ChatState.LIVE)
        moved.append(True)
        return counts

    store.index.counts = counts_then_go_live
    try:
        status = await engine.status()
    finally:
        store.index.counts = real_counts
        await engine.stop()
    assert moved and st.state == ChatState.LIVE
    [reported] = status["chats"]
    assert reported["state"] == ChatState.PAUSED and reported["indexed"] == 0


async def test_status_survives_chats_added_and_removed_while_it_runs(store, tmp_path):
    """The status report awaits the store (the chats' cursors, their
    counts); a chat added or removed meanwhile (a SIGHUP reload, a chat
    resolved late) must not break it: it reports the chats it started with."""
    source = FakeSource()
    first = source.add_chat(-1000000000021, 3, title="First")
    second = source.add_chat(-1000000000022, 3, title="Second")
    late = source.add_chat(-1000000000023, 3, title="Late")
    engine, _ = engine_for(source, store, tmp_path)
    await engine.add_chat(first, ChatOptions(paused=True))
    await engine.add_chat(second, ChatOptions(paused=True))
    real_get_many = store.cursors.get_many
    changed = []

    async def get_and_change_the_chats(chat_ids):
        chat_ids = list(chat_ids)
        if not changed:
            changed.append(chat_ids)
            await engine.add_chat(late, ChatOptions(paused=True))
            await engine.remove_chat(second.id)
        return await real_get_many(chat_ids)

    store.cursors.get_many = get_and_change_the_chats
    try:
        status = await engine.status()
    finally:
        store.cursors.get_many = real_get_many
        await engine.stop()
    assert changed, "the store was never asked while the status ran"
    assert [c["title"] for c in status["chats"]] == ["First", "Second"]
    assert set(engine.chats) == {first.id, late.id}
