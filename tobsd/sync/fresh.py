"""Which copies of messages are news: the comparison behind the applier.

A copy is fresh when the index (or a batch still in flight) does not have
the message, or has different content and not a newer edit. A deleted
message stays deleted, and a copy of a message whose deletion was seen
before the message itself is dropped.
"""
from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Container, Sequence

from tobsd.core.models import Message

_SHOWN = tuple(f.name for f in dataclasses.fields(Message) if f.name != "views")


def content_hash(message: Message) -> bytes:
    """A digest of everything the vault shows of a message (not its views,
    which change too often to be worth a rewrite)."""
    shown = repr(tuple(getattr(message, name) for name in _SHOWN))
    return hashlib.blake2b(shown.encode(), digest_size=16).digest()


def epoch(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


@dataclass(slots=True)
class Known:
    """What decides whether a copy of a message is news: the index row, or
    the copy an earlier batch is about to write."""
    content_hash: bytes
    edit_date: int | None
    deleted: bool


def select_fresh(chat_id: int, messages: Sequence[Message], known: dict[int, Known],
                 deleted_unseen: Container[tuple[int, int]],
                 out: dict[int, tuple[Message, bytes]]) -> int:
    """Put the fresh copies among `messages` into `out` (id -> copy and its
    hash) and record them in `known`, so a later batch is compared with
    them. Returns how many were fresh."""
    fresh = 0
    for m in sorted(messages, key=lambda m: m.id):
        if (chat_id, m.id) in deleted_unseen:
            continue   # a copy fetched before its deletion arrived
        digest = content_hash(m)
        entry = known.get(m.id)
        if entry is not None:
            if entry.deleted or entry.content_hash == digest:
                continue   # deleted stays deleted; the same content changes nothing
            if entry.edit_date and (m.edit_date is None or epoch(m.edit_date) < entry.edit_date):
                continue   # an older copy than the one already applied
        known[m.id] = Known(digest, epoch(m.edit_date), m.deleted)
        out[m.id] = (m, digest)
        fresh += 1
    return fresh
