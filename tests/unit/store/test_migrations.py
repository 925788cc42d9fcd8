"""Schema creation, reopening, refusal of a newer schema, and the connection settings."""

from __future__ import annotations

import sqlite3

import pytest

from tobsd.core.errors import SchemaTooNewError
from tobsd.store import Store
from tobsd.store.migrations import known_migrations, latest_version

TABLES = {"meta", "chats", "cursors", "backfill_shards", "notes", "message_index",
          "flood_waits"}


def tables(path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def user_version(path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA user_version").fetchone()[0]


def test_migrations_are_numbered_without_gaps():
    versions = [m.version for m in known_migrations()]
    assert versions == list(range(1, len(versions) + 1)) and latest_version() == versions[-1]
    assert known_migrations()[0].name == "0001_initial.sql"


async def test_empty_database_is_migrated_to_latest(tmp_path):
    path = tmp_path / "state" / "tobsd.db"
    store = await Store.open(path)
    await store.close()
    assert TABLES <= tables(path)
    assert user_version(path) == latest_version()


async def test_reopen_keeps_data_and_does_not_remigrate(tmp_path):
    path = tmp_path / "tobsd.db"
    store = await Store.open(path)
    await store.chats.upsert(5, "user", "Bob", now=100)
    db_id = (await store.db.fetchone("SELECT value FROM meta WHERE key = 'db_id'"))[0]
    await store.close()
    store = await Store.open(path)
    try:
        assert (await store.chats.get(5)).title == "Bob"
        assert (await store.db.fetchone("SELECT value FROM meta WHERE key = 'db_id'"))[0] == db_id
    finally:
        await store.close()
    assert user_version(path) == latest_version()


async def test_newer_schema_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "tobsd.db"
    await (await Store.open(path)).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {latest_version() + 7}")
    with pytest.raises(SchemaTooNewError) as info:
        await Store.open(path)
    assert f"schema version {latest_version() + 7}" in str(info.value)
    assert f"up to {latest_version()}" in str(info.value)
    assert user_version(path) == latest_version() + 7


async def test_wal_mode_and_pragmas(tmp_path):
    path = tmp_path / "tobsd.db"
    store = await Store.open(path)
    try:
        await store.chats.upsert(1, "user", "A")
        assert (path.parent / "tobsd.db-wal").exists()
        for conn in (store.db.writer, store.db.reader):
            async with conn.execute("PRAGMA journal_mode") as c:
                assert (await c.fetchone())[0] == "wal"
            async with conn.execute("PRAGMA foreign_keys") as c:
                assert (await c.fetchone())[0] == 1
            async with conn.execute("PRAGMA synchronous") as c:
                assert (await c.fetchone())[0] == 1  # NORMAL
            async with conn.execute("PRAGMA busy_timeout") as c:
                assert (await c.fetchone())[0] >= 5000
    finally:
        await store.close()


async def test_foreign_keys_are_enforced(store):
    from tests.unit.store.conftest import entry
    with pytest.raises(sqlite3.IntegrityError):
        await store.index.put(entry(1, chat_id=999))
    assert await store.index.count() == 0
