"""The SQLite connections behind the store, and its transactions.

Two aiosqlite connections to one WAL database: a writer, through which every
write goes, and a reader for reads from outside a transaction, so reads
neither wait behind a long write transaction nor see its uncommitted rows.

Transactions (`async with db.transaction():`) are serialised by one asyncio
lock and owned by the task that opened them. Inside, the owning task's writes
and reads all use the writer connection (so it reads its own writes), and a
nested `transaction()` in the same task joins the outer one. If the block
raises, everything in it rolls back; otherwise it commits once at the end. A
write method called outside any transaction runs in a transaction of its own.

Durability: `synchronous=NORMAL`. In WAL mode that keeps the database
consistent after any crash, and a process crash loses nothing; only a power
loss or kernel crash can roll back the last commits (they are synced at the
next checkpoint). tobsd's ordering rule makes that safe: a note is durably
written (fsync) before the DB commit that records it, so losing a commit only
moves a cursor back; the messages it covered are fetched again and
re-applying a message already in a note changes nothing. FULL would fsync the
WAL on every commit, costing a disk flush per batch for no gain in what the
vault ends up holding. Hand-offs: every aiosqlite call is a trip to the connection's thread and
back through the event loop, which costs more than the SQLite work of a
small statement whenever the loop is busy (decoding history pages). Hot
paths therefore use `run(fn)`, which runs a plain function over the
sqlite3 connection in that thread, as one transaction: one trip for a
whole batch of statements.

The one place that needs a commit to be durable (the
Bloom file's fingerprint, see applied.py) asks for it with `durable_commit()`.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from pathlib import Path
import sqlite3
from typing import Any, AsyncIterator, Callable, Iterable, Sequence, TypeVar

import aiosqlite

from tobsd.core.errors import DiskFull
from tobsd.core.files import create_private, private_dir
from tobsd.store.migrations import migrate

BUSY_TIMEOUT_MS = 10_000

T = TypeVar("T")


class Database:
    """A writer and a reader connection to one SQLite file; see the module docstring."""

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection) -> None:
        self.path = path
        self.writer = writer
        self.reader = reader
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task | None = None

    @classmethod
    async def open(cls, path: str | Path) -> "Database":
        """Open (creating if needed) and migrate the database at `path`."""
        path = Path(path)
        private_dir(path.parent)
        create_private(path)   # SQLite gives -wal and -shm the same mode
        writer = await aiosqlite.connect(path, isolation_level=None)
        try:
            await _configure(writer)
            await migrate(writer, str(path))
            reader = await aiosqlite.connect(path, isolation_level=None)
        except BaseException:
            await writer.close()
            raise
        try:
            await _configure(reader)
            await reader.execute("PRAGMA query_only = ON")
        except BaseException:
            await reader.close()
            await writer.close()
            raise
        return cls(path, writer, reader)

    async def close(self) -> None:
        async with self._lock:
            await self.reader.close()
            # A clean close checkpoints the WAL into the main file.
            await self.writer.close()

    def in_transaction(self) -> bool:
        """Whether the calling task owns the open transaction."""
        return self._owner is not None and self._owner is asyncio.current_task()

    @asynccontextmanager
    async def locked(self) -> AsyncIterator[aiosqlite.Connection]:
        """Hold the write lock without opening a transaction (joins one the task already owns)."""
        if self.in_transaction():
            yield self.writer
            return
        async with self._lock:
            self._owner = asyncio.current_task()
            try:
                yield self.writer
            finally:
                self._owner = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One atomic unit of writes: committed at the end, rolled back if the block raises."""
        if self.in_transaction():
            yield self.writer
            return
        async with self.locked() as conn, _disk_full(self.path):
            try:
                # Inside the try: a task cancelled while its BEGIN is queued
                # must still roll back, or the connection stays in a
                # transaction. aiosqlite runs calls in order, so the
                # rollback runs after the BEGIN (a rollback with none open
                # does nothing).
                await conn.execute("BEGIN IMMEDIATE")
                yield conn
            except BaseException:
                # Shielded: the rollback must finish even when the task is being cancelled.
                await asyncio.shield(conn.rollback())
                raise
            else:
                await conn.commit()

    async def durable_commit(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run one write in a transaction committed with synchronous=FULL.

        WAL commits are sequential, so once this returns every earlier commit
        is on disk too.
        """
        async with self.locked() as conn:
            await conn.execute("PRAGMA synchronous = FULL")
            try:
                await conn.execute("BEGIN IMMEDIATE")
                await conn.execute(sql, params)
                await conn.commit()
            finally:
                await conn.execute("PRAGMA synchronous = NORMAL")

    async def run(self, fn: Callable[..., T], *args: Any,
                  before: Callable[[], None] | None = None) -> T:
        """`fn(conn, *args)` with the writer's sqlite3 connection, in its
        thread: inside the task's open transaction if it has one, else as a
        transaction of its own (committed when `fn` returns, rolled back if
        it raises). `fn` must only use `conn` and must not commit.
        `before()` runs here once the write lock is held, just before.
        A caller cancelled meanwhile does not stop `fn`, which may still commit."""
        async with _disk_full(self.path):
            if self.in_transaction():
                if before is not None:
                    before()
                return await _in_thread(self.writer, fn, args, own_transaction=False)
            async with self.locked() as conn:
                if before is not None:
                    before()
                return await _in_thread(conn, fn, args, own_transaction=True)

    def _read_conn(self) -> aiosqlite.Connection:
        return self.writer if self.in_transaction() else self.reader

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        conn = self._read_conn()
        return await conn._execute(_read, conn._conn, sql, params, False)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        conn = self._read_conn()
        return await conn._execute(_read, conn._conn, sql, params, True)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """One write statement (in the task's transaction, or one of its own); returns rows changed."""
        async with self.transaction() as conn:
            async with conn.execute(sql, params) as cursor:
                return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)


@asynccontextmanager
async def _disk_full(path: Path) -> AsyncIterator[None]:
    """SQLite's "database or disk is full" as the core DiskFull, which the
    engine answers by pausing the chat until space returns."""
    try:
        yield
    except sqlite3.Error as exc:
        if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
            raise DiskFull(path, exc) from exc
        raise


def _call(conn: sqlite3.Connection, fn: Callable[..., T], args: tuple, own_transaction: bool) -> T:
    if not own_transaction:
        return fn(conn, *args)
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = fn(conn, *args)
    except BaseException:
        conn.rollback()
        raise
    conn.commit()
    return result


def _read(conn: sqlite3.Connection, sql: str, params: Sequence[Any], every_row: bool):
    """One read, its statement reset before this returns (in the connection's
    thread). A statement left open keeps its read transaction, and every
    later read on the connection would see that old snapshot: the reader
    would miss commits made since. So no cursor ever leaves the thread, not
    even one whose caller was cancelled while the read ran."""
    cursor = conn.execute(sql, params)
    try:
        return cursor.fetchall() if every_row else cursor.fetchone()
    finally:
        cursor.close()


async def _in_thread(conn: aiosqlite.Connection, fn: Callable[..., T], args: tuple,
                     own_transaction: bool) -> T:
    # aiosqlite.Connection._execute is the primitive behind every aiosqlite
    # method: it queues a call for the connection's thread, in order with
    # everything else sent to that connection (the pin in pyproject.toml
    # keeps it; tests/unit/store/test_db_reads.py runs through it).
    return await conn._execute(_call, conn._conn, fn, args, own_transaction)


async def _configure(conn: aiosqlite.Connection) -> None:
    # busy_timeout first: the journal_mode switch itself may meet a lock.
    await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    await conn.execute("PRAGMA journal_mode = WAL")
    await conn.execute("PRAGMA synchronous = NORMAL")
    await conn.execute("PRAGMA foreign_keys = ON")
    await conn.execute("PRAGMA temp_store = MEMORY")
