"""Adaptive pacing: find the rate Telegram allows and stay just under it.

Telegram does not publish its limits; it answers a client that goes too fast
with FLOOD_WAIT_X, and waits grow when a client keeps hitting the limit. A
`Pacer` is a token bucket whose rate is learned:

* it starts at `start_rate` and, while callers are actually held back by it
  and nothing has flooded yet, doubles every `double_every_s` (slow start);
* a FLOOD_WAIT marks the rate that flooded as too high (`high`) and drops
  to the highest rate known to be safe (`low`, but at most 95% of `high`),
  or to half of `high` while none is known: the server's bucket is empty
  after a flood, so anything above its sustained rate would flood again at
  once;
* a rate that ran `safe_after_s` with callers held back and no flood is
  safe (`low`); the next rate tried is halfway to `high`, so the bracket
  [low, high] around the true ceiling halves at each step and the pacer
  settles just under it. Each probe that floods doubles the time the next
  rate must run before it counts as safe (up to ten minutes), so a learned
  limit costs a flood wait rarely;
* when the bracket has been closed for `reprobe_after_s`, `high` is raised
  by half, so a limit that went up is found too (one flood wait at most);
* two floods in a row measure the ceiling itself: a limiter that answers a
  flood wait has nothing left for this client, at both floods, so what
  passed between them (`n` requests in `t` seconds, waits included) is
  what it allowed: its sustained rate lies within (n - 1)/t and
  (n + 1)/t. The lower end is a safe rate (whatever the client did
  between, a token bucket cannot have allowed less) and replaces a safe
  rate above the upper end (one a burst made look safe); the upper end
  bounds `high` (it says less than the limit only if the limiter's bucket
  was full at some point between: the pacer then stays a little under the
  limit until its next look upwards). The pacer then runs just under what
  passed. So the bracket closes after a few floods, not after a long
  binary search with a flood wait at each step. Since the measure is off
  by a request either way, it is taken from the first flood of a series
  (as long as what passed since the last flood agrees; floods more than
  five minutes apart start a new series), and after the second flood of a
  series, while the bracket is still more than 10% wide, the pacer runs
  near its top: under the limit that is close to the ceiling already,
  above it the third flood comes within seconds and measures over a span
  several times as long;
* a flood wait empties the limiter's bucket, which then refills while the
  client sits the wait out: the pacer's own bucket restarts empty at the
  flood (not at the wait's end) and refills during the wait too, so the
  tokens the limiter saved up meanwhile are spent when the wait ends instead
  of lost. What the pacer may bank is a lower bound on the limiter's burst
  (`burst`: what passed before the first flood, less what the highest
  possible rate could have refilled meanwhile), halved for safety; a pacer
  whose rate is at most the limiter's and whose bank is at most the
  limiter's burst never holds a token the limiter lacks. The same bank
  absorbs the event loop's late wake-ups on a loaded machine, which would
  otherwise leave the limiter's tokens unused a few at a time;
* slots go to the callers in weighted fair order between their shares
  (core.fairshare); a caller asleep until the next slot is due hands it to
  a more urgent share that arrived meanwhile (a live catch-up behind a
  busy backfill gets the next slot, not the one after) and keeps its place
  at the head of its own share.

`state()` / `Pacer(learned=...)` carry (rate, low, high, burst) across restarts, so
a restarted daemon does not probe from scratch. The pacer knows nothing of
Telegram; `clock` and `sleep` are injectable for tests.
"""
from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import Awaitable, Callable

from tobsd.core import fairshare
from tobsd.core.fairshare import FairTurns


@dataclass(frozen=True)
class Learned:
    """What a pacer learned: the rate in use and the bracket around the ceiling
    (requests per second), and a lower bound on the limiter's burst
    (requests); None where not known yet."""
    rate: float
    low: float | None = None
    high: float | None = None
    burst: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Learned | None":
        try:
            rate = float(data["rate"])
            low = None if data.get("low") is None else float(data["low"])
            high = None if data.get("high") is None else float(data["high"])
            burst = None if data.get("burst") is None else float(data["burst"])
        except (KeyError, TypeError, ValueError):
            return None
        return cls(rate, low, high, burst) if rate > 0 else None


@dataclass(frozen=True)
class Ticket:
    """One request's pass: whether it was held back, and the pacer's flood
    generation when it was sent (floods of requests sent before the pacer
    last slowed down are not news)."""
    held: bool
    generation: int


#: Two floods further apart than this do not measure the limit between them.
MEASURE_SPAN_S = 300.0
#: While the bracket is wider than this ratio after at most this many floods
#: of a series, the pacer runs near its top (see `flooded`).
SEEK_WIDER_THAN = 1.1
SEEK_FLOODS = 2


class Pacer:
    """One learned request rate. `ticket = await acquire()` before each
    request, then `succeeded(ticket)` or `flooded(ticket)` with its outcome."""

    def __init__(self, *, start_rate: float = 20.0, max_rate: float = 2000.0,
                 min_rate: float = 0.01, double_every_s: float = 0.5,
                 safe_after_s: float = 20.0, reprobe_after_s: float = 1800.0,
                 learned: Learned | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._max_rate = max_rate
        self._min_rate = min_rate
        self._double_every_s = double_every_s
        self._safe_after_s = safe_after_s
        self._probe_after_s = safe_after_s   # grows after each flood of a probe
        self._reprobe_after_s = reprobe_after_s
        self._clock = clock
        self._sleep = sleep
        self.rate = start_rate
        self.low: float | None = None
        self.high: float | None = None
        self.burst: float | None = None     # the limiter's burst is at least this
        if learned is not None:
            self.rate = min(max_rate, max(min_rate, learned.rate))
            self.low, self.high, self.burst = learned.low, learned.high, learned.burst
        now = clock()
        # A small start whatever was learned: the limiter's bucket may not
        # have refilled since the last run; the bank grows from here.
        self._tokens = self._start_tokens()
        self._last = now
        self._first_at: float | None = None    # when the first slot was given out
        self._since = now              # when the current rate was set
        self._held_since_change = False
        self._closed_since: float | None = None
        self._recent: deque[float] = deque()
        # Floods measure the limit (see _between_floods): from the first of
        # the current series and from the last one, as (when, the generation
        # that began then); what passed, by the generation it was sent in.
        self._series: tuple[float, int] | None = None
        self._series_floods = 0
        self._last_flood: tuple[float, int] | None = None
        self._passed_in: dict[int, int] = {}
        self._banked: float | None = None      # what passed before the first flood: the most
                                               # the limiter can bank (its burst) and then some
        self._banked_span = 0.0                # seconds from the first slot to that flood
        self._turns = FairTurns()
        self._generation = 0
        self._resume_at = now
        self.flood_waits = 0
        self.changed = False           # learned something not yet persisted

    # --- the bucket -------------------------------------------------------------
    def _start_tokens(self) -> float:
        return max(1.0, self.rate * 0.25)

    def capacity(self) -> float:
        """The most slots the pacer banks: a quarter second's worth, or half
        of what the limiter is known to bank (its burst's lower bound)."""
        cap = self._start_tokens()
        if self.burst is not None:
            cap = max(cap, 0.5 * self.burst)
        return cap

    def _refill(self, now: float) -> None:
        if now > self._last:
            self._tokens = min(self.capacity(), self._tokens + (now - self._last) * self.rate)
            self._last = now

    async def acquire(self, share: str | None = None) -> Ticket:
        """Wait for the next slot. Callers are served in weighted fair order
        between the shares they request for (`share`, else the running
        task's: see core.fairshare), in arrival order within a share. The
        ticket says whether the caller was held back (the pacer is the limit)."""
        share = share or fairshare.current()
        front = held = False
        while True:
            async with self._turns.turn(share, front=front) as turn:
                slept = waited = False
                while True:
                    now = self._clock()
                    if now < self._resume_at:   # a flood wait: no slot is given out during it
                        await self._sleep(self._resume_at - now)
                        held = slept = True
                        continue
                    self._refill(now)
                    if self._tokens >= 1.0 or waited:
                        break
                    # The slot is due after this sleep, unless a flood wait
                    # comes in meanwhile: then it waits for that too.
                    held = slept = waited = True
                    await self._sleep((1.0 - self._tokens) / self.rate)
                if slept and self._turns.outranked(share):
                    # A more urgent share arrived while this caller slept
                    # for the slot: the slot is theirs; this caller queues
                    # again first in its share, for the one after.
                    turn.hand_back()
                    front = True
                    continue
                self._tokens = max(0.0, self._tokens - 1.0)
                if self._first_at is None:
                    self._first_at = now
                return Ticket(held, self._generation)

    # --- learning ---------------------------------------------------------------
    def succeeded(self, ticket: Ticket) -> None:
        """A request passed."""
        held = ticket.held
        now = self._clock()
        if self._series is None or ticket.generation >= self._series[1]:
            self._passed_in[ticket.generation] = self._passed_in.get(ticket.generation, 0) + 1
        self._recent.append(now)
        while self._recent and now - self._recent[0] > 10.0:
            self._recent.popleft()
        if held:
            self._held_since_change = True
        if self.high is None:
            if held:   # slow start: doubles per double_every_s of held-back traffic
                self._set(self.rate * 2 ** (1.0 / (self.rate * self._double_every_s)), now,
                          reset=False)
            return
        if now - self._since < self._safe_time() or not self._held_since_change:
            return
        self.low = max(self.low or 0.0, self.rate)
        self._probe_after_s = max(self._safe_after_s, self._probe_after_s / 2)
        gap = self.high - self.low
        if gap > 0.02 * self.high:
            self._closed_since = None
            self._set((self.low + self.high) / 2, now)
            return
        if self._closed_since is None:
            self._closed_since = now
        elif now - self._closed_since >= self._reprobe_after_s:
            self.high *= 1.5         # the limit may have gone up: look again
            self._closed_since = None
            self._set((self.low + self.high) / 2, now)

    def flooded(self, ticket: Ticket, wait_s: float = 0.0) -> None:
        """The request was answered FLOOD_WAIT_`wait_s`: no slot is given out
        before the wait ends, and the current rate is too high (unless the
        pacer slowed down after the request was sent)."""
        self.flood_waits += 1
        now = self._clock()
        if now + wait_s > self._resume_at:
            # The limiter's bucket is empty now and refills from now on, the
            # wait included: so does ours (no slot is given out before the
            # wait ends; what accrued meanwhile is spent then).
            self._resume_at = now + wait_s
            self._tokens = 0.0
            self._last = now
        if ticket.generation != self._generation:
            return
        self._generation += 1
        # What actually went through may be less than the rate allowed (callers
        # not keeping up); measured between the successes of the last seconds
        # (so a flood wait sat out meanwhile does not count) once there are enough.
        measured = None
        if len(self._recent) >= 10 and self._recent[-1] - self._recent[0] >= 2.0:
            measured = (len(self._recent) - 1) / (self._recent[-1] - self._recent[0])
        too_high = max(self._min_rate, min(self.rate, measured or self.rate))
        between = self._between_floods(now)
        if between is not None:
            lower, upper, _ = between
            if lower is None:
                pass
            elif self.low is None or self.low > upper or self.rate <= self.low:
                # A rate thought safe was not (a burst hid the excess, or the
                # limit went down): what passed says where the limit is now.
                if self.low is not None and self.burst is not None:
                    self.burst /= 2     # a lower limit may come with a smaller burst
                self.low = lower
            else:
                self.low = max(self.low, lower)
            too_high = min(too_high, upper)
        if self._last_flood is None and self._banked is None:
            self._banked = float(self._passed_in.get(0, 0))
            self._banked_span = now - (self._first_at if self._first_at is not None else now)
        self._last_flood = (now, self._generation)
        if self._series is None:
            self._series, self._series_floods = self._last_flood, 0
        self._series_floods += 1
        self._passed_in = {g: n for g, n in self._passed_in.items() if g >= self._series[1]}
        if self.low is not None:
            # A probe above a known-safe rate flooded: probe less often, so
            # a learned limit costs a flood wait every ten minutes at most.
            self._probe_after_s = min(600.0, self._probe_after_s * 2)
        self.high = too_high if self.high is None else min(self.high, too_high)
        self._bound_burst()
        if self.low is not None and self.low >= self.high:
            # What looked safe was not (a server's burst hides a small excess
            # for a while, or the limit went down): assume a little under.
            self.low = self.high * 0.9
        self._closed_since = None
        self._recent.clear()
        # Just under the rate that flooded when a safe rate is known (the
        # server's burst can make a rate a little above its ceiling look safe
        # for a while), half of it while none is.
        center = between[2] if between is not None else None
        low = self.low if self.low is not None else self._min_rate
        if center is not None and low < center < self.high:
            if self._series_floods <= SEEK_FLOODS and self.high > SEEK_WIDER_THAN * low:
                # Floods close together measure the limit to within a request
                # or two, so the bracket is still wide: run near its top.
                # Under the limit, that is near the ceiling already; above it,
                # the next flood comes within seconds (the limiter's bucket is
                # empty now) and measures over a span several times as long.
                self._set(max(low, 0.95 * self.high), now)
            else:
                # Measured between floods: just under what passed. Above the
                # limit the next flood comes later and measures it closer;
                # under it, this is what the limiter allows.
                self._set(max(low, min(self.high * 0.95, 0.98 * center)), now)
        else:
            self._set(min(self.low, self.high * 0.95) if self.low is not None else self.high / 4,
                      now)

    def _bound_burst(self) -> None:
        """What passed before the first flood is at most the limiter's burst
        plus what its rate (at most `high`) refilled over that time."""
        if self._banked is None or self.high is None:
            return
        bound = self._banked - self.high * self._banked_span
        if bound >= 1.0 and (self.burst is None or bound > self.burst):
            self.burst = bound
            self.changed = True

    def _safe_time(self) -> float:
        """How long a rate above the safe one must run without a flood to
        count as safe: long enough that the limiter's bank (what it saved
        up while the pacer ran below its limit) would have run out at the
        safe rate's ceiling, so a burst cannot make a rate look safe that
        is not; ten minutes at most."""
        if self._banked is None or self.low is None or self.rate <= self.low:
            return self._probe_after_s
        return min(600.0, max(self._probe_after_s, self._banked / (self.rate - self.low)))

    def _between_floods(self, now: float) -> tuple[float | None, float, float] | None:
        """(lower, upper) bounds of the limiter's sustained rate, and what
        passed per second, from what passed between earlier floods and this
        one: the limiter's bucket was empty at each flood, so what passed
        between two of them is what it refilled, give or take a request.
        The longer the span, the closer the measure, so it is taken from
        the first flood of a series, as long as what passed since the last
        flood agrees with it; where it does not, the limit changed, and a
        new series starts at the last flood. None: no earlier flood, too
        little passed to say anything (the lower bound is None with fewer
        than two requests between), or the floods are so far apart that
        the limit may have changed between them."""
        last = self._measure(now, self._last_flood)
        series = self._measure(now, self._series)
        if series is not None and last is not None and \
                last[1] >= (series[0] or 0.0) and (last[0] or 0.0) <= series[1]:
            return series
        self._series, self._series_floods = self._last_flood, 1
        return last

    def _measure(self, now: float, since: tuple[float, int] | None
                 ) -> tuple[float | None, float, float] | None:
        if since is None or now <= since[0] or now - since[0] > MEASURE_SPAN_S:
            return None
        passed = sum(n for g, n in self._passed_in.items() if g >= since[1])
        span = now - since[0]
        # Fewer than two passed: an upper bound, but no lower one.
        lower = (passed - 1) / span if passed >= 2 else None
        return (lower, (passed + 1) / span, passed / span)

    def _set(self, rate: float, now: float, *, reset: bool = True) -> None:
        rate = min(self._max_rate, max(self._min_rate, rate))
        if rate != self.rate:
            self.changed = True
        self.rate = rate
        if reset:
            self._since = now
            self._held_since_change = False

    def shares(self) -> dict[str, int]:
        """Slots given out so far, per share."""
        return dict(self._turns.taken)

    def state(self) -> Learned:
        def r(value):
            return None if value is None else round(value, 4)
        return Learned(round(self.rate, 4), r(self.low), r(self.high), r(self.burst))
