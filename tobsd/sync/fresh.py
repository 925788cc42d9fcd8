"""Which copies of messages are news: the comparison behind the applier.

A copy is fresh when the index (or a batch still in flight) does not have
the message, or has different content and not a newer edit. A deleted
message stays deleted, and a copy of a message whose deletion was seen
before the message itself is dropped.
"""
from __future__ import annotations

import dataclasses
import hashlib
import marshal
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Callable, Container, Sequence

from tobsd.core.models import Message

_PLAIN = frozenset({str, int, bool, float, bytes, type(None)})


def _value(x):
    """A value as plain data marshal can write: datetimes as epoch seconds,
    enums as their values, model dataclasses as tuples of their fields."""
    t = type(x)
    if t in _PLAIN:
        return x
    if t is datetime:
        return x.timestamp()
    if t is tuple:
        return tuple([_value(y) for y in x]) if x else ()
    key = _KEYS.get(t)
    if key is not None:
        return key(x)
    if isinstance(x, Enum):
        return x.value
    if dataclasses.is_dataclass(x):
        key = _KEYS[t] = _key_function(t)
        return key(x)
    return repr(x)


def _key_function(cls, skip: tuple[str, ...] = ()) -> Callable:
    """A function turning an instance of the dataclass `cls` into a tuple of
    its fields' plain values (generated once, like dataclasses' own methods,
    so a field added to a model is covered without a change here)."""
    items = ", ".join(f"(o.{f.name} if type(o.{f.name}) in _PLAIN else _value(o.{f.name}))"
                      for f in dataclasses.fields(cls) if f.name not in skip)
    namespace = {"_PLAIN": _PLAIN, "_value": _value}
    exec(f"def key(o):\n    return ({items},)", namespace)
    return namespace["key"]


_KEYS: dict[type, Callable] = {}
# Views change too often to be worth a rewrite; the vault does not show them.
_message_key = _key_function(Message, skip=("views",))


def content_hash(message: Message) -> bytes:
    """A digest of everything the vault shows of a message (not its views).

    Equal messages give equal digests whatever objects they share: marshal
    format 2 writes no back-references."""
    return hashlib.blake2b(marshal.dumps(_message_key(message), 2), digest_size=16).digest()


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
