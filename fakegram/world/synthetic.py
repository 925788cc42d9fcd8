"""A lazy history for huge channels: messages computed from their id.

Ids 1..N are "base" messages: `base_message(id)` derives one from
(seed, channel id, message id) alone (text of varied length, some entities,
some replies, media every `media_every`-th message). Edits and new posts live
in a small overlay dict; deletions in a sorted list. Positions are computed
arithmetically (ids are dense apart from the deleted ones), so paging a
1,000,000-message channel never walks or stores the whole chat.
"""
from __future__ import annotations

import random
from bisect import bisect_left, insort

from . import mediakit
from .history import HistoryView, SortedView
from .ids import seed_int, synthetic_media_id
from .model import Entity, Media, Message, Reply
from .richtext import utf16_len

_VOCAB = (
    "the a of to and in on for with at from by about into over after before "
    "today tomorrow yesterday morning evening week month year update release "
    "engine network signal market city river harbour bridge station garden "
    "library museum concert weather storm rain sunshine traffic train flight "
    "report analysis numbers growth figures summary notes draft plan meeting "
    "council project launch team members volunteers readers listeners guests "
    "new old quick slow bright quiet busy early late open closed final first "
    "announced confirmed expected reported shared opened closed started moved "
    "is was will be has have are were could should might must can "
    "photos video thread story interview podcast episode schedule tickets "
    "north south east west central local national regional coastal mountain"
).split()
# A fixed pseudo-random word stream; a message's text is a slice of it, so
# making one costs a slice, not a loop of random draws.
_CORPUS = random.Random(20251009).choices(_VOCAB, k=8192)
_CORPUS_TEXT = " ".join(_CORPUS) + " "
_WORD_AT: list[int] = [0]  # offset of each corpus word in _CORPUS_TEXT
for _word in _CORPUS:
    _WORD_AT.append(_WORD_AT[-1] + len(_word) + 1)
_CAPITAL = [w.capitalize() for w in _CORPUS]
_TAGS = ("#update", "#weather", "#city", "#launch", "#weekly")
_EMOJI = ("🔥 ", "📢 ", "🌧️ ", "✅ ", "🚆 ")
_EMOJI_UTF16 = [utf16_len(e) for e in _EMOJI]
_STYLES = ("bold", "italic", "code")
_MASK128 = (1 << 128) - 1


class SyntheticHistory:
    """A History (see `fakegram.world.history`) of `base_count` computed
    messages plus an overlay of edits, new posts and deletions."""

    def __init__(self, *, seed: int, channel_id: int, base_count: int, now: int,
                 broadcast: bool = True, authors: list[int] | None = None,
                 media_every: int = 0, span: int = 365 * 86400,
                 dc_ids: tuple[int, ...] = (1, 2, 3, 4, 5)):
        self.seed = seed
        self.channel_id = channel_id
        self.base_count = base_count
        self.broadcast = broadcast
        self.authors = authors or []
        self.media_every = media_every
        self.dc_ids = tuple(dc_ids)
        self.step = max(1, min(3600, span // max(base_count, 1)))
        # Base message i is dated first_date + i*step, the last one before now.
        self.first_date = now - (base_count + 1) * self.step
        self._top = base_count
        self._deleted: list[int] = []
        self._deleted_set: set[int] = set()
        self._overlay: dict[int, Message] = {}
        self._key = seed_int(seed, "synthetic", channel_id) << 32

    # --- the computed messages ------------------------------------------------
    def base_date(self, msg_id: int) -> int:
        return self.first_date + msg_id * self.step

    def _rand(self, msg_id: int) -> int:
        """128 well-mixed bits for (seed, channel, msg_id): two rounds of
        multiply-xorshift, several times cheaper than a hash call."""
        x = ((msg_id + self._key) * 0x9E3779B97F4A7C15F39CC0605CEDC835) & _MASK128
        x ^= x >> 67
        x = (x * 0xD6E8FEB86659FD93C3A5A5A5A5A5A5A5) & _MASK128
        return x ^ (x >> 61)

    def base_message(self, msg_id: int) -> Message:
        """Base message `msg_id` (1..base_count), ignoring edits and deletions."""
        # Hot path (a full walk makes a million of these): slices of a fixed
        # corpus, table lookups, no per-word work.
        r = self._rand(msg_id)
        nwords = 3 + r % 24
        if (r >> 8) % 10 == 0:  # one in ten is a long read
            nwords *= 8
        start = (r >> 16) % (len(_CORPUS) - nwords - 1)
        first = _CAPITAL[start]
        text = first + _CORPUS_TEXT[_WORD_AT[start] + len(first):_WORD_AT[start + nwords] - 1] + "."
        body_len = len(text)  # ASCII, so UTF-16 length = len
        base = 0
        if (r >> 36) % 6 == 0:
            pick = (r >> 40) % len(_EMOJI)
            text = _EMOJI[pick] + text
            base = _EMOJI_UTF16[pick]
        entities: list[Entity] = []
        style = (r >> 44) % 8
        if style < 3:  # bold / italic / code over the first word
            entities.append(Entity(_STYLES[style], base, len(first)))
        elif style == 3:
            tag = _TAGS[(r >> 48) % len(_TAGS)]
            entities.append(Entity("hashtag", base + body_len + 1, len(tag)))
            text += " " + tag
        reply = None
        if msg_id > 1 and (r >> 52) % 12 == 0:
            back = 1 + (r >> 56) % min(50, msg_id - 1)
            reply = Reply(msg_id=msg_id - back)
        media = None
        if self.media_every and msg_id % self.media_every == 0:
            media = self.base_media(msg_id, r)
        if self.broadcast:
            from_id, views = None, 100 + (r >> 64) % 50_000
        else:
            from_id = self.authors[(r >> 64) % len(self.authors)] if self.authors else None
            views = None
        return Message(msg_id, self.base_date(msg_id), from_id, text, entities, reply,
                       None, None, media, None, [], None, False, views, self.broadcast)

    def base_media(self, msg_id: int, r: int | None = None) -> Media:
        """The media of a base message that carries one: photos and documents
        alternate; each media item goes to the next DC in turn."""
        if r is None:
            r = self._rand(msg_id)
        media_id = synthetic_media_id(self.channel_id, msg_id)
        nth = msg_id // self.media_every
        dc_id = self.dc_ids[nth % len(self.dc_ids)]
        blob_ids = iter(range(media_id * 8, media_id * 8 + 8))
        date = self.base_date(msg_id)
        if nth % 2:
            return mediakit.photo(self.seed, media_id, dc_id, blob_ids.__next__, date)
        size = 4096 + (r >> 80) % (2 * 1024 * 1024)
        return mediakit.seeded_document(self.seed, media_id, dc_id, blob_ids.__next__,
                                        size, f"report_{msg_id}.pdf", "application/pdf", date)

    def media(self, msg_id: int) -> Media | None:
        """The media of message `msg_id` as it is now (None if deleted/none)."""
        msg = self.get(msg_id)
        return msg.media if msg else None

    # --- History ----------------------------------------------------------------
    def top_id(self) -> int:
        return self._top

    def count(self) -> int:
        return self._top - len(self._deleted)

    def _alive_ge(self, x: int) -> int:
        """How many messages that exist have id >= x (1 <= x <= top + 1)."""
        return (self._top - x + 1) - (len(self._deleted) - bisect_left(self._deleted, x))

    def index_below(self, msg_id: int) -> int:
        if msg_id > self._top:
            return 0
        return self._alive_ge(max(msg_id, 1))

    def _id_at(self, index: int) -> int:
        """The id at position `index` (0 = newest); index < count()."""
        lo, hi = 1, self._top  # largest x with _alive_ge(x) >= index + 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._alive_ge(mid) >= index + 1:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def _date_of(self, msg_id: int) -> int:
        if msg_id > self.base_count:
            return self._overlay[msg_id].date
        return self.base_date(msg_id)

    def index_before_date(self, date: int) -> int:
        # Dates grow with ids: find the largest id dated before `date`; the
        # newest message at or below it sits at position _alive_ge(x + 1).
        lo, hi = 0, self._top
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._date_of(mid) < date:
                lo = mid
            else:
                hi = mid - 1
        return self._alive_ge(lo + 1)

    def window(self, start: int, n: int) -> list[Message]:
        if start >= self.count() or n <= 0:
            return []
        out: list[Message] = []
        msg_id = self._id_at(start)
        deleted = self._deleted_set
        while msg_id >= 1 and len(out) < n:
            if msg_id not in deleted:
                out.append(self._message(msg_id))
            msg_id -= 1
        return out

    def _message(self, msg_id: int) -> Message:
        msg = self._overlay.get(msg_id)
        return msg if msg is not None else self.base_message(msg_id)

    def get(self, msg_id: int) -> Message | None:
        if not 1 <= msg_id <= self._top or msg_id in self._deleted_set:
            return None
        return self._message(msg_id)

    def add(self, msg: Message) -> None:
        if msg.id != self._top + 1:  # ids stay dense
            raise ValueError(f"new message id must be {self._top + 1}, not {msg.id}")
        self._overlay[msg.id] = msg
        self._top = msg.id

    def replace(self, msg: Message) -> None:
        if self.get(msg.id) is None:
            raise KeyError(msg.id)
        self._overlay[msg.id] = msg

    def remove(self, ids: list[int]) -> list[int]:
        gone = []
        for msg_id in ids:
            if self.get(msg_id) is None:
                continue
            gone.append(msg_id)
            insort(self._deleted, msg_id)
            self._deleted_set.add(msg_id)
            if msg_id <= self.base_count:
                self._overlay.pop(msg_id, None)  # new posts keep their date for bisecting
        return gone

    def topic_view(self, topic_id: int) -> HistoryView:
        return SortedView([], {})  # synthetic chats have no topics
