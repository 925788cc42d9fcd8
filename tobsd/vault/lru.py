"""A small thread-safe LRU mapping, to keep the writer's memory bounded.

The writer remembers recent notes (text and parsed form) and where recent
messages live; both are caches of what is on disk or in the state database,
so forgetting the least recently used entries only costs a re-read.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, Hashable, Iterable, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
_MISSING = object()


class LRU(Generic[K, V]):
    def __init__(self, max_items: int):
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        self.max_items = max_items
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, default: V | None = None) -> V | None:
        with self._lock:
            value = self._data.get(key, _MISSING)
            if value is _MISSING:
                return default  # a miss is common (a new message): no exception to raise
            self._data.move_to_end(key)
            return value

    def __setitem__(self, key: K, value: V) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.max_items:
                self._data.popitem(last=False)

    def setdefault(self, key: K, value: V) -> V:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        self[key] = value
        return value

    def setdefault_many(self, items: Iterable[tuple[K, V]]) -> None:
        """``setdefault`` for each pair in order, under one lock (a note's blocks at once)."""
        data = self._data
        with self._lock:
            for key, value in items:
                if key in data:
                    data.move_to_end(key)
                else:
                    data[key] = value
                    if len(data) > self.max_items:
                        data.popitem(last=False)

    def pop(self, key: K, default: V | None = None) -> V | None:
        with self._lock:
            return self._data.pop(key, default)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def items(self) -> list[tuple[K, V]]:
        """A snapshot of the entries, least recently used first."""
        with self._lock:
            return list(self._data.items())
