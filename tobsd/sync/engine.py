"""The sync engine: every tracked chat backfilled, followed live, reconciled.

Per chat, one task: reconcile (newest page; a gap becomes shards), backfill
the pending shards, run a pending verification pass (verify.py), check
that the chat is complete, write the chat note, then reconcile again on a
schedule or when asked (`sync_now`). Live events from the Telegram source
are applied as they arrive, through the same `Applier`, also while the
backfill runs; but a chat reports `live` only once it is complete (its
backfill done, every message up to the newest indexed). The states and
their transitions are `tobsd.core.states`. A forum's topic titles are
fetched before its messages are written, and renames Telegram reports live
change titles in place (`Titles`). What changed while tobsd was away comes
through `CatchUp` (catchup.py): on start, after a reconnect and when a live
update shows a hole in its pts sequence. A chat followed without a break
before the stop is complete again from that catch-up alone, without a
history request (followed.py). Once live, each chat's newest message is
compared with Telegram for all chats at once every `reconcile_every_s`
(sweep.py), and only chats that differ are reconciled; each chat's newest
page is compared on its own about every `page_check_every_s`, at times
spread at random, by its ids hash (an unchanged page is answered
messagesNotModified, and a changed one leads to a full reconcile).

All chats share one budget of history requests in flight
(`RequestBudget`), handed out fairly between chats.

Parts of the engine live beside it: what it keeps per chat (tracked.py),
how live events are applied (live.py) and its status report (report.py).

Failures stay local: a chat Telegram refuses (ChatUnavailable) records its
error and stops, the others go on; any other failure is shown and retried
with backoff (a full disk as `disk-full`, anything else as `retrying`);
a session that is no longer authorised (NeedsLogin) stops the whole engine
with state "needs-login" and leaves the state as it is.
"""
from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import Callable, Sequence
from datetime import datetime, timezone

from tobsd.core import fairshare
from tobsd.core.errors import ChatUnavailable, NeedsLogin
from tobsd.core.media_ports import MediaPort
from tobsd.core.models import Chat, Message
from tobsd.core.ports import StatePort, TelegramSource, VaultPort
from tobsd.core.states import ChatState, DaemonState

from .applier import Applier
from .backfill import Backfill
from .budget import RequestBudget
from .catchup import CatchUp
from .due import DueSet
from .followed import box_of, resumable, resume
from .live import LiveEvents
from .reconcile import PAGE, reconcile
from .report import EngineReport
from .sweep import sweep
from .titles import Titles
from .tracked import ChatOptions, IncompleteChat, TrackedChat, is_disk_full
from .verify import VerifyProgress, verify_chat

log = logging.getLogger(__name__)

DISK_RETRY_S = (1, 2, 5, 10, 30)
CATCH_UP_RETRY_S = (1, 2, 5, 10, 30, 60)
STOP_WAIT_S = 10.0        # how long a stop waits for a live event being applied


class SyncEngine(LiveEvents, EngineReport):
    def __init__(self, source: TelegramSource, store: StatePort, writer: VaultPort, *, workers: int = 6,
                 reconcile_every_s: float = 600.0, page_check_every_s: float = 3600.0,
                 on_change: Callable[[], None] | None = None,
                 on_progress: Callable[[], None] | None = None,
                 verify_full: bool = False, media: MediaPort | None = None):
        """`on_change()` is called when the engine's or a chat's state
        changes (so a status report can go out at once), `on_progress()`
        when messages were written (counts to report). `verify_full`:
        verification passes read every page whole (verify.py). `media`: the
        download side stream, told of every batch before it is written and
        of every deletion (None: attachments stay placeholders)."""
        self.source, self.store, self.writer = source, store, writer
        self.titles = Titles(source, store, writer)
        self.media = media
        self.applier = Applier(store, writer, prepare=self._prepare)
        self.workers = workers
        self.requests = RequestBudget(workers)
        self.reconcile_every_s = reconcile_every_s
        self.page_check_every_s = page_check_every_s
        self.chats: dict[int, TrackedChat] = {}
        self.state = DaemonState.STARTING
        self.error: str | None = None
        self.stopped = asyncio.Event()
        self._on_change = on_change or (lambda: None)
        self._on_progress = on_progress or (lambda: None)
        self._notes_due = DueSet()             # chats whose chat note lags behind live writes
        self._notes_task: asyncio.Task | None = None
        self.catchup = CatchUp(source, store, self._apply_event, self._tracked_chats,
                               self._mark_verify)
        self._catchup_task: asyncio.Task | None = None
        self._verifying: dict[int, VerifyProgress] = {}
        self.verify_full = verify_full
        self._live_busy = 0                    # live events being applied now
        self._live_idle = asyncio.Event()
        self._live_idle.set()
        self._stopping = False
        self._followed_at_start: set[int] | None = None   # taken from the state on start
        self._sweep_task: asyncio.Task | None = None
        source.subscribe(self._on_event)

    # --- chats ------------------------------------------------------------------
    async def add_chat(self, chat: Chat, options: ChatOptions | None = None) -> TrackedChat:
        """Track a chat: its live updates apply at once; it reports `live` once its backfill is complete."""
        options = options or ChatOptions()
        if chat.id in self.chats:
            st = self.chats[chat.id]
            st.chat, st.options = chat, options
            return st
        await self.store.chats.upsert(chat.id, chat.kind.value, chat.title, chat.username)
        row = await self.store.chats.get(chat.id)
        await self.titles.load(chat)
        st = TrackedChat(chat, options)
        followed = await self._followed_on_start()
        if options.paused or (row is not None and row.paused):
            st.move(ChatState.PAUSED)
        elif chat.id in followed:
            st.resume_run = self.catchup.next_run()
        self.chats[chat.id] = st
        if st.state is not ChatState.PAUSED:
            st.task = asyncio.get_running_loop().create_task(self._run_chat(st))
            if self._catchup_task is not None:
                self.catchup.due.set()   # a chat added while running: its update state too
        return st

    async def set_paused(self, chat_id: int, paused: bool) -> None:
        st = self.chats[chat_id]
        await self.store.chats.set_paused(chat_id, paused)
        if paused:
            # Its updates are dropped while paused: no longer followed.
            st.resume_run = None
            await self._unfollow(st)
        if paused and st.task:
            st.task.cancel()
            st.task = None
            st.move(ChatState.PAUSED)
            self._on_change()
        elif not paused and st.task is None:
            st.move(ChatState.STARTING)
            st.task = asyncio.get_running_loop().create_task(self._run_chat(st))

    async def remove_chat(self, chat_id: int) -> None:
        """Stop tracking a chat; its notes stay in the vault."""
        st = self.chats.pop(chat_id, None)
        if st and st.task:
            st.task.cancel()
            # Ended before this returns: no write of the chat is sent after
            # (a caller may go on to remove the chat's notes).
            await asyncio.gather(st.task, return_exceptions=True)
        if st and self.media is not None:
            await self.media.forget_chat(chat_id)   # after the task: it queues no more
        await self.store.chats.remove(chat_id)

    def sync_now(self, chat_id: int | None = None) -> None:
        for st in self.chats.values():
            if chat_id is None or st.chat.id == chat_id:
                st.wake.set()

    # --- running ------------------------------------------------------------------
    async def start(self) -> None:
        """Start catching up on what changed while offline (in the
        background); the chat tasks reconcile."""
        self.state = self.state.move(DaemonState.RUNNING)
        loop = asyncio.get_running_loop()
        self._notes_task = loop.create_task(self._chat_notes_loop())
        # Followed chats not tracked in this run stay unrecorded: their
        # updates are not applied from now on.
        await self._followed_on_start()
        self._followed_at_start = set()
        self.catchup.due.set()
        self._catchup_task = loop.create_task(self._catchup_loop())
        self._sweep_task = loop.create_task(self._sweep_loop())

    async def _followed_on_start(self) -> set[int]:
        """Once, before any chat task runs (the first add_chat, or start):
        the state left by the last run."""
        if self._followed_at_start is None:
            # Before any batch of this run and before catching up: pending
            # batches still needed are the ones whose messages may be
            # deleted in what comes next (a batch of this run, in flight,
            # must not be counted as one a crash left).
            if dropped := await self.store.pending.prune():
                log.info("%d interrupted batches were applied again since", dropped)
            self._followed_at_start = await self.store.followed.take()
            await self.catchup.load_stored()
        return self._followed_at_start

    async def _unfollow(self, st: TrackedChat) -> None:
        if st.followed:
            st.followed = False
            await self.store.followed.discard([st.chat.id])

    async def check(self) -> None:
        """One cheap request (updates.getState): NeedsLogin when the session
        was revoked; a catch-up run when the account's pts moved past what
        tobsd applied (updates that never reached it, e.g. across a
        reconnect)."""
        now = await self.source.update_state()
        if await self.catchup.behind(now.pts):
            self.catchup.due.set()

    async def _catchup_loop(self) -> None:
        retry = 0
        while True:
            await self.catchup.due.wait()
            try:
                await self.catchup.run()
                retry = 0
            except asyncio.CancelledError:
                raise
            except NeedsLogin as exc:
                await self._needs_login(exc)
                return
            except Exception:
                log.exception("catching up failed; trying again")
                await asyncio.sleep(CATCH_UP_RETRY_S[min(retry, len(CATCH_UP_RETRY_S) - 1)])
                retry += 1
                self.catchup.due.set()
            self._on_change()

    def _tracked_chats(self) -> list[Chat]:
        return [st.chat for st in self.chats.values() if st.state != "paused"]

    async def _mark_verify(self, chats: list[Chat]) -> None:
        """These chats need a verification pass: recorded, then their tasks woken."""
        if not chats:
            return
        changes = self.store.changes()
        for chat in chats:
            changes.add_verify(chat.id)
        await self.store.commit(changes)
        for chat in chats:
            if (st := self.chats.get(chat.id)) is not None:
                await self._unfollow(st)
        for chat in chats:
            if (st := self.chats.get(chat.id)) is not None:
                st.wake.set()

    async def stop(self) -> None:
        self._stopping = True
        tasks = [st.task for st in self.chats.values() if st.task]
        if self._notes_task is not None:
            tasks.append(self._notes_task)
        if self._catchup_task is not None:
            tasks.append(self._catchup_task)
        if self._sweep_task is not None:
            tasks.append(self._sweep_task)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # A live event being applied finishes (its batch is then recorded
        # by the drain below instead of being left pending).
        try:
            await asyncio.wait_for(self._live_idle.wait(), STOP_WAIT_S)
        except asyncio.TimeoutError:
            log.warning("a live event was still being applied at stop")
        # Batches already handed to the writer are recorded before the
        # writer and the store close.
        await self.applier.drain()
        if self.state is not DaemonState.NEEDS_LOGIN:
            self.state = self.state.move(DaemonState.STOPPED)
        self.stopped.set()

    async def _needs_login(self, exc: BaseException) -> None:
        if self.state == DaemonState.NEEDS_LOGIN:
            return
        log.error("the Telegram session is not authorised (%s); run `tobsd login`", exc)
        self.state, self.error = self.state.move(DaemonState.NEEDS_LOGIN), str(exc)
        self._on_change()
        current = asyncio.current_task()
        for st in self.chats.values():
            if st.task and st.task is not current:
                st.task.cancel()
        self.stopped.set()

    async def _run_chat(self, st: TrackedChat) -> None:
        retry = 0
        while True:
            try:
                # Cleared before the pass, so a wake-up asked for during it
                # (a verification recorded meanwhile) starts the next one.
                st.wake.clear()
                run, st.resume_run = st.resume_run, None   # only the first pass may resume
                if run is None or not await self._resume(st, run):
                    await self._sync_chat(st)
                retry = 0
                await self._follow(st)
            except asyncio.CancelledError:
                raise
            except NeedsLogin as exc:
                await self._needs_login(exc)
                return
            except ChatUnavailable as exc:
                st.move(ChatState.ERROR)
                st.error = str(exc)
                self._on_change()
                await self._unfollow(st)
                await self.store.chats.set_error(st.chat.id, str(exc))
                log.warning("chat %s: %s", st.chat.title, exc)
                return
            except Exception as exc:
                if is_disk_full(exc):
                    st.move(ChatState.DISK_FULL)
                    st.error = "the disk is full; waiting for space"
                else:
                    st.move(ChatState.RETRYING)
                    st.error = f"{type(exc).__name__}: {exc}"
                    log.exception("chat %s failed; retrying", st.chat.title)
                self._on_change()
                try:
                    await self._unfollow(st)
                except Exception as again:   # the retry below covers it
                    log.warning("chat %s: %s", st.chat.title, again)
                await asyncio.sleep(DISK_RETRY_S[min(retry, len(DISK_RETRY_S) - 1)])
                retry += 1

    async def _resume(self, st: TrackedChat, run: int) -> bool:
        """Bring a chat followed before the stop back to `live` from the
        catch-up run `run` alone (followed.py); False when it needs a pass."""
        if not await resumable(self.store, st.chat, await self.catchup.outcome(run)):
            return False
        await resume(self.store, st.chat)
        st.followed = st.live_contiguous = True
        st.last_reconcile = time.time()
        await self._write_chat_note(st)
        if st.move(ChatState.LIVE):
            self._on_change()
        return True

    async def _follow(self, st: TrackedChat) -> None:
        """Wait until the chat needs a pass: woken (asked, the sweep found
        it changed, a verification was recorded), or its newest page no
        longer has the ids the index holds (when it still has them, the
        chat note's synced_through moves to now). A chat not followed yet (its
        last reconcile came before its update box had a state: the first
        start) gets its next pass within one period, at a random time."""
        first = True
        while True:
            if not st.followed:
                delay = self.reconcile_every_s * random.uniform(0.1, 1.0)
            elif first:   # spread over the interval from the start, not all due together
                delay = self.page_check_every_s * random.uniform(0.1, 1.0)
            else:
                delay = self.page_check_every_s * random.uniform(0.5, 1.5)
            first = False
            try:
                await asyncio.wait_for(st.wake.wait(), delay)
                return
            except asyncio.TimeoutError:
                pass
            if not st.followed or not await self._page_unchanged(st):
                return
            await self._write_chat_note(st)   # its synced_through: complete as of now

    async def _page_unchanged(self, st: TrackedChat) -> bool:
        """One getHistory of the newest page with the ids hash of the ids
        the index holds there: True when Telegram answers messagesNotModified."""
        held = await self.store.index.ids_below(st.chat.id, 2**62, PAGE)
        if not held:
            return False
        with fairshare.using(fairshare.RECONCILE):
            async with self.requests.slot(st.chat.id):
                page = await self.source.history(st.chat, limit=PAGE, unless_ids=held)
        return page.not_modified

    async def _sweep_loop(self) -> None:
        """Every period, the newest message of every live chat compared at
        once (sweep.py); the chats that differ are woken."""
        while True:
            await asyncio.sleep(self.reconcile_every_s)
            live = [st for st in self.chats.values() if st.state is ChatState.LIVE]
            try:
                changed = await sweep(self.source, self.store, [st.chat for st in live],
                                      {st.chat.id: st.seen_top for st in live},
                                      self.catchup.run_channels)
            except asyncio.CancelledError:
                raise
            except NeedsLogin as exc:
                await self._needs_login(exc)
                return
            except Exception:
                log.exception("comparing the chats' newest messages failed; trying next period")
                continue
            for chat in changed:
                if (st := self.chats.get(chat.id)) is not None:
                    log.info("chat %s: its newest message differs; reconciling", chat.title)
                    st.wake.set()

    async def _sync_chat(self, st: TrackedChat) -> None:
        """One pass over a chat: reconcile, backfill what is missing, and
        `live` once the store shows it complete."""
        if st.move(ChatState.RECONCILING if st.state.complete else ChatState.STARTING):
            self._on_change()
        await self.titles.refresh_topics(st.chat)   # before any message names a topic folder
        box_known = False

        def asking() -> None:
            nonlocal box_known
            box_known = self.catchup.knows(box_of(st.chat))

        result = await reconcile(self.source, self.applier, self.store, st.chat,
                                 since=st.options.since_dt, requests=self.requests,
                                 asking=asking)
        st.seen_top = result.newest_id
        st.written += result.new_or_changed
        if result.title:   # renamed while tobsd was away (or its rename message was missed)
            await self.titles.rename_chat(st.chat, result.title)
        st.live_contiguous = True
        st.last_reconcile = time.time()
        # Shards left, or all done but not yet recorded so (stopped in between).
        if await self.store.shards.pending(st.chat.id) or \
                not (await self.store.cursors.get(st.chat.id)).backfill_done:
            st.move(ChatState.BACKFILLING)
            self._on_change()
            backfill = Backfill(self.source, self.applier, self.store, st.chat,
                                workers=self.workers, requests=self.requests,
                                since=st.options.since_dt, on_page=self._count,
                                ids_per_page=result.ids_per_page,
                                expected_below=result.expected_below)
            await backfill.run()
        if st.chat.id in await self.store.updates.verify_pending():
            if st.move(ChatState.VERIFYING):
                self._on_change()
            progress = self._verifying.setdefault(st.chat.id, VerifyProgress())
            await verify_chat(self.source, self.applier, self.store, st.chat,
                              requests=self.requests, since=st.options.since_dt,
                              progress=progress, on_step=self._on_change,
                              full=self.verify_full)
            self._verifying.pop(st.chat.id, None)
            log.info("chat %s verified: %d messages checked in %d requests (%d unchanged "
                     "pages), %d deleted, %d changed", st.chat.title, progress.checked,
                     progress.requests, progress.unchanged, progress.deleted, progress.changed)
        # Replies whose target came in a batch that failed to link them.
        await self.applier.relink_replies(st.chat)
        await self._check_complete(st)
        if st.error:
            await self.store.chats.set_error(st.chat.id, None)
            st.error = None
        await self._write_chat_note(st)
        if box_known and not st.followed:
            await self.store.followed.add(st.chat.id)
            st.followed = True
        if st.move(ChatState.LIVE):
            self._on_change()

    async def _check_complete(self, st: TrackedChat) -> None:
        """IncompleteChat unless the store records the chat complete: no
        shard pending and the backfill done."""
        pending = await self.store.shards.pending(st.chat.id)
        cursor = await self.store.cursors.get(st.chat.id)
        if pending or not cursor.backfill_done:
            raise IncompleteChat(f"{st.chat.title}: backfill not complete "
                                 f"({len(pending)} shards pending, done={cursor.backfill_done})")

    async def _chat_notes_loop(self, every_s: float = 2.0) -> None:
        """Refresh the chat notes of chats that live messages changed (their
        count, and links to period notes that live messages created)."""
        while True:
            for chat_id in await self._notes_due.take(every_s):
                st = self.chats.get(chat_id)
                if st is not None and st.state.complete:
                    try:
                        await self._write_chat_note(st)
                    except Exception as exc:
                        log.warning("chat note of %s not refreshed: %s", st.chat.title, exc)
                        self._notes_due.add(chat_id)

    def _count(self, chat: Chat, n: int) -> None:
        st = self.chats.get(chat.id)
        if st:
            st.written += n
            self._on_progress()

    async def _write_chat_note(self, st: TrackedChat) -> None:
        cursor = await self.store.cursors.get(st.chat.id)
        count = await self.store.index.count(st.chat.id)
        synced = datetime.now(timezone.utc) if cursor.backfill_done else None
        await self.writer.write_chat_note(st.chat, synced_through=synced, message_count=count)

    async def _prepare(self, chat: Chat, messages: Sequence[Message]) -> None:
        await self.titles.prepare(chat, messages)
        if self.media is not None:
            await self.media.prepare(chat, messages)

    async def rerender(self, chat_id: int, msg_ids: list[int]) -> None:
        """Write these messages again as Telegram has them now (their media
        landed or failed: what the note shows of it changed)."""
        st = self.chats.get(chat_id)
        if st is None:
            return
        found = [m for m in await self.source.messages(st.chat, msg_ids) if m is not None]
        if self.chats.get(chat_id) is not st:
            return   # removed while Telegram answered: its notes may be gone already
        if found and await self.applier.apply(st.chat, found):
            self._notes_due.add(chat_id)
