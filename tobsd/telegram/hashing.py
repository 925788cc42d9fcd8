"""Telegram's result hash for paged requests (core.telegram.org/api/offsets,
"Hash generation"): for messages.getHistory, the hash of the ids of the page
the client holds, newest first, so Telegram answers messagesNotModified
when the page still has exactly those messages.

    hash = 0
    for id in ids:
        hash ^= hash >> 21; hash ^= hash << 35; hash ^= hash >> 4; hash += id

on unsigned 64-bit values (>> unsigned), sent as a signed `long`.
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
