"""The applier's group commit, over a real SQLite store and a real vault
writer: concurrent batches of one chat are applied together, in arrival
order, with the same outcome as one by one; a failed group leaves every
other caller to apply its own batch."""
from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest

from tobsd.core.models import Chat, ChatKind
from tobsd.store import Store
from tobsd.sync.applier import Applier
from tobsd.vault.writer import VaultWriter
from tests.conditions import wait_for
from tests.unit.sync.fakesource import msg
from tests.vaultscan import by_message, leftovers, scan

CHAT = Chat(id=-1000000000042, kind=ChatKind.CHANNEL, title="Group commit")


class CountingWriter(VaultWriter):
    """The real writer, counting its `apply` calls and able to fail one."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.calls: list[list[int]] = []
        self.gate: asyncio.Event | None = None
        self.fail_call: int | None = None   # the 1-based call that raises OSError

    async def apply(self, chat, messages, **kw):
        self.calls.append([m.id for m in messages])
        if self.gate is not None:
            await self.gate.wait()
        if len(self.calls) == self.fail_call:
            raise OSError("disk trouble")
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
    return CountingWriter(tmp_path / "vault")


# The applier's queues, read to know that a batch has reached the point
# the test is about (white-box: these are what "waiting" and "in flight" mean).
def waiting(applier) -> int:
    """Batches of CHAT queued for the chat's order lock, not yet sent."""
    return len(applier._waiting.get(CHAT.id, ()))


def in_flight(applier) -> int:
    """Groups of CHAT sent to the writer and not yet committed."""
    return len(applier._flights.get(CHAT.id, ()))


def written(applier) -> int:
    """Groups of CHAT the writer has answered whose commit is still to come."""
    return sum(f.written.is_set() for f in applier._flights.get(CHAT.id, ()))


def texts(tmp_path) -> dict[int, list[str]]:
    return {i: [b.text for b in bs] for i, bs in by_message(scan(tmp_path / "vault")).items()}


async def test_batches_waiting_together_are_written_in_one_pass(store, writer, tmp_path):
    applier = Applier(store, writer)   # two groups at the writer at once
    writer.gate = asyncio.Event()
    advanced: list[int] = []

    def after(n):
        def record(changes):
            advanced.append(n)
        return record

    first = asyncio.create_task(applier.apply(CHAT, [msg(CHAT.id, 1)], after=after(0)))
    second = asyncio.create_task(applier.apply(CHAT, [msg(CHAT.id, 2)], after=after(1)))
    await wait_for(lambda: writer.calls == [[1], [2]], what="both at the writer, held by the gate")
    rest = [asyncio.create_task(applier.apply(CHAT, [msg(CHAT.id, i) for i in range(k * 10 + 3, k * 10 + 13)],
                                              after=after(k + 2)))
            for k in range(5)]
    await wait_for(lambda: waiting(applier) == 5, what="the five queued behind them")
    assert writer.calls == [[1], [2]]                      # the rest wait for a free slot
    writer.gate.set()
    counts = await asyncio.gather(first, second, *rest)

    assert counts == [1, 1, 10, 10, 10, 10, 10]
    assert len(writer.calls) == 3, writer.calls            # the first two, then the five together
    assert writer.calls[2] == list(range(3, 53))
    assert advanced == [0, 1, 2, 3, 4, 5, 6]               # every after(), in arrival order
    assert sorted(texts(tmp_path)) == list(range(1, 53))
    assert len(await store.index.get_many(CHAT.id, range(1, 53))) == 52
    assert leftovers(tmp_path / "vault") == []


async def test_a_group_is_sent_before_the_one_ahead_of_it_is_committed(store, writer, tmp_path):
    """Pipelining: the writer gets the next group while the previous one's
    index commit is still to come; the commits keep the order."""
    applier = Applier(store, writer)
    committed: list[int] = []
    release = asyncio.Event()
    real_commit = store.commit

    commits_held: list[int] = []

    async def slow_commit(changes):
        if not committed:
            commits_held.append(1)
            await release.wait()   # the first group's commit is held up
        await real_commit(changes)
        committed.append(len(committed))

    store.commit = slow_commit
    first = asyncio.create_task(applier.apply(CHAT, [msg(CHAT.id, 1)]))
    await wait_for(lambda: commits_held, what="the first group's commit held up")
    second = asyncio.create_task(applier.apply(CHAT, [msg(CHAT.id, 2)]))
    await wait_for(lambda: writer.calls == [[1], [2]] and written(applier) == 2,
                   what="2 written while 1 waits for its commit")
    assert committed == [] and not first.done() and not second.done()
    release.set()
    assert await asyncio.gather(first, second) == [1, 1]
    assert committed == [0, 1]
    assert set(await store.index.get_many(CHAT.id, [1, 2])) == {1, 2}


async def test_a_deletion_waits_for_the_batches_in_flight(store, writer, tmp_path):
    """A message still on its way to the index when its deletion arrives
    ends deleted, in the note and in the index."""
    applier = Applier(store, writer)
    writer.gate = asyncio.Event()
    sent = asyncio.create_task(applier.apply(CHAT, [msg(CHAT.id, 5), msg(CHAT.id, 6)]))
    await wait_for(lambda: writer.calls == [[5, 6]], what="the batch at the writer")
    deletion = asyncio.create_task(applier.delete(CHAT, [5]))
    await wait_for(lambda: in_flight(applier) == 1 and applier._order[CHAT.id].locked(),
                   what="the deletion holding the chat, waiting for the batch")
    assert not deletion.done()
    writer.gate.set()
    assert await sent == 2 and await deletion == 1
    rows = await store.index.get_many(CHAT.id, [5, 6])
    assert rows[5].deleted and not rows[6].deleted
    assert by_message(scan(tmp_path / "vault"))[5][0].deleted


async def test_a_stale_copy_later_in_the_group_loses_to_an_edit_earlier_in_it(store, writer, tmp_path):
    applier = Applier(store, writer)
    original = msg(CHAT.id, 7, "first words")
    await applier.apply(CHAT, [original])
    edited = dataclasses.replace(original, text="edited words",
                                 edit_date=original.date + timedelta(hours=1))
    deleted = dataclasses.replace(msg(CHAT.id, 8), deleted=True)

    writer.gate = asyncio.Event()
    blocker = asyncio.create_task(applier.apply(CHAT, [msg(CHAT.id, 1)]))
    await wait_for(lambda: writer.calls[-1:] == [[1]], what="the blocker at the writer")
    # Arrival order: the edit and a deletion, then a backfill page fetched
    # before them (the old text of 7, 8 alive).
    live = asyncio.create_task(applier.apply(CHAT, [edited, deleted]))
    stale = asyncio.create_task(applier.apply(CHAT, [original, msg(CHAT.id, 8)]))
    await wait_for(lambda: writer.calls[-1:] == [[7, 8]] and waiting(applier) == 1,
                   what="the live batch sent, the stale page queued behind it")
    writer.gate.set()
    assert await asyncio.gather(blocker, live, stale) == [1, 2, 0]

    blocks = by_message(scan(tmp_path / "vault"))
    assert [b.text for b in blocks[7]] == ["edited words"]
    assert blocks[8][0].deleted
    rows = await store.index.get_many(CHAT.id, [7, 8])
    assert rows[8].deleted and rows[7].edit_date is not None


async def test_a_failed_group_leaves_each_other_batch_to_its_own_caller(store, writer, tmp_path):
    applier = Applier(store, writer)
    writer.gate = asyncio.Event()
    blockers = [asyncio.create_task(applier.apply(CHAT, [msg(CHAT.id, i)])) for i in (1, 2)]
    await wait_for(lambda: writer.calls == [[1], [2]], what="both blockers at the writer")
    a = asyncio.create_task(applier.apply(CHAT, [msg(CHAT.id, 3)]))
    b = asyncio.create_task(applier.apply(CHAT, [msg(CHAT.id, 4)]))
    await wait_for(lambda: waiting(applier) == 2, what="a and b queued together")
    # The group {a, b} fails once: a leads it and gets the error, b is
    # applied again on its own and succeeds.
    writer.fail_call = 3
    writer.gate.set()
    results = await asyncio.gather(*blockers, a, b, return_exceptions=True)
    assert results[:2] == [1, 1] and isinstance(results[2], OSError) and results[3] == 1
    assert writer.calls[-2:] == [[3, 4], [4]]
    assert sorted(texts(tmp_path)) == [1, 2, 4]
    assert set(await store.index.get_many(CHAT.id, [1, 2, 3, 4])) == {1, 2, 4}
    # The failed batch is not lost for good: applied again, it lands.
    assert await applier.apply(CHAT, [msg(CHAT.id, 3)]) == 1
    assert sorted(texts(tmp_path)) == [1, 2, 3, 4]


async def test_a_cancelled_waiter_is_not_applied(store, writer, tmp_path):
    applier = Applier(store, writer)
    writer.gate = asyncio.Event()
    blockers = [asyncio.create_task(applier.apply(CHAT, [msg(CHAT.id, i)])) for i in (1, 2)]
    await wait_for(lambda: writer.calls == [[1], [2]], what="both blockers at the writer")
    gone = asyncio.create_task(applier.apply(CHAT, [msg(CHAT.id, 3)]))
    kept = asyncio.create_task(applier.apply(CHAT, [msg(CHAT.id, 4)]))
    await wait_for(lambda: waiting(applier) == 2, what="both queued behind the blockers")
    gone.cancel()
    writer.gate.set()
    assert await asyncio.gather(*blockers, kept) == [1, 1, 1]
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert sorted(texts(tmp_path)) == [1, 2, 4]


async def test_a_caller_cancelled_after_sending_still_gets_its_batch_recorded(store, writer, tmp_path):
    applier = Applier(store, writer)
    writer.gate = asyncio.Event()
    advanced = []
    sent = asyncio.create_task(applier.apply(CHAT, [msg(CHAT.id, 1)],
                                             after=lambda changes: advanced.append(1)))
    await wait_for(lambda: writer.calls == [[1]] and in_flight(applier) == 1,
                   what="the batch sent to the writer")
    sent.cancel()
    writer.gate.set()
    await applier.drain()
    assert advanced == [1]
    assert sorted(texts(tmp_path)) == [1]
    assert set(await store.index.get_many(CHAT.id, [1])) == {1}


async def test_a_message_written_but_not_indexed_is_still_marked_deleted(store, writer, tmp_path):
    """A crash after the note was written and before the index row was
    committed, then Telegram deletes the message while tobsd is down: the
    pending row leads the deletion to its block."""
    applier = Applier(store, writer)
    await applier.apply(CHAT, [msg(CHAT.id, 1)])
    lost = msg(CHAT.id, 2)

    class CrashAfterWrite(Exception):
        pass

    def crash(changes):
        raise CrashAfterWrite()   # stands in for the process dying before the commit

    with pytest.raises(CrashAfterWrite):
        await applier.apply(CHAT, [lost], after=crash)
    assert 2 in texts(tmp_path) and not await store.index.get_many(CHAT.id, [2])

    # A new daemon: a fresh writer that knows nothing of where message 2 went.
    restarted = Applier(store, CountingWriter(tmp_path / "vault"))
    assert await restarted.delete(CHAT, [2, 99]) == 1
    assert by_message(scan(tmp_path / "vault"))[2][0].deleted
    row = (await store.index.get_many(CHAT.id, [2]))[2]
    assert row.deleted
    # Indexed now (as deleted), the batch is dropped at the next start.
    assert await store.pending.prune() == 1
    assert await store.pending.get_many(CHAT.id, [2]) == {}
    # Applied normally, nothing is left pending.
    await applier.apply(CHAT, [msg(CHAT.id, 3)])
    assert await store.pending.get_many(CHAT.id, [1, 3]) == {}


async def test_pending_batches_applied_again_are_pruned(store, writer, tmp_path):
    applier = Applier(store, writer)

    def crash(changes):
        raise RuntimeError("killed before the commit")

    with pytest.raises(RuntimeError):
        await applier.apply(CHAT, [msg(CHAT.id, 1), msg(CHAT.id, 2)], after=crash)
    with pytest.raises(RuntimeError):
        await applier.apply(CHAT, [msg(CHAT.id, 3)], after=crash)
    await applier.apply(CHAT, [msg(CHAT.id, 1), msg(CHAT.id, 2)])   # fetched again after the restart
    assert await store.pending.prune() == 1                          # 1-2 done, 3 still pending
    assert await store.pending.get_many(CHAT.id, [1, 2, 3]) == {3: (int(msg(CHAT.id, 3).date.timestamp()), None)}


async def test_a_copy_fetched_before_its_deletion_arrived_is_dropped(store, writer, tmp_path):
    applier = Applier(store, writer)
    page = [msg(CHAT.id, i) for i in range(1, 6)]   # fetched while 4 still existed
    assert await applier.delete(CHAT, [4]) == 0       # the deletion arrives first: nothing to mark
    assert await applier.apply(CHAT, page) == 4
    assert sorted(texts(tmp_path)) == [1, 2, 3, 5]
    assert 4 not in await store.index.get_many(CHAT.id, [4])
