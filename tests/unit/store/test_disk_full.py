"""A state database that cannot grow raises the core DiskFull (the engine
pauses the chat on it by type), and the transaction leaves nothing behind."""
from __future__ import annotations

import pytest

from tobsd.core.errors import DiskFull
from tobsd.core.ports import IndexEntry
from tobsd.store import Store


async def test_a_full_database_raises_disk_full(tmp_path):
    store = await Store.open(tmp_path / "tobsd.db")
    try:
        await store.chats.upsert(-1001, "channel", "Full")
        pages = (await store.db.fetchone("PRAGMA page_count"))[0]
        # SQLite's own limit on the file's size: what a full disk looks like to it.
        await store.db.writer.execute(f"PRAGMA max_page_count = {pages + 2}")
        changes = store.changes()
        changes.put_index([(-1001, i, 1700000000 + i, "Telegram/Full/2024/2024-01-01.md",
                            b"x" * 64, None, False) for i in range(1, 5001)])
        with pytest.raises(DiskFull) as info:
            await store.commit(changes)
        assert "tobsd.db" in str(info.value)
        assert await store.index.count(-1001) == 0
        with pytest.raises(DiskFull):
            await store.index.put_many([IndexEntry(-1001, i, 1, "n.md", b"y" * 64)
                                        for i in range(1, 5001)])
    finally:
        await store.db.writer.execute("PRAGMA max_page_count = 1073741823")
        await store.close()
