"""The verification pass: a chat whose changes outran Telegram's update log
is compared with Telegram window by window, without downloading what did
not change.

Walking down from the cursor, each step takes the ids the index holds for
the next window (the highest 100 live ids below the offset) and asks
Telegram whether any of them was deleted with position probes (probe.py):
one messages.getHistory request for the one message at the window's oldest
position, with the result hash of the id expected there
(core.telegram.org/api/offsets, "Hash generation"), answered
`messagesNotModified` (20 bytes) while the window is whole. A window that
lost messages is halved until each deleted id is found, about ten
requests of one message each per deletion. Deleted ids are marked (or
removed) through the applier; every message a probe brings back goes
through the applier too, which writes it only if it is new or changed.
Where deletions are dense (a window needing more than PROBES_PER_WINDOW
probes, or more than DENSE of the messages checked so far deleted)
windows are asked whole with the ids hash of the window instead: a page of
100 costs less there than ten probes per deletion.

What this cannot see: an edit of an old message. Telegram documents the
hash of messages.getHistory as built from message ids only ("message ID
hashes"; methods whose hash covers edit_date, such as
messages.getScheduledHistory, say so), no method lists only ids and edit
dates, and updates.getChannelDifference's channelMessagesFilter "cannot be
used to fetch messages older than the channel message box size"; so the only documented way to find an old
edit once the log has dropped it is to read the message again. Edits made
inside the update log come with the differences, and edits of the newest
page with reconcile. `full` (config `[sync] verify = "full"`) asks for
every page whole instead and finds every edit, at the cost of reading the
whole history again (the vault is still only written where it changed).

Progress (next offset, messages checked) is committed with each window, so
a restart resumes where the pass was. A pause between windows and the
engine's shared request budget leave room for live sync and backfill.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from tobsd.core import fairshare
from tobsd.core.models import Chat
from tobsd.core.ports import ChangeSet, HistoryPage, StatePort, TelegramSource

from .applier import Applier
from .budget import RequestBudget
from .probe import WindowProbe
from .reconcile import keep_since

PAGE = 100
PAUSE_S = 0.02           # between two windows of one pass
# Deletions per message checked above which windows are asked whole (with the
# ids hash of the window): a deletion costs about ten probes of at most one
# message each, so where one message in 20 was deleted the page of 100 is
# cheaper in bytes and far cheaper in requests.
DENSE = 0.05
PROBES_PER_WINDOW = 24    # about two deletions' worth; more, and the window is asked whole


@dataclass(slots=True)
class VerifyProgress:
    checked: int = 0          # messages compared so far
    requests: int = 0         # history requests this pass made
    unchanged: int = 0        # of them answered messagesNotModified
    deleted: int = 0
    changed: int = 0


async def verify_chat(source: TelegramSource, applier: Applier, store: StatePort, chat: Chat, *,
                      requests: RequestBudget, since: datetime | None = None,
                      progress: VerifyProgress | None = None,
                      on_step: Callable[[], None] = lambda: None,
                      full: bool = False, pause_s: float = PAUSE_S) -> VerifyProgress:
    """Run (or resume) the chat's pending verification pass to its end.
    `full`: ask for every page whole (finds edits in unchanged pages too)."""
    progress = progress or VerifyProgress()
    pending = (await store.updates.verify_pending()).get(chat.id)
    if pending is None:
        return progress
    offset, progress.checked = pending
    if not offset:
        offset = (await store.cursors.get(chat.id)).max_applied_id + 1
    await _check_unindexed(source, applier, store, chat, progress)

    async def ask(**kwargs) -> HistoryPage:
        with fairshare.using(fairshare.RECONCILE):   # its share of the history limit
            async with requests.slot(chat.id):
                return await source.history(chat, **kwargs)

    probe = WindowProbe(source, chat, ask, max_requests=PROBES_PER_WINDOW)
    while True:
        expected = await store.index.ids_below(chat.id, offset, PAGE)
        if not expected:
            await _finish(store, chat)
            return progress
        probed = None
        if not (full or _dense(progress)):
            probed = await _probe(probe, applier, store, chat, expected, since, progress)
        if probed is not None:
            offset, done = probed
        else:
            page = await ask(offset_id=offset, limit=PAGE,
                             unless_ids=None if full else expected)
            progress.requests += 1
            if page.not_modified:
                progress.unchanged += 1
                offset, done = await _checked(applier, store, chat, expected, [], progress)
            else:
                offset, done = await _compare(applier, store, chat, page.messages, offset,
                                              since, progress, PAGE)
        on_step()
        if done:
            return progress
        await asyncio.sleep(pause_s)


async def _probe(probe: WindowProbe, applier: Applier, store: StatePort, chat: Chat,
                 expected: list[int], since: datetime | None,
                 progress: VerifyProgress) -> tuple[int, bool] | None:
    """Check one window of indexed ids by probes; returns (next offset,
    whether the pass ended), or None when the probes gave up (deletions
    too dense: the window is to be asked whole)."""
    found = await probe.deleted(expected)
    progress.requests += found.requests
    progress.unchanged += found.not_modified
    if found.gave_up:
        return None       # the whole window comes next and shows its deletions
    if found.gone:
        progress.deleted += await applier.delete(chat, found.gone)
    seen = keep_since(list({m.id: m for m in found.seen}.values()), since)
    return await _checked(applier, store, chat, expected, seen, progress)


def _dense(progress: VerifyProgress) -> bool:
    return progress.checked >= PAGE and progress.deleted > DENSE * progress.checked


async def _checked(applier: Applier, store: StatePort, chat: Chat, expected: list[int],
                   seen: list, progress: VerifyProgress) -> tuple[int, bool]:
    """Record the window `expected` checked (applying `seen`, messages
    Telegram sent meanwhile); returns (next offset, whether the pass ended)."""
    low, done = expected[-1], len(expected) < PAGE
    checked = progress.checked + len(expected)

    def advance(changes: ChangeSet) -> None:
        if done:
            changes.finish_verify(chat.id)
        else:
            changes.advance_verify(chat.id, low, checked)

    if seen:
        progress.changed += await applier.apply(chat, seen, after=advance)
    else:
        changes = store.changes()
        advance(changes)
        await store.commit(changes)
    progress.checked = checked
    return low, done


async def _compare(applier: Applier, store: StatePort, chat: Chat, messages: list, offset: int,
                   since: datetime | None, progress: VerifyProgress,
                   limit: int) -> tuple[int, bool]:
    """Apply a page that changed; returns (next offset, whether the pass ended)."""
    full = len(messages) >= limit
    ids = {m.id for m in messages}
    low = min(ids) if full else 0
    held = await store.index.ids_between(chat.id, low, offset)
    gone = sorted(set(held) - ids)
    if gone:
        progress.deleted += await applier.delete(chat, gone)
    kept = keep_since(messages, since)
    done = not full or len(kept) < len(messages)
    checked = progress.checked + len(held)

    def advance(changes: ChangeSet) -> None:
        if done:
            changes.finish_verify(chat.id)
        else:
            changes.advance_verify(chat.id, low, checked)

    progress.changed += await applier.apply(chat, kept, after=advance)
    progress.checked = checked
    return low, done


async def _check_unindexed(source: TelegramSource, applier: Applier, store: StatePort, chat: Chat,
                           progress: VerifyProgress) -> None:
    """Messages a crash left written but never indexed (pending batches) are
    not in the pages' hashes: ask for them by id, and mark the ones
    Telegram no longer has (the ones it has come with their page, which
    then differs from the index)."""
    unindexed = await store.pending.ids(chat.id)
    if not unindexed:
        return
    with fairshare.using(fairshare.RECONCILE):
        found = await source.messages(chat, unindexed)
    progress.requests += 1
    gone = [msg_id for msg_id, message in zip(unindexed, found) if message is None]
    if gone:
        progress.deleted += await applier.delete(chat, gone)


async def _finish(store: StatePort, chat: Chat) -> None:
    changes = store.changes()
    changes.finish_verify(chat.id)
    await store.commit(changes)
