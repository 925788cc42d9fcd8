"""What a note shows of a download, and the queue's counters for status."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from tobsd.core.models import MediaRef

_GONE = "the message was deleted before its file was fetched"


def decorate(media: MediaRef, item, stored) -> None:
    """Set `media`'s path, status, derived files and transcript from its
    `media_items` row (and the stored copy, once there is one)."""
    media.derived, media.transcript = (), None
    media.status = media.status_detail = None
    if item.state == "done":
        media.path = stored.path if stored is not None else item.path
        if stored is not None:
            media.derived = tuple(tuple(d) for d in stored.derived)
            media.transcript = stored.transcript
    elif item.state == "queued":
        media.path, media.status = item.path, "downloading"
    elif item.state == "failed":
        media.path, media.status, media.status_detail = None, "failed", item.error
    elif item.state == "gone":
        media.path, media.status, media.status_detail = None, "failed", _GONE
    else:   # skipped, budget
        media.path, media.status, media.status_detail = None, "skipped", item.error


@dataclass(slots=True)
class MediaCounters:
    """Since the daemon started."""
    files_stored: int = 0
    bytes_stored: int = 0
    bytes_fetched: int = 0
    parts_fetched: int = 0
    parts_resumed: int = 0
    parts_hash_checked: int = 0
    dedup_by_id: int = 0
    dedup_by_content: int = 0
    retries: int = 0
    failed: int = 0
    processed: int = 0
    budget_reached: bool = False

    def add(self, stats) -> None:
        self.bytes_fetched += stats.bytes_fetched
        self.parts_fetched += stats.fetched
        self.parts_resumed += stats.resumed
        self.parts_hash_checked += stats.hash_checked

    def as_dict(self) -> dict:
        return asdict(self)
