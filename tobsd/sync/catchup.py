"""Catching up on what changed while tobsd was not connected.

tobsd keeps its own update state in SQLite (`update_state`): the account's
common box (pts, qts, date, seq) and each tracked channel's pts. On start,
after a reconnect, and whenever a live update shows a hole in its pts
sequence, `CatchUp.run()`:

1. asks `updates.getDifference` from the stored account state, answer after
   answer until Telegram says it is final;
2. asks `updates.getChannelDifference` from each tracked channel's stored
   pts, the same way.

Every answer's events (new messages, edits, deletions) go through the
engine's one durable path (`apply`), and only once they are in the vault
and the index is the state advanced past them; a crash in between asks
for the same answer again, which changes nothing. When Telegram no longer
has the changes (`differenceTooLong`, `channelDifferenceTooLong`) the
state restarts at what Telegram gives and the affected chats get a
verification pass (verify.py), recorded in the same database so a restart
resumes it.

A box seen for the first time (no stored state) starts at Telegram's
current state: the chat's reconcile and backfill fetch its history.

Live updates move the stored pts too (`observed`): one that follows the
stored pts exactly (pts - pts_count == stored) advances it once applied;
one that does not shows a hole, and a run is scheduled.

Each run says which boxes it brought to Telegram's state without a break
(`outcome`): from a stored state, every answer applied up to a final one,
none of them "too long". A chat followed without a break before (see
followed.py) whose box is among them is complete again without reading its
history.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable, Iterable

from tobsd.core import fairshare
from tobsd.core.errors import ChatUnavailable
from tobsd.core.models import Chat, ChatKind
from tobsd.core.ports import ACCOUNT_BOX, LiveEvent, StatePort, TelegramSource, UpdateState

log = logging.getLogger(__name__)

CHANNEL_KINDS = (ChatKind.CHANNEL, ChatKind.SUPERGROUP, ChatKind.FORUM)
COMMON_BOX_KINDS = (ChatKind.USER, ChatKind.BOT, ChatKind.GROUP)
MAX_ANSWERS = 10_000          # per box and run: a server that never says final is not followed forever

ApplyEvent = Callable[[LiveEvent], Awaitable[None]]


class CatchUp:
    """The update state and the difference loop of one account.

    `apply(event)` makes one event durable (raising when it could not);
    `chats()` lists the tracked chats; `verify(chats)` records that these
    chats need a verification pass and wakes them.
    """

    def __init__(self, source: TelegramSource, store: StatePort, apply: ApplyEvent,
                 chats: Callable[[], Iterable[Chat]],
                 verify: Callable[[list[Chat]], Awaitable[None]]) -> None:
        self.source, self.store = source, store
        self._apply, self._chats, self._verify = apply, chats, verify
        self._known: dict[int, UpdateState] = {}
        self._stored: set[int] = set()      # boxes with a state stored before this start
        self._lock = asyncio.Lock()
        self.due = asyncio.Event()          # set: a run is wanted
        self.running = False
        self.runs = 0                       # completed runs
        self.answers = 0                    # difference answers applied, all runs
        self._started = 0                   # runs started (numbered from 1)
        self._finished = 0                  # the number of the last run that ended
        self._clean: set[int] = set()       # boxes that run caught up without a break
        self._ended = asyncio.Event()       # set (and replaced) when a run ends

    # --- runs ------------------------------------------------------------------
    async def run(self) -> None:
        """One full catch-up: the account box, then every tracked channel."""
        async with self._lock:
            self.due.clear()
            self.running = True
            self._started += 1
            clean: set[int] = set()
            try:
                with fairshare.using(fairshare.LIVE):   # its share of every limit
                    await self._account(clean)
                    await self._channels(clean)
                self.runs += 1
            finally:
                self.running = False
                self._end(self._started, clean)

    async def run_channels(self, chats: Iterable[Chat]) -> None:
        """Catch up these channels only (their dialogs show a pts past the stored one)."""
        async with self._lock:
            with fairshare.using(fairshare.LIVE):
                for chat in chats:
                    stored = await self._load(chat.id)
                    if stored is not None:
                        try:
                            await self._channel(chat, stored.pts)
                        except ChatUnavailable as exc:
                            log.warning("chat %s: no channel difference (%s)", chat.title, exc)

    def _end(self, number: int, clean: set[int]) -> None:
        self._finished, self._clean = number, clean
        ended, self._ended = self._ended, asyncio.Event()
        ended.set()

    def next_run(self) -> int:
        """The number of the first run that starts after now."""
        return self._started + 1

    async def outcome(self, number: int) -> set[int]:
        """Waits until run `number` (or a later one) ended; the boxes the
        last run that ended caught up without a break (a failed run: those
        it finished before failing)."""
        while self._finished < number:
            await self._ended.wait()
        return set(self._clean)

    async def load_stored(self) -> None:
        """Remember which boxes have a stored state, before the first run
        (`knows`)."""
        self._stored = await self.store.updates.boxes()

    def knows(self, box: int) -> bool:
        """Whether the box has a stored update state (found on start, or
        loaded or stored by a run): the catch-up goes on from it, so every
        change past it reaches the engine through differences or live
        updates, for a chat tracked by then."""
        return box in self._known or box in self._stored

    async def _account(self, clean: set[int]) -> None:
        stored = await self._load(ACCOUNT_BOX)
        if stored is None:
            now = await self.source.update_state()
            await self._save(ACCOUNT_BOX, UpdateState(now.pts, now.qts, now.date, now.seq))
            return
        whole = True
        state = UpdateState(stored.pts, stored.qts, stored.date, stored.seq)
        for _ in range(MAX_ANSWERS):
            diff = await self.source.difference(state)
            for event in diff.events:
                await self._apply(event)
            if diff.too_long:
                whole = False
                common = [c for c in self._chats() if c.kind in COMMON_BOX_KINDS]
                log.info("the account's changes outran Telegram's update log: "
                         "verifying %d chats", len(common))
                await self._verify(common)
            state = diff.state or state
            await self._save(ACCOUNT_BOX, UpdateState(state.pts, state.qts, state.date, state.seq))
            self.answers += 1
            if diff.final:
                if whole:
                    clean.add(ACCOUNT_BOX)
                return

    async def _channels(self, clean: set[int]) -> None:
        channels = [c for c in self._chats() if c.kind in CHANNEL_KINDS]
        stored = {c.id: await self._load(c.id) for c in channels}
        fresh = [c for c in channels if stored[c.id] is None]
        if fresh:
            for chat_id, pts in (await self.source.channel_pts(fresh)).items():
                await self._save(chat_id, UpdateState(pts))
        for chat in channels:
            if stored[chat.id] is None:
                continue
            try:
                if await self._channel(chat, stored[chat.id].pts):
                    clean.add(chat.id)
            except ChatUnavailable as exc:
                log.warning("chat %s: no channel difference (%s)", chat.title, exc)

    async def _channel(self, chat: Chat, pts: int) -> bool:
        """True when the channel was caught up without a break."""
        whole = True
        for _ in range(MAX_ANSWERS):
            diff = await self.source.channel_difference(chat, pts)
            for event in diff.events:
                await self._apply(event)
            if diff.too_long:
                log.info("chat %s: its changes outran Telegram's update log: verifying",
                         chat.title)
                whole = False
                await self._verify([chat])
            pts = max(pts, diff.pts)
            await self._save(chat.id, UpdateState(pts))
            self.answers += 1
            if diff.final:
                return whole
        return False

    # --- live ---------------------------------------------------------------------
    async def observed(self, event: LiveEvent) -> None:
        """A live event was applied: advance its box when it follows the
        stored pts, or schedule a run when it shows a hole."""
        if event.box is None or not event.pts:
            return
        known = self._known.get(event.box)
        if known is None or event.pts <= known.pts:
            return
        if event.pts - event.pts_count == known.pts:
            await self._save(event.box, UpdateState(event.pts, known.qts, known.date, known.seq))
        else:
            self.due.set()

    async def behind(self, pts: int) -> bool:
        """Whether the account's pts `pts` (from updates.getState) is past
        what tobsd applied."""
        known = await self._load(ACCOUNT_BOX)
        return known is not None and pts > known.pts

    # --- state ----------------------------------------------------------------------
    async def _load(self, box: int) -> UpdateState | None:
        state = await self.store.updates.get(box)
        if state is not None:
            current = self._known.get(box)
            if current is None or current.pts < state.pts:
                self._known[box] = state
        return self._known.get(box, state)

    async def _save(self, box: int, state: UpdateState) -> None:
        """Store the box's state (never moving its pts back)."""
        current = self._known.get(box)
        if current is not None and current.pts > state.pts:
            return
        await self.store.updates.put(box, state)
        self._known[box] = state

    def status(self) -> dict:
        return {"running": self.running or self.due.is_set(), "runs": self.runs,
                "answers": self.answers}
