"""Chat histories and Telegram's paging over them.

A history is anything with the `HistoryView` methods: the messages it holds,
seen newest first, by position ("index" 0 = the newest message that is not
deleted). `page()` implements messages.getHistory on top of any view, so the
explicit history below and the lazy `SyntheticHistory` share one definition
of the semantics.
"""
from __future__ import annotations

from bisect import bisect_left, insort
from typing import Protocol

from .model import Message

MAX_PAGE = 100  # Telegram caps every history page at 100 messages


class HistoryView(Protocol):
    """Messages sorted by id, read newest first by position."""

    def count(self) -> int:
        """Messages that are not deleted."""

    def index_below(self, msg_id: int) -> int:
        """Position of the newest message with id < msg_id (count() if none);
        equivalently, how many messages have id >= msg_id."""

    def index_before_date(self, date: int) -> int:
        """Position of the newest message with date < `date` (count() if none)."""

    def window(self, start: int, n: int) -> list[Message]:
        """Up to n messages from position `start` on, newest first."""


class History(HistoryView, Protocol):
    """A chat's whole history: a view that can also change."""

    def top_id(self) -> int:
        """The highest id this history ever held (deleted ones included)."""

    def get(self, msg_id: int) -> Message | None: ...

    def add(self, msg: Message) -> None:
        """Append a message whose id is above every id held so far."""

    def replace(self, msg: Message) -> None:
        """Put an edited copy of an existing message in its place."""

    def remove(self, ids: list[int]) -> list[int]:
        """Delete these ids; returns the ones that existed, in the asked order."""

    def topic_view(self, topic_id: int) -> HistoryView:
        """The messages of one forum topic."""


def page(view: HistoryView, *, offset_id: int = 0, offset_date: int = 0,
         add_offset: int = 0, limit: int = 100, max_id: int = 0,
         min_id: int = 0) -> list[Message]:
    """messages.getHistory over `view`, newest first.

    The start is the position of the newest message with id < offset_id;
    when offset_id is 0, of the newest with date < offset_date, or the top
    when both are 0. offset_id wins over offset_date as on Telegram: Telethon
    sends both on every page after the first (and relies on the id). The
    start may land past the end. add_offset moves it (negative = towards
    newer messages); the window is positions [start, start + min(limit, 100))
    cut at the top, so a window that reaches above the newest message
    shrinks instead of shifting (Telethon's reverse iteration depends on
    that: its last page is short and it stops). Then those with id >= max_id
    (max_id != 0) or id <= min_id (min_id != 0) are dropped.
    """
    limit = min(limit, MAX_PAGE)
    if limit <= 0:
        return []
    if offset_id:
        start = view.index_below(offset_id)
    elif offset_date:
        start = view.index_before_date(offset_date)
    else:
        start = 0
    begin = start + add_offset
    end = begin + limit
    begin = max(0, begin)
    if end <= begin:
        return []
    msgs = view.window(begin, end - begin)
    if max_id:
        msgs = [m for m in msgs if m.id < max_id]
    if min_id:
        msgs = [m for m in msgs if m.id > min_id]
    return msgs


class SortedView:
    """A HistoryView over an ascending id list and a dict holding the messages."""

    __slots__ = ("ids", "msgs")

    def __init__(self, ids: list[int], msgs: dict[int, Message]):
        self.ids = ids
        self.msgs = msgs

    def count(self) -> int:
        return len(self.ids)

    def index_below(self, msg_id: int) -> int:
        return len(self.ids) - bisect_left(self.ids, msg_id)

    def index_before_date(self, date: int) -> int:
        # Dates need not grow with ids (a scenario may set any date), so scan
        # from the top; explicit histories are small.
        ids, msgs = self.ids, self.msgs
        for pos in range(len(ids)):
            if msgs[ids[-1 - pos]].date < date:
                return pos
        return len(ids)

    def window(self, start: int, n: int) -> list[Message]:
        hi = len(self.ids) - start
        if hi <= 0 or n <= 0:
            return []
        lo = max(0, hi - n)
        msgs = self.msgs
        return [msgs[i] for i in reversed(self.ids[lo:hi])]


def topic_of(msg: Message) -> int:
    """The forum topic a message belongs to; messages outside any topic
    belong to "General", whose id is 1 (the forum's first message)."""
    return msg.topic_id or 1


class ExplicitHistory(SortedView):
    """Every message held in memory: sorted ids plus a dict id -> Message,
    with a per-topic id list for forums."""

    __slots__ = ("_top", "_topics")

    def __init__(self, messages: list[Message] | None = None):
        super().__init__([], {})
        self._top = 0
        self._topics: dict[int, list[int]] = {}
        for msg in sorted(messages or [], key=lambda m: m.id):
            self.add(msg)

    def top_id(self) -> int:
        return self._top

    def get(self, msg_id: int) -> Message | None:
        return self.msgs.get(msg_id)

    def add(self, msg: Message) -> None:
        if msg.id in self.msgs:
            raise ValueError(f"message id {msg.id} already exists")
        if msg.id > self._top:
            self.ids.append(msg.id)
            self._top = msg.id
        else:  # builders may add out of order; keep the list sorted
            insort(self.ids, msg.id)
        self.msgs[msg.id] = msg
        insort(self._topics.setdefault(topic_of(msg), []), msg.id)

    def replace(self, msg: Message) -> None:
        old = self.msgs.get(msg.id)
        if old is None:
            raise KeyError(msg.id)
        if topic_of(old) != topic_of(msg):
            raise ValueError("an edit cannot move a message to another topic")
        self.msgs[msg.id] = msg

    def remove(self, ids: list[int]) -> list[int]:
        gone = []
        for msg_id in ids:
            msg = self.msgs.pop(msg_id, None)
            if msg is None:
                continue
            gone.append(msg_id)
            self.ids.pop(bisect_left(self.ids, msg_id))
            topic_ids = self._topics[topic_of(msg)]
            topic_ids.pop(bisect_left(topic_ids, msg_id))
        return gone

    def topic_view(self, topic_id: int) -> HistoryView:
        return SortedView(self._topics.get(topic_id, []), self.msgs)

    def __iter__(self):
        """Messages oldest first."""
        return (self.msgs[i] for i in self.ids)
