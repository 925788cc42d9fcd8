"""upload.getFile and upload.getFileHashes: Telegram's offset/limit rules,
locations, DC migration, file references, hashes."""
from __future__ import annotations

import hashlib

import pytest
from telethon.tl import functions, types

from fakegram.rpc import RpcError
from fakegram.tl.methods.upload import check_range
from fakegram.tl.testkit import HandlerKit, sample_world

KB, MB = 1024, 1024 * 1024


@pytest.fixture(scope="module")
def world():
    return sample_world()


def find_media(world, kind, dc_id=None):
    for info in world.chats():
        for m in world.get_history(info.key, limit=100).messages:
            if m.media and m.media.kind == kind and (dc_id is None or m.media.dc_id == dc_id):
                return m.media
    raise AssertionError(kind)


def doc_location(media, file_reference=None, access_hash=None):
    return types.InputDocumentFileLocation(
        id=media.id, access_hash=media.access_hash if access_hash is None else access_hash,
        file_reference=media.file_reference if file_reference is None else file_reference,
        thumb_size="")


def get_file(location, offset, limit, precise=False):
    return functions.upload.GetFileRequest(location, offset, limit, precise=precise)


def everywhere(world):
    kit = HandlerKit(world)
    kit.login()
    return kit


async def expect(kit, request, code, message, **kw):
    with pytest.raises(RpcError) as info:
        await kit.call(request, **kw)
    assert (info.value.code, info.value.message) == (code, message)


@pytest.mark.parametrize("offset,limit,precise", [
    (0, 4 * KB, False), (0, 512 * KB, False), (MB, MB, False), (1020 * KB, 4 * KB, False),
    (3 * MB + 512 * KB, 512 * KB, False),
    (KB, KB, True), (5 * KB, 3 * KB, True), (MB - 3 * KB, 3 * KB, True),
])
def test_allowed_ranges(offset, limit, precise):
    check_range(offset, limit, precise)


@pytest.mark.parametrize("offset,limit,precise,error", [
    (0, 0, False, "LIMIT_INVALID"), (0, -4096, False, "LIMIT_INVALID"),
    (0, MB + 4 * KB, False, "LIMIT_INVALID"), (0, 3 * 4 * KB, False, "LIMIT_INVALID"),
    (0, 1000, False, "LIMIT_INVALID"), (KB, 4 * KB, False, "OFFSET_INVALID"),
    (-4096, 4096, False, "OFFSET_INVALID"),
    (512 * KB, MB, False, "LIMIT_INVALID"),                 # crosses the 1 MB boundary
    (0, 1500, True, "LIMIT_INVALID"), (100, KB, True, "OFFSET_INVALID"),
    (MB - KB, 2 * KB, True, "LIMIT_INVALID"),                # crosses even when precise
    (0, 2 * MB, True, "LIMIT_INVALID"),
])
def test_refused_ranges(offset, limit, precise, error):
    with pytest.raises(RpcError) as info:
        check_range(offset, limit, precise)
    assert info.value.message == error and info.value.code == 400


async def test_download_whole_document_in_parts(world):
    kit = everywhere(world)
    media = find_media(world, "document")
    dc = media.dc_id
    whole = world.read_file(media.file, 0, media.file.size)
    got, offset, part = b"", 0, 512 * KB
    while True:
        answer = await kit.call(get_file(doc_location(media), offset, part), dc_id=dc)
        got += answer.bytes
        if len(answer.bytes) < part:
            break
        offset += part
    assert got == whole and len(got) == media.file.size
    first = await kit.call(get_file(doc_location(media), 0, 4 * KB), dc_id=dc)
    assert isinstance(first.type, types.storage.FileUnknown) and first.mtime == media.date
    later = await kit.call(get_file(doc_location(media), 4 * KB, 4 * KB), dc_id=dc)
    assert isinstance(later.type, types.storage.FilePartial)
    beyond = await kit.call(get_file(doc_location(media), 8 * MB, 4 * KB), dc_id=dc)
    assert beyond.bytes == b""
    precise = await kit.call(get_file(doc_location(media), 5 * KB, 3 * KB, precise=True), dc_id=dc)
    assert precise.bytes == whole[5 * KB:8 * KB]


async def test_photo_sizes_and_types(world):
    kit = everywhere(world)
    media = find_media(world, "photo", dc_id=world.home_dc)
    for size in media.sizes:
        loc = types.InputPhotoFileLocation(media.id, media.access_hash, media.file_reference,
                                           thumb_size=size.type)
        answer = await kit.call(get_file(loc, 0, MB))
        assert answer.bytes == world.read_file(size.file, 0, size.file.size)
        assert isinstance(answer.type, types.storage.FileJpeg)
    bad = types.InputPhotoFileLocation(media.id, media.access_hash, media.file_reference, "q")
    await expect(kit, get_file(bad, 0, MB), 400, "LOCATION_INVALID")
    sticker = find_media(world, "sticker")
    answer = await kit.call(get_file(doc_location(sticker), 0, MB), dc_id=sticker.dc_id)
    assert isinstance(answer.type, types.storage.FileWebp)
    video = find_media(world, "video")
    answer = await kit.call(get_file(doc_location(video), 0, MB), dc_id=video.dc_id)
    assert isinstance(answer.type, types.storage.FileMp4)


async def test_file_migrate_reference_and_hash_checks(world):
    kit = HandlerKit(world)
    remote = find_media(world, "photo", dc_id=4)
    loc = types.InputPhotoFileLocation(remote.id, remote.access_hash, remote.file_reference, "x")
    await expect(kit, get_file(loc, 0, MB), 303, "FILE_MIGRATE_4", dc_id=2)
    kit.login(4)
    assert (await kit.call(get_file(loc, 0, MB), dc_id=4)).bytes
    stale = types.InputPhotoFileLocation(remote.id, remote.access_hash, b"\x02old", "x")
    await expect(kit, get_file(stale, 0, MB), 400, "FILE_REFERENCE_EXPIRED", dc_id=4)
    forged = types.InputPhotoFileLocation(remote.id, remote.access_hash ^ 1,
                                          remote.file_reference, "x")
    await expect(kit, get_file(forged, 0, MB), 400, "FILE_ID_INVALID", dc_id=4)
    unknown = types.InputDocumentFileLocation(12345, 1, b"", "")
    await expect(kit, get_file(unknown, 0, MB), 400, "FILE_ID_INVALID")
    await expect(kit, get_file(loc, 0, 3 * KB), 400, "LIMIT_INVALID", dc_id=4)
    await expect(kit, get_file(types.InputPeerPhotoFileLocation(types.InputPeerSelf(), 1), 0, MB),
                 400, "LOCATION_INVALID")


async def test_file_hashes(world):
    kit = everywhere(world)
    media = find_media(world, "document")
    dc = media.dc_id
    whole = world.read_file(media.file, 0, media.file.size)
    hashes = await kit.call(functions.upload.GetFileHashesRequest(doc_location(media), 0), dc_id=dc)
    assert [h.offset for h in hashes] == [i * 128 * KB for i in range(8)]
    for h in hashes:
        assert h.hash == hashlib.sha256(whole[h.offset:h.offset + h.limit]).digest()
        bytes(h)
    tail = await kit.call(functions.upload.GetFileHashesRequest(
        doc_location(media), 3 * MB + 5), dc_id=dc)
    assert [h.offset for h in tail] == [3 * MB]
    assert tail[0].limit == media.file.size - 3 * MB
    assert tail[0].hash == hashlib.sha256(whole[3 * MB:]).digest()
