"""A stored copy whose file is gone from the vault (deleted by the user, or
with a removed chat's notes): the next download of that content lands a new
copy, and every note that showed the lost one shows the new one (a real
SQLite store and vault folder)."""
from __future__ import annotations

import dataclasses
import hashlib

from tests.conditions import wait_for
from tests.unit.media.test_queue import CHAT, JPEG, OTHER, make_queue, message, settle, source, store

__all__ = ["source", "store"]   # the fixtures, shared with test_queue


async def first_copy_landed(store, source, tmp_path):
    """A queue, running, whose message 1 of CHAT landed; with that message as shown."""
    source.add("a", "document:1", JPEG)
    q, vault, rendered = make_queue(store, source, tmp_path)
    first = message(CHAT, 1, "a", "document:1")
    await q.prepare(CHAT, [first])
    q.start()
    try:
        await wait_for(lambda: rendered == [(CHAT.id, [1])], what="the first copy landed")
        (shown,) = await settle(q, [first])
    except BaseException:
        await q.stop()
        raise
    return q, vault, rendered, first, shown


async def test_the_content_of_a_deleted_copy_lands_again_and_every_note_shows_it(store, source, tmp_path):
    source.add("b", "document:2", JPEG)      # the same bytes, uploaded again elsewhere
    q, vault, rendered, first, shown = await first_copy_landed(store, source, tmp_path)
    try:
        lost = vault / shown.media.path
        lost.unlink()                         # the user deleted the file
        second = message(OTHER, 2, "b", "document:2")
        await q.prepare(OTHER, [second])
        await wait_for(lambda: (CHAT.id, [1]) in rendered[1:] and (OTHER.id, [2]) in rendered,
                       what="both notes rewritten", describe=lambda: rendered)
        (again_first,) = await settle(q, [first])
        (again_second,) = await settle(q, [second], OTHER)
        assert again_first.media.path == again_second.media.path != shown.media.path
        assert (vault / again_first.media.path).read_bytes() == JPEG
        stored = await store.media.file(hashlib.sha256(JPEG).digest())
        assert stored.path == again_first.media.path and not stored.processed
    finally:
        await q.stop()


async def test_a_new_content_at_a_lost_copys_name_sends_the_old_content_back_to_the_queue(
        store, source, tmp_path):
    q, vault, _rendered, _first, shown = await first_copy_landed(store, source, tmp_path)
    await q.stop()
    (vault / shown.media.path).unlink()      # gone: its name is free again
    item = dataclasses.replace(await store.media.get(CHAT.id, 1), msg_id=5, state="queued", sha256=None)
    await store.media.insert([item])
    stored, moved = await store.media.land(item, b"\x01" * 32, shown.media.path, 3)
    assert stored.path == shown.media.path and moved == [(CHAT.id, 1)]
    assert await store.media.file(hashlib.sha256(JPEG).digest()) is None
    assert (await store.media.get(CHAT.id, 1)).state == "queued"
