"""Reads through `Database.fetchone`/`fetchall` never leave a statement open
on their connection, even when the caller is cancelled while the read runs:
an open statement keeps its read transaction, and every later read on that
connection would miss what was committed since (a real SQLite file)."""
from __future__ import annotations

import asyncio

from tobsd.store.db import Database


async def checkpoint_blocked(db: Database) -> bool:
    """Whether a reader still holds a snapshot (a full checkpoint cannot
    reset the WAL past it)."""
    async with db.locked() as conn:
        async with conn.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cursor:
            row = await cursor.fetchone()
    return bool(row[0])


async def test_reads_cancelled_at_any_point_leave_the_reader_current(tmp_path):
    db = await Database.open(tmp_path / "t.db")
    try:
        await db.execute("CREATE TABLE t (x INTEGER)")
        await db.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(500)])
        kept = []   # cancelled reads stay referenced, as a stored traceback would keep them
        for attempt in range(60):
            read = db.fetchone if attempt % 2 else db.fetchall
            task = asyncio.ensure_future(read("SELECT x FROM t ORDER BY x"))
            for _ in range(attempt % 6):
                await asyncio.sleep(0)
            task.cancel()
            kept.append(task)
            await asyncio.gather(task, return_exceptions=True)
            before = await db.fetchone("SELECT count(*) FROM t")
            await db.execute("INSERT INTO t VALUES (?)", (attempt,))
            assert await db.fetchone("SELECT count(*) FROM t") == (before[0] + 1,), attempt
        assert not await checkpoint_blocked(db)
        assert await db.fetchone("SELECT x FROM t ORDER BY x") == (0,)   # one row of many
        assert len(await db.fetchall("SELECT x FROM t")) == 560
        assert not await checkpoint_blocked(db)
    finally:
        await db.close()
