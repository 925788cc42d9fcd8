"""Media downloads over warm per-DC connections.

A file lives on one data centre. Telethon keeps one exported (authorised)
connection per DC once it was needed, reuses it while downloads run, and
closes it after a minute without use; `DcPool` bounds how many downloads use
each DC at once, from help.getAppConfig (`small_queue_max_active_operations_count`,
capped by `[limits].connections_per_dc`), and sends every download through
the rate scheduler under "upload.getFile@dc<N>" so a flood wait on a DC
holds every download from it.

`download(file_id, dest)` takes the `MediaRef.file_id` the mapping made
("<chat_id>:<msg_id>"), fetches the message (which carries a fresh file
reference) and writes the file atomically: a temporary file in the same
folder, fsync, rename. FILE_REFERENCE_EXPIRED refetches the message and
tries again.
"""
from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

from telethon import errors, functions

from tobsd.core.errors import TobsError

from .internals import close_idle_exported_senders
from .mapping_media import parse_file_id

log = logging.getLogger(__name__)

DEFAULT_PER_DC = 4
REFRESH_ATTEMPTS = 3


class MediaGone(TobsError):
    """The message or its file no longer exists; nothing to download."""


def _file_dc(media) -> int | None:
    inner = getattr(media, "document", None) or getattr(media, "photo", None)
    return getattr(inner, "dc_id", None)


class DcPool:
    """Bounded, flood-aware downloads per DC for one `TelethonSource`."""

    def __init__(self, source, *, connections_per_dc: int | None = None) -> None:
        self._source = source
        self._cap = connections_per_dc or source.config.limits.connections_per_dc
        self._per_dc: int | None = None
        self._slots: dict[int, asyncio.Semaphore] = {}
        self._sizing = asyncio.Lock()
        self.refetches = 0

    async def per_dc(self) -> int:
        """Downloads allowed at once per DC (asked from help.getAppConfig once)."""
        async with self._sizing:
            if self._per_dc is None:
                self._per_dc = min(self._cap, await self._app_limit())
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

    async def _slot(self, dc_id: int) -> asyncio.Semaphore:
        limit = await self.per_dc()
        if dc_id not in self._slots:
            self._slots[dc_id] = asyncio.Semaphore(limit)
        return self._slots[dc_id]

    async def _message(self, chat_id: int, msg_id: int):
        client = self._source.client
        peer = await self._source.input_peer(chat_id)
        msg = await self._source.run_guarded("messages.getMessages",
                                          lambda: client.get_messages(peer, ids=msg_id))
        if msg is None or getattr(msg, "media", None) is None:
            raise MediaGone(f"message {msg_id} of chat {chat_id} has no file any more")
        return msg

    async def download(self, file_id: str, dest: str | os.PathLike) -> int:
        """Download the file into `dest` (replaced atomically); returns its size."""
        chat_id, msg_id = parse_file_id(file_id)
        dest = Path(dest)
        msg = await self._message(chat_id, msg_id)
        dc_id = _file_dc(msg.media) or self._source.home_dc
        async with await self._slot(dc_id):
            for attempt in range(REFRESH_ATTEMPTS):
                try:
                    return await self._source.scheduler.call(
                        "upload.getFile", dc_id, lambda m=msg: self._fetch(m, dest))
                except errors.FileReferenceExpiredError:
                    if attempt + 1 == REFRESH_ATTEMPTS:
                        raise
                    self.refetches += 1
                    log.info("file reference expired; fetching the message again")
                    msg = await self._message(chat_id, msg_id)
        raise AssertionError("unreachable")

    async def _fetch(self, msg, dest: Path) -> int:
        tmp = dest.with_name(f".{dest.name}.part")
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(tmp, "wb") as out:
                result = await self._source.client.download_media(msg, file=out)
                if result is None:
                    raise MediaGone("the message's media cannot be downloaded")
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, dest)
        finally:
            if tmp.exists():
                tmp.unlink()
        return dest.stat().st_size

    async def close(self) -> None:
        """Close idle exported connections now (Telethon also does it on its own)."""
        await close_idle_exported_senders(self._source.client)


__all__ = ["DcPool", "MediaGone"]
