"""The download queue: media as a side stream that never holds up messages.

`prepare(chat, messages)` runs before a batch is written (the sync engine's
`MediaPort`): each downloadable attachment gets a `media_items` row and its
`MediaRef` the file's final vault path with status "downloading" (or the
copy it shares, when Telegram's file id is already stored; or "skipped" with
the reason). It reads and writes the database once per batch and never waits
for a download. Workers (`media_downloads` at once) then fetch queued items
(fetch.py), oldest first; a failure is retried with exponential backoff
(`BACKOFF_S` doubling up to `MAX_BACKOFF_S`) and becomes "failed" after
`MAX_ATTEMPTS`. A landed file is stored once per content (SHA-256), processed
(postprocess.py) when there is a `MediaProcessor`, and the message is re-rendered
through `rerender(chat_id, msg_ids)` (the engine refetches and re-applies
it; the new status changes the message's content hash, so its note is
rewritten); `on_progress()` then tells the daemon its status changed.
`released` follows deletions: pending downloads stop and their partial
files go; with `drop_done`, a copy no other message links to is
removed from the vault.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from pathlib import Path
from typing import Awaitable, Callable, Iterable, Sequence

from tobsd.core.config_media import ChatMedia, MediaConfig
from tobsd.core.errors import NeedsLogin
from tobsd.core.media import MediaProcessor
from tobsd.core.media_ports import FileSource, MediaGone, MediaItem
from tobsd.core.models import FILE_MEDIA_KINDS, Chat, MediaKind, MediaRef, Message

from . import landing
from .fetch import fetch
from .partial import PARTIAL_DIR, PartialFile
from .postprocess import Postprocess
from .status import MediaCounters, decorate

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_S = 2.0
MAX_BACKOFF_S = 600.0
IDLE_POLL_S = 30.0
STOP_WAIT_S = 5.0

Namer = Callable[[MediaRef, int, bytes, str], str]   # (media, msg id, head, prefix) -> file name
Rerender = Callable[[int, list[int]], Awaitable[None]]
Folder = Callable[[Chat], Awaitable[str]]


def backoff(attempts: int) -> float:
    return min(MAX_BACKOFF_S, BACKOFF_S * 2 ** max(0, attempts - 1))


class MediaQueue:
    """See the module docstring. `store` is the state's `media` table."""

    def __init__(self, store, source: FileSource, *, vault_dir: Path, state_dir: Path,
                 folder: Folder, name: Namer, config: MediaConfig = MediaConfig(),
                 workers: int = 4, processor: MediaProcessor | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.source = source
        self.vault_dir = Path(vault_dir)
        self.partial_dir = Path(state_dir) / PARTIAL_DIR
        self._folder = folder
        self._name = name
        self.config = config
        self.workers = max(1, workers)
        self.clock = clock
        self.rerender: Rerender | None = None
        # Called after each item a worker finished with (landed, processed,
        # failed or put back): the daemon's status then shows it soon, even
        # when every chat is at rest.
        self.on_progress: Callable[[], None] | None = None
        self.chat_settings: dict[int, ChatMedia] = {}
        self.drop_done: dict[int, bool] = {}
        self.counters = MediaCounters()
        self._folders: dict[int, str] = {}
        self._ready: deque = deque()
        self._active: dict[tuple[int, int], asyncio.Task | None] = {}
        self._active_keys: set[str] = set()
        self._take_lock = asyncio.Lock()
        self._landing = asyncio.Lock()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self.post = Postprocess(store, processor, vault_dir=self.vault_dir, settings=self._settings,
                                counters=self.counters, rerender=self._rerender)

    # --- settings ------------------------------------------------------------------
    def set_chat(self, chat_id: int, settings: ChatMedia, *, drop_done: bool = False) -> None:
        self.chat_settings[chat_id] = settings
        self.drop_done[chat_id] = drop_done

    def _settings(self, chat_id: int) -> ChatMedia:
        return self.chat_settings.get(chat_id) or ChatMedia(kinds=self.config.kinds,
                                                            max_size=self.config.max_size)

    # --- the engine's side (MediaPort) ------------------------------------------------
    async def prepare(self, chat: Chat, messages: Sequence[Message]) -> None:
        wanted = [m for m in messages if m.media is not None and m.media.file_id
                  and m.media.kind in FILE_MEDIA_KINDS and not m.deleted]
        if not wanted:
            return
        items = await self.store.get_many(chat.id, [m.id for m in wanted])
        new, replaced = [], []
        for m in wanted:
            known = items.get(m.id)
            if known is None:
                items[m.id] = await self._plan(chat, m)
                new.append(items[m.id])
            elif known.tg_key and m.media.media_key and known.tg_key != m.media.media_key:
                items[m.id] = await self._plan(chat, m)   # an edit replaced the file
                replaced.append(items[m.id])
        await self.store.insert(new)
        await self.store.replace(replaced)
        new += replaced
        stored = await self.store.files(i.sha256 for i in items.values() if i.sha256)
        for m in wanted:
            item = items[m.id]
            decorate(m.media, item, stored.get(item.sha256) if item.sha256 else None)
        if any(i.state == "queued" for i in new):
            self._wake.set()

    async def _plan(self, chat: Chat, m: Message):
        media = m.media
        settings = self._settings(chat.id)
        item = MediaItem(chat_id=chat.id, msg_id=m.id, file_id=media.file_id, tg_key=media.media_key,
                         kind=media.kind.value, size=media.size, mime=media.mime,
                         file_name=media.file_name, path="", state="queued")
        if not settings.enabled:
            item.state, item.error = "skipped", "media downloads are off for this chat"
        elif media.kind.value not in settings.kinds:
            item.state, item.error = "skipped", f"{media.kind.value} files are not downloaded"
        elif media.size is not None and media.size > settings.max_size:
            item.state, item.error = "skipped", f"larger than {settings.max_size // (1024 * 1024)} MB"
        if item.state == "skipped":
            return item
        if media.media_key:
            found = await self.store.done_by_key(media.media_key)
            if found is not None and self._exists(found[1].path):
                item.state, item.sha256, item.path = "done", found[1].sha256, found[1].path
                self.counters.dedup_by_id += 1
                return item
        item.path = f"{await self._folder_of(chat)}/{self._name(media, m.id, b'', self._prefix(chat.id))}"
        return item

    async def released(self, chat_id: int, msg_ids: Iterable[int]) -> None:
        ids = list(msg_ids)
        for mid in ids:
            task = self._active.get((chat_id, mid))
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        released, orphans = await self.store.release(chat_id, ids,
                                                     drop_done=self.drop_done.get(chat_id, False))
        for item in released:
            if item.state != "done" and (item.tg_key is None or (item.tg_key not in self._active_keys
                                         and not await self.store.queued_with_key(item.tg_key))):
                await asyncio.to_thread(PartialFile(self.partial_dir, item.tg_key or item.file_id).remove)
        for stored in orphans:
            for rel in [stored.path] + [p for _, p in stored.derived]:
                await asyncio.to_thread(landing.remove, self.vault_dir, rel)

    async def forget_chat(self, chat_id: int) -> None:
        """See `MediaPort.forget_chat`. Holding the landing lock, no file of
        the chat is half-way into the vault (a landing runs in a thread that
        a cancel would not stop). Its rows go first, so no worker takes them
        again (and a download that gets to landing finds its row gone); then
        its downloads are cancelled and awaited. Processing under way runs
        in a thread too: it is waited for (bounded by the runner's timeouts)."""
        async with self._landing:
            dropped = await self.store.forget_chat(chat_id)
            self._ready = deque(i for i in self._ready if i.chat_id != chat_id)
            tasks = [t for (c, _m), t in self._active.items() if c == chat_id and t is not None]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        await self.post.wait_chat(chat_id)
        for item in dropped:
            # Another chat's queued item of the same content resumes this partial file.
            if item.tg_key is None or not await self.store.queued_with_key(item.tg_key):
                await asyncio.to_thread(PartialFile(self.partial_dir, item.tg_key or item.file_id).remove)
        self._folders.pop(chat_id, None)
        if dropped or tasks:
            log.info("chat %s removed: %d downloads dropped", chat_id, len(dropped))

    def _prefix(self, chat_id: int) -> str:
        return f"{abs(chat_id)}_" if self.config.shared_folder else ""

    async def _folder_of(self, chat: Chat) -> str:
        folder = self._folders.get(chat.id)
        if folder is None:
            folder = self._folders[chat.id] = await self._folder(chat)
        return folder

    def _exists(self, rel: str) -> bool:
        try:
            return landing.inside(self.vault_dir, rel).is_file()
        except landing.UnsafePath:
            return False

    # --- running ---------------------------------------------------------------------
    def start(self) -> None:
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._worker(), name=f"media-{i}")
                           for i in range(self.workers)]
            self._tasks.append(asyncio.create_task(self._show_unshown(), name="media-unshown"))

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks + [t for t in self._active.values() if t is not None]:
            task.cancel()
        if tasks:   # bounded: a stop must not wait on a connection that hangs
            await asyncio.wait(tasks, timeout=STOP_WAIT_S)

    def wake(self) -> None:
        self._wake.set()

    async def _show_unshown(self) -> None:
        """Notes a stop left behind their item's state are rewritten once."""
        try:
            for chat_id, ids in (await self.store.unshown()).items():
                await self._rerender(chat_id, ids)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("rewriting notes of media that changed before the last stop failed")

    async def _worker(self) -> None:
        while True:
            item = await self._take()
            key = (item.chat_id, item.msg_id)
            # Its own task, so that a deletion can cancel this item alone.
            download = asyncio.create_task(self._download(item))
            self._active[key] = download
            try:
                await download
            except asyncio.CancelledError:
                if asyncio.current_task().cancelling():
                    raise   # the queue is stopping
            except Exception as exc:   # landing or the database: back off like a fetch failure
                log.exception("media download of message %s in chat %s failed", item.msg_id, item.chat_id)
                try:
                    await self._retry(item, exc)
                except Exception:
                    log.exception("recording the failure failed")
            finally:
                self._active.pop(key, None)
                if item.tg_key:
                    self._active_keys.discard(item.tg_key)
                self._wake.set()
                if self.on_progress is not None:
                    self.on_progress()

    async def _take(self):
        while True:
            self._wake.clear()
            blocked = False
            async with self._take_lock:
                if not self._ready:
                    self._ready.extend(await self.store.due(self.clock(), 64, exclude=self._active))
                    self.source.expect(i.file_id for i in self._ready)
                while self._ready:
                    item = self._ready.popleft()
                    if (item.chat_id, item.msg_id) in self._active:
                        continue
                    if item.tg_key and item.tg_key in self._active_keys:
                        blocked = True   # the same content is being fetched: it will be linked
                        continue
                    if item.tg_key:
                        self._active_keys.add(item.tg_key)
                    self._active[(item.chat_id, item.msg_id)] = None   # taken; its task follows
                    return item
            next_due = await self.store.next_due()
            timeout = IDLE_POLL_S if next_due is None else max(0.05, next_due - self.clock())
            try:
                await asyncio.wait_for(self._wake.wait(), min(timeout, 1.0) if blocked else timeout)
            except asyncio.TimeoutError:
                pass

    async def _download(self, item) -> None:
        current = await self.store.get(item.chat_id, item.msg_id)
        if current is None or current.state != "queued":
            return
        item = current
        if item.tg_key:
            found = await self.store.done_by_key(item.tg_key)
            if found is not None and self._exists(found[1].path):
                await self.store.link_existing(item.chat_id, item.msg_id, found[1])
                self.counters.dedup_by_id += 1
                await self._rerender(item.chat_id, [item.msg_id])
                return
        budget = self.config.disk_budget
        if budget is not None and await self.store.stored_bytes() + (item.size or 0) > budget:
            self.counters.budget_reached = True
            await self.store.set_state(item.chat_id, item.msg_id, "budget",
                                       error=f"the media disk budget of {self.config.disk_budget_mb} MB is reached")
            await self._rerender(item.chat_id, [item.msg_id])
            return
        partial = PartialFile(self.partial_dir, item.tg_key or item.file_id)
        try:
            remote = await self.source.locate(item.file_id)
            stats = await fetch(self.source, remote, partial, streams=await self.source.streams(remote.dc_id))
        except MediaGone as exc:
            self.source.forget(item.file_id)
            await asyncio.to_thread(partial.remove)
            await self._give_up(item, str(exc) or "the message or its file is gone")
            return
        except asyncio.CancelledError:
            partial.close()
            raise
        except NeedsLogin:
            partial.close()   # not the file's fault: it waits, untouched, for the next session
            await self.store.set_state(item.chat_id, item.msg_id, "queued", error=item.error,
                                       next_try=self.clock() + MAX_BACKOFF_S)
            return
        except Exception as exc:
            partial.close()
            await self._retry(item, exc)
            return
        partial.close()
        self.source.forget(item.file_id)
        self.counters.add(stats)
        await self._store(item, partial, stats.sha256, stats.size)

    async def _retry(self, item, exc: Exception) -> None:
        attempts = item.attempts + 1
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        self.counters.retries += 1
        if attempts >= MAX_ATTEMPTS:
            await self._give_up(item, reason, attempts)
            return
        log.info("media of message %s in chat %s: %s; retry %d in %.0f s", item.msg_id, item.chat_id,
                 reason, attempts, backoff(attempts))
        await self.store.set_state(item.chat_id, item.msg_id, "queued", error=reason, attempts=attempts,
                                   next_try=self.clock() + backoff(attempts))

    async def _give_up(self, item, reason: str, attempts: int | None = None) -> None:
        self.counters.failed += 1
        log.warning("media of message %s in chat %s not downloaded: %s", item.msg_id, item.chat_id, reason)
        await self.store.set_state(item.chat_id, item.msg_id, "failed", error=reason, attempts=attempts)
        await self._rerender(item.chat_id, [item.msg_id])

    async def _store(self, item, partial: PartialFile, sha_hex: str, size: int) -> None:
        # One landing at a time: two downloads of one content must not both
        # find no copy and both land one.
        async with self._landing:
            if await self.store.get(item.chat_id, item.msg_id) is None:
                await asyncio.to_thread(partial.remove)   # its chat was removed meanwhile
                return
            stored, moved = await self._land_once(item, partial, sha_hex, size)
        others = await self.store.queued_with_key(item.tg_key) if item.tg_key else []
        for other in others:
            await self.store.link_existing(other.chat_id, other.msg_id, stored)
            self.counters.dedup_by_id += 1
        await self.post.run(item, stored)
        await self._rerender(item.chat_id, [item.msg_id])
        for other in others:
            await self._rerender(other.chat_id, [other.msg_id])
        for chat_id, msg_id in moved:   # they showed a copy that was gone: now this one
            await self._rerender(chat_id, [msg_id])

    async def _land_once(self, item, partial: PartialFile, sha_hex: str, size: int):
        """The copy the item's content has now, and the other items that
        showed a copy of it that was gone (see `MediaTable.land`)."""
        sha = bytes.fromhex(sha_hex)
        moved: list[tuple[int, int]] = []
        stored = await self.store.file(sha)
        if stored is not None and self._exists(stored.path):
            self.counters.dedup_by_content += 1
            await asyncio.to_thread(partial.remove)
            await self.store.link_existing(item.chat_id, item.msg_id, stored)
        else:
            head = await asyncio.to_thread(partial.head)
            ref = MediaRef(MediaKind(item.kind), file_name=item.file_name, mime=item.mime)
            folder = item.path.rpartition("/")[0]
            prefix = self._prefix(item.chat_id)
            rel = await asyncio.to_thread(landing.land, self.vault_dir, partial.data_path,
                                          f"{folder}/{self._name(ref, item.msg_id, head, prefix)}", sha_hex)
            await asyncio.to_thread(partial.remove)
            stored, moved = await self.store.land(item, sha, rel, size)
            self.counters.files_stored += 1
            self.counters.bytes_stored += size
            if moved:
                self._wake.set()   # some may be queued again
        return stored, moved

    async def _rerender(self, chat_id: int, msg_ids: list[int]) -> None:
        if self.rerender is None:
            return
        try:
            await self.rerender(chat_id, msg_ids)
            await self.store.mark_shown(chat_id, msg_ids)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("the note of media message(s) %s in chat %s not rewritten yet: %s",
                        msg_ids, chat_id, exc)

    # --- status --------------------------------------------------------------------
    async def status(self) -> dict:
        counts = await self.store.counts()
        failures = await self.store.failures()
        stored = await self.store.stored_bytes()
        budget = self.config.disk_budget
        return {
            "chats": {chat_id: {"counts": c, "errors": failures.get(chat_id, [])}
                      for chat_id, c in counts.items()},
            "disk": {"budget_bytes": budget or 0, "stored_bytes": stored,
                     "referenced_bytes": await self.store.referenced_bytes(),
                     "budget_reached": bool(budget is not None and (stored >= budget or self.counters.budget_reached))},
            "active": len(self._active),
            "counters": self.counters.as_dict(),
            "source": self.source.stats(),
        }
