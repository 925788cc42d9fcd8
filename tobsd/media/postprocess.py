"""What happens to a landed copy after its download: the `MediaProcessor`
(ffmpeg, transcription) makes its derived files, recorded on the copy's
`media_files` row, so one content is processed once whatever the number of
messages that show it.

A video re-encoded under a compact profile with ``keep_original = false``
(`CompactProfile.keep_original`) then loses its original, but only when
every message that shows the copy is in a chat whose profile says so: the
row's path becomes the compact file (so notes show it and no longer link
an original), those notes are rewritten, and only then is the original
removed. A crash in between leaves an original nothing points at, never a
note pointing at a file that is gone. A message of the same content seen
later shows the compact file.

Processing runs in threads that a cancel would not stop, so each job runs
to its end (`run`), and `wait_chat` lets a removed chat's jobs finish.
"""
from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Awaitable, Callable

from tobsd.core.config_media import ChatMedia
from tobsd.core.media import DerivedRole, MediaProcessor, ProcessRequest
from tobsd.core.models import MediaKind

from . import landing
from .status import MediaCounters

log = logging.getLogger(__name__)


class Postprocess:
    """`store` is the state's `media` table; `settings(chat_id)` a chat's
    media settings; `rerender(chat_id, msg_ids)` rewrites those notes."""

    def __init__(self, store, processor: MediaProcessor | None, *, vault_dir: Path,
                 settings: Callable[[int], ChatMedia], counters: MediaCounters,
                 rerender: Callable[[int, list[int]], Awaitable[None]]) -> None:
        self.store = store
        self.processor = processor
        self.vault_dir = Path(vault_dir)
        self._settings = settings
        self.counters = counters
        self._rerender = rerender
        self._jobs: dict[int, set[asyncio.Task]] = {}   # chat id -> processing under way

    async def run(self, item, stored) -> None:
        """Process the copy `stored` that `item` landed or joined, to the
        end even when the caller is cancelled."""
        job = asyncio.ensure_future(self._process(item, stored))
        jobs = self._jobs.setdefault(item.chat_id, set())
        jobs.add(job)

        def done(j: asyncio.Task) -> None:
            jobs.discard(j)
            if not j.cancelled():
                j.exception()   # retrieved: the awaiting download may have been cancelled
        job.add_done_callback(done)
        await asyncio.shield(job)

    async def wait_chat(self, chat_id: int) -> None:
        """Processing of the chat's files under way has ended."""
        await asyncio.gather(*self._jobs.pop(chat_id, ()), return_exceptions=True)

    async def _process(self, item, stored) -> None:
        if self.processor is None or stored.processed:
            return
        kind = MediaKind(item.kind)
        transcribe = kind in (MediaKind.VOICE, MediaKind.ROUND)
        compact = self._settings(item.chat_id).compact if kind is MediaKind.VIDEO else None
        if not self.processor.wants(kind, compact=compact is not None, transcribe=transcribe):
            return
        source = landing.inside(self.vault_dir, stored.path)
        result = await self.processor.process(ProcessRequest(
            source=source, kind=kind, out_dir=source.parent, stem=source.stem, mime=item.mime,
            compact=compact, transcribe=transcribe))
        derived = []
        for d in result.derived:
            try:
                rel = Path(os.path.relpath(d.path, self.vault_dir)).as_posix()
                landing.inside(self.vault_dir, rel)
            except (ValueError, landing.UnsafePath):
                continue
            if not rel.startswith("../"):
                derived.append((d.role, rel))
        for error in result.errors:
            log.warning("processing %s: %s", stored.path, error)
        if not result.derived and not result.transcript and any("stopping" in e for e in result.errors):
            return   # the daemon is stopping: processed at the next start, not marked done
        self.counters.processed += 1
        await self.store.set_processed(stored.sha256, derived, result.transcript)
        compact_rel = next((rel for role, rel in derived if role == DerivedRole.COMPACT), None)
        if result.remove_original and compact_rel is not None:
            await self._drop_original(stored, compact_rel)

    async def _drop_original(self, stored, compact_rel: str) -> None:
        viewers = await self.store.viewers(stored.sha256)
        keeps = [c for c in {chat_id for chat_id, _ in viewers}
                 if (p := self._settings(c).compact) is None or p.keep_original]
        if keeps:
            return   # a chat that keeps originals shows this copy
        size = (await asyncio.to_thread(landing.inside(self.vault_dir, compact_rel).stat)).st_size
        await self.store.move_copy(stored.sha256, compact_rel, size)
        by_chat: dict[int, list[int]] = {}
        for chat_id, msg_id in viewers:
            by_chat.setdefault(chat_id, []).append(msg_id)
        for chat_id, ids in by_chat.items():
            await self._rerender(chat_id, sorted(ids))
        try:
            await asyncio.to_thread(os.unlink, landing.inside(self.vault_dir, stored.path))
        except (FileNotFoundError, landing.UnsafePath):
            pass
        log.info("%s: the compact copy %s replaces it (compact_keep_original = false)",
                 stored.path, compact_rel)
