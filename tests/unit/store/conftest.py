"""Fixtures for the store tests: real SQLite files in tmp_path."""

from __future__ import annotations

import pytest

from tobsd.store import IndexEntry, Store

CHAT = -1001000000001
OTHER = 42


def entry(msg_id: int, chat_id: int = CHAT, note: str = "Telegram/Chan/2024-01-01.md", **kw) -> IndexEntry:
    return IndexEntry(chat_id=chat_id, msg_id=msg_id, date=1_700_000_000 + msg_id, note_path=note,
                      content_hash=kw.pop("content_hash", msg_id.to_bytes(8, "little")), **kw)


@pytest.fixture
async def store(tmp_path):
    s = await Store.open(tmp_path / "tobsd.db")
    await s.applied.wait_ready()
    await s.chats.upsert(CHAT, "channel", "Chan", "chan")
    await s.chats.upsert(OTHER, "user", "Alice", "alice")
    yield s
    await s.close()
