"""The verification pass: a chat whose changes outran Telegram's update log
is compared with Telegram page by page, without downloading what did not
change.

Walking down from the cursor, each step takes the ids the index holds for
the next page (the highest live ids below the offset) and asks for that
page of history with Telegram's result hash of those ids
(core.telegram.org/api/offsets, "Hash generation"; for messages.getHistory
the hash is built from the message ids). When the page still holds exactly
those messages Telegram answers `messagesNotModified`: a few bytes, no
messages. Otherwise the page comes whole: ids the index holds inside its
window but Telegram no longer returns were deleted, and every message it
returns goes through the applier, which writes the new and the changed
ones (edits of messages in that page included) and nothing else. Pages
are 100 messages while nothing changes (one request per 100 messages) and
smaller where changes turn out dense (`page_size`).

What the hash does not cover: Telegram's documented hash for getHistory is
built from ids only, so an edit of a message whose page lost or gained no
message is not seen this way (an edit inside the update log is: it comes
with the difference). `full` (config `[sync] verify = "full"`) asks for
every page whole instead and finds every edit, at the cost of reading the
whole history again (the vault is still only written where it changed).

Progress (next offset, messages checked) is committed with each step, so a
restart resumes where the pass was. A pause between requests and the
engine's shared request semaphore leave room for live sync and backfill.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from tobsd.core import fairshare
from tobsd.core.models import Chat
from tobsd.core.ports import ChangeSet, StatePort, TelegramSource

from .applier import Applier
from .budget import RequestBudget
from .reconcile import keep_since

PAGE = 100
PAGE_SIZES = (100, 50, 34, 25, 20)
REQUEST_COST = 3.0       # what one more request costs, in messages' worth of answer bytes
PAUSE_S = 0.02           # between two requests of one pass


def page_size(changes: int, checked: int) -> int:
    """The page size that costs least for the change rate seen so far.

    A page whose ids changed comes whole (a page of `size` messages is
    changed with probability 1 - (1 - rate)**size); an unchanged one costs a
    request and almost no bytes. With nothing changed this is the largest
    page, one request per 100 messages; where changes are dense, smaller
    pages keep most of the history from being downloaded again."""
    rate = changes / checked if checked else 0.0
    return min(PAGE_SIZES, key=lambda size: 1 - (1 - rate) ** size + REQUEST_COST / size)


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
    while True:
        limit = PAGE if full else page_size(progress.deleted + progress.changed,
                                            progress.checked)
        expected = await store.index.ids_below(chat.id, offset, limit)
        if not expected:
            await _finish(store, chat)
            return progress
        with fairshare.using(fairshare.RECONCILE):   # its share of the history limit
            async with requests.slot(chat.id):
                page = await source.history(chat, offset_id=offset, limit=limit,
                                            unless_ids=None if full else expected)
        progress.requests += 1
        if page.not_modified:
            progress.unchanged += 1
            progress.checked += len(expected)
            offset, done = expected[-1], len(expected) < limit
            changes = store.changes()
            if done:
                changes.finish_verify(chat.id)
            else:
                changes.advance_verify(chat.id, offset, progress.checked)
            await store.commit(changes)
        else:
            offset, done = await _compare(applier, store, chat, page.messages, offset, since,
                                          progress, limit)
        on_step()
        if done:
            return progress
        await asyncio.sleep(pause_s)


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
