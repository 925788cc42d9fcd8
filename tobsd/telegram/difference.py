"""updates.getDifference / updates.getChannelDifference answers -> core `Difference`s.

tobsd asks for differences itself, from the update state it persisted,
instead of relying on Telethon's own catch-up: Telethon (1.45) applies a
difference's state before it passes `other_updates` through its gap check,
so the edits and deletions a difference carries are dropped as "already
seen" and only new messages reach the handlers. Here every update of the
answer becomes an event: new messages first (each as Telegram holds it
now), then `other_updates` in their order (edits, deletions, new channel
messages), so an edit or a deletion is applied after the message it
changes.

`sequence_of` reads where an update sits in Telegram's pts sequences, for
live updates as well: box 0 is the account's common box, a channel's
marked id its own box.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone

from telethon import utils
from telethon.tl import types

from tobsd.core.models import Person
from tobsd.core.ports import Difference, LiveEvent, UpdateState

from .mapping import map_message
from .mapping_peers import Entities

ACCOUNT_BOX = 0


def _epoch(value) -> int:
    if value is None:
        return 0
    return value if isinstance(value, int) else int(value.timestamp())


def state_from(tl_state) -> UpdateState:
    return UpdateState(pts=tl_state.pts, qts=tl_state.qts, date=_epoch(tl_state.date),
                       seq=tl_state.seq)


def state_date(state: UpdateState) -> datetime:
    return datetime.fromtimestamp(state.date, timezone.utc)


def sequence_of(update) -> tuple[int, int, int] | None:
    """(box, pts, pts_count) of an update that moves a pts sequence; None
    for the others (and for updates Telethon re-made without their pts)."""
    pts = getattr(update, "pts", None)
    count = getattr(update, "pts_count", None)
    if not pts or count is None:
        return None
    channel_id = getattr(update, "channel_id", None)
    if channel_id is None:
        peer = getattr(getattr(update, "message", None), "peer_id", None)
        if isinstance(peer, types.PeerChannel):
            channel_id = peer.channel_id
    box = utils.get_peer_id(types.PeerChannel(channel_id)) if channel_id else ACCOUNT_BOX
    return box, pts, count


_NEW = (types.UpdateNewMessage, types.UpdateNewChannelMessage)
_EDIT = (types.UpdateEditMessage, types.UpdateEditChannelMessage)


def renamed_person(update) -> Person:
    """The Person an updateUserName describes (its new names)."""
    name = f"{update.first_name or ''} {update.last_name or ''}".strip() or f"User {update.user_id}"
    usernames = [u.username for u in getattr(update, "usernames", None) or ()
                 if getattr(u, "active", False)]
    return Person(id=update.user_id, name=name, username=usernames[0] if usernames else None)


def event_from_update(update, me: Person | None, entities: Entities | None = None
                      ) -> LiveEvent | None:
    """The LiveEvent of one update (with its place in a pts sequence); a
    "pts" event for other updates that move a sequence; None for the rest."""
    if entities is None:
        entities = getattr(update, "_entities", None) or {}
    seq = sequence_of(update)
    box, pts, count = seq if seq is not None else (None, 0, 0)
    if isinstance(update, _NEW + _EDIT):
        message = map_message(update.message, entities, me)
        if message is None:
            return LiveEvent("pts", None, box=box, pts=pts, pts_count=count) if seq else None
        kind = "new" if isinstance(update, _NEW) else "edit"
        return LiveEvent(kind, message.chat_id, messages=(message,), box=box, pts=pts,
                         pts_count=count)
    if isinstance(update, types.UpdateDeleteChannelMessages):
        chat_id = utils.get_peer_id(types.PeerChannel(update.channel_id))
        return LiveEvent("delete", chat_id, ids=tuple(update.messages), box=box, pts=pts,
                         pts_count=count)
    if isinstance(update, types.UpdateDeleteMessages):
        return LiveEvent("delete", None, ids=tuple(update.messages), box=box, pts=pts,
                         pts_count=count)
    if isinstance(update, types.UpdateUserName):
        return LiveEvent("people", None, people=(renamed_person(update),))
    if seq is not None:
        return LiveEvent("pts", None, box=box, pts=pts, pts_count=count)
    return None


def _entities(diff) -> dict[int, object]:
    found: dict[int, object] = {}
    for entity in (*getattr(diff, "users", ()), *getattr(diff, "chats", ())):
        try:
            found[utils.get_peer_id(entity)] = entity
        except (TypeError, ValueError):
            pass
    return found


def _events(diff, me: Person | None, entities: Entities) -> tuple[list[LiveEvent], dict[int, int]]:
    """New messages (grouped per chat, in the answer's order), then the
    other updates; and the channels that updateChannelTooLong points at."""
    events: list[LiveEvent] = []
    per_chat: dict[int, list] = defaultdict(list)
    for tl_message in getattr(diff, "new_messages", ()):
        message = map_message(tl_message, entities, me)
        if message is not None:
            per_chat[message.chat_id].append(message)
    for chat_id, messages in per_chat.items():
        events.append(LiveEvent("new", chat_id, messages=tuple(messages)))
    channels: dict[int, int] = {}
    for update in getattr(diff, "other_updates", ()):
        if isinstance(update, types.UpdateChannelTooLong):
            channels[utils.get_peer_id(types.PeerChannel(update.channel_id))] = update.pts or 0
            continue
        event = event_from_update(update, me, entities)
        if event is not None and event.kind != "pts":
            # Inside a difference the state says where the sequence ends.
            event.box, event.pts, event.pts_count = None, 0, 0
            events.append(event)
    return events, channels


def map_difference(diff, me: Person | None, asked: UpdateState) -> Difference:
    """An updates.Difference* answer as a core Difference."""
    if isinstance(diff, types.updates.DifferenceEmpty):
        return Difference([], final=True,
                          state=UpdateState(asked.pts, asked.qts, _epoch(diff.date), diff.seq))
    if isinstance(diff, types.updates.DifferenceTooLong):
        # "The specified state must be used to refetch updates": ask again from it.
        return Difference([], final=False, too_long=True,
                          state=UpdateState(diff.pts, asked.qts, asked.date, asked.seq))
    entities = _entities(diff)
    events, channels = _events(diff, me, entities)
    if isinstance(diff, types.updates.DifferenceSlice):
        return Difference(events, final=False, state=state_from(diff.intermediate_state),
                          channels=channels)
    return Difference(events, final=True, state=state_from(diff.state), channels=channels)


def map_channel_difference(diff, me: Person | None) -> Difference:
    """An updates.ChannelDifference* answer as a core Difference. For
    channelDifferenceTooLong the newest messages it carries are given as a
    "new" event and `pts` is the dialog's."""
    if isinstance(diff, types.updates.ChannelDifferenceEmpty):
        return Difference([], final=True, pts=diff.pts)
    entities = _entities(diff)
    if isinstance(diff, types.updates.ChannelDifferenceTooLong):
        events, _ = _events(types.updates.ChannelDifference(
            pts=0, new_messages=diff.messages, other_updates=[], chats=diff.chats,
            users=diff.users), me, entities)
        return Difference(events, final=True, too_long=True, pts=diff.dialog.pts or 0)
    events, _ = _events(diff, me, entities)
    return Difference(events, final=bool(diff.final), pts=diff.pts)


def entities_in(diff) -> dict[int, object]:
    """The users and chats an answer lists, by marked id."""
    return _entities(diff)
