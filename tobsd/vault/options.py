"""Vault settings: the layout choices and per-chat rendering settings.

Defaults follow the issue: root folder ``Telegram``, daily period notes in UTC,
people notes on, hashtags rendered as tags, deleted messages kept and marked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo, timezone
from typing import Literal

Period = Literal["day", "month"]


@dataclass(slots=True, frozen=True)
class ChatSettings:
    """How one chat is laid out and rendered.

    ``tz`` decides which day/month note a message lands in and the clock time
    shown in its header. ``remove_deleted`` drops a deleted message's block
    (unless the user edited it) instead of marking it.
    """

    tz: tzinfo = timezone.utc
    period: Period = "day"
    remove_deleted: bool = False
    hashtags_as_tags: bool = True


@dataclass(slots=True)
class VaultConfig:
    """Layout of the vault. Folder names here are used verbatim (they are ours, not Telegram's)."""

    root: str = "Telegram"
    people_notes: bool = True
    people_folder: str = "People"
    attachments_folder: str = "attachments"
    shared_attachments: str | None = None   # one media folder under root for every chat
    default_chat: ChatSettings = field(default_factory=ChatSettings)
    per_chat: dict[int, ChatSettings] = field(default_factory=dict)

    def chat_settings(self, chat_id: int) -> ChatSettings:
        """The settings for ``chat_id`` (its override, else the default)."""
        return self.per_chat.get(chat_id, self.default_chat)
