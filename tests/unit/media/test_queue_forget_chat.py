"""A chat removed while its media are downloading or being processed: the
queue cancels its downloads, waits for processing already under way, drops
its queue entries and partial files, and nothing of the chat reaches the
vault once `forget_chat` returns (a real SQLite store and vault folder)."""
from __future__ import annotations

import asyncio

from tests.conditions import wait_for
from tests.unit.media.test_queue import (CHAT, JPEG, OTHER, FakeProcessor, FakeSource, make_queue,
                                         message, store)
from tobsd.core.models import MediaKind
from tobsd.media.partial import PartialFile

__all__ = ["store"]   # the fixture, shared with test_queue


class GatedSource(FakeSource):
    """Reads of the files in `held` wait until `gate` opens; `reading` is set by the first."""

    def __init__(self, held: set[str]) -> None:
        super().__init__()
        self.held = held
        self.gate = asyncio.Event()
        self.reading = asyncio.Event()

    async def read(self, remote, offset, limit):
        if remote.file_id in self.held:
            self.reading.set()
            await self.gate.wait()
        return await super().read(remote, offset, limit)


class GatedProcessor(FakeProcessor):
    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.running = asyncio.Event()

    async def process(self, request):
        self.running.set()
        await self.gate.wait()
        return await super().process(request)


def files_under(folder) -> dict:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


async def test_a_removed_chats_download_is_cancelled_and_nothing_lands_after(store, tmp_path):
    source = GatedSource({"held"})
    source.add("held", "photo:1", JPEG)
    source.add("later", "photo:2", JPEG + b"2")
    source.add("other", "photo:3", JPEG + b"3")
    q, vault, rendered = make_queue(store, source, tmp_path, workers=1)
    await q.prepare(CHAT, [message(CHAT, 1, "held", "photo:1"), message(CHAT, 2, "later", "photo:2")])
    q.start()
    try:
        await asyncio.wait_for(source.reading.wait(), 30)   # message 1 is mid-download
        await q.prepare(OTHER, [message(OTHER, 5, "other", "photo:3")])
        await q.forget_chat(CHAT.id)
        before = files_under(vault)
        assert await store.media.get_many(CHAT.id, [1, 2]) == {}
        assert not PartialFile(tmp_path / "state" / "media-partial", "photo:1").data_path.exists()
        source.gate.set()    # the cancelled request's answer would come now
        await wait_for(lambda: (OTHER.id, [5]) in rendered, what="the other chat's file landed")
        after = files_under(vault)
        assert set(after) - set(before) == {vault / "Telegram/Other/attachments/5_photo.jpg"}
        assert not (vault / "Telegram" / "Chan").exists()
        assert [r for r in rendered if r[0] == CHAT.id] == []
        assert [f for f, _ in source.reads] == ["other"]    # message 2 was never fetched
    finally:
        await q.stop()


async def test_processing_under_way_ends_before_the_chat_is_forgotten(store, tmp_path):
    source = FakeSource()
    source.add("v", "document:7", b"OggS voice")
    processor = GatedProcessor()
    q, vault, rendered = make_queue(store, source, tmp_path, processor=processor)
    await q.prepare(CHAT, [message(CHAT, 3, "v", "document:7", kind=MediaKind.VOICE, mime="audio/ogg")])
    q.start()
    try:
        await asyncio.wait_for(processor.running.wait(), 30)
        forgetting = asyncio.create_task(q.forget_chat(CHAT.id))
        # The processing thread still writes: it waits for it (a chance to end wrongly, not a sync).
        finished, _ = await asyncio.wait({forgetting}, timeout=0.5)
        assert not finished
        processor.gate.set()
        await asyncio.wait_for(forgetting, 30)
        # What processing wrote is there before forget_chat returned; the note is not rewritten.
        assert any(p.name.endswith(".play.ogg") for p in vault.rglob("*"))
        assert [r for r in rendered if r[0] == CHAT.id] == []
    finally:
        await q.stop()
