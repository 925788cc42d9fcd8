"""MessageFetcher: messages by id, many per request (pure unit tests with a
recording fetch function and a fake clock)."""
from __future__ import annotations

import asyncio

import pytest

from tobsd.telegram.msgfetch import AHEAD_TTL_S, MessageFetcher


class Recorder:
    """Answers `("msg", chat, id)` for every id but the ones in `missing`;
    a request waits on `gate` when one is given."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, list[int]]] = []
        self.missing: set[int] = set()
        self.gate: asyncio.Event | None = None
        self.fail: Exception | None = None
        self.called = asyncio.Event()     # set by each request

    async def __call__(self, chat_id, ids):
        self.calls.append((chat_id, list(ids)))
        self.called.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        return [None if i in self.missing else ("msg", chat_id, i) for i in ids]


async def test_gets_during_a_request_go_together_in_the_next():
    fetch = Recorder()
    fetch.gate = asyncio.Event()
    f = MessageFetcher(fetch)
    first = asyncio.create_task(f.get(1, 10))
    await asyncio.wait_for(fetch.called.wait(), 5)   # the first request is in flight
    # Asked for while it is: they run (and wait) before the gate's waiter resumes.
    rest = [asyncio.create_task(f.get(1, i)) for i in (11, 12, 13)]
    other_chat = asyncio.create_task(f.get(2, 5))
    fetch.gate.set()
    assert await first == ("msg", 1, 10)
    assert [await t for t in rest] == [("msg", 1, i) for i in (11, 12, 13)]
    assert await other_chat == ("msg", 2, 5)
    assert sorted(fetch.calls) == [(1, [10]), (1, [11, 12, 13]), (2, [5])]


async def test_expected_ids_ride_along_and_are_handed_out_once():
    fetch = Recorder()
    now = [0.0]
    f = MessageFetcher(fetch, clock=lambda: now[0])
    f.expect(1, range(1, 251))
    assert await f.get(1, 1) == ("msg", 1, 1)
    assert fetch.calls == [(1, list(range(1, 101)))]        # one request, filled to 100
    for i in range(2, 101):
        assert await f.get(1, i) == ("msg", 1, i)
    assert len(fetch.calls) == 1                            # all served from what came along
    assert await f.get(1, 2) == ("msg", 1, 2) and len(fetch.calls) == 2   # once only
    assert fetch.calls[1] == (1, [2] + list(range(101, 200)))


async def test_fresh_asks_telegram_and_old_ahead_copies_expire():
    fetch = Recorder()
    now = [0.0]
    f = MessageFetcher(fetch, clock=lambda: now[0])
    f.expect(1, [2, 3])
    await f.get(1, 1)
    await f.get(1, 2, fresh=True)          # an expired file reference: never the copy kept
    assert fetch.calls == [(1, [1, 2, 3]), (1, [2])]
    now[0] = AHEAD_TTL_S + 1
    await f.get(1, 3)
    assert fetch.calls[-1] == (1, [3])


async def test_a_missing_message_is_none_and_a_failure_reaches_every_waiter():
    fetch = Recorder()
    fetch.missing = {7}
    f = MessageFetcher(fetch)
    assert await f.get(1, 7) is None
    fetch.gate = asyncio.Event()
    fetch.fail = ConnectionError("reset")
    fetch.called.clear()
    tasks = [asyncio.create_task(f.get(1, i)) for i in (8, 9)]
    await asyncio.wait_for(fetch.called.wait(), 5)   # both in the one request now in flight
    fetch.gate.set()
    for t in tasks:
        with pytest.raises(ConnectionError):
            await t
    fetch.fail, fetch.gate = None, None
    assert await f.get(1, 8) == ("msg", 1, 8)               # the next get asks again
