"""Reconcile one chat with Telegram in one request when nothing changed.

The newest page of history (up to 100 messages) is compared with what the
index holds:
- messages above the cursor are new, messages at or below it whose content
  changed are edits (the applier decides which is which);
- ids the index holds inside the page's window but Telegram no longer
  returns were deleted;
- if Telegram's count says there is more below the page (an answer
  without a count holds the whole chat) and its oldest message is still
  above the cursor, the gap below it becomes a backfill shard, fetched like
  any backfill, instead of being paged here one request at a time.

The cursor (highest applied id) advances in the same transaction that
records the page and creates the gap's shard, so a crash at any point leaves
either the old cursor (and the page is fetched again) or the new cursor with
the gap covered by a persisted shard.

A chat seen for the first time (cursor 0) gets the same treatment: its
newest page is applied and everything below becomes shards.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from tobsd.core import fairshare
from tobsd.core.models import Chat, Message
from tobsd.core.ports import ChangeSet, StatePort, TelegramSource

from .applier import Applier

PAGE = 100


@dataclass(slots=True)
class ReconcileResult:
    new_or_changed: int = 0
    deleted: int = 0
    gap_shard: tuple[int, int] | None = None
    ids_per_page: int | None = None   # the id span of the newest full page: how dense the ids are
    title: str | None = None          # the chat's current title, as listed with the newest page
    expected_below: tuple[int, int] | None = None   # (gap hi, messages Telegram counts below it)
    newest_id: int = 0                # the newest id of the page (0: the chat is empty)


def keep_since(messages: list[Message], since: datetime | None) -> list[Message]:
    """The messages dated at or after `since` (all when since is None)."""
    if since is None:
        return messages
    return [m for m in messages if m.date >= since]


async def reconcile(source: TelegramSource, applier: Applier, store: StatePort, chat: Chat,
                    *, since: datetime | None = None, requests=None,
                    asking: Callable[[], None] = lambda: None) -> ReconcileResult:
    """`requests`: the RequestBudget the page's request takes a slot of
    (none: unmetered). `asking()` is called just before the request goes out."""
    result = ReconcileResult()
    cursor = await store.cursors.get(chat.id)
    top = cursor.max_applied_id
    with fairshare.using(fairshare.RECONCILE):   # its share of the history limit
        if requests is None:
            asking()
            page = await source.history(chat, offset_id=0, limit=PAGE)
        else:
            async with requests.slot(chat.id):
                asking()
                page = await source.history(chat, offset_id=0, limit=PAGE)
    result.title = page.title
    fetched = page.messages
    # Whether there is history below the page: Telegram's count says so (a
    # short page with a count above it too: Telegram may leave out messages
    # it does not show); a page without a count held the whole chat.
    full = page.count > len(fetched) if page.count is not None else False
    messages = keep_since(fetched, since)
    reached_since = len(messages) < len(fetched)
    ids = [m.id for m in fetched]
    result.newest_id = max(ids, default=0)

    if top and ids:
        window_lo = min(ids) if full else 1
        held = await store.index.ids_between(chat.id, window_lo, max(max(ids), top) + 1)
        gone = sorted(set(held) - set(ids))
        if gone:
            result.deleted = await applier.delete(chat, gone)
    elif top and not ids:
        held = await store.index.ids_between(chat.id, 1, top + 1)
        if held:
            result.deleted = await applier.delete(chat, held)

    lowest = min(ids) if ids else 0
    if len(fetched) >= PAGE:
        result.ids_per_page = max(ids) - lowest + 1
    gap: tuple[int, int] | None = None
    if full and not reached_since and lowest > top + 1:
        gap = (top + 1, lowest)
    result.gap_shard = gap
    if gap is not None and not top and page.count is not None:
        # First sight: the gap holds every message below the page, and
        # Telegram's count says how many those are.
        result.expected_below = (lowest, page.count - len(fetched))

    def advance(changes: ChangeSet) -> None:
        if ids:
            changes.advance_max_applied(chat.id, max(ids))
        if gap is not None:
            changes.create_shards(chat.id, [gap])
            changes.set_backfill_done(chat.id, False)
            changes.advance_min_backfilled(chat.id, lowest)
        elif not top:
            # A first sight that held everything (or reached `since`).
            if ids:
                changes.advance_min_backfilled(chat.id, lowest)
            changes.set_backfill_done(chat.id, True)

    result.new_or_changed = await applier.apply(chat, messages, after=advance)
    return result
