"""Live batches first: a live message overtakes backfill pages queued in the
applier and at the writer, and is indexed while they still wait; it never
overtakes what it may not (a page holding the same message, a reconcile
page that moves the cursor). Over a real SQLite store and a real vault
writer; the writer holds ordinary applies at a gate, so "overtakes" is
shown by a live batch that completes while the gate is shut."""
from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest

from tobsd.core.models import Chat, ChatKind
from tobsd.store import Store
from tobsd.sync.applier import BACKFILL, LIVE, ORDERED, Applier
from tobsd.vault.writer import VaultWriter
from tests.conditions import wait_for
from tests.unit.sync.fakesource import msg
from tests.vaultscan import by_message, leftovers, scan

CHAT = Chat(id=-1000000000043, kind=ChatKind.CHANNEL, title="Live first")
HANG_S = 30   # bounds a hang (a live batch that did not overtake); not a speed target


class GatedWriter(VaultWriter):
    """The real writer; ordinary applies wait at `gate`, urgent ones do not."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.calls: list[tuple[list[int], bool]] = []
        self.gate = asyncio.Event()

    async def apply(self, chat, messages, **kw):
        urgent = kw.get("urgent", False)
        self.calls.append(([m.id for m in messages], urgent))
        if not urgent:
            await self.gate.wait()
        return await super().apply(chat, messages, **kw)


@pytest.fixture
async def store(tmp_path):
    s = await Store.open(tmp_path / "state" / "tobsd.db")
    await s.chats.upsert(CHAT.id, CHAT.kind.value, CHAT.title)
    yield s
    await s.close()


@pytest.fixture
def writer(tmp_path):
    (tmp_path / "vault").mkdir()
    return GatedWriter(tmp_path / "vault")


def waiting(applier) -> list:
    return list(applier._waiting.get(CHAT.id, ()))


def page(k: int) -> list:
    """Backfill page k: ten old messages."""
    return [msg(CHAT.id, 100 + 10 * k + i) for i in range(10)]


def recorder(log: list, name: str):
    def after(changes):
        log.append(name)
    return after


async def test_a_live_message_is_indexed_while_backfill_pages_wait_for_the_writer(store, writer, tmp_path):
    applier = Applier(store, writer)          # two ordinary groups at the writer at once
    committed: list[str] = []
    pages = []
    for k in range(4):
        pages.append(asyncio.create_task(applier.apply(CHAT, page(k), kind=BACKFILL,
                                                       after=recorder(committed, f"page{k}"))))
        await wait_for(lambda: len(writer.calls) + len(waiting(applier)) == k + 1,
                       what=f"page {k} at the (shut) writer or queued for it")
    assert len(writer.calls) == 2 and len(waiting(applier)) == 2

    def advance(changes):
        committed.append("live")
        changes.advance_max_applied(CHAT.id, 5000)

    live = [msg(CHAT.id, 5000, "posted just now")]
    # Completes with the writer still shut for the pages: it went ahead of them.
    assert await asyncio.wait_for(applier.apply(CHAT, live, kind=LIVE, after=advance), HANG_S) == 1
    assert writer.calls[-1] == ([5000], True)
    assert committed == ["live"] and not any(t.done() for t in pages)
    assert (await store.index.get_many(CHAT.id, [5000]))[5000].msg_id == 5000
    assert (await store.cursors.get(CHAT.id)).max_applied_id == 5000
    assert [b.text for b in by_message(scan(tmp_path / "vault"))[5000]] == ["posted just now"]

    writer.gate.set()
    assert await asyncio.gather(*pages) == [10, 10, 10, 10]
    assert committed[1:] == ["page0", "page1", "page2", "page3"]   # the pages keep their order
    ids = [m.id for k in range(4) for m in page(k)] + [5000]
    assert len(await store.index.get_many(CHAT.id, ids)) == 41
    assert sorted(by_message(scan(tmp_path / "vault"))) == sorted(ids)
    assert await store.pending.get_many(CHAT.id, set(ids)) == {}
    assert leftovers(tmp_path / "vault") == []


async def test_a_live_edit_of_a_message_in_a_queued_page_keeps_arrival_order(store, writer, tmp_path):
    applier = Applier(store, writer)
    original = msg(CHAT.id, 130, "first words")
    edited = dataclasses.replace(original, text="edited words",
                                 edit_date=original.date + timedelta(hours=1))
    committed: list[str] = []
    pages = []
    for k in range(2):
        pages.append(asyncio.create_task(applier.apply(CHAT, page(k), kind=BACKFILL,
                                                       after=recorder(committed, f"page{k}"))))
        await wait_for(lambda: len(writer.calls) == k + 1, what=f"page {k} at the shut writer")
    stale = asyncio.create_task(applier.apply(CHAT, [original] + page(2)[1:], kind=BACKFILL,
                                              after=recorder(committed, "stale")))
    await wait_for(lambda: len(waiting(applier)) == 1, what="the page with 130 queued")
    live = asyncio.create_task(applier.apply(CHAT, [edited], kind=LIVE,
                                             after=recorder(committed, "live")))
    await wait_for(lambda: len(waiting(applier)) == 2, what="the edit queued behind it")
    assert [b.urgent for b in waiting(applier)] == [False, False]   # it shares message 130
    assert all(urgent is False for _, urgent in writer.calls)

    writer.gate.set()
    await asyncio.gather(*pages, stale, live)
    assert committed == ["page0", "page1", "stale", "live"]
    assert [b.text for b in by_message(scan(tmp_path / "vault"))[130]] == ["edited words"]
    assert (await store.index.get_many(CHAT.id, [130]))[130].edit_date is not None


async def test_a_live_message_does_not_overtake_a_page_that_moves_the_cursor(store, writer, tmp_path):
    applier = Applier(store, writer)
    committed: list[str] = []

    def reconcile_advance(changes):
        committed.append("reconcile")
        changes.advance_max_applied(CHAT.id, 400)

    newest = [msg(CHAT.id, 300 + i) for i in range(101)]
    reconciling = asyncio.create_task(applier.apply(CHAT, newest, kind=ORDERED,
                                                    after=reconcile_advance))
    await wait_for(lambda: len(writer.calls) == 1, what="the reconcile page at the shut writer")
    live = asyncio.create_task(applier.apply(CHAT, [msg(CHAT.id, 401)], kind=LIVE,
                                             after=recorder(committed, "live")))
    # Sent behind it (the writer has room for a second group), not urgent.
    await wait_for(lambda: len(writer.calls) == 2, what="the live batch at the writer")
    assert writer.calls[1] == ([401], False)
    assert not live.done() and committed == []

    writer.gate.set()
    await asyncio.gather(reconciling, live)
    assert committed == ["reconcile", "live"]
    assert (await store.cursors.get(CHAT.id)).max_applied_id == 400


async def test_urgent_writes_go_before_ordinary_ones_waiting_at_the_writer(tmp_path):
    """The writer's own queue: with an apply in progress, an urgent apply
    submitted after two ordinary ones is applied before them."""
    (tmp_path / "vault").mkdir()
    w = VaultWriter(tmp_path / "vault")
    order: list[int] = []
    real = w._apply_note

    def note(chat, rel, msgs, *rest):
        order.append(msgs[0].id)
        return real(chat, rel, msgs, *rest)

    w._apply_note = note
    await w._lock.acquire()        # an apply in progress
    first = await w.submit(CHAT, [msg(CHAT.id, 1)])
    second = await w.submit(CHAT, [msg(CHAT.id, 2)])
    urgent = await w.submit(CHAT, [msg(CHAT.id, 3)], urgent=True)
    await wait_for(lambda: w._lock.waiting() == (1, 2), what="all three queued for the lock")
    w._lock.release()
    await asyncio.gather(first, second, urgent)
    assert order == [3, 1, 2]


async def test_a_group_takes_the_waiting_batches_up_to_its_size_in_arrival_order(store, writer,
                                                                                  monkeypatch):
    """Group commit is bounded (the writer's time on one group bounds an
    urgent batch's wait): the rest of the queue goes in the next group."""
    from tobsd.sync import applier as applier_module
    monkeypatch.setattr(applier_module, "GROUP_MESSAGES", 25)
    applier = Applier(store, writer, writes_in_flight=1)
    first = asyncio.create_task(applier.apply(CHAT, page(0), kind=BACKFILL))
    await wait_for(lambda: len(writer.calls) == 1, what="the first page at the shut writer")
    rest = []
    for k in range(1, 5):
        rest.append(asyncio.create_task(applier.apply(CHAT, page(k), kind=BACKFILL)))
        await wait_for(lambda: len(waiting(applier)) == k, what=f"page {k} queued")
    writer.gate.set()
    await asyncio.gather(first, *rest)
    assert [ids for ids, _ in writer.calls] == [
        [m.id for m in page(0)],
        [m.id for m in page(1) + page(2)],     # 20 of at most 25: page 3 waits
        [m.id for m in page(3) + page(4)]]
