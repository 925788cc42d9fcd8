"""Transactions: all or nothing, nesting, serialisation between tasks, and readers beside a writer."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from tests.unit.store.conftest import CHAT, OTHER, entry


class Boom(Exception):
    pass


async def test_a_raising_transaction_rolls_back_everything(store):
    await store.index.put(entry(1))
    with pytest.raises(Boom):
        async with store.transaction():
            await store.index.put_many([entry(i) for i in range(2, 50)])
            await store.cursors.advance_max_applied(CHAT, 49)
            await store.shards.create(CHAT, [(1, 100)])
            await store.chats.set_error(CHAT, "CHANNEL_PRIVATE")
            await store.flood.set("messages.getHistory@dc2", 9e9)
            assert await store.index.count(CHAT) == 49  # visible inside
            raise Boom
    assert await store.index.count(CHAT) == 1
    assert (await store.cursors.get(CHAT)).max_applied_id == 0
    assert await store.shards.list(CHAT) == []
    assert (await store.chats.get(CHAT)).error is None
    assert await store.flood.active() == {}
    # The Bloom filter may say "maybe" for the rolled-back rows; the DB has the last word.
    assert not await store.is_applied(CHAT, 10)
    assert await store.applied_ids(CHAT, range(1, 50)) == {1}


async def test_a_transaction_commits_once_at_the_end(store):
    async with store.transaction():
        await store.index.put_many([entry(i) for i in range(1, 11)])
        await store.cursors.advance_max_applied(CHAT, 10)
        # Another task reads through the reader connection: nothing yet.
        assert await asyncio.create_task(store.index.count(CHAT)) == 0
    assert await store.index.count(CHAT) == 10
    assert (await store.cursors.get(CHAT)).max_applied_id == 10


async def test_nested_transaction_joins_the_outer_one(store):
    with pytest.raises(Boom):
        async with store.transaction():
            async with store.transaction():
                await store.index.put(entry(1))
            raise Boom
    assert await store.index.count() == 0


async def test_transactions_of_two_tasks_do_not_interleave(store):
    order: list[str] = []

    async def batch(name: str, chat: int, first: int) -> None:
        async with store.transaction():
            order.append(f"{name} begin")
            for i in range(first, first + 5):
                await store.index.put(entry(i, chat_id=chat))
                await asyncio.sleep(0)
            order.append(f"{name} end")

    await asyncio.gather(batch("a", CHAT, 1), batch("b", OTHER, 1))
    assert order in (["a begin", "a end", "b begin", "b end"], ["b begin", "b end", "a begin", "a end"])
    assert await store.index.count() == 10


async def test_a_failed_task_does_not_undo_another_tasks_commit(store):
    other_writing = asyncio.Event()

    async def fails() -> None:
        async with store.transaction():
            await store.index.put(entry(1))
            await other_writing.wait()
            # The other task's write was issued while this transaction is open.
            assert not other.done()
            raise Boom

    async def succeeds() -> None:
        other_writing.set()
        await store.index.put(entry(2, chat_id=OTHER))

    failing = asyncio.create_task(fails())
    other = asyncio.create_task(succeeds())
    results = await asyncio.gather(failing, other, return_exceptions=True)
    assert isinstance(results[0], Boom) and results[1] is None
    assert await store.index.existing_ids(CHAT, [1]) == set()
    assert await store.index.existing_ids(OTHER, [2]) == {2}


async def test_readers_are_not_blocked_by_an_open_write_transaction(store, tmp_path):
    await store.index.put_many([entry(i) for i in range(1, 6)])
    release = asyncio.Event()
    written = asyncio.Event()

    async def long_writer() -> None:
        async with store.transaction():
            await store.index.put_many([entry(i) for i in range(6, 100)])
            assert await store.db.run(
                lambda conn: conn.execute("SELECT count(*) FROM message_index").fetchone()[0]) == 99
            written.set()   # the rows are written, not committed
            await release.wait()

    writer = asyncio.create_task(long_writer())
    await asyncio.wait_for(written.wait(), 30)
    # Many concurrent readers in this process, each sees the committed state.
    counts = await asyncio.wait_for(asyncio.gather(*(store.index.count(CHAT) for _ in range(20))), timeout=30)
    assert counts == [5] * 20
    # And a separate connection, as another process would have.
    with sqlite3.connect(tmp_path / "tobsd.db", timeout=1) as conn:
        assert conn.execute("SELECT count(*) FROM message_index").fetchone()[0] == 5
    release.set()
    await writer
    with sqlite3.connect(tmp_path / "tobsd.db", timeout=1) as conn:
        assert conn.execute("SELECT count(*) FROM message_index").fetchone()[0] == 99


async def test_cancelled_transaction_rolls_back(store):
    started = asyncio.Event()

    async def work() -> None:
        async with store.transaction():
            await store.index.put(entry(1))
            started.set()
            await asyncio.Event().wait()   # until cancelled

    task = asyncio.create_task(work())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await store.index.count() == 0
    await store.index.put(entry(2))  # the lock was released
    assert await store.index.count() == 1


@pytest.mark.parametrize("yields", range(6))
async def test_a_task_cancelled_while_beginning_leaves_no_transaction_open(store, yields):
    """Cancelled at any point of its start (while its BEGIN is queued in the
    SQLite thread, too), a transaction rolls back; the next one begins."""
    async def write():
        async with store.transaction():
            await store.index.put(entry(5))

    task = asyncio.create_task(write())
    for _ in range(yields):
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await store.index.put(entry(6))   # raised "cannot start a transaction within a transaction"
    assert await store.applied_ids(CHAT, [6]) == {6}
