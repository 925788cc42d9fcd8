"""Was (chat_id, msg_id) applied? A Bloom filter in front of the message index.

`is_applied` asks the filter first: "certainly not" is answered without a DB
read (the common case while backfilling and for live messages); "maybe" is
confirmed against message_index, so a false positive costs one lookup and
can never make the engine skip a message.

The one invariant: every row in message_index is in the filter (no false
negatives). It holds because
  * the index adds pairs to the filter before inserting them (a rolled-back
    insert only leaves a harmless extra bit pattern);
  * the file is trusted only if its fingerprint [db_id, index_generation]
    equals the database's. Every index write bumps index_generation in its
    transaction, and `save()` makes the generation it records durable first
    (a synchronous=FULL commit), so a file can never claim a generation the
    database later loses in a power cut and reuses for other rows;
  * a rebuild reads a snapshot of the index taken after all earlier writes
    committed (it starts under the write lock), and the pairs added while it
    runs are kept aside and added to the new filter before it is swapped in.

Rebuilds run in a worker thread with their own read-only SQLite connection.
While the first one runs (no file, or a stale or corrupt one) every question
goes to the DB; while a growth rebuild runs the old, over-full filter keeps
answering (still no false negatives, only more "maybe"s). A filter is sized
for twice the index at build time (at least `min_capacity`) and rebuilt twice
as large when it fills: see bloom.py for the sizing.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from tobsd.store.bloom import BloomFileError, BloomFilter, write_atomically
from tobsd.store.db import Database
from tobsd.store.index import chunks

log = logging.getLogger(__name__)

_FETCH = 10_000


@dataclass(slots=True)
class AppliedStats:
    certainly_new: int = 0   # answered by the filter alone
    db_lookups: int = 0      # "maybe" answers confirmed against the DB (or asked while no filter)
    false_positives: int = 0 # lookups that found no row
    rebuilds: int = 0
    loaded_from_file: bool = False
    last_rebuild_reason: str = ""


class AppliedSet:
    """See the module docstring. Created and started by `Store.open`."""

    def __init__(self, db: Database, path: Path, min_capacity: int, fp_rate: float) -> None:
        self._db = db
        self._path = path
        self._min_capacity = min_capacity
        self._fp_rate = fp_rate
        self._filter: BloomFilter | None = None
        self._pending: array | None = None       # flat chat, msg, chat, msg... added during a rebuild
        self._rebuild_task: asyncio.Task | None = None
        self._growth_task: asyncio.Task | None = None
        self._stop = threading.Event()
        self._save_lock = asyncio.Lock()
        self._saved_generation: int | None = None
        self.stats = AppliedStats()

    # --- life cycle ------------------------------------------------------------

    async def start(self) -> None:
        """Load the file if it matches the database, else start a rebuild from the index."""
        fingerprint = await self._fingerprint()
        try:
            bloom, stored = await asyncio.to_thread(BloomFilter.load, self._path)
        except BloomFileError as e:
            reason = str(e)
        else:
            if stored != fingerprint:
                reason = f"stale (file covers {stored!r}, database is at {fingerprint!r})"
            elif bloom.fp_rate != self._fp_rate:
                reason = f"sized for rate {bloom.fp_rate}, configured {self._fp_rate}"
            else:
                self._filter = bloom
                self._saved_generation = fingerprint[1]
                self.stats.loaded_from_file = True
                if bloom.is_full():
                    await self._start_rebuild("full")
                return
        log.info("Bloom filter %s: %s; rebuilding from the message index", self._path, reason)
        await self._start_rebuild(reason)

    async def close(self) -> None:
        """Stop a running rebuild and save the filter if it has news."""
        self._stop.set()
        for task in (self._growth_task, self._rebuild_task):
            if task is not None:
                await asyncio.gather(task, return_exceptions=True)
        await self.save()

    async def wait_ready(self) -> None:
        """Wait until no rebuild is running (then a filter answers, unless the rebuild failed)."""
        while self._growth_task is not None or self._rebuild_task is not None:
            await asyncio.gather(*(t for t in (self._growth_task, self._rebuild_task) if t is not None),
                                 return_exceptions=True)

    @property
    def has_filter(self) -> bool:
        return self._filter is not None

    @property
    def filter(self) -> BloomFilter | None:
        return self._filter

    # --- questions ---------------------------------------------------------------

    async def is_applied(self, chat_id: int, msg_id: int) -> bool:
        bloom = self._filter
        if bloom is not None and not bloom.might_contain(chat_id, msg_id):
            self.stats.certainly_new += 1
            return False
        self.stats.db_lookups += 1
        row = await self._db.fetchone("SELECT 1 FROM message_index WHERE chat_id = ? AND msg_id = ?",
                                      (chat_id, msg_id))
        if row is None and bloom is not None:
            self.stats.false_positives += 1
        return row is not None

    async def applied_ids(self, chat_id: int, msg_ids: Iterable[int]) -> set[int]:
        """Which of `msg_ids` are applied; the filter weeds out the certainly-new ones first."""
        bloom = self._filter
        ids = set(msg_ids)
        maybe = ids if bloom is None else {i for i in ids if bloom.might_contain(chat_id, i)}
        self.stats.certainly_new += len(ids) - len(maybe)
        if not maybe:
            return set()
        self.stats.db_lookups += len(maybe)
        found: set[int] = set()
        for part in chunks(sorted(maybe)):
            marks = ",".join("?" * len(part))
            rows = await self._db.fetchall(
                f"SELECT msg_id FROM message_index WHERE chat_id = ? AND msg_id IN ({marks})", (chat_id, *part))
            found.update(r[0] for r in rows)
        if bloom is not None:
            self.stats.false_positives += len(maybe) - len(found)
        return found

    # --- writes (called by MessageIndex, before the rows are inserted) -----------

    def note_added(self, pairs: list[tuple[int, int]]) -> None:
        if self._filter is not None:
            self._filter.add_many(pairs)
        if self._pending is not None:
            for chat_id, msg_id in pairs:
                self._pending.append(chat_id)
                self._pending.append(msg_id)
        if (self._filter is not None and self._filter.is_full() and self._rebuild_task is None
                and self._growth_task is None and not self._stop.is_set()):
            # Not here: the caller's transaction is open, and a rebuild must
            # start when no write is in flight. A separate task waits for the lock.
            self._growth_task = asyncio.get_running_loop().create_task(self._grow())

    async def _grow(self) -> None:
        try:
            await self._start_rebuild("full")
        finally:
            self._growth_task = None

    # --- rebuild -------------------------------------------------------------------

    async def _start_rebuild(self, reason: str) -> None:
        async with self._db.locked():
            # With the write lock held no transaction is open, so every pair
            # added so far is committed (and in the snapshot the thread will
            # read) or rolled back; later ones land in _pending.
            if self._rebuild_task is not None or self._stop.is_set():
                return
            self.stats.last_rebuild_reason = reason
            self._pending = array("q")
            self._rebuild_task = asyncio.get_running_loop().create_task(self._rebuild())

    async def _rebuild(self) -> None:
        try:
            bloom = await asyncio.to_thread(self._build_from_db)
            if bloom is None or self._pending is None:
                return
            pending = self._pending
            bloom.add_many(zip(pending[0::2], pending[1::2]))
            # No await between the adds and the swap: no pair can slip in between.
            self._filter = bloom
            self._saved_generation = None
            self.stats.rebuilds += 1
        except Exception:
            log.exception("rebuilding the Bloom filter %s failed; the database answers instead", self._path)
        finally:
            self._pending = None
            self._rebuild_task = None

    def _build_from_db(self) -> BloomFilter | None:
        """Runs in a worker thread: a filter of every indexed pair, from one read snapshot."""
        conn = sqlite3.connect(f"file:{self._db.path}?mode=ro", uri=True, isolation_level=None,
                               check_same_thread=False)
        try:
            conn.execute("PRAGMA busy_timeout = 10000")
            conn.execute("BEGIN")
            rows = conn.execute("SELECT count(*) FROM message_index").fetchone()[0]
            bloom = BloomFilter.for_capacity(max(self._min_capacity, 2 * rows), self._fp_rate)
            cursor = conn.execute("SELECT chat_id, msg_id FROM message_index")
            while batch := cursor.fetchmany(_FETCH):
                if self._stop.is_set():
                    return None
                bloom.add_many(batch)
            return bloom
        finally:
            conn.close()

    # --- persistence ------------------------------------------------------------------

    async def _fingerprint(self) -> list:
        rows = dict(await self._db.fetchall(
            "SELECT key, value FROM meta WHERE key IN ('db_id', 'index_generation')"))
        return [rows["db_id"], int(rows["index_generation"])]

    async def save(self) -> bool:
        """Write the filter to its file if it covers writes the file lacks; returns whether it wrote."""
        async with self._save_lock:
            if self._filter is None:
                return False
            async with self._db.locked():
                fingerprint = await self._fingerprint()
                if fingerprint[1] == self._saved_generation and self._path.exists():
                    return False
                await self._db.durable_commit(
                    "INSERT INTO meta (key, value) VALUES ('bloom_saved_generation', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (fingerprint[1],))
                bloom = self._filter
                snapshot = BloomFilter(bloom.m, bloom.k, bloom.capacity, bloom.fp_rate, bloom.count,
                                       bytearray(bloom.bits))
            data = await asyncio.to_thread(snapshot.to_bytes, fingerprint)
            self._path.parent.mkdir(parents=True, exist_ok=True)
            await asyncio.to_thread(write_atomically, self._path, data)
            self._saved_generation = fingerprint[1]
            return True
