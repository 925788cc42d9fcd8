"""The account-wide check of every live chat, one request per 100 chats.

messages.getPeerDialogs lists, per chat, the id of its newest message
(`top_message`) and, for a channel, its pts. Every `reconcile_every_s` the
engine asks it for its live chats and:

- catches up (updates.getChannelDifference) each channel whose dialog pts
  is past the pts tobsd stored: updates of it were missed (a channel's pts
  moves with every change in it, core.telegram.org/api/updates);
- then wakes, for a full reconcile, each chat whose newest message is not
  the newest one the index holds, nor the newest one its last reconcile
  saw (a message tobsd does not index, such as one dated before the
  chat's `since`, stays newest without waking it again).

Chats that match are left alone: their comparison costs nothing more. The
account's common box is checked by updates.getState (`SyncEngine.check`).
"""
from __future__ import annotations

from typing import Awaitable, Callable, Sequence

from tobsd.core.models import Chat
from tobsd.core.ports import StatePort, TelegramSource

from .followed import CHANNEL_KINDS

RunChannels = Callable[[list[Chat]], Awaitable[None]]


async def sweep(source: TelegramSource, store: StatePort, chats: Sequence[Chat],
                seen: dict[int, int], run_channels: RunChannels) -> list[Chat]:
    """The chats among `chats` whose newest message differs from what tobsd
    holds (`seen`: chat id -> the newest id its last reconcile saw), after
    catching up the channels whose pts moved."""
    if not chats:
        return []
    tops = await source.dialog_tops(chats)
    behind = []
    for chat in chats:
        top = tops.get(chat.id)
        if chat.kind in CHANNEL_KINDS and top is not None and top.pts:
            stored = await store.updates.get(chat.id)
            if stored is not None and stored.pts < top.pts:
                behind.append(chat)
    if behind:
        await run_channels(behind)
    newest = await store.index.newest_ids(c.id for c in chats)
    return [c for c in chats if (top := tops.get(c.id)) is not None
            and top.top_id not in (newest[c.id], seen.get(c.id, -1))]
