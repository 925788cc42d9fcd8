"""Media bytes over warm per-DC connections: the `FileSource` of the media queue.

A file lives on one data centre. `DcPool` keeps up to `per_dc` download
connections per DC (senders.py), the number asked once from
help.getAppConfig (`small_queue_max_active_operations_count`, capped by
`[limits].connections_per_dc`), and sends every part request through the
rate scheduler under "upload.getFile@dc<N>" / "upload.getFileHashes@dc<N>"
(their own family: a flood wait on a DC holds every download from it, and
nothing else).

`locate(file_id)` takes the `MediaRef.file_id` the mapping made
("<chat_id>:<msg_id>"), fetches the message (which carries a fresh file
reference; many messages per request, see msgfetch.py) and remembers the
file's location. `read` and `hashes`:
FILE_REFERENCE_EXPIRED fetches the message again and repeats the request
with the new reference (the parts already fetched stay valid);
FILE_MIGRATE_X moves the file to DC X and repeats it there.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Iterable, Sequence

from telethon import errors, functions, types

from tobsd.core.media_ports import ChunkHash, MediaGone, RemoteFile

from .mapping_media import parse_file_id
from .msgfetch import MessageFetcher
from .senders import SenderPool

log = logging.getLogger(__name__)

DEFAULT_PER_DC = 4
REFRESH_ATTEMPTS = 3


@dataclass(slots=True)
class _Located:
    location: object
    dc_id: int


def _photo_size(size) -> int:
    if isinstance(size, types.PhotoSizeProgressive):
        return max(size.sizes or [0])
    if isinstance(size, types.PhotoCachedSize):
        return len(size.bytes)
    return getattr(size, "size", 0) or 0


def file_location(media) -> tuple[object, int | None, int | None, str]:
    """(input location, size, dc id, content key) of a message's photo or
    document (the largest photo size, as the mapping describes it)."""
    photo = getattr(media, "photo", None)
    document = getattr(media, "document", None)
    if isinstance(document, types.Document):
        return (types.InputDocumentFileLocation(id=document.id, access_hash=document.access_hash,
                                                file_reference=document.file_reference, thumb_size=""),
                document.size, document.dc_id, f"document:{document.id}")
    if isinstance(photo, types.Photo):
        sizes = [s for s in photo.sizes or () if isinstance(s, (types.PhotoSize, types.PhotoSizeProgressive))]
        if not sizes:
            raise MediaGone("the photo has no downloadable size")
        best = max(sizes, key=lambda s: (s.w * s.h, _photo_size(s)))
        return (types.InputPhotoFileLocation(id=photo.id, access_hash=photo.access_hash,
                                             file_reference=photo.file_reference, thumb_size=best.type),
                _photo_size(best) or None, photo.dc_id, f"photo:{photo.id}")
    raise MediaGone("the message has no downloadable file")


class DcPool:
    """Part requests per DC for one `TelethonSource` (see the module docstring)."""

    def __init__(self, source, *, connections_per_dc: int | None = None) -> None:
        self._source = source
        self._cap = connections_per_dc or source.config.limits.connections_per_dc
        self._per_dc: int | None = None
        self._sizing = asyncio.Lock()
        self._files: dict[str, _Located] = {}
        self._refreshing: dict[str, asyncio.Lock] = {}
        self._senders: SenderPool | None = None
        self._messages = MessageFetcher(self._fetch_messages)
        self.refetches = 0
        self.migrations = 0
        self.parts = 0
        self.bytes = 0

    async def per_dc(self) -> int:
        """Requests allowed at once per DC (asked from help.getAppConfig once)."""
        async with self._sizing:
            if self._per_dc is None:
                self._per_dc = min(self._cap, await self._app_limit())
                # The scheduler bounds part requests per DC by the same number.
                for method in ("upload.getFile", "upload.getFileHashes"):
                    self._source.scheduler.set_limit(method, self._per_dc)
        return self._per_dc

    async def _app_limit(self) -> int:
        try:
            result = await self._source.request("help.getAppConfig",
                                                functions.help.GetAppConfigRequest(hash=0))
        except errors.RPCError:
            return DEFAULT_PER_DC
        config = getattr(result, "config", result)
        for item in getattr(config, "value", None) or ():
            if getattr(item, "key", None) == "small_queue_max_active_operations_count":
                return max(1, int(getattr(item.value, "value", DEFAULT_PER_DC)))
        return DEFAULT_PER_DC

    async def streams(self, dc_id: int) -> int:
        return await self.per_dc()

    async def _fetch_messages(self, chat_id: int, ids: Sequence[int]) -> list:
        client = self._source.client
        peer = await self._source.input_peer(chat_id)
        return list(await self._source.run_guarded("messages.getMessages",
                                                   lambda: client.get_messages(peer, ids=list(ids))))

    async def _message(self, chat_id: int, msg_id: int, *, fresh: bool = False):
        msg = await self._messages.get(chat_id, msg_id, fresh=fresh)
        if msg is None or getattr(msg, "media", None) is None:
            raise MediaGone(f"message {msg_id} of chat {chat_id} has no file any more")
        return msg

    def expect(self, file_ids: Iterable[str]) -> None:
        """See `FileSource.expect`: their messages ride along with the next
        message request of their chat (msgfetch.py)."""
        by_chat: dict[int, list[int]] = {}
        for file_id in file_ids:
            chat_id, msg_id = parse_file_id(file_id)
            by_chat.setdefault(chat_id, []).append(msg_id)
        for chat_id, ids in by_chat.items():
            self._messages.expect(chat_id, ids)

    async def locate(self, file_id: str) -> RemoteFile:
        chat_id, msg_id = parse_file_id(file_id)
        msg = await self._message(chat_id, msg_id)
        location, size, dc_id, key = file_location(msg.media)
        known = self._files.get(file_id)
        dc = known.dc_id if known is not None else (dc_id or self._source.home_dc)
        self._files[file_id] = _Located(location, dc)
        return RemoteFile(file_id=file_id, key=key, size=size, dc_id=dc)

    async def _refresh(self, file_id: str, stale) -> None:
        """A new file reference, once for all the parts that met the old one."""
        async with self._refreshing.setdefault(file_id, asyncio.Lock()):
            if self._files[file_id].location is not stale:
                return   # another part refreshed it meanwhile
            await self._refetch(file_id)

    async def _refetch(self, file_id: str) -> None:
        self.refetches += 1
        log.info("file reference expired; fetching the message again")
        chat_id, msg_id = parse_file_id(file_id)
        msg = await self._message(chat_id, msg_id, fresh=True)
        location, _size, _dc, _key = file_location(msg.media)
        self._files[file_id].location = location

    async def _call(self, method: str, remote: RemoteFile, build):
        if remote.file_id not in self._files:
            await self.locate(remote.file_id)
        per_dc = await self.per_dc()
        if self._senders is None:
            self._senders = SenderPool(self._source.client, self._source.home_dc)
        for attempt in range(REFRESH_ATTEMPTS + 1):
            located = self._files[remote.file_id]
            used = located.location
            request = build(used)
            try:
                return await self._source.scheduler.call(
                    method, located.dc_id,
                    lambda dc=located.dc_id, r=request: self._senders.call(dc, per_dc, r))
            except errors.FileReferenceExpiredError:
                if attempt >= REFRESH_ATTEMPTS:
                    raise
                await self._refresh(remote.file_id, used)
            except errors.FileMigrateError as exc:
                if attempt >= REFRESH_ATTEMPTS:
                    raise
                self.migrations += 1
                log.info("file on DC %d, not %d: following", exc.new_dc, located.dc_id)
                located.dc_id = exc.new_dc
            except (errors.FileIdInvalidError, errors.LocationInvalidError) as exc:
                raise MediaGone(f"Telegram no longer serves the file ({exc.message})") from None
        raise AssertionError("unreachable")

    async def read(self, remote: RemoteFile, offset: int, limit: int) -> bytes:
        result = await self._call("upload.getFile", remote, lambda loc: functions.upload.GetFileRequest(
            location=loc, offset=offset, limit=limit))
        if not isinstance(result, types.upload.File):
            raise MediaGone("the file is served from a CDN, which tobsd does not use")
        self.parts += 1
        self.bytes += len(result.bytes)
        return result.bytes

    async def hashes(self, remote: RemoteFile, offset: int) -> list[ChunkHash] | None:
        try:
            result = await self._call("upload.getFileHashes", remote,
                                      lambda loc: functions.upload.GetFileHashesRequest(location=loc, offset=offset))
        except errors.RPCError as exc:
            if isinstance(exc, (errors.FloodWaitError, errors.FileReferenceExpiredError)):
                raise
            return None   # not served for this file: parts are checked by length and SHA-256 only
        return [ChunkHash(h.offset, h.limit, bytes(h.hash)) for h in result or ()] or None

    def forget(self, file_id: str) -> None:
        self._files.pop(file_id, None)
        self._refreshing.pop(file_id, None)

    def stats(self) -> dict:
        return {"parts": self.parts, "bytes": self.bytes, "reference_refreshes": self.refetches,
                "message_requests": self._messages.requests,
                "dc_migrations": self.migrations,
                "connections": self._senders.count() if self._senders else {}}

    async def close(self) -> None:
        """Close the download connections."""
        if self._senders is not None:
            await self._senders.close()
            self._senders = None


__all__ = ["DcPool", "MediaGone", "file_location"]
