"""The adaptive pacer against fakegram's flood model, on a simulated clock:
it finds the ceiling, stays just under it, follows a limit that moves, and
starts from what it learned after a restart."""
from __future__ import annotations

import asyncio

import pytest
from telethon import errors

from fakegram.flood import Family, FloodGate, FloodModel
from tobsd.telegram.floodstore import MemoryFloodStore
from tobsd.telegram.pacer import Learned, Pacer
from tobsd.telegram.scheduler import RateScheduler


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    async def sleep(self, seconds):
        self.now += seconds


def gate_for(clock, rate, burst):
    return FloodGate(FloodModel("t", (Family("history", ("m",), rate=rate, burst=burst),)), clock)


class Run:
    """One client sending requests back to back through a pacer, each taking
    `rtt` seconds, honouring every flood wait exactly."""

    def __init__(self, pacer, gate, clock, rtt=0.1):
        self.pacer, self.gate, self.clock, self.rtt = pacer, gate, clock, rtt
        self.passes: list[float] = []
        self.floods: list[float] = []
        self.waited = 0

    async def until(self, end: float) -> "Run":
        while self.clock.now < end:
            ticket = await self.pacer.acquire()
            self.clock.now += self.rtt / 2
            wait = self.gate.check("m", 1, False)
            self.clock.now += self.rtt / 2
            if wait:
                self.pacer.flooded(ticket, wait)
                self.floods.append(self.clock.now)
                self.clock.now += wait
                self.waited += wait
            else:
                self.pacer.succeeded(ticket)
                self.passes.append(self.clock.now)
        return self

    def rate_between(self, start, end):
        return sum(1 for t in self.passes if start <= t < end) / (end - start)

    def floods_between(self, start, end):
        return sum(1 for t in self.floods if start <= t < end)


@pytest.mark.parametrize("rate,burst", [(1.0, 30.0), (0.5, 15.0), (3.0, 90.0)])
async def test_it_finds_the_ceiling_and_stays_just_under_it(rate, burst):
    clock = Clock()
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    run = await Run(pacer, gate_for(clock, rate, burst), clock).until(3600)
    assert pacer.high is not None and pacer.flood_waits == len(run.floods) > 0
    # Once learned: at least 90% of the ceiling, about one flood wait per ten minutes.
    assert run.rate_between(600, 3600) >= 0.9 * rate
    assert run.floods_between(600, 3600) <= 5
    assert 0.9 * rate <= pacer.rate <= 1.1 * rate


async def test_it_follows_a_limit_that_goes_up_or_down():
    for before, after in ((1.0, 2.0), (2.0, 1.0)):
        clock = Clock()
        gate = gate_for(clock, before, 30 * before)
        pacer = Pacer(clock=clock, sleep=clock.sleep, reprobe_after_s=300)
        run = Run(pacer, gate, clock)
        await run.until(1800)
        gate.model = FloodModel("t", (Family("history", ("m",), rate=after, burst=30 * after),))
        # A limit that went up is found within an hour (it is looked for
        # carefully: a probe that floods costs a growing wait).
        await run.until(5400)
        assert run.rate_between(4500, 5400) >= 0.9 * after, (before, after)
        # What it holds as safe is the new limit (its rate is above that
        # only while it looks for a higher one, every reprobe_after_s).
        assert pacer.low <= 1.1 * after, (before, after)
        assert run.floods_between(4500, 5400) <= 4


async def test_slow_start_grows_only_while_callers_are_held_back():
    clock = Clock()
    pacer = Pacer(start_rate=10, double_every_s=0.5, clock=clock, sleep=clock.sleep)
    for _ in range(40):                        # one request a second: the pacer is not the limit
        pacer.succeeded(await pacer.acquire())
        clock.now += 1.0
    assert pacer.rate == 10
    start = clock.now
    while clock.now - start < 1.0:             # back to back: held back, doubles per 0.5 s
        pacer.succeeded(await pacer.acquire())
    assert 30 <= pacer.rate <= 50


async def test_floods_of_requests_sent_before_it_slowed_down_count_once():
    clock = Clock()
    pacer = Pacer(start_rate=8, clock=clock, sleep=clock.sleep)
    tickets = [await pacer.acquire() for _ in range(4)]   # in flight together
    for ticket in tickets:
        pacer.flooded(ticket)
    assert pacer.high == 8 and pacer.rate == 2 and pacer.flood_waits == 4


async def test_a_restarted_pacer_starts_from_what_it_learned():
    clock = Clock()
    gate = gate_for(clock, 1.0, 30.0)
    first = Pacer(clock=clock, sleep=clock.sleep)
    await Run(first, gate, clock).until(1800)
    learned = Learned.from_dict(first.state().to_dict())
    assert learned == first.state()
    second = Pacer(learned=learned, clock=clock, sleep=clock.sleep)
    assert second.rate == first.state().rate
    run = await Run(second, gate, clock).until(3600)
    assert run.floods_between(1800, 2400) <= 1
    assert run.rate_between(1800, 3600) >= 0.9
    assert Learned.from_dict({"rate": "x"}) is None and Learned.from_dict({"rate": 0}) is None


async def test_the_scheduler_paces_bulk_methods_and_keeps_what_it_learned():
    store = MemoryFloodStore()
    scheduler = RateScheduler(store, pacer_options={"start_rate": 50.0})
    answers = iter([errors.FloodWaitError(request=None, capture=1)] + ["ok"] * 4)

    async def request():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert await scheduler.call("messages.getHistory", 2, request, takeout=True) == "ok"
    assert await scheduler.call("messages.getHistory", 2, request) == "ok"
    assert await scheduler.call("updates.getState", 2, request) == "ok"   # not paced
    pacing = scheduler.pacing()
    assert set(pacing) == {"messages.getHistory@dc2+takeout", "messages.getHistory@dc2"}
    assert pacing["messages.getHistory@dc2+takeout"]["high"] == 50.0
    assert pacing["messages.getHistory@dc2+takeout"]["flood_waits"] == 1
    # Saved at the flood wait, and picked up by the next scheduler.
    assert store.rates["messages.getHistory@dc2+takeout"]["rate"] == 12.5
    again = RateScheduler(store)
    assert await again.call("messages.getHistory", 2, request, takeout=True) == "ok"
    assert again.pacing()["messages.getHistory@dc2+takeout"]["rate"] == 12.5


@pytest.mark.parametrize("rate,burst", [(3.0, 90.0), (1.5, 45.0), (1.0, 30.0)])
async def test_two_floods_in_a_row_measure_the_ceiling(rate, burst):
    """What passes between two floods is what the limiter refilled: the
    bracket closes around the true rate after the second flood, and from
    the first minute on the pacer runs near the ceiling without flooding."""
    clock = Clock()
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    run = await Run(pacer, gate_for(clock, rate, burst), clock).until(600)
    assert run.floods_between(0, 600) <= 3
    assert pacer.low <= rate <= pacer.high
    assert run.rate_between(60, 600) >= 0.9 * rate
    assert run.floods_between(60, 600) <= 1


async def test_what_the_limiter_refilled_during_a_flood_wait_is_spent_when_it_ends():
    """The limiter's bucket is empty at a flood and refills during the wait:
    the pacer's does too (at its new, lower rate), so the slots it banked
    go out at once when the wait ends, the next ones at its rate."""
    clock = Clock()
    pacer = Pacer(learned=Learned(rate=3.0, low=2.9, high=3.1, burst=90.0),
                  clock=clock, sleep=clock.sleep)
    assert pacer.capacity() == 45.0
    pacer.flooded(await pacer.acquire(), 2.0)        # at t=0: wait 2 s
    rate = pacer.rate
    assert rate == pytest.approx(2.85)               # under the rate that flooded
    times = []
    for _ in range(7):
        pacer.succeeded(await pacer.acquire())
        times.append(clock.now)
    assert times[:5] == [2.0] * 5                    # 2 s x 2.85/s = 5.7 banked during the wait
    assert times[5] == pytest.approx(2.0 + 0.3 / rate)
    assert times[6] == pytest.approx(2.0 + 1.3 / rate)


async def test_without_a_known_burst_it_banks_a_quarter_second():
    clock = Clock()
    pacer = Pacer(learned=Learned(rate=8.0, low=8.0, high=8.5), clock=clock, sleep=clock.sleep)
    assert pacer.capacity() == 2.0
    pacer.flooded(await pacer.acquire(), 5.0)
    rate = pacer.rate
    assert rate == pytest.approx(7.2) and pacer.capacity() == pytest.approx(1.8)
    times = []
    for _ in range(3):
        pacer.succeeded(await pacer.acquire())
        times.append(clock.now)
    assert times[0] == 5.0                           # 1.8 banked during the wait
    assert times[1] == pytest.approx(5.0 + 0.2 / rate) and times[2] == pytest.approx(5.0 + 1.2 / rate)


async def test_the_burst_bound_comes_from_what_passed_before_the_first_flood():
    """90 slots passed in the 1.5 s before the first flood. While the rate
    may have been anything up to the rate that flooded, that says nothing
    of the burst; once the rate is known to be at most `high`, the
    limiter's burst is at least 90 - high x 1.5. The bound is kept across a
    restart."""
    clock = Clock()
    pacer = Pacer(start_rate=60.0, clock=clock, sleep=clock.sleep)
    for _ in range(90):
        pacer.succeeded(await pacer.acquire())
        clock.now += 1 / 60
    pacer.flooded(await pacer.acquire(), 1.0)        # what passed: 90 in 1.5 s
    assert pacer.burst is None                       # 60/s for 1.5 s could be all of it
    clock.now = 2.5
    for _ in range(3):                               # the limiter refilled 3 in the wait
        pacer.succeeded(await pacer.acquire())
    clock.now = 3.5
    pacer.flooded(await pacer.acquire(), 2.0)        # 3 passed in 2 s
    assert pacer.high <= 2.0
    assert pacer.burst == pytest.approx(90 - pacer.high * 1.5)
    learned = Learned.from_dict(pacer.state().to_dict())
    assert learned.burst == pytest.approx(pacer.burst, abs=1e-3)
    again = Pacer(learned=learned, clock=clock, sleep=clock.sleep)
    assert again.capacity() == pytest.approx(learned.burst / 2, abs=1e-3)


class LateClock(Clock):
    """A loaded machine: every sleep ends `late` seconds after it was due."""

    def __init__(self, late):
        super().__init__()
        self.late = late

    async def sleep(self, seconds):
        self.now += seconds + self.late


@pytest.mark.parametrize("rate,burst", [(3.0, 90.0), (1.5, 45.0)])
@pytest.mark.parametrize("late", [0.03, 0.1])
async def test_it_uses_nearly_every_token_the_limiter_offers(rate, burst, late):
    """From a cold start on a loaded machine (every wake-up late), over the
    first minute: the burst plus what the rate refilled is what any client
    could have had; flood waits sat out and wake-ups that come late must not
    leave those tokens unused."""
    clock = LateClock(late)
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    run = await Run(pacer, gate_for(clock, rate, burst), clock).until(60)
    offered = burst + rate * 60
    assert len(run.passes) >= 0.97 * offered
    assert len(run.floods) <= 3
