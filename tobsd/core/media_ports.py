"""The contracts around media downloads.

`tobsd/media` (the download queue) drives a `FileSource` (implemented by
`tobsd/telegram` over warm per-DC connections) and keeps its state through a
`MediaStore` (`tobsd/store`, SQLite). The sync engine hands it every batch
through a `MediaPort` before the batch is written, so a note names the
file's final place at once. Only core types and plain records cross here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol, Sequence

from .errors import TobsError
from .models import Chat, Message


class MediaGone(TobsError):
    """The message or its file no longer exists; nothing to download."""


@dataclass(frozen=True, slots=True)
class RemoteFile:
    """A file as the Telegram layer found it.

    `file_id` is the `MediaRef.file_id` it was asked for; `key` Telegram's
    identity of the content (the same for every forward of it); `size` in
    bytes (None when Telegram did not say); `dc_id` the data centre it lives
    on (FILE_MIGRATE answers move it inside the source)."""
    file_id: str
    key: str
    size: int | None
    dc_id: int


@dataclass(frozen=True, slots=True)
class ChunkHash:
    """upload.getFileHashes: the SHA-256 of bytes [offset, offset + limit)."""
    offset: int
    limit: int
    sha256: bytes


@dataclass(slots=True)
class MediaItem:
    """One message's downloadable attachment as the state keeps it.

    `state`: "queued" (waiting, downloading or retrying), "done", "failed",
    "skipped" (media off, kind or size excluded), "budget" (held by the disk
    budget) or "gone" (the message was deleted first). `path` is the vault
    path the note's embed points at ("" while there is none); `tg_key`
    Telegram's identity of the content; `sha256` the stored copy once done.
    """
    chat_id: int
    msg_id: int
    file_id: str
    tg_key: str | None
    kind: str
    size: int | None
    mime: str | None
    file_name: str | None
    path: str
    state: str
    sha256: bytes | None = None
    attempts: int = 0
    next_try: float = 0.0
    error: str | None = None

    def row(self) -> tuple:
        return (self.chat_id, self.msg_id, self.file_id, self.tg_key, self.kind, self.size,
                self.mime, self.file_name, self.path, self.state, self.sha256, self.attempts,
                self.next_try, self.error)


@dataclass(frozen=True, slots=True)
class StoredFile:
    """One stored copy of a content: every item with its `sha256` links to `path`.
    `derived` holds (role, vault path) of what processing made of it."""
    sha256: bytes
    path: str
    size: int
    processed: bool
    derived: tuple[tuple[str, str], ...]
    transcript: str | None


class FileSource(Protocol):
    """Byte ranges of Telegram files, through the rate scheduler.

    `read` and `hashes` refresh an expired file reference and follow
    FILE_MIGRATE by themselves; they raise `MediaGone` when the message or
    its file is gone. Offsets and limits must follow upload.getFile's rules
    (see tobsd.media.chunks)."""

    async def locate(self, file_id: str) -> RemoteFile: ...

    def expect(self, file_ids: Iterable[str]) -> None:
        """A hint: these files are located soon (their messages may be
        fetched together, saving requests)."""

    async def streams(self, dc_id: int) -> int:
        """How many requests may run at once on this DC (help.getAppConfig)."""

    async def read(self, remote: RemoteFile, offset: int, limit: int) -> bytes: ...

    async def hashes(self, remote: RemoteFile, offset: int) -> list[ChunkHash] | None:
        """The hashes covering `offset` onwards, or None when not served."""

    def forget(self, file_id: str) -> None:
        """The file is done with (landed or given up): drop what was kept of it."""

    def stats(self) -> dict: ...


class MediaPort(Protocol):
    """What the sync engine tells the media side stream."""

    async def prepare(self, chat: Chat, messages: Sequence[Message]) -> None:
        """Before a batch is written: give every downloadable attachment its
        final vault path and status (queuing new downloads). Never waits for
        a download."""

    async def released(self, chat_id: int, msg_ids: Iterable[int]) -> None:
        """These messages were deleted in Telegram."""

    async def forget_chat(self, chat_id: int) -> None:
        """The chat is no longer synced: its downloads and processing are
        cancelled, its queue entries and partial files dropped. Nothing of
        it is written to the vault once this returns."""
