"""The contracts between the sync engine and the Telegram layer.

`tobsd/sync` drives a `TelegramSource`; `tobsd/telegram` implements it with
Telethon, and unit tests of the engine hand it a fake. Everything that crosses
here is a core model: no Telethon type ever does.

Chat ids are marked peer ids, as everywhere in tobsd: a user's id as is, a
basic group's as -id, a channel's (broadcast, supergroup, forum) as
-(10**12 + id).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Awaitable, Callable, Protocol, Sequence

from .models import Chat, Message, Person, Topic


@dataclass(slots=True)
class HistoryPage:
    """One page of a chat's history, newest first.

    `messages` holds at most the asked limit, with ids below the asked
    offset_id and above min_id. `count` is the chat's total message count as
    Telegram reports it (None when the page held everything).
    """
    messages: list[Message]
    count: int | None = None


@dataclass(slots=True)
class LiveEvent:
    """A change Telegram pushed (or that catching up found).

    kind "new" and "edit" carry `messages` (all of one chat, `chat_id`).
    kind "delete" carries `ids`; its `chat_id` is None when Telegram did not
    say which chat (deletions in private chats and basic groups name only the
    message ids, which are unique across those chats for one account).
    """
    kind: str
    chat_id: int | None
    messages: tuple[Message, ...] = ()
    ids: tuple[int, ...] = ()


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
                      limit: int = 100) -> HistoryPage:
        """messages with min_id < id < offset_id (offset_id 0: from the newest)."""

    async def messages(self, chat: Chat, ids: Sequence[int]) -> list[Message | None]:
        """These messages of the chat, None for those that do not exist (any more)."""

    async def topics(self, chat: Chat) -> list[Topic]:
        """A forum's topics; [] for other chats."""

    def subscribe(self, handler: EventHandler) -> None:
        """Deliver every live event to `handler`, in order, from now on."""

    async def catch_up(self) -> None:
        """Fetch what changed while tobsd was not connected (getDifference);
        the changes arrive through the subscribed handler."""

    async def check(self) -> None:
        """One cheap authorised request; NeedsLogin when the session was
        revoked (so a quiet daemon notices too)."""

    def status(self) -> SourceStatus:
        """The layer's state for status reports."""
