"""A small thread-safe LRU mapping, to keep the writer's memory bounded.

The writer remembers recent notes (text and parsed form) and where recent
messages live; both are caches of what is on disk or in the state database,
so forgetting the least recently used entries only costs a re-read.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Generic, Hashable, Iterable, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
_MISSING = object()


class LRU(Generic[K, V]):
    """At most `max_items` entries; with `weigh`, also at most `max_weight`
    of total weight (the newest entry is kept even if it alone weighs more)."""

    def __init__(self, max_items: int, *, max_weight: int | None = None,
                 weigh: Callable[[V], int] | None = None):
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        if (max_weight is None) != (weigh is None):
            raise ValueError("max_weight and weigh go together")
        self.max_items = max_items
        self.max_weight = max_weight
        self._weigh = weigh
        self._weight = 0
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def _added(self, value: V) -> None:
        if self._weigh is not None:
            self._weight += self._weigh(value)

    def _removed(self, value: V) -> None:
        if self._weigh is not None:
            self._weight -= self._weigh(value)

    def _trim(self) -> None:
        data = self._data
        while len(data) > self.max_items or (
                self.max_weight is not None and self._weight > self.max_weight and len(data) > 1):
            self._removed(data.popitem(last=False)[1])

    def get(self, key: K, default: V | None = None) -> V | None:
        with self._lock:
            value = self._data.get(key, _MISSING)
            if value is _MISSING:
                return default  # a miss is common (a new message): no exception to raise
            self._data.move_to_end(key)
            return value

    def __setitem__(self, key: K, value: V) -> None:
        with self._lock:
            old = self._data.get(key, _MISSING)
            if old is not _MISSING:
                self._removed(old)
            self._data[key] = value
            self._added(value)
            self._data.move_to_end(key)
            self._trim()

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
                    self._added(value)
                    self._trim()

    def pop(self, key: K, default: V | None = None) -> V | None:
        with self._lock:
            value = self._data.pop(key, _MISSING)
            if value is _MISSING:
                return default
            self._removed(value)
            return value

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def items(self) -> list[tuple[K, V]]:
        """A snapshot of the entries, least recently used first."""
        with self._lock:
            return list(self._data.items())
