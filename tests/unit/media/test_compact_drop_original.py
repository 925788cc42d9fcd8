"""`compact_keep_original = false`: once a video's compact copy is made, the
original goes, but only when no chat that keeps originals shows it (a real
SQLite store and vault folder; the processor writes the compact file)."""
from __future__ import annotations

from tests.conditions import wait_for
from tests.unit.media.test_queue import CHAT, OTHER, make_queue, message, settle, source, store
from tobsd.core.config_media import ChatMedia
from tobsd.core.media import CompactProfile, DerivedFile, DerivedRole, ProcessResult
from tobsd.core.models import MediaKind

__all__ = ["source", "store"]   # the fixtures, shared with test_queue

MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(range(200)) * 4
DROP = CompactProfile(max_height=360, max_kbps=400, keep_original=False)


class CompactingProcessor:
    """Writes `<stem>.compact.mp4` and asks to drop the original when the profile says so."""

    def __init__(self) -> None:
        self.requests = []

    def wants(self, kind, *, compact, transcribe):
        return kind is MediaKind.VIDEO and compact

    async def process(self, request):
        self.requests.append(request)
        out = request.out_dir / f"{request.stem}.compact.mp4"
        out.write_bytes(b"small")
        return ProcessResult(derived=(DerivedFile(out, DerivedRole.COMPACT),),
                             remove_original=not request.compact.keep_original)

    def report(self):
        return None

    async def close(self):
        pass


def video(chat, msg_id, file_id):
    return message(chat, msg_id, file_id, "document:1", kind=MediaKind.VIDEO, mime="video/mp4")


async def test_the_original_goes_once_its_compact_copy_is_shown(store, source, tmp_path):
    source.add("v", "document:1", MP4)
    processor = CompactingProcessor()
    q, vault, rendered = make_queue(store, source, tmp_path, processor=processor)
    q.set_chat(CHAT.id, ChatMedia(compact=DROP))
    first = video(CHAT, 1, "v")
    await q.prepare(CHAT, [first])
    original = vault / first.media.path
    q.start()
    try:
        await wait_for(lambda: len(rendered) >= 2 and not original.exists(),
                       what="the compact copy shown and the original removed", describe=lambda: rendered)
        (shown,) = await settle(q, [first])
        assert shown.media.path.endswith(".compact.mp4") and (vault / shown.media.path).read_bytes() == b"small"
        assert shown.media.status is None
        stored = await store.media.file((await store.media.get(CHAT.id, 1)).sha256)
        assert stored.path == shown.media.path and stored.size == len(b"small")
    finally:
        await q.stop()


async def test_the_original_stays_while_a_chat_that_keeps_originals_shows_it(store, source, tmp_path):
    source.add("v", "document:1", MP4)
    source.add("w", "document:1", MP4)     # the same file, forwarded to a chat without the profile
    processor = CompactingProcessor()
    q, vault, rendered = make_queue(store, source, tmp_path, processor=processor, workers=1)
    q.set_chat(OTHER.id, ChatMedia(compact=DROP))
    q.set_chat(CHAT.id, ChatMedia())
    dropping, kept = video(OTHER, 1, "v"), video(CHAT, 2, "w")
    await q.prepare(OTHER, [dropping])
    await q.prepare(CHAT, [kept])
    q.start()
    try:
        # One download (the other message joins it before processing), one compact copy.
        await wait_for(lambda: {c for c, _ in rendered} == {OTHER.id, CHAT.id} and processor.requests,
                       what="both notes shown and the copy processed", describe=lambda: rendered)
        assert len(processor.requests) == 1 and processor.requests[0].compact == DROP
        for chat, m in ((OTHER, dropping), (CHAT, kept)):
            (shown,) = await settle(q, [m], chat)
            assert (vault / shown.media.path).read_bytes() == MP4, chat
    finally:
        await q.stop()
