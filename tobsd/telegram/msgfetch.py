"""Messages fetched by id, many per request: what locating media files costs.

A file is downloaded with the file reference its message carries, so each
download starts by fetching its message (messages.getMessages or
channels.getMessages). One request takes up to 100 ids, and these methods
share Telegram's flood limits with the history requests, so fetching them
one at a time would spend a request per file.

`MessageFetcher.get(chat_id, msg_id)` coalesces: ids asked for while a
request for the same chat is in flight go together in the next one, and
ids announced with `expect` (the download queue's next items) ride along
with any request of their chat up to the 100. A message fetched ahead is
kept for `AHEAD_TTL_S` and handed out once; `get(..., fresh=True)` (an
expired file reference) always asks Telegram.
"""
from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from typing import Awaitable, Callable, Iterable, Sequence

PER_REQUEST = 100          # messages.getMessages / channels.getMessages take up to 100 ids
AHEAD_TTL_S = 600.0        # a file reference fetched ahead is used well within its lifetime
MAX_EXPECTED = 1000        # per chat: a hint, not a backlog

Fetch = Callable[[int, Sequence[int]], Awaitable[Sequence[object]]]   # (chat id, ids) -> messages or None


class MessageFetcher:
    """`fetch(chat_id, ids)` sends one request and returns the messages in
    the order of `ids` (None for an id with no message)."""

    def __init__(self, fetch: Fetch, clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch
        self._clock = clock
        self._pending: dict[int, dict[int, list[asyncio.Future]]] = {}
        self._expected: dict[int, OrderedDict[int, None]] = {}
        self._ahead: dict[tuple[int, int], tuple[float, object]] = {}
        self._flushing: dict[int, asyncio.Task] = {}
        self.requests = 0

    def expect(self, chat_id: int, msg_ids: Iterable[int]) -> None:
        """These messages are likely asked for soon."""
        expected = self._expected.setdefault(chat_id, OrderedDict())
        for msg_id in msg_ids:
            expected[msg_id] = None
        while len(expected) > MAX_EXPECTED:
            expected.popitem(last=False)

    async def get(self, chat_id: int, msg_id: int, *, fresh: bool = False):
        """The message (a Telegram object), or None when it does not exist."""
        if not fresh:
            ahead = self._ahead.pop((chat_id, msg_id), None)
            if ahead is not None and self._clock() - ahead[0] < AHEAD_TTL_S:
                return ahead[1]
        future = asyncio.get_running_loop().create_future()
        self._pending.setdefault(chat_id, {}).setdefault(msg_id, []).append(future)
        task = self._flushing.get(chat_id)
        if task is None or task.done():
            self._flushing[chat_id] = asyncio.create_task(self._flush(chat_id))
        return await future

    async def _flush(self, chat_id: int) -> None:
        """Requests for the chat, one at a time, until nothing is pending."""
        while pending := self._pending.get(chat_id):
            wanted = list(pending)[:PER_REQUEST]
            waiters = {i: pending.pop(i) for i in wanted}
            if not pending:
                self._pending.pop(chat_id, None)
            expected = self._expected.get(chat_id, OrderedDict())
            for msg_id in wanted:
                expected.pop(msg_id, None)
            extra = [i for i in expected if (chat_id, i) not in self._ahead][:PER_REQUEST - len(wanted)]
            for msg_id in extra:
                expected.pop(msg_id, None)
            ids = wanted + extra
            try:
                self.requests += 1
                messages = list(await self._fetch(chat_id, ids))
            except BaseException as exc:
                for futures in waiters.values():
                    for f in futures:
                        if not f.done():
                            f.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            by_id = dict(zip(ids, messages + [None] * (len(ids) - len(messages))))
            now = self._clock()
            self._drop_stale(now)
            for msg_id in extra:
                if by_id.get(msg_id) is not None:
                    self._ahead[(chat_id, msg_id)] = (now, by_id[msg_id])
            for msg_id, futures in waiters.items():
                for f in futures:
                    if not f.done():
                        f.set_result(by_id.get(msg_id))
        self._flushing.pop(chat_id, None)

    def _drop_stale(self, now: float) -> None:
        for key in [k for k, (at, _m) in self._ahead.items() if now - at >= AHEAD_TTL_S]:
            del self._ahead[key]
