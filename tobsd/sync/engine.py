"""The sync engine: every tracked chat backfilled, followed live, reconciled.

Per chat, one task: reconcile (newest page; a gap becomes shards), backfill
the pending shards, write the chat note, then reconcile again on a schedule
or when asked (`sync_now`). Live events from the Telegram source are applied
as they arrive, through the same `Applier`, so a chat goes live at once
while its backfill runs in the background.

Failures stay local: a chat Telegram refuses (ChatUnavailable) records its
error and stops, the others go on; a full disk pauses that chat and retries
with backoff; a session that is no longer authorised (NeedsLogin) stops the
whole engine with state "needs-login" and leaves the state as it is.
"""
from __future__ import annotations

import asyncio
import errno
import logging
import time
from dataclasses import dataclass, field
from typing import Callable
from datetime import date, datetime, timezone

from tobsd.core.errors import ChatUnavailable, DiskFull, NeedsLogin
from tobsd.core.models import Chat, ChatKind
from tobsd.core.ports import ChangeSet, LiveEvent, StatePort, TelegramSource, VaultPort

from .applier import Applier
from .backfill import Backfill
from .reconcile import keep_since, reconcile

log = logging.getLogger(__name__)

COMMON_BOX_KINDS = (ChatKind.USER, ChatKind.BOT, ChatKind.GROUP)
DISK_RETRY_S = (1, 2, 5, 10, 30)
COUNT_EVERY_S = 60.0     # an idle chat's index count is refreshed this often


def _is_disk_full(exc: BaseException) -> bool:
    # Every layer raises DiskFull; a bare ENOSPC/EDQUOT from elsewhere counts too.
    return isinstance(exc, DiskFull) or \
        (isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT))


@dataclass
class ChatOptions:
    since: date | None = None
    paused: bool = False

    @property
    def since_dt(self) -> datetime | None:
        if self.since is None:
            return None
        return datetime(self.since.year, self.since.month, self.since.day, tzinfo=timezone.utc)


@dataclass
class ChatState:
    """What the engine knows of one chat, for status reports."""
    chat: Chat
    options: ChatOptions
    state: str = "starting"       # starting, backfilling, live, paused, error, disk-full
    error: str | None = None
    written: int = 0              # messages written (new or changed) since start
    live_contiguous: bool = False  # reconciled this session: live "new" may move the cursor
    last_reconcile: float = 0.0
    task: asyncio.Task | None = field(default=None, repr=False)
    wake: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    # The index count last reported, and `written` and the time it was
    # counted at: counting a big chat's rows every second is the largest
    # cost of an idle daemon, and the count only moves when messages are written.
    counted: tuple[int, int, float] | None = field(default=None, repr=False)


class SyncEngine:
    def __init__(self, source: TelegramSource, store: StatePort, writer: VaultPort, *, workers: int = 6,
                 reconcile_every_s: float = 600.0, on_change: Callable[[], None] | None = None):
        """`on_change()` is called when the engine's or a chat's state
        changes (so a status report can go out at once)."""
        self.source, self.store, self.writer = source, store, writer
        self.applier = Applier(store, writer)
        self.workers = workers
        self.requests = asyncio.Semaphore(workers)
        self.reconcile_every_s = reconcile_every_s
        self.chats: dict[int, ChatState] = {}
        self.state = "starting"
        self.error: str | None = None
        self.stopped = asyncio.Event()
        self._on_change = on_change or (lambda: None)
        self._notes_due: set[int] = set()      # chats whose chat note lags behind live writes
        self._notes_task: asyncio.Task | None = None
        source.subscribe(self._on_event)

    # --- chats ------------------------------------------------------------------
    async def add_chat(self, chat: Chat, options: ChatOptions | None = None) -> ChatState:
        """Track a chat: it goes live at once; its backfill runs in the background."""
        options = options or ChatOptions()
        if chat.id in self.chats:
            st = self.chats[chat.id]
            st.chat, st.options = chat, options
            return st
        await self.store.chats.upsert(chat.id, chat.kind.value, chat.title, chat.username)
        row = await self.store.chats.get(chat.id)
        st = ChatState(chat, options)
        if options.paused or (row is not None and row.paused):
            st.state = "paused"
        self.chats[chat.id] = st
        if st.state != "paused":
            st.task = asyncio.get_running_loop().create_task(self._run_chat(st))
        return st

    async def set_paused(self, chat_id: int, paused: bool) -> None:
        st = self.chats[chat_id]
        await self.store.chats.set_paused(chat_id, paused)
        if paused and st.task:
            st.task.cancel()
            st.task = None
            st.state = "paused"
            self._on_change()
        elif not paused and st.task is None:
            st.state = "starting"
            st.task = asyncio.get_running_loop().create_task(self._run_chat(st))

    async def remove_chat(self, chat_id: int) -> None:
        """Stop tracking a chat; its notes stay in the vault."""
        st = self.chats.pop(chat_id, None)
        if st and st.task:
            st.task.cancel()
        await self.store.chats.remove(chat_id)

    def sync_now(self, chat_id: int | None = None) -> None:
        for st in self.chats.values():
            if chat_id is None or st.chat.id == chat_id:
                st.wake.set()

    # --- running ------------------------------------------------------------------
    async def start(self) -> None:
        """Catch up on what changed while offline; the chat tasks reconcile."""
        self.state = "running"
        self._notes_task = asyncio.get_running_loop().create_task(self._chat_notes_loop())
        # Before catching up: pending batches still needed are the ones whose
        # messages may be deleted in what comes next.
        if dropped := await self.store.pending.prune():
            log.info("%d interrupted batches were applied again since", dropped)
        try:
            await self.source.catch_up()
        except NeedsLogin as exc:
            await self._needs_login(exc)

    async def stop(self) -> None:
        tasks = [st.task for st in self.chats.values() if st.task]
        if self._notes_task is not None:
            tasks.append(self._notes_task)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # Batches already handed to the writer are recorded before the
        # writer and the store close.
        await self.applier.drain()
        if self.state != "needs-login":
            self.state = "stopped"
        self.stopped.set()

    async def _needs_login(self, exc: BaseException) -> None:
        if self.state == "needs-login":
            return
        log.error("the Telegram session is not authorised (%s); run `tobsd login`", exc)
        self.state, self.error = "needs-login", str(exc)
        self._on_change()
        current = asyncio.current_task()
        for st in self.chats.values():
            if st.task and st.task is not current:
                st.task.cancel()
        self.stopped.set()

    async def _run_chat(self, st: ChatState) -> None:
        retry = 0
        while True:
            try:
                await self._sync_chat(st)
                retry = 0
                st.state = "live"
                self._on_change()
                st.wake.clear()
                try:
                    await asyncio.wait_for(st.wake.wait(), self.reconcile_every_s)
                except asyncio.TimeoutError:
                    pass
            except asyncio.CancelledError:
                raise
            except NeedsLogin as exc:
                await self._needs_login(exc)
                return
            except ChatUnavailable as exc:
                st.state, st.error = "error", str(exc)
                self._on_change()
                await self.store.chats.set_error(st.chat.id, str(exc))
                log.warning("chat %s: %s", st.chat.title, exc)
                return
            except Exception as exc:
                if _is_disk_full(exc):
                    st.state, st.error = "disk-full", "the disk is full; waiting for space"
                else:
                    st.state, st.error = "retrying", f"{type(exc).__name__}: {exc}"
                    log.exception("chat %s failed; retrying", st.chat.title)
                self._on_change()
                await asyncio.sleep(DISK_RETRY_S[min(retry, len(DISK_RETRY_S) - 1)])
                retry += 1

    async def _sync_chat(self, st: ChatState) -> None:
        st.state = "reconciling" if st.last_reconcile else "starting"
        result = await reconcile(self.source, self.applier, self.store, st.chat,
                                 since=st.options.since_dt)
        st.written += result.new_or_changed
        st.live_contiguous = True
        st.last_reconcile = time.time()
        if await self.store.shards.pending(st.chat.id):
            st.state = "backfilling"
            self._on_change()
            backfill = Backfill(self.source, self.applier, self.store, st.chat,
                                workers=self.workers, requests=self.requests,
                                since=st.options.since_dt, on_page=self._count,
                                ids_per_page=result.ids_per_page)
            await backfill.run()
        if st.error:
            await self.store.chats.set_error(st.chat.id, None)
            st.error = None
        await self._write_chat_note(st)

    async def _chat_notes_loop(self, every_s: float = 2.0) -> None:
        """Refresh the chat notes of chats that live messages changed (their
        count, and links to period notes that live messages created)."""
        while True:
            await asyncio.sleep(every_s)
            due, self._notes_due = self._notes_due, set()
            for chat_id in due:
                st = self.chats.get(chat_id)
                if st is not None and st.state == "live":
                    try:
                        await self._write_chat_note(st)
                    except Exception as exc:
                        log.warning("chat note of %s not refreshed: %s", st.chat.title, exc)
                        self._notes_due.add(chat_id)

    def _count(self, chat: Chat, n: int) -> None:
        st = self.chats.get(chat.id)
        if st:
            st.written += n

    async def _write_chat_note(self, st: ChatState) -> None:
        cursor = await self.store.cursors.get(st.chat.id)
        count = await self.store.index.count(st.chat.id)
        synced = datetime.now(timezone.utc) if cursor.backfill_done else None
        await self.writer.write_chat_note(st.chat, synced_through=synced, message_count=count)

    # --- live -------------------------------------------------------------------------
    async def _on_event(self, event: LiveEvent) -> None:
        try:
            if event.kind in ("new", "edit"):
                await self._on_messages(event)
            elif event.kind == "delete":
                await self._on_delete(event)
        except NeedsLogin as exc:
            await self._needs_login(exc)
        except Exception as exc:
            # The next reconcile repairs what a failed live apply missed.
            log.warning("live %s in chat %s not applied (%s); will reconcile",
                        event.kind, event.chat_id, exc)
            st = self.chats.get(event.chat_id)
            if st:
                st.wake.set()

    async def _on_messages(self, event: LiveEvent) -> None:
        st = self.chats.get(event.chat_id)
        if st is None or st.state == "paused" or not event.messages:
            return
        messages = keep_since(list(event.messages), st.options.since_dt)
        top = max(m.id for m in event.messages)

        def advance(changes: ChangeSet) -> None:
            changes.advance_max_applied(st.chat.id, top)

        # Only a chat reconciled in this session has a gap-free live stream;
        # otherwise the next reconcile moves the cursor.
        moves_cursor = event.kind == "new" and st.live_contiguous
        written = await self.applier.apply(st.chat, messages,
                                           after=advance if moves_cursor else None)
        st.written += written
        if written:
            self._notes_due.add(st.chat.id)

    async def _on_delete(self, event: LiveEvent) -> None:
        if event.chat_id is not None:
            targets = [self.chats[event.chat_id]] if event.chat_id in self.chats else []
        else:
            targets = [st for st in list(self.chats.values()) if st.chat.kind in COMMON_BOX_KINDS]
        for st in targets:
            if await self.applier.delete(st.chat, list(event.ids)):
                self._notes_due.add(st.chat.id)

    # --- reporting ----------------------------------------------------------------------
    async def status(self) -> dict:
        """The engine's and every chat's state. It iterates over a snapshot
        of the chats: chats are added and removed while it awaits the store."""
        chats = []
        for st in list(self.chats.values()):
            cursor = await self.store.cursors.get(st.chat.id)
            chats.append({
                "id": st.chat.id, "title": st.chat.title, "kind": st.chat.kind.value,
                "state": st.state, "error": st.error, "written": st.written,
                "max_applied_id": cursor.max_applied_id,
                "backfill_done": cursor.backfill_done,
                "indexed": await self._indexed(st),
                # Notes the user deleted: their old messages stay out.
                "deleted_notes": self.writer.deleted_notes(st.chat.id),
            })
        return {"state": self.state, "error": self.error, "chats": chats,
                "source": _asdict(self.source.status())}


    async def _indexed(self, st: ChatState) -> int:
        """The chat's index count, counted again only after it wrote
        something (or a minute passed, for writes counted elsewhere)."""
        now = time.monotonic()
        if st.counted is None or st.counted[1] != st.written or now - st.counted[2] > COUNT_EVERY_S:
            st.counted = (await self.store.index.count(st.chat.id), st.written, now)
        return st.counted[0]


def _asdict(obj) -> dict:
    from dataclasses import asdict, is_dataclass
    return asdict(obj) if is_dataclass(obj) else dict(obj or {})
