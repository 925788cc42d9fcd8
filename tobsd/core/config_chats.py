"""The chat part of the configuration: which chats to sync and with what options.

A chat is named in one of four ways (`ChatRef.parse`):
  "@username", "https://t.me/name" or "t.me/name"  -> by public username
  an integer, or a string of digits such as "-1001234567890" -> by id
    (Bot API "marked" ids: users positive, basic groups -N, channels -100N)
  "https://t.me/c/1234567890/..." (a private-channel link) -> channel id -1001234567890
  any other non-empty string -> the chat whose title is exactly that
Invite links ("t.me/+...", "t.me/joinchat/...") are refused: tobsd only reads
chats the account is already in.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from dataclasses import dataclass
from typing import Iterable

from tobsd.core.config_reader import describe

CHAT_KINDS = ("users", "groups", "channels", "bots", "archived")

_USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{2,31}$")
_ID_RE = re.compile(r"^-?\d+$")
_LINK_RE = re.compile(r"^(?:https?://)?(?:www\.)?(?:t|telegram)\.me/(.+?)/?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ChatRef:
    """How the configuration names one chat: exactly one of the three fields is set.

    `username` is stored without "@"; Telegram compares usernames without
    regard to case, so compare `username.casefold()`.
    """

    username: str | None = None
    id: int | None = None
    title: str | None = None

    @staticmethod
    def parse(value: object) -> "ChatRef":
        """Parse a `chat = ...` value; raises ValueError with a user-facing reason."""
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValueError('expected "@username", a t.me link, a numeric id or an exact title, '
                             f"got {describe(value)}")
        if isinstance(value, int):
            if value == 0:
                raise ValueError("0 is not a chat id")
            return ChatRef(id=value)
        text = value.strip()
        if not text:
            raise ValueError("must not be empty")
        if _ID_RE.match(text):
            return ChatRef.parse(int(text))
        if text.startswith("@"):
            return ChatRef(username=_username(text[1:], value))
        link = _LINK_RE.match(text)
        if link:
            return _from_link(link.group(1), value)
        return ChatRef(title=text)

    def __str__(self) -> str:
        if self.username is not None:
            return "@" + self.username
        if self.id is not None:
            return str(self.id)
        return f'"{self.title}"'

    def key(self) -> tuple[str, str]:
        """A value equal for two refs that surely name the same chat (for duplicate checks)."""
        if self.username is not None:
            return ("username", self.username.casefold())
        if self.id is not None:
            return ("id", str(self.id))
        return ("title", self.title or "")


def _username(name: str, original: str) -> str:
    if not _USERNAME_RE.match(name):
        raise ValueError(f'"{original}" is not a valid username (3-32 letters, digits or _, starting with a letter)')
    return name


def _from_link(rest: str, original: str) -> ChatRef:
    parts = rest.split("/")
    head = parts[0]
    if head.startswith("+") or head.lower() == "joinchat":
        raise ValueError(f'"{original}" is an invite link; join the chat first, then name it by title, id or username')
    if head.lower() == "c" and len(parts) >= 2 and parts[1].isdigit():
        return ChatRef(id=-(10**12) - int(parts[1]))
    if head.lower() == "s" and len(parts) >= 2:
        head = parts[1]
    return ChatRef(username=_username(head, original))


@dataclass(frozen=True, slots=True)
class ChatConfig:
    """One `[[chats]]` entry, with unset options filled from `[sync]`."""

    ref: ChatRef
    since: dt.date | None = None
    media: bool = True
    paused: bool = False
    remove_deleted: bool = False
    media_kinds: frozenset[str] | None = None   # None: [media] kinds
    media_max_size_mb: int | None = None        # None: [media] max_size_mb
    compact: bool | None = None                 # None: [processing] compact


@dataclass(frozen=True, slots=True)
class SyncConfig:
    """`[sync]`: whether to sync every chat, which ones, and default per-chat options.

    With `all = true`, a chat is synced when it has at least one kind in
    `include_kinds` and none in `exclude_kinds` (a chat has one kind of
    users/groups/channels/bots, plus "archived" when it is in the archive
    folder), and its title or @username matches one of `include_names` (all
    match when empty) and none of `exclude_names`. Name patterns are shell
    globs compared without regard to case. `[[chats]]` entries are synced in
    any case, and their options win.
    """

    all: bool = False
    include_kinds: frozenset[str] = frozenset(CHAT_KINDS)
    exclude_kinds: frozenset[str] = frozenset()
    include_names: tuple[str, ...] = ()
    exclude_names: tuple[str, ...] = ()
    media: bool = True
    remove_deleted: bool = False
    # How a chat whose changes outran Telegram's update log is verified:
    # "ids" compares pages by Telegram's ids hash (cheap: finds new and
    # deleted messages, and edits in pages that changed); "full" re-reads
    # every page (finds every edit too, at the cost of the whole history).
    verify: str = "ids"

    def selects(self, kinds: Iterable[str], names: Iterable[str]) -> bool:
        """Whether `all = true` selects a chat with these kinds and names (title, "@username")."""
        if not self.all:
            return False
        kinds = set(kinds)
        if not kinds & self.include_kinds or kinds & self.exclude_kinds:
            return False
        folded = [n.casefold() for n in names if n]
        if self.include_names and not _any_match(folded, self.include_names):
            return False
        return not _any_match(folded, self.exclude_names)


def _any_match(names: list[str], patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(n, p.casefold()) for n in names for p in patterns)
