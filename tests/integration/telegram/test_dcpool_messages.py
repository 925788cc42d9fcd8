"""Locating many files costs few message requests (fakegram over real TCP,
the real Telethon client): the download queue's next files are announced
with `expect`, and their messages come in one request per chat and 100."""
from __future__ import annotations

import asyncio

import pytest

from fakegram.testing import BOB
from fakegram.world import WorldBuilder
from tobsd.telegram.dcpool import DcPool


@pytest.fixture
def world():
    b = WorldBuilder(seed=11)
    bob = b.user(id=BOB, first_name="Bob")
    docs = b.channel("Docs", username="docs")
    with_bob = b.private(bob)
    for i in range(30):
        b.message(docs, f"file {i}", media=b.document(size=1000 + i, file_name=f"f{i}.bin"))
    for i in range(5):
        b.message(with_bob, f"photo {i}", from_id=BOB, media=b.photo())
    return b.build()


async def files_of(source, ref: str) -> list:
    chat = await source.resolve(ref) if ref.startswith("@") else \
        next(c for c in await source.dialogs() if c.title == ref)
    page = await source.history(chat, limit=100)
    return [m for m in page.messages if m.media and m.media.file_id]


def message_requests(server) -> int:
    return sum(len(server.request_log(method=m)) for m in ("channels.getMessages", "messages.getMessages"))


async def test_announced_files_are_located_with_one_request_per_chat(source, server, tmp_path):
    docs = await files_of(source, "@docs")
    photos = await files_of(source, "Bob")
    assert len(docs) == 30 and len(photos) == 5
    pool = DcPool(source)
    before = message_requests(server)
    pool.expect(m.media.file_id for m in docs + photos)
    located = []
    for m in docs + photos:     # one after another, as downloads start
        located.append(await pool.locate(m.media.file_id))
    assert [r.size for r in located] == [m.media.size for m in docs + photos]
    assert message_requests(server) - before == 2          # one per chat
    # Without the hint, locates made at once still share requests.
    again = DcPool(source)
    before = message_requests(server)
    await asyncio.gather(*(again.locate(m.media.file_id) for m in docs))
    assert message_requests(server) - before <= 2
    await pool.close()
    await again.close()
