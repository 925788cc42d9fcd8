"""Live events applied as they arrive: new messages, edits, deletions and
renames of people (the sync engine's `LiveEvents` part). Each is made
durable through the engine's `Applier`, then its pts is recorded; one
that cannot be applied leaves its pts unrecorded and schedules a catch-up,
which repairs what it missed."""
from __future__ import annotations

import logging

from tobsd.core.errors import NeedsLogin
from tobsd.core.ports import ChangeSet, LiveEvent
from tobsd.core.states import ChatState

from .applier import LIVE
from .backfill import COMMON_BOX_KINDS
from .reconcile import keep_since
from .tracked import TrackedChat

log = logging.getLogger("tobsd.sync.engine")


class LiveEvents:
    """The live side of `SyncEngine` (engine.py), which it is mixed into:
    it uses the engine's chats, applier, store, catch-up, titles and media."""

    async def _on_event(self, event: LiveEvent) -> None:
        """A live event: applied, then its pts recorded (a hole in the
        sequence schedules a catch-up run)."""
        if self._stopping:
            return
        if event.kind == "reconnected":
            self.catchup.due.set()
            return
        self._live_busy += 1
        self._live_idle.clear()
        try:
            await self._apply_event(event)
            await self.catchup.observed(event)
        except NeedsLogin as exc:
            await self._needs_login(exc)
        except Exception as exc:
            # Its pts is not recorded: the next catch-up (or reconcile)
            # repairs what a failed live apply missed.
            log.warning("live %s in chat %s not applied (%s); will catch up",
                        event.kind, event.chat_id, exc)
            self.catchup.due.set()
            st = self.chats.get(event.chat_id)
            if st:
                st.wake.set()
        finally:
            self._live_busy -= 1
            if not self._live_busy:
                self._live_idle.set()

    async def _apply_event(self, event: LiveEvent) -> None:
        """Make one event durable (live or from a difference); raises when
        it could not."""
        if event.kind in ("new", "edit"):
            await self._on_messages(event)
        elif event.kind == "delete":
            await self._on_delete(event)
        elif event.kind == "people":
            chats = [st.chat for st in self.chats.values()]
            for chat in await self.titles.rename_people(chats, event.people):
                self._notes_due.add(chat.id)

    async def _on_messages(self, event: LiveEvent) -> None:
        st = self.chats.get(event.chat_id)
        if st is None or st.state is ChatState.PAUSED or not event.messages:
            return
        if event.kind == "new" and await self.titles.follow(st.chat, event.messages):
            self._notes_due.add(st.chat.id)
        messages = keep_since(list(event.messages), st.options.since_dt)
        top = max(m.id for m in event.messages)

        def advance(changes: ChangeSet) -> None:
            changes.advance_max_applied(st.chat.id, top)

        # Only a chat reconciled in this session has a gap-free live stream;
        # otherwise the next reconcile moves the cursor.
        moves_cursor = event.kind == "new" and st.live_contiguous
        written = await self.applier.apply(st.chat, messages, kind=LIVE,
                                           after=advance if moves_cursor else None)
        st.written += written
        if written:
            self._notes_due.add(st.chat.id)
            self._on_progress()

    async def _on_delete(self, event: LiveEvent) -> None:
        if event.chat_id is not None:
            if event.chat_id in self.chats:
                await self._delete_in(self.chats[event.chat_id], list(event.ids))
            return
        # Private chats and basic groups: Telegram names the ids alone (they
        # are unique across those chats); the index says whose they are.
        common = [st for st in self.chats.values() if st.chat.kind in COMMON_BOX_KINDS]
        owners = await self.store.index.owners([st.chat.id for st in common], event.ids)
        by_chat: dict[int, list[int]] = {}
        for msg_id, chat_id in owners.items():
            by_chat.setdefault(chat_id, []).append(msg_id)
        for chat_id, ids in by_chat.items():
            await self._delete_in(self.chats[chat_id], ids)
        unplaced = [i for i in event.ids if i not in owners]
        if unplaced:
            # Not indexed (yet): a batch in flight or a crash may hold them,
            # or their copy may still come; every common chat remembers.
            for st in common:
                await self._delete_in(st, unplaced)

    async def _delete_in(self, st: TrackedChat, ids: list[int]) -> None:
        if await self.applier.delete(st.chat, ids):
            self._notes_due.add(st.chat.id)
            self._on_progress()
        if self.media is not None:
            await self.media.released(st.chat.id, ids)
