"""upload.getFile / upload.getFileHashes with Telegram's rules.

getFile checks, in order: the offset/limit rules (LIMIT_INVALID,
OFFSET_INVALID), the location (FILE_ID_INVALID for an unknown id or a wrong
access hash, LOCATION_INVALID for an unknown thumbnail size), the DC
(FILE_MIGRATE_X, code 303, when the file lives elsewhere) and the file
reference (FILE_REFERENCE_EXPIRED when it is not the world's current one).
"""
from __future__ import annotations

import hashlib

from telethon.tl import functions, types

from ...rpc import RequestContext, RpcError
from ...world.model import FileBlob, Media
from ..build import get_type, make

MAX_PART = 1024 * 1024          # 1 MB: the largest part and the block a part stays in
SMALL_ALIGN = 4096
PRECISE_ALIGN = 1024
HASH_PART = 128 * 1024          # upload.getFileHashes range size
HASH_RANGES = 8                 # ranges per getFileHashes answer (1 MB)

# MIME type -> storage.FileType class name.
_FILE_TYPES = {
    "image/jpeg": "FileJpeg", "image/gif": "FileGif", "image/png": "FilePng",
    "image/webp": "FileWebp", "application/pdf": "FilePdf", "audio/mpeg": "FileMp3",
    "video/quicktime": "FileMov", "video/mp4": "FileMp4",
}


def check_range(offset: int, limit: int, precise: bool) -> None:
    """Raise LIMIT_INVALID / OFFSET_INVALID when (offset, limit) breaks the rules:
    0 < limit <= 1 MB; without precise, offset and limit multiples of 4 KB and
    1 MB divisible by limit; with precise, both multiples of 1 KB; either way
    the part must not cross a 1 MB boundary."""
    if limit <= 0 or limit > MAX_PART:
        raise RpcError(400, "LIMIT_INVALID")
    if offset < 0:
        raise RpcError(400, "OFFSET_INVALID")
    if precise:
        if limit % PRECISE_ALIGN:
            raise RpcError(400, "LIMIT_INVALID")
        if offset % PRECISE_ALIGN:
            raise RpcError(400, "OFFSET_INVALID")
    else:
        if limit % SMALL_ALIGN or MAX_PART % limit:
            raise RpcError(400, "LIMIT_INVALID")
        if offset % SMALL_ALIGN:
            raise RpcError(400, "OFFSET_INVALID")
    if offset // MAX_PART != (offset + limit - 1) // MAX_PART:
        raise RpcError(400, "LIMIT_INVALID")


def locate(ctx: RequestContext, location) -> tuple[Media, FileBlob]:
    """The media and the file a location names, after the id, access hash,
    DC and file reference checks."""
    if isinstance(location, types.InputPhotoFileLocation):
        thumb = location.thumb_size
    elif isinstance(location, types.InputDocumentFileLocation):
        thumb = location.thumb_size or ""
    else:
        raise RpcError(400, "LOCATION_INVALID")
    media = ctx.world.media(location.id)
    if media is None or media.access_hash != location.access_hash:
        raise RpcError(400, "FILE_ID_INVALID")
    if isinstance(location, types.InputPhotoFileLocation) != (media.kind == "photo"):
        raise RpcError(400, "FILE_ID_INVALID")
    blob = ctx.world.media_file(location.id, thumb)
    if blob is None:
        raise RpcError(400, "LOCATION_INVALID")
    dc_id = blob.dc_id or media.dc_id
    if dc_id != ctx.dc_id:
        raise RpcError(303, f"FILE_MIGRATE_{dc_id}")
    if bytes(location.file_reference or b"") != media.file_reference:
        raise RpcError(400, "FILE_REFERENCE_EXPIRED")
    return media, blob


def file_type(mime: str, offset: int):
    """storage.FileType for a part: the file's type for its first part,
    FilePartial for later ones, FileUnknown for types Telegram does not name."""
    if offset > 0:
        return types.storage.FilePartial()
    cls = get_type("storage." + _FILE_TYPES.get(mime, "FileUnknown"))
    return (cls or types.storage.FileUnknown)()


async def get_file(ctx: RequestContext, req: functions.upload.GetFileRequest):
    ctx.require_user()
    check_range(req.offset, req.limit, bool(req.precise))
    media, blob = locate(ctx, req.location)
    data = ctx.world.read_file(blob, req.offset, req.limit)
    return make(types.upload.File, type=file_type(blob.mime_type, req.offset),
                mtime=media.date, bytes=data)


async def get_file_hashes(ctx: RequestContext, req: functions.upload.GetFileHashesRequest):
    """Vector<FileHash>: sha256 of consecutive 128 KB ranges from the range
    holding `offset`, up to 1 MB worth (fewer at the file's end)."""
    ctx.require_user()
    if req.offset < 0:
        raise RpcError(400, "OFFSET_INVALID")
    _media, blob = locate(ctx, req.location)
    start = req.offset - req.offset % HASH_PART
    out = []
    for i in range(HASH_RANGES):
        offset = start + i * HASH_PART
        if offset >= blob.size:
            break
        data = ctx.world.read_file(blob, offset, HASH_PART)
        out.append(make(types.FileHash, offset=offset, limit=len(data),
                        hash=hashlib.sha256(data).digest()))
    return out


HANDLERS = {
    "upload.GetFileRequest": get_file,
    "upload.GetFileHashesRequest": get_file_hashes,
}
