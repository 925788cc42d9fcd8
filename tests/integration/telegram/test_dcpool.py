"""Media downloads through the per-DC pool: byte-exact from another DC, an
expired file reference refetched, limits from help.getAppConfig."""
from __future__ import annotations

import asyncio

from fakegram.faults import FaultRule
from tobsd.core.models import MediaKind
from tobsd.telegram.dcpool import DcPool


def world_bytes(world, key, msg_id) -> bytes:
    (message,) = world.get_messages(key, [msg_id])
    blob = message.media.file
    return world.read_file(blob, 0, blob.size)


async def big_file(source, world):
    chat = await source.resolve("@news")
    page = await source.history(chat, limit=5)
    msg = next(m for m in page.messages if m.media and m.media.kind is MediaKind.DOCUMENT)
    key = next(c.key for c in world.chats() if c.title == "News")
    return msg, key


async def test_download_from_another_dc_is_byte_exact(source, server, world, tmp_path):
    msg, key = await big_file(source, world)
    pool = DcPool(source)
    dest = tmp_path / "media" / "big.bin"
    size = await pool.download(msg.media.file_id, dest)
    assert size == msg.media.size == 600_123
    assert dest.read_bytes() == world_bytes(world, key, msg.id)
    assert {r["dc"] for r in server.request_log(method="upload.getFile") if not r["error"]} == {4}
    assert not list(dest.parent.glob(".*.part"))
    # Sized from the app config (5) capped by [limits].connections_per_dc (4).
    assert await pool.per_dc() == 4
    # A second download reuses the warm DC 4 connection: no new authorization.
    imports = len(server.request_log(method="auth.importAuthorization"))
    assert imports >= 1                      # the first one did authorize on DC 4
    await pool.download(msg.media.file_id, tmp_path / "again.bin")
    assert len(server.request_log(method="auth.importAuthorization")) == imports
    await pool.close()


async def test_expired_file_reference_is_refetched(source, server, world, tmp_path):
    msg, key = await big_file(source, world)
    server.faults.add(FaultRule(error="FILE_REFERENCE_EXPIRED", method="upload.getFile", dc=4,
                                times=2))
    dest = tmp_path / "big.bin"
    await DcPool(source).download(msg.media.file_id, dest)
    assert dest.read_bytes() == world_bytes(world, key, msg.id)
    errors = [r["error"] for r in server.request_log(method="upload.getFile")]
    assert errors.count("FILE_REFERENCE_EXPIRED") == 2


async def test_parallel_downloads_share_the_dc_budget(source, world, tmp_path):
    msg, key = await big_file(source, world)
    pool = DcPool(source, connections_per_dc=2)
    sizes = await asyncio.gather(*(pool.download(msg.media.file_id, tmp_path / f"{i}.bin")
                                   for i in range(3)))
    assert sizes == [600_123] * 3
    assert await pool.per_dc() == 2
