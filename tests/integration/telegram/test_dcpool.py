"""Media bytes through the per-DC pool against fakegram: parallel 1 MiB
parts from another DC on several connections, byte-exact; an expired file
reference refreshed mid-file; FILE_MIGRATE followed; hashes checked; a
partial file resumed without refetching what it holds."""
from __future__ import annotations

from fakegram.faults import FaultRule
from tobsd.core.models import MediaKind
from tobsd.media.chunks import valid_part
from tobsd.media.fetch import fetch
from tobsd.media.partial import PartialFile
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


async def download(pool, file_id, folder, key="f"):
    remote = await pool.locate(file_id)
    partial = PartialFile(folder, key)
    stats = await fetch(pool, remote, partial, streams=await pool.streams(remote.dc_id))
    partial.close()
    return stats, partial.data_path.read_bytes()


async def test_parallel_parts_from_another_dc_are_byte_exact(source, server, world, tmp_path):
    msg, key = await big_file(source, world)
    pool = DcPool(source)
    stats, data = await download(pool, msg.media.file_id, tmp_path)
    assert len(data) == stats.size == msg.media.size == 600_123
    assert data == world_bytes(world, key, msg.id)
    log = [r for r in server.request_log(method="upload.getFile") if not r["error"]]
    assert {r["dc"] for r in log} == {4}
    # Sized from the app config (5) capped by [limits].connections_per_dc (4),
    # and the scheduler bounds part requests per DC by the same number.
    assert await pool.per_dc() == 4 == source.scheduler.in_flight_limit("upload.getFile")
    assert 1 <= pool.stats()["connections"][4] <= 4   # opened as parts need them
    # Every part asked for follows upload.getFile's offset/limit rules.
    assert stats.hash_checked == stats.parts == 1
    imports = len(server.request_log(method="auth.importAuthorization"))
    assert imports == 1   # one authorisation on DC 4, whatever the connections
    await download(pool, msg.media.file_id, tmp_path, "again")
    assert len(server.request_log(method="auth.importAuthorization")) == imports
    await pool.close()


async def test_expired_file_reference_is_refreshed(source, server, world, tmp_path):
    msg, key = await big_file(source, world)
    server.faults.add(FaultRule(error="FILE_REFERENCE_EXPIRED", method="upload.getFile", dc=4, times=2))
    pool = DcPool(source)
    _stats, data = await download(pool, msg.media.file_id, tmp_path)
    assert data == world_bytes(world, key, msg.id)
    errors = [r["error"] for r in server.request_log(method="upload.getFile")]
    assert errors.count("FILE_REFERENCE_EXPIRED") == 2
    assert pool.refetches == 2
    await pool.close()


async def test_file_migrate_is_followed(source, server, world, tmp_path):
    msg, key = await big_file(source, world)
    pool = DcPool(source)
    remote = await pool.locate(msg.media.file_id)
    pool._files[remote.file_id].dc_id = 2      # as if the message named the wrong DC
    partial = PartialFile(tmp_path, "m")
    await fetch(pool, remote, partial, streams=2)
    partial.close()
    assert partial.data_path.read_bytes() == world_bytes(world, key, msg.id)
    assert pool.migrations >= 1
    assert any(r["error"] == "FILE_MIGRATE_4" for r in server.request_log(method="upload.getFile"))
    await pool.close()


def test_parts_follow_telegrams_rules():
    mib = 1024 * 1024
    assert valid_part(0, mib) and valid_part(5 * mib, mib)
    assert not valid_part(4096, mib)          # crosses a 1 MiB boundary
    assert not valid_part(0, 3 * 4096)        # 1 MiB not divisible by the limit
    assert not valid_part(100, 4096)          # offset not divisible by 4096


async def test_references_that_expire_on_schedule_are_refreshed(source, server, world, tmp_path):
    msg, key = await big_file(source, world)
    pool = DcPool(source)
    remote = await pool.locate(msg.media.file_id)
    server.file_ref_ttl_s = 3600
    server.expire_refs_on_schedule(server._refs_since + 3600)   # the hour passed: every reference expired
    partial = PartialFile(tmp_path, "s")
    await fetch(pool, remote, partial, streams=2)
    partial.close()
    assert partial.data_path.read_bytes() == world_bytes(world, key, msg.id)
    assert pool.refetches == 1
    assert [r["error"] for r in server.request_log(method="upload.getFile")].count("FILE_REFERENCE_EXPIRED") == 1
    await pool.close()


async def test_a_flood_wait_on_parts_holds_that_dc_and_the_file_completes(source, server, world, tmp_path):
    msg, key = await big_file(source, world)
    server.faults.add(FaultRule(error="FLOOD_WAIT_1", code=420, method="upload.getFile", dc=4, times=1))
    pool = DcPool(source)
    _stats, data = await download(pool, msg.media.file_id, tmp_path)
    assert data == world_bytes(world, key, msg.id)
    assert source.scheduler.flood_waits_seen >= 1
    assert any(r["error"] == "FLOOD_WAIT_1" for r in server.request_log(method="upload.getFile"))
    await pool.close()
