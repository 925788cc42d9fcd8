"""Telegram's result hash (core.telegram.org/api/offsets, "Hash generation").

A client that holds the result of a paged request sends a hash of it; when
the result would be the same, the server answers a `*NotModified`
constructor instead. For messages.getHistory the documentation names
"message ID hashes": the hash of the ids of the result, in the order the
result lists them (newest first). The algorithm, on unsigned 64-bit values
(>> is the unsigned shift):

    hash = 0
    for id in ids:
        hash = hash ^ (hash >> 21)
        hash = hash ^ (hash << 35)
        hash = hash ^ (hash >> 4)
        hash = hash + id

The TL `long` carries it as a signed 64-bit value.
"""
from __future__ import annotations

from typing import Iterable

_MASK = (1 << 64) - 1


def ids_hash(ids: Iterable[int]) -> int:
    h = 0
    for value in ids:
        h ^= h >> 21
        h ^= (h << 35) & _MASK
        h ^= h >> 4
        h = (h + (value & _MASK)) & _MASK
    return h - (1 << 64) if h >> 63 else h
