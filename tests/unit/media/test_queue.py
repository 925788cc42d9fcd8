"""The download queue over a real SQLite store and a real vault folder, with
an in-memory file source and processor (the Telegram side has its own
integration tests against fakegram)."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.conditions import wait_for
from tobsd.core.config_media import MB, ChatMedia, MediaConfig
from tobsd.core.media import CompactProfile, DerivedFile, DerivedRole, ProcessResult
from tobsd.core.media_ports import ChunkHash, MediaGone, RemoteFile
from tobsd.core.models import Chat, ChatKind, MediaKind, MediaRef, Message
from tobsd.media import queue as queue_module
from tobsd.media.fetch import PartCorrupt, fetch
from tobsd.media.partial import PartialFile
from tobsd.media.queue import MediaQueue
from tobsd.store import Store
from tobsd.vault.mediafiles import attachment_name

CHAT = Chat(-1001, ChatKind.CHANNEL, "Chan")
OTHER = Chat(-1002, ChatKind.CHANNEL, "Other")
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 20


class FakeSource:
    """Files by file id; `fail[file_id]` errors to raise first; every read is logged."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[str, bytes]] = {}
        self.fail: dict[str, list[Exception]] = {}
        self.reads: list[tuple[str, int]] = []
        self.serve_hashes = True
        self.forgotten: list[str] = []
        self.expected: list[str] = []

    def add(self, file_id: str, key: str, data: bytes) -> None:
        self.files[file_id] = (key, data)

    async def locate(self, file_id: str) -> RemoteFile:
        if file_id not in self.files:
            raise MediaGone("gone")
        key, data = self.files[file_id]
        return RemoteFile(file_id, key, len(data), 2)

    def expect(self, file_ids) -> None:
        self.expected.extend(file_ids)

    async def streams(self, dc_id: int) -> int:
        return 3

    async def read(self, remote: RemoteFile, offset: int, limit: int) -> bytes:
        if self.fail.get(remote.file_id):
            raise self.fail[remote.file_id].pop(0)
        self.reads.append((remote.file_id, offset))
        return self.files[remote.file_id][1][offset:offset + limit]

    async def hashes(self, remote: RemoteFile, offset: int):
        if not self.serve_hashes:
            return None
        data = self.files[remote.file_id][1]
        step = 128 * 1024
        return [ChunkHash(o, len(data[o:o + step]), hashlib.sha256(data[o:o + step]).digest())
                for o in range(offset, min(len(data), offset + 8 * step), step)]

    def forget(self, file_id: str) -> None:
        self.forgotten.append(file_id)

    def stats(self) -> dict:
        return {"reads": len(self.reads)}


class FakeProcessor:
    """Writes a `<stem>.ogg` beside a voice note and says what it heard."""

    def __init__(self) -> None:
        self.requests = []

    def wants(self, kind, *, compact, transcribe):
        return kind is MediaKind.VOICE

    async def process(self, request):
        self.requests.append(request)
        out = request.out_dir / f"{request.stem}.play.ogg"
        out.write_bytes(b"OggS remuxed")
        return ProcessResult(derived=(DerivedFile(out, DerivedRole.PLAYABLE),), transcript="hello there")

    def report(self):
        return None

    async def close(self):
        pass


def message(chat: Chat, msg_id: int, file_id: str, key: str, *, kind=MediaKind.PHOTO, size=None,
            mime="image/jpeg", name=None) -> Message:
    return Message(chat_id=chat.id, id=msg_id, date=datetime(2024, 1, 1, tzinfo=timezone.utc),
                   media=MediaRef(kind, file_id=file_id, media_key=key, size=size, mime=mime,
                                  file_name=name))


@pytest.fixture
async def store(tmp_path):
    s = await Store.open(tmp_path / "state" / "tobsd.db")
    yield s
    await s.close()


@pytest.fixture
def source():
    return FakeSource()


def make_queue(store, source, tmp_path, **kw):
    vault = tmp_path / "vault"
    vault.mkdir(exist_ok=True)
    rendered: list[tuple[int, list[int]]] = []

    async def folder(chat):
        return f"Telegram/{chat.title}/attachments"

    async def rerender(chat_id, ids):
        rendered.append((chat_id, ids))

    q = MediaQueue(store.media, source, vault_dir=vault, state_dir=tmp_path / "state", folder=folder,
                   name=attachment_name, **kw)
    q.rerender = rerender
    return q, vault, rendered


async def settle(q, msgs, chat=CHAT):
    """Prepare copies of `msgs` again, as the engine's rerender does."""
    fresh = [message(chat, m.id, m.media.file_id, m.media.media_key, kind=m.media.kind,
                     size=m.media.size, mime=m.media.mime, name=m.media.file_name) for m in msgs]
    await q.prepare(chat, fresh)
    return fresh


async def test_a_note_names_the_final_file_at_once_and_shows_it_downloading(store, source, tmp_path):
    source.add("f1", "photo:1", JPEG)
    q, vault, rendered = make_queue(store, source, tmp_path)
    msg = message(CHAT, 7, "f1", "photo:1", size=len(JPEG))
    await q.prepare(CHAT, [msg])   # no worker runs yet: nothing waits for a download
    assert msg.media.path == "Telegram/Chan/attachments/7_photo.jpg"
    assert msg.media.status == "downloading"
    q.start()
    try:
        await wait_for(lambda: rendered == [(CHAT.id, [7])], what="the note rewritten once")
        (again,) = await settle(q, [msg])
        assert again.media.path == "Telegram/Chan/attachments/7_photo.jpg" and again.media.status is None
        assert (vault / again.media.path).read_bytes() == JPEG
        item = await store.media.get(CHAT.id, 7)
        assert item.state == "done" and item.sha256 == hashlib.sha256(JPEG).digest()
        assert source.forgotten == ["f1"]
        assert not any((tmp_path / "state" / "media-partial").iterdir())
    finally:
        await q.stop()


async def test_a_forwarded_file_is_fetched_once_and_every_note_links_the_one_copy(store, source, tmp_path):
    source.add("a", "document:9", JPEG)
    source.add("b", "document:9", JPEG)         # the same file forwarded to another chat
    source.add("c", "document:10", JPEG)        # re-uploaded: another id, the same bytes
    q, vault, rendered = make_queue(store, source, tmp_path)
    first, second = message(CHAT, 1, "a", "document:9"), message(OTHER, 2, "b", "document:9")
    third = message(OTHER, 3, "c", "document:10")
    await q.prepare(CHAT, [first])
    await q.prepare(OTHER, [second, third])
    q.start()
    try:
        await wait_for(lambda: len(rendered) == 3, what="three notes rewritten",
                       describe=lambda: rendered)
        paths = set()
        for chat, m in ((CHAT, first), (OTHER, second), (OTHER, third)):
            (again,) = await settle(q, [m], chat)
            assert again.media.status is None
            paths.add(again.media.path)
        assert len(paths) == 1 and (vault / paths.pop()).read_bytes() == JPEG
        fetched = {f for f, _ in source.reads}
        assert "c" in fetched and len(fetched & {"a", "b"}) == 1   # one forward fetched, not both
        assert q.counters.dedup_by_id == 1 and q.counters.dedup_by_content == 1
        assert await store.media.stored_bytes() == len(JPEG)
        assert await store.media.referenced_bytes() == 3 * len(JPEG)
        files = [p for p in vault.rglob("*") if p.is_file()]
        assert len(files) == 1
        # Deleting messages never removes a copy another note still links.
        q.set_chat(CHAT.id, ChatMedia(), drop_done=True)
        q.set_chat(OTHER.id, ChatMedia(), drop_done=True)
        await q.released(CHAT.id, [1])
        await q.released(OTHER.id, [2])
        assert files[0].exists()
        await q.released(OTHER.id, [3])
        assert not files[0].exists()
    finally:
        await q.stop()


async def test_failures_retry_with_backoff_then_land(store, source, tmp_path, monkeypatch):
    monkeypatch.setattr(queue_module, "BACKOFF_S", 0.05)
    source.add("f", "photo:2", JPEG)
    source.fail["f"] = [ConnectionError("reset"), TimeoutError()]
    q, vault, rendered = make_queue(store, source, tmp_path)
    msg = message(CHAT, 3, "f", "photo:2")
    await q.prepare(CHAT, [msg])
    q.start()
    try:
        await wait_for(lambda: rendered, what="the note rewritten")
        item = await store.media.get(CHAT.id, 3)
        assert item.state == "done" and item.attempts == 2 and q.counters.retries == 2
    finally:
        await q.stop()


async def test_a_file_that_keeps_failing_is_given_up_and_shown(store, source, tmp_path, monkeypatch):
    monkeypatch.setattr(queue_module, "BACKOFF_S", 0.01)
    monkeypatch.setattr(queue_module, "MAX_ATTEMPTS", 2)
    source.add("f", "photo:3", JPEG)
    source.fail["f"] = [ConnectionError("reset")] * 5
    q, vault, rendered = make_queue(store, source, tmp_path)
    msg = message(CHAT, 4, "f", "photo:3")
    await q.prepare(CHAT, [msg])
    q.start()
    try:
        await wait_for(lambda: rendered, what="the note rewritten")
        (again,) = await settle(q, [msg])
        assert again.media.status == "failed" and "reset" in again.media.status_detail
        status = await q.status()
        assert status["chats"][CHAT.id]["counts"] == {"failed": 1}
        assert "reset" in status["chats"][CHAT.id]["errors"][0]
    finally:
        await q.stop()


async def test_kinds_size_and_budget_decide_what_is_fetched(store, source, tmp_path):
    big = JPEG * 100
    source.add("v", "document:5", b"OggS" + bytes(100))
    source.add("big", "photo:6", big)
    source.add("p", "photo:7", JPEG)
    q, vault, rendered = make_queue(store, source, tmp_path,
                                    config=MediaConfig(disk_budget_mb=1))
    q.set_chat(CHAT.id, ChatMedia(kinds=frozenset({"photo"}), max_size=10 * MB))
    voice = message(CHAT, 1, "v", "document:5", kind=MediaKind.VOICE, mime="audio/ogg")
    huge = message(CHAT, 2, "big", "photo:6", size=11 * MB)
    await q.prepare(CHAT, [voice, huge])
    assert voice.media.status == "skipped" and "voice" in voice.media.status_detail
    assert huge.media.status == "skipped" and "10 MB" in huge.media.status_detail
    assert voice.media.path is None and huge.media.path is None
    await store.media.land(await store.media.get(CHAT.id, 1), b"x" * 32, "Telegram/x.bin", MB)
    photo = message(CHAT, 3, "p", "photo:7", size=len(JPEG))
    await q.prepare(CHAT, [photo])
    q.start()
    try:
        await wait_for(lambda: (CHAT.id, [3]) in rendered, what="the photo's note rewritten")
        (again,) = await settle(q, [photo])
        assert again.media.status == "skipped" and "budget" in again.media.status_detail
        assert (await q.status())["disk"]["budget_reached"]
        assert source.reads == []
    finally:
        await q.stop()


async def test_a_processed_voice_note_embeds_the_playable_file_and_transcript(store, source, tmp_path):
    source.add("v", "document:8", b"OggS" + bytes(300))
    processor = FakeProcessor()
    q, vault, rendered = make_queue(store, source, tmp_path, processor=processor)
    voice = message(CHAT, 5, "v", "document:8", kind=MediaKind.VOICE, mime="audio/ogg")
    await q.prepare(CHAT, [voice])
    q.start()
    try:
        await wait_for(lambda: rendered, what="the note rewritten")
        (again,) = await settle(q, [voice])
        assert again.media.derived == ((DerivedRole.PLAYABLE, "Telegram/Chan/attachments/5_voice.play.ogg"),)
        assert again.media.transcript == "hello there"
        assert processor.requests[0].transcribe and processor.requests[0].source == vault / again.media.path
    finally:
        await q.stop()


class RecordingProcessor:
    """Wants every kind, makes nothing, and keeps each request and `wants` call."""

    def __init__(self) -> None:
        self.requests = []
        self.asked = []

    def wants(self, kind, *, compact, transcribe):
        self.asked.append((kind, compact))
        return True

    async def process(self, request):
        self.requests.append(request)
        return ProcessResult()

    def report(self):
        return None

    async def close(self):
        pass


async def test_only_a_compact_chats_videos_carry_the_compact_profile(store, source, tmp_path):
    profile = CompactProfile(max_height=360, max_kbps=900)
    # Each file is a different content: processing is once per stored file.
    for n in range(1, 5):
        source.add(f"v{n}", f"document:{n}", b"\x00\x00\x00\x18ftypmp42" + bytes([n]) * 400)
    processor = RecordingProcessor()
    q, vault, rendered = make_queue(store, source, tmp_path, processor=processor)
    q.set_chat(CHAT.id, ChatMedia(compact=profile))
    q.set_chat(OTHER.id, ChatMedia())
    progress: list[int] = []
    q.on_progress = lambda: progress.append(1)
    compact_video = message(CHAT, 1, "v1", "document:1", kind=MediaKind.VIDEO, mime="video/mp4")
    compact_round = message(CHAT, 2, "v2", "document:2", kind=MediaKind.ROUND, mime="video/mp4")
    plain_video = message(OTHER, 3, "v3", "document:3", kind=MediaKind.VIDEO, mime="video/mp4")
    await q.prepare(CHAT, [compact_video, compact_round])
    await q.prepare(OTHER, [plain_video])
    q.start()
    try:
        await wait_for(lambda: len(processor.requests) == 3, what="three files processed",
                       describe=lambda: processor.requests)
        # Each finished item tells the daemon its status changed.
        await wait_for(lambda: len(progress) == 3, what="progress announced per item",
                       describe=lambda: progress)
        by_message = {r.source.name.split("_", 1)[0]: r for r in processor.requests}
        assert by_message["1"].kind is MediaKind.VIDEO and by_message["1"].compact == profile
        assert by_message["2"].kind is MediaKind.ROUND and by_message["2"].compact is None
        assert by_message["3"].kind is MediaKind.VIDEO and by_message["3"].compact is None
        assert sorted(processor.asked, key=lambda a: (a[0].value, a[1])) == [
            (MediaKind.ROUND, False), (MediaKind.VIDEO, False), (MediaKind.VIDEO, True)]
        # A chat the queue has no settings for gets no profile either.
        unknown = Chat(-1003, ChatKind.CHANNEL, "Unknown")
        await q.prepare(unknown, [message(unknown, 4, "v4", "document:4", kind=MediaKind.VIDEO,
                                          mime="video/mp4")])
        q.wake()
        await wait_for(lambda: len(processor.requests) == 4, what="the fourth file processed")
        assert processor.requests[3].compact is None and processor.requests[3].kind is MediaKind.VIDEO
    finally:
        await q.stop()


async def test_a_deleted_message_stops_its_download_and_drops_its_partial_file(store, source, tmp_path):
    source.add("f", "photo:11", JPEG)
    q, vault, rendered = make_queue(store, source, tmp_path)
    msg = message(CHAT, 9, "f", "photo:11")
    await q.prepare(CHAT, [msg])
    partial = PartialFile(tmp_path / "state" / "media-partial", "photo:11")
    partial.open()
    partial.close()
    await q.released(CHAT.id, [9])
    assert not partial.data_path.exists()
    (again,) = await settle(q, [msg])
    assert again.media.status == "failed" and "deleted" in again.media.status_detail


async def test_a_resumed_download_fetches_only_the_parts_it_lacks(source, tmp_path):
    data = bytes(range(256)) * (4096 * 3 + 2048)    # 3.5 MiB: four parts
    source.add("f", "document:1", data)
    remote = await source.locate("f")
    first = PartialFile(tmp_path, "document:1")
    first.open()
    first.write(0, 0, data[:1 << 20])
    first.write(2, 2 << 20, data[2 << 20:3 << 20])
    first.close()
    with open(first.journal_path, "ab") as fh:
        fh.write(b"3")                       # a torn line: no newline, not a whole record
    again = PartialFile(tmp_path, "document:1")
    stats = await fetch(source, remote, again, streams=3)
    again.close()
    assert sorted(o for _, o in source.reads) == [1 << 20, 3 << 20]
    assert stats.resumed == 2 and stats.fetched == 2 and stats.hash_checked == 2
    assert again.data_path.read_bytes() == data and stats.sha256 == hashlib.sha256(data).hexdigest()


async def test_bytes_that_do_not_match_telegrams_hashes_are_not_recorded(source, tmp_path):
    data = JPEG * 10
    source.add("f", "document:2", data)
    remote = await source.locate("f")
    real_read = source.read

    async def corrupt(remote, offset, limit):
        chunk = await real_read(remote, offset, limit)
        return b"\x00" + chunk[1:]
    source.read = corrupt
    partial = PartialFile(tmp_path, "document:2")
    with pytest.raises(PartCorrupt):
        await fetch(source, remote, partial, streams=1)
    partial.close()
    assert PartialFile(tmp_path, "document:2").open() == set()


async def test_a_stop_between_landing_and_the_rewrite_is_caught_up_at_start(store, source, tmp_path):
    source.add("f", "photo:12", JPEG)
    q, vault, rendered = make_queue(store, source, tmp_path)
    await q.prepare(CHAT, [message(CHAT, 6, "f", "photo:12")])
    item = await store.media.get(CHAT.id, 6)
    await store.media.land(item, hashlib.sha256(JPEG).digest(), "Telegram/Chan/attachments/6_photo.jpg",
                           len(JPEG))          # landed, and the stop came before the rewrite
    q.start()
    try:
        await wait_for(lambda: rendered == [(CHAT.id, [6])], what="the note rewritten at start")
        assert await store.media.unshown() == {}
    finally:
        await q.stop()


async def test_an_edit_that_replaces_the_file_plans_the_new_one(store, source, tmp_path):
    q, vault, rendered = make_queue(store, source, tmp_path)
    await q.prepare(CHAT, [message(CHAT, 8, "f", "photo:13")])
    edited = message(CHAT, 8, "f", "photo:14", mime="application/pdf")
    await q.prepare(CHAT, [edited])
    item = await store.media.get(CHAT.id, 8)
    assert item.tg_key == "photo:14" and item.state == "queued" and edited.media.path.endswith(".pdf")


async def test_a_symlink_in_the_vault_path_never_leads_a_file_outside(store, source, tmp_path, monkeypatch):
    monkeypatch.setattr(queue_module, "BACKOFF_S", 0.01)
    monkeypatch.setattr(queue_module, "MAX_ATTEMPTS", 2)
    source.add("f", "photo:20", JPEG)
    q, vault, rendered = make_queue(store, source, tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (vault / "Telegram").symlink_to(outside)
    msg = message(CHAT, 10, "f", "photo:20")
    await q.prepare(CHAT, [msg])
    q.start()
    try:
        await wait_for(lambda: rendered, what="the note rewritten")
        item = await store.media.get(CHAT.id, 10)
        assert item.state == "failed" and "symbolic link" in item.error
        assert not any(outside.rglob("*"))
    finally:
        await q.stop()
