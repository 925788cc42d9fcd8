"""Resync: compare a chat's whole history with Telegram (`tobsctl resync`).

Reconcile looks at the newest page only; what changed further back while
tobsd was not running (edits and deletions of old messages) and notes the
user deleted from the vault are found here, page by page from the newest:
- messages Telegram returns are applied as usual (the applier writes what
  is new or changed and records it);
- ids the index holds inside a page's window that Telegram no longer
  returns are deleted (marked, or removed with remove_deleted);
- each page is then written again with the writer's `resync` flag, which
  recreates a note the user deleted (a normal write leaves it deleted).
Re-applying what is already there changes nothing, so a resync of a chat
in step with Telegram writes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tobsd.core.models import Chat
from tobsd.core.ports import TelegramSource


from .applier import Applier
from .reconcile import PAGE, keep_since


@dataclass(slots=True)
class ResyncResult:
    checked: int = 0      # messages compared with Telegram
    changed: int = 0      # new or edited messages written
    deleted: int = 0      # messages marked deleted (or removed)
    recreated: int = 0    # notes the user had deleted, written again


async def resync(source: TelegramSource, applier: Applier, store, writer, chat: Chat,
                 *, since: datetime | None = None) -> ResyncResult:
    result = ResyncResult()
    upper = (await store.cursors.get(chat.id)).max_applied_id + 1
    offset = 0
    while True:
        page = await source.history(chat, offset_id=offset, limit=PAGE)
        fetched = page.messages
        messages = keep_since(fetched, since)
        ids = [m.id for m in fetched]
        last = len(fetched) < PAGE or len(messages) < len(fetched)
        lo = 1 if last and len(messages) == len(fetched) else (min(ids) if ids else 1)
        hi = max(upper, max(ids) + 1) if offset == 0 and ids else (offset or upper)
        held = await store.index.ids_between(chat.id, lo, hi)
        gone = sorted(set(held) - set(ids))
        if gone:
            result.deleted += await applier.delete(chat, gone)
        if messages:
            result.checked += len(messages)
            result.changed += await applier.apply(chat, messages)
            async with applier.exclusive(chat.id):
                written = await writer.apply(chat, list(messages), resync=True)
            result.recreated += len(written.written)
        if last or not ids:
            return result
        offset = min(ids)
