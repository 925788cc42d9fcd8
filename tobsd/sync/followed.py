"""Which chats a start may bring back without reading their history.

A chat is *followed* from the moment a reconcile read its newest page
after its update box (the account's common box for private chats and
basic groups, its own for a channel) had a stored state (`CatchUp.knows`:
found on start, or stored by the catch-up), for as long as it stays
tracked and unpaused: from then on every change Telegram makes to it has a
pts past that state and reaches the engine, through live updates or a
difference from the stored state, and is applied before the stored pts
moves past it (catchup.py). Changes before the reconcile are in what
the reconcile (and the backfill it started) read. So once the chat is
complete, its index misses nothing that a reconcile would find, as long
as the box's stored state is current.

The `followed_chats` table records such chats. On start the rows are taken
(read and removed): a chat left out of the run, paused, removed or failed
is not written back. A chat taken on start is brought back without a
history request when the first catch-up of the run (updates.getDifference
for the common box, updates.getChannelDifference for a channel) applied
every change since the stored state up to Telegram's current one, with no
answer "too long" (differenceTooLong / channelDifferenceTooLong: the
changes outran Telegram's update log, and the chat gets a verification
pass instead) and no failure; and when the state shows it complete: its
backfill done, no shard, no verification pass and no interrupted batch
pending. Any other chat gets the reconcile as before.

What is skipped is exactly that reconcile: new messages, and edits and
deletions within the newest page, all of which the catch-up applied.
"""
from __future__ import annotations

from tobsd.core.models import Chat, ChatKind
from tobsd.core.ports import ACCOUNT_BOX, StatePort

CHANNEL_KINDS = (ChatKind.CHANNEL, ChatKind.SUPERGROUP, ChatKind.FORUM)


def box_of(chat: Chat) -> int:
    """The update box a chat's changes are counted in."""
    return chat.id if chat.kind in CHANNEL_KINDS else ACCOUNT_BOX


async def resumable(store: StatePort, chat: Chat, caught_up: set[int]) -> bool:
    """Whether a followed chat is complete again after a catch-up that
    caught up the boxes `caught_up` without a break."""
    if box_of(chat) not in caught_up:
        return False
    cursor = await store.cursors.get(chat.id)
    if not cursor.backfill_done or await store.shards.pending(chat.id):
        return False
    if chat.id in await store.updates.verify_pending():
        return False
    return not await store.pending.ids(chat.id)


async def resume(store: StatePort, chat: Chat) -> None:
    """Record a resumed chat complete up to its newest indexed message
    (the catch-up may have added messages without moving the cursor) and
    followed again."""
    newest = (await store.index.newest_ids([chat.id]))[chat.id]
    if newest:
        changes = store.changes()
        changes.advance_max_applied(chat.id, newest)
        await store.commit(changes)
    await store.followed.add(chat.id)
