"""Waiting on a condition with a deadline: the one way tests synchronise.

A test never sleeps a fixed time and hopes something happened meanwhile; it
polls a predicate until it holds, and fails with a clear message (what it
waited for, and the last thing seen) when the deadline passes first. The
deadlines are generous because the machines running the suite are shared
and loaded: a deadline bounds a hang, it is not a speed target.

    await wait_for(lambda: writer.calls == [[1], [2]], what="both batches at the writer")
    wait_for_sync(lambda: not alive(pid), timeout=10, what="the writer exits")

Every deadline passes through `slack`, which stretches it by
``TOBS_TEST_DEADLINE_SCALE`` (default 3): a suite beside a CPU hog on two
cores runs four times slower than on an idle machine, and a deadline is
only there to turn a hang into a failure.

A predicate may return any value; the first truthy one is returned. For
`wait_for` it may also be a coroutine function (or return an awaitable),
which is awaited at each poll.
"""
from __future__ import annotations

import asyncio
import inspect
import os
import time
from typing import Any, Callable

DEFAULT_TIMEOUT_S = 30.0
POLL_S = 0.01
DEADLINE_SCALE = float(os.environ.get("TOBS_TEST_DEADLINE_SCALE", "3"))


def slack(seconds: float) -> float:
    """`seconds` stretched for a loaded machine: what every test deadline uses."""
    return seconds * DEADLINE_SCALE


class ConditionTimeout(AssertionError):
    """The condition did not hold before the deadline."""


def _fail(what: str, timeout: float, last: Any, describe: Callable[[], Any] | None) -> None:
    seen = describe() if describe is not None else last
    raise ConditionTimeout(f"timed out after {timeout:g}s waiting for {what}; last seen: {seen!r}")


async def wait_for(predicate: Callable[[], Any], timeout: float = DEFAULT_TIMEOUT_S, *,
                   what: str = "a condition", interval: float = POLL_S,
                   describe: Callable[[], Any] | None = None) -> Any:
    """Poll `predicate` (sync or async) on the running loop until it returns
    something truthy, and return that; raise ConditionTimeout at the deadline.
    Between polls the loop runs other tasks (a server in the same process)."""
    timeout = slack(timeout)
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() >= deadline:
            _fail(what, timeout, value, describe)
        await asyncio.sleep(interval)


def wait_for_sync(predicate: Callable[[], Any], timeout: float = DEFAULT_TIMEOUT_S, *,
                  what: str = "a condition", interval: float = POLL_S,
                  describe: Callable[[], Any] | None = None) -> Any:
    """The blocking form of `wait_for`, for tests without an event loop."""
    timeout = slack(timeout)
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            _fail(what, timeout, value, describe)
        time.sleep(interval)
