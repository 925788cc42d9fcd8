"""The contracts between the sync engine and the layers it drives.

`tobsd/sync` drives a `TelegramSource` (implemented by `tobsd/telegram` with
Telethon), keeps its state through a `StatePort` (`tobsd/store`, SQLite) and
writes notes through a `VaultPort` (`tobsd/vault`, in-process or in the
writer process). It imports none of those packages: `app.py` hands it the
real ones, and unit tests can hand it fakes. Everything that crosses here is
a core model or a plain record: no Telethon, SQLite or file type ever does.

Chat ids are marked peer ids, as everywhere in tobsd: a user's id as is, a
basic group's as -id, a channel's (broadcast, supergroup, forum) as
-(10**12 + id).
"""
from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Awaitable, Callable, Iterable, Protocol, Sequence

from .models import Chat, Message, Person, Topic


@dataclass(slots=True)
class HistoryPage:
    """One page of a chat's history, newest first.

    `messages` holds at most the asked limit, with ids below the asked
    offset_id and above min_id. `count` is the chat's total message count as
    Telegram reports it (None when the page held everything). `title` is the
    chat's current title as Telegram listed the chat with the page (None
    when it did not).
    """
    messages: list[Message]
    count: int | None = None
    title: str | None = None
    not_modified: bool = False   # the asked `unless_ids` are exactly the page's ids


@dataclass(slots=True)
class LiveEvent:
    """A change Telegram pushed (or that catching up found).

    kind "new" and "edit" carry `messages` (all of one chat, `chat_id`).
    kind "delete" carries `ids`; its `chat_id` is None when Telegram did not
    say which chat (deletions in private chats and basic groups name only the
    message ids, which are unique across those chats for one account).
    kind "people" carries `people` whose name or username changed (their
    `chat_id` is None); renamed chats and topics come as the service
    messages Telegram sends with a "new" event.
    kind "reconnected": the connection came back (updates may be missing).
    """
    kind: str
    chat_id: int | None
    messages: tuple[Message, ...] = ()
    ids: tuple[int, ...] = ()
    people: tuple[Person, ...] = ()
    # Where the change sits in Telegram's update sequence: `box` 0 is the
    # account's common box, a channel's marked id its own box, None a
    # change outside any sequence (or from a difference). kind "pts" is a
    # change tobsd does not show (read marks, pins...) that still moves
    # the box's pts.
    box: int | None = None
    pts: int = 0
    pts_count: int = 0


ACCOUNT_BOX = 0   # the update-state box of the account's common box (channels: their id)


@dataclass(slots=True)
class UpdateState:
    """The account's common-box state (updates.State); a channel's box uses
    only `pts`."""
    pts: int
    qts: int = 0
    date: int = 0
    seq: int = 0


@dataclass(slots=True)
class Difference:
    """One answer of updates.getDifference or updates.getChannelDifference,
    as core events in Telegram's order.

    `state` is the account state after the events (account differences);
    `pts` the channel's pts after them (channel differences). `final`:
    nothing more to fetch. `too_long`: Telegram no longer has the changes
    since the asked state (differenceTooLong / channelDifferenceTooLong):
    the events are not all there is, the box restarts at `state` / `pts`.
    `channels`: channels the account difference says have news
    (updateChannelTooLong), marked id -> their pts when given (else 0).
    """
    events: list[LiveEvent]
    final: bool = True
    too_long: bool = False
    state: UpdateState | None = None
    pts: int = 0
    channels: dict[int, int] = field(default_factory=dict)


@dataclass(slots=True)
class DialogTop:
    """What a chat's dialog says (messages.getPeerDialogs): the id of its
    newest message (0: none) and, for a channel, its pts."""
    top_id: int
    pts: int | None = None


@dataclass(slots=True)
class SourceStatus:
    """What the Telegram layer reports about itself for `tobsctl status`."""
    connected: bool = False
    needs_login: bool = False
    takeout: str = "off"                   # "off", "open", "delayed until <iso time>"
    flood_waits: dict[str, float] = field(default_factory=dict)   # key -> seconds left
    # pacer key ("messages.getHistory@dc2+takeout") -> {"rate", "low", "high"
    # (requests/s: the rate now and the bracket learned around the ceiling),
    # "flood_waits"}
    pacing: dict[str, dict] = field(default_factory=dict)


EventHandler = Callable[[LiveEvent], Awaitable[None]]


class TelegramSource(Protocol):
    """What the sync engine needs from Telegram.

    Errors: `tobsd.core.errors.NeedsLogin` when the session is not (or no
    longer) authorised; `ChatUnavailable` when a chat cannot be read (private,
    banned, gone). Flood waits are waited out inside the source (and
    persisted there); callers never see them.
    """

    async def start(self) -> Person:
        """Connect, check the session, open Takeout when possible; returns the
        logged-in user."""

    async def stop(self) -> None:
        """Finish Takeout and disconnect."""

    async def dialogs(self) -> list[Chat]:
        """Every dialog of the account (for `all = true` selection)."""

    async def resolve(self, ref: str | int) -> Chat:
        """A chat from a @username, t.me link, marked id or exact title."""

    async def history(self, chat: Chat, *, offset_id: int = 0, min_id: int = 0,
                      limit: int = 100, unless_ids: Sequence[int] | None = None,
                      add_offset: int = 0) -> HistoryPage:
        """messages with min_id < id < offset_id (offset_id 0: from the newest),
        the first `add_offset` of them skipped (Telegram's add_offset).
        With `unless_ids` (the ids the caller holds for this page, newest
        first) Telegram answers without the messages when the page has
        exactly those ids: `not_modified` set, `messages` empty."""

    async def messages(self, chat: Chat, ids: Sequence[int]) -> list[Message | None]:
        """These messages of the chat, None for those that do not exist (any more)."""

    async def topics(self, chat: Chat) -> list[Topic]:
        """A forum's topics; [] for other chats."""

    async def topics_by_id(self, chat: Chat, ids: Sequence[int]) -> list[Topic]:
        """These topics of a forum (those that exist); [] for other chats."""

    def subscribe(self, handler: EventHandler) -> None:
        """Deliver every live event to `handler`, in order, from now on."""

    async def update_state(self) -> UpdateState:
        """The account's current update state (updates.getState)."""

    async def difference(self, state: UpdateState) -> Difference:
        """One updates.getDifference from `state` (call again from the
        answer's state until `final`)."""

    async def channel_difference(self, chat: Chat, pts: int) -> Difference:
        """One updates.getChannelDifference of a channel from `pts`."""

    async def channel_pts(self, chats: Sequence[Chat]) -> dict[int, int]:
        """The current pts of these channels (from their dialogs)."""

    async def dialog_tops(self, chats: Sequence[Chat]) -> dict[int, DialogTop]:
        """The dialogs of these chats (100 per request); a chat Telegram
        lists no dialog for is left out."""

    async def check(self) -> None:
        """One cheap authorised request; NeedsLogin when the session was
        revoked (so a quiet daemon notices too)."""

    def status(self) -> SourceStatus:
        """The layer's state for status reports."""


# --- the state (tobsd/store) ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One applied message. Dates are Unix epoch seconds; `content_hash` is opaque bytes."""

    chat_id: int
    msg_id: int
    date: int
    note_path: str
    content_hash: bytes
    edit_date: int | None = None
    deleted: bool = False


class CursorRecord(Protocol):
    """A chat's progress: highest id applied, lowest id the backfill reached."""
    chat_id: int
    max_applied_id: int
    min_backfilled_id: int | None
    backfill_done: bool


class ShardRecord(Protocol):
    """An id range of a chat's history still to fetch, newest first."""
    chat_id: int
    lo_id: int
    hi_id: int
    next_offset: int
    done: bool


class ChatRecord(Protocol):
    """What the state remembers of a tracked chat."""
    id: int
    kind: str
    title: str
    username: str | None
    paused: bool


class ChangeSet(Protocol):
    """Writes collected first and made in one transaction by
    `StatePort.commit` (the applier's step 4 and what callers add to it)."""

    def put_index(self, rows: Sequence[tuple]) -> None: ...
    def clear_pending(self, key: int) -> None: ...
    def advance_max_applied(self, chat_id: int, msg_id: int) -> None: ...
    def advance_min_backfilled(self, chat_id: int, msg_id: int) -> None: ...
    def set_backfill_done(self, chat_id: int, done: bool = True) -> None: ...
    def create_shards(self, chat_id: int, ranges: Iterable[tuple[int, int]]) -> None: ...
    def advance_shard(self, chat_id: int, lo_id: int, next_offset: int) -> None: ...
    def finish_shard(self, chat_id: int, lo_id: int) -> None: ...
    def add_reply_waits(self, chat_id: int, pairs: Sequence[tuple[int, int]]) -> None: ...
    def put_update_state(self, box: int, state: UpdateState) -> None: ...
    def add_verify(self, chat_id: int) -> None: ...
    def advance_verify(self, chat_id: int, next_offset: int, checked: int) -> None: ...
    def finish_verify(self, chat_id: int) -> None: ...


class ChatsTable(Protocol):
    async def upsert(self, chat_id: int, kind: str, title: str,
                     username: str | None = None) -> Any: ...
    async def get(self, chat_id: int) -> ChatRecord | None: ...
    async def set_paused(self, chat_id: int, paused: bool) -> bool: ...
    async def set_error(self, chat_id: int, error: str | None) -> bool: ...
    async def remove(self, chat_id: int) -> bool: ...


class CursorsTable(Protocol):
    async def get(self, chat_id: int) -> CursorRecord: ...
    async def get_many(self, chat_ids: Iterable[int]) -> dict[int, CursorRecord]: ...
    async def set_backfill_done(self, chat_id: int, done: bool = True) -> None: ...


class IndexTable(Protocol):
    async def count(self, chat_id: int | None = None) -> int: ...
    async def counts(self, chat_ids: Iterable[int]) -> dict[int, int]: ...
    async def get_many(self, chat_id: int, msg_ids: Iterable[int]) -> dict[int, IndexEntry]: ...
    async def ids_between(self, chat_id: int, lo_id: int, hi_id: int,
                          include_deleted: bool = False) -> list[int]: ...
    async def mark_deleted(self, chat_id: int, msg_ids: Iterable[int]) -> list[int]: ...
    async def put_many(self, entries: Sequence[IndexEntry]) -> None: ...
    async def ids_below(self, chat_id: int, hi_id: int, limit: int) -> list[int]: ...
    async def owners(self, chat_ids: Sequence[int], msg_ids: Iterable[int]) -> dict[int, int]: ...
    async def newest_ids(self, chat_ids: Iterable[int]) -> dict[int, int]: ...


class UpdateStateTable(Protocol):
    """The update state tobsd applied (box ACCOUNT_BOX: the account's common
    box; a channel's marked id: its pts) and the pending verification passes."""
    async def get(self, box: int) -> UpdateState | None: ...
    async def put(self, box: int, state: UpdateState) -> None: ...
    async def boxes(self) -> set[int]: ...
    async def verify_pending(self) -> dict[int, tuple[int, int]]: ...
    async def verify_add(self, chat_id: int) -> None: ...


class FollowedTable(Protocol):
    """Chats whose update stream was applied without a break since they
    were last complete (tobsd/sync/followed.py)."""
    async def take(self) -> set[int]: ...
    async def add(self, chat_id: int) -> None: ...
    async def discard(self, chat_ids: Iterable[int]) -> None: ...


class ShardsTable(Protocol):
    async def pending(self, chat_id: int) -> list[ShardRecord]: ...
    async def split(self, chat_id: int, lo_id: int, at: int) -> ShardRecord: ...
    async def try_split(self, chat_id: int, lo_id: int, at: int) -> bool: ...
    async def cut(self, chat_id: int, lo_id: int, points: list[int]) -> None: ...
    async def clear(self, chat_id: int) -> None: ...


class PendingTable(Protocol):
    async def add(self, chat_id: int, rows: Sequence[tuple[int, int, int | None]]) -> int: ...
    async def get_many(self, chat_id: int,
                       msg_ids: Iterable[int]) -> dict[int, tuple[int, int | None]]: ...
    async def prune(self) -> int: ...
    async def ids(self, chat_id: int) -> list[int]: ...


class TopicsTable(Protocol):
    async def titles(self, chat_id: int) -> dict[int, str]: ...
    async def put(self, chat_id: int, titles: Iterable[tuple[int, str]]) -> None: ...


class ReplyLinkRecord(Protocol):
    """A waiting reply whose target is indexed now: where both blocks are."""
    msg_id: int
    note_path: str
    target_id: int
    target_note: str


class RepliesTable(Protocol):
    async def resolvable(self, chat_id: int, target_ids: Iterable[int] | None = None,
                         limit: int = 10_000) -> list[ReplyLinkRecord]: ...
    async def clear(self, chat_id: int, pairs: Iterable[tuple[int, int]]) -> None: ...


class StatePort(Protocol):
    """What the sync engine needs of its state (`tobsd.store.Store`).

    A message is recorded only after its note is durable (see the applier);
    `commit` makes a `ChangeSet` in one transaction, `transaction()` groups
    table calls into one. A full disk raises `core.errors.DiskFull`.
    """
    chats: ChatsTable
    cursors: CursorsTable
    index: IndexTable
    shards: ShardsTable
    pending: PendingTable
    topics: TopicsTable
    replies: RepliesTable
    updates: UpdateStateTable
    followed: FollowedTable

    def changes(self) -> ChangeSet: ...
    async def commit(self, changes: ChangeSet) -> None: ...
    def transaction(self) -> AbstractAsyncContextManager[None]: ...
    async def applied_ids(self, chat_id: int, msg_ids: Iterable[int]) -> set[int]: ...


# --- the vault (tobsd/vault) ------------------------------------------------------


class VaultPort(Protocol):
    """What the sync engine needs of the vault writer (`VaultWriter`, or
    `RemoteWriter` for the writer process). Every write is durable when its
    call (or the future `submit` returns) completes; a full disk raises
    `core.errors.DiskFull`."""

    async def submit(self, chat: Chat, messages: list[Message], *, resync: bool = False,
                     new_ids: frozenset[int] | None = None, urgent: bool = False) -> Awaitable[Any]:
        """Hand messages over now; the awaitable gives the outcome. Applied in
        the order submitted, except that an `urgent` one goes before the
        ordinary ones not started yet (the caller guarantees they share no
        message). Only `new_ids` go into a note the user deleted."""

    async def mark_deleted(self, chat: Chat, msg_ids: list[int], *,
                           hints: dict[int, tuple[int, int | None]] | None = None) -> Any: ...

    async def write_chat_note(self, chat: Chat, *, synced_through: datetime | None = None,
                              message_count: int | None = None) -> Any: ...

    async def relink_replies(self, chat: Chat, links: list[tuple[int, str, int, str]]) -> Any:
        """Give replies written before their target the link to it:
        (reply msg id, its note, target msg id, the target's note)."""

    def register_topic(self, topic: Topic) -> None:
        """A forum topic's current title (its folder is named at first sight)."""

    async def rename_people(self, people: list[Person]) -> None:
        """New names of people who have a note."""

    def note_of(self, chat_id: int, msg_id: int) -> str | None: ...
    def remember_location(self, chat_id: int, msg_id: int, note_rel: str) -> None: ...
    def deleted_notes(self, chat_id: int) -> list[str]: ...
