"""The `[media]` part of the configuration: what to download and where.

    [media]
    kinds = ["photo", "voice", "video"]   # default: every file kind
    max_size_mb = 2048                    # larger files are skipped (listed, not fetched)
    disk_budget_mb = 0                    # 0: no budget; else downloads stop when reached
    shared_folder = ""                    # "": each chat's attachments folder

Per chat (`[[chats]]`): `media` (on/off), `media_kinds` and
`media_max_size_mb` override the global values; `compact` (default:
`[processing] compact`) gives the chat's videos the compact profile.
"""
from __future__ import annotations

from dataclasses import dataclass

from tobsd.core.config_reader import TableReader, describe, suggest
from tobsd.core.media import CompactProfile
from tobsd.core.models import FILE_MEDIA_KINDS

#: The kinds a user may name, in a stable order.
MEDIA_KIND_NAMES = tuple(sorted(k.value for k in FILE_MEDIA_KINDS))
MB = 1024 * 1024
DEFAULT_MAX_SIZE_MB = 2048


@dataclass(frozen=True, slots=True)
class MediaConfig:
    """`[media]`: global download settings (chats may override kinds and size)."""

    kinds: frozenset[str] = frozenset(MEDIA_KIND_NAMES)
    max_size_mb: int = DEFAULT_MAX_SIZE_MB
    disk_budget_mb: int = 0
    shared_folder: str | None = None

    @property
    def max_size(self) -> int:
        return self.max_size_mb * MB

    @property
    def disk_budget(self) -> int | None:
        return self.disk_budget_mb * MB if self.disk_budget_mb else None


@dataclass(frozen=True, slots=True)
class ChatMedia:
    """One chat's media settings, after its overrides. ``compact``: the
    profile its videos are re-encoded with, or None (no compact copies)."""

    enabled: bool = True
    kinds: frozenset[str] = frozenset(MEDIA_KIND_NAMES)
    max_size: int = DEFAULT_MAX_SIZE_MB * MB
    compact: CompactProfile | None = None


def media_kind(value: object) -> str:
    if isinstance(value, str) and value in MEDIA_KIND_NAMES:
        return value
    raise ValueError(f"expected one of {', '.join(MEDIA_KIND_NAMES)}, got {describe(value)}"
                     + (suggest(value, MEDIA_KIND_NAMES) if isinstance(value, str) else ""))


def read_media(t: TableReader) -> MediaConfig:
    kinds = frozenset(t.get_list("kinds", media_kind, MEDIA_KIND_NAMES))
    max_size_mb = t.get_int("max_size_mb", DEFAULT_MAX_SIZE_MB, lo=1, hi=4 * 1024 * 1024)
    budget = t.get_int("disk_budget_mb", 0, lo=0, hi=1 << 40)
    shared = t.get_str("shared_folder", "", allow_empty=True).strip().strip("/")
    if shared and ("/" in shared or "\\" in shared or shared in (".", "..") or shared.startswith(".")):
        t.problem("shared_folder", f"must be one folder name inside the vault's root, got {describe(shared)}")
        shared = ""
    t.finish()
    return MediaConfig(kinds=kinds, max_size_mb=max_size_mb, disk_budget_mb=budget,
                       shared_folder=shared or None)


def read_chat_media(t: TableReader, media: MediaConfig) -> tuple[frozenset[str] | None, int | None]:
    """A `[[chats]]` entry's `media_kinds` and `media_max_size_mb` (None: the global value)."""
    kinds = frozenset(t.get_list("media_kinds", media_kind)) if t.has("media_kinds") else None
    size = t.get_int("media_max_size_mb", None, lo=1, hi=4 * 1024 * 1024)
    return kinds, size


def chat_media(media: MediaConfig, enabled: bool, kinds: frozenset[str] | None,
               max_size_mb: int | None, compact: CompactProfile | None = None) -> ChatMedia:
    return ChatMedia(enabled=enabled, kinds=media.kinds if kinds is None else kinds,
                     max_size=(max_size_mb or media.max_size_mb) * MB, compact=compact)
