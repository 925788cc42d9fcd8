"""A flood model: Telegram's rate limits as token buckets, off unless asked for.

Telegram does not publish its limits. It answers a client that sends too
much with FLOOD_WAIT_X ("wait X seconds"), and its answers grow when the
client keeps hitting the limit. This module makes fakegram do the same, so a
client's pacing can be measured against a limit it does not know:

* requests are grouped into method families (history, dialogs, files, ...);
  a method in no family is never limited;
* per (auth key, family, Takeout or not) there is a token bucket with a
  sustained `rate` (tokens per second) and a `burst` (the bucket's size); a
  request takes one token;
* a request that finds the bucket empty is an offence: it is answered
  FLOOD_WAIT_X where X is the time until the next token, multiplied by
  `growth` for every earlier offence of that bucket within `window_s`
  (capped at `max_wait_s`), and the bucket goes into the penalty box for
  X seconds: every request of that family from that key is refused with the
  seconds left until the box opens, whatever the bucket holds.

`default_model()` documents where each number comes from. A model is also
read from JSON or TOML (`load_model`), given in a world file (`flood_model`)
or set at run time through the control endpoint.
"""
from __future__ import annotations

import json
import math
import time
import tomllib
from collections import deque
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable


@dataclass(frozen=True)
class Family:
    """Methods limited together. `methods` holds names ("messages.getHistory")
    or namespace prefixes ("upload.*"). The Takeout numbers apply to requests
    wrapped in invokeWithTakeout; None means the same as outside."""
    name: str
    methods: tuple[str, ...]
    rate: float
    burst: float
    takeout_rate: float | None = None
    takeout_burst: float | None = None

    def matches(self, method: str) -> bool:
        for pattern in self.methods:
            if pattern == method or (pattern.endswith("*") and method.startswith(pattern[:-1])):
                return True
        return False

    def limits(self, takeout: bool) -> tuple[float, float]:
        """(rate, burst) for a request inside or outside Takeout."""
        if takeout:
            return (self.takeout_rate if self.takeout_rate is not None else self.rate,
                    self.takeout_burst if self.takeout_burst is not None else self.burst)
        return self.rate, self.burst


@dataclass(frozen=True)
class Penalty:
    """How waits grow for a client that keeps hitting a limit."""
    window_s: float = 300.0     # offences this close together count as repeats
    growth: float = 2.0         # each repeat multiplies the wait
    max_wait_s: float = 3600.0  # the longest wait ever answered


@dataclass(frozen=True)
class FloodModel:
    name: str
    families: tuple[Family, ...]
    penalty: Penalty = field(default_factory=Penalty)

    def family_of(self, method: str) -> Family | None:
        for family in self.families:
            if family.matches(method):
                return family
        return None

    def scaled(self, factor: float, name: str | None = None) -> "FloodModel":
        """The same model with every rate and burst multiplied by `factor`
        (0.5: twice as strict; 10: ten times as generous)."""
        def scale(value):
            return None if value is None else value * factor
        families = tuple(replace(f, rate=f.rate * factor, burst=max(1.0, f.burst * factor),
                                 takeout_rate=scale(f.takeout_rate),
                                 takeout_burst=None if f.takeout_burst is None
                                 else max(1.0, f.takeout_burst * factor))
                         for f in self.families)
        return replace(self, name=name or f"{self.name}x{factor:g}", families=families)

    def to_dict(self) -> dict:
        return {"name": self.name, "penalty": asdict(self.penalty),
                "families": [{**asdict(f), "methods": list(f.methods)} for f in self.families]}

    @classmethod
    def from_dict(cls, data: dict) -> "FloodModel":
        """Raises ValueError naming the field that is wrong."""
        if not isinstance(data, dict):
            raise ValueError("a flood model is a table with 'families'")
        families = []
        for i, item in enumerate(data.get("families") or []):
            try:
                methods = item["methods"]
                if isinstance(methods, str):
                    methods = [methods]
                family = Family(name=str(item.get("name") or f"family{i}"),
                                methods=tuple(str(m) for m in methods),
                                rate=float(item["rate"]), burst=float(item["burst"]),
                                takeout_rate=_opt_float(item.get("takeout_rate")),
                                takeout_burst=_opt_float(item.get("takeout_burst")))
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"families[{i}]: needs methods, rate and burst ({exc})") from None
            if family.rate <= 0 or family.burst < 1:
                raise ValueError(f"families[{i}]: rate must be > 0 and burst >= 1")
            families.append(family)
        if not families:
            raise ValueError("a flood model needs at least one family")
        penalty = Penalty(**{k: float(v) for k, v in (data.get("penalty") or {}).items()
                             if k in Penalty.__dataclass_fields__})
        return cls(name=str(data.get("name") or "custom"), families=tuple(families),
                   penalty=penalty)


def _opt_float(value) -> float | None:
    return None if value is None else float(value)


def default_model() -> FloodModel:
    """Telegram's limits as users observe them (none are published):

    * history (messages.getHistory, search, getReplies): the figure quoted
      most often by exporter users is about 3,000 messages per 30 seconds
      outside Takeout, i.e. 30 pages of 100 in 30 s: 1 request/s sustained
      with a 30 s window's worth of burst. Takeout sessions are reported to
      allow more; without a published number, three times as much is assumed.
    * dialogs (messages.getDialogs, getPeerDialogs): paged rarely by clients;
      flood waits are reported after tens of quick pages: 0.5/s, burst 10.
    * resolve (contacts.resolveUsername): known as the strictest everyday
      limit (users report waits after a few hundred resolutions a day, and
      far fewer in a burst): 0.1/s, burst 5.
    * files (upload.getFile, getFileHashes): limited per DC (each DC has its
      own auth key, so the bucket is per DC): 20 parts/s, burst 40.
    * penalty: repeat offences within 5 minutes double the wait, up to an hour
      (users report waits from tens of seconds to hours after bursts).

    Everything else (updates, getState, login, ...) is free.
    """
    return FloodModel(name="default", families=(
        Family("history", ("messages.getHistory", "messages.search", "messages.getReplies"),
               rate=1.0, burst=30.0, takeout_rate=3.0, takeout_burst=90.0),
        Family("dialogs", ("messages.getDialogs", "messages.getPeerDialogs"),
               rate=0.5, burst=10.0),
        Family("resolve", ("contacts.resolveUsername",), rate=0.1, burst=5.0),
        Family("files", ("upload.getFile", "upload.getFileHashes"), rate=20.0, burst=40.0),
    ), penalty=Penalty())


def load_model(spec: str | dict | None) -> FloodModel | None:
    """"default", a path to a JSON or TOML file, a dict, or None (no model)."""
    if spec is None or isinstance(spec, FloodModel):
        return spec
    if isinstance(spec, dict):
        return FloodModel.from_dict(spec)
    if spec == "default":
        return default_model()
    path = Path(spec)
    text = path.read_text(encoding="utf-8")
    data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    return FloodModel.from_dict(data)


@dataclass
class _Bucket:
    tokens: float
    last: float
    box_until: float = 0.0
    offences: deque = field(default_factory=deque)


class FloodGate:
    """Enforces a model: `check` is called once per request before its handler
    and answers None (go on) or the X of FLOOD_WAIT_X."""

    def __init__(self, model: FloodModel, clock: Callable[[], float] = time.monotonic):
        self.model = model
        self._clock = clock
        self._buckets: dict[tuple, _Bucket] = {}
        self.answered: dict[str, int] = {}       # family -> FLOOD_WAITs answered
        self.waited_s: dict[str, int] = {}       # family -> seconds of those waits
        self.passed: dict[str, int] = {}         # family -> requests let through

    def check(self, method: str, key: int, takeout: bool) -> int | None:
        family = self.model.family_of(method)
        if family is None:
            return None
        rate, burst = family.limits(takeout)
        now = self._clock()
        bucket_key = (key, family.name, takeout)
        bucket = self._buckets.get(bucket_key)
        if bucket is None:
            bucket = self._buckets[bucket_key] = _Bucket(tokens=burst, last=now)
        bucket.tokens = min(burst, bucket.tokens + (now - bucket.last) * rate)
        bucket.last = now
        if now < bucket.box_until:
            return self._answer(family, math.ceil(bucket.box_until - now))
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            self.passed[family.name] = self.passed.get(family.name, 0) + 1
            return None
        penalty = self.model.penalty
        while bucket.offences and now - bucket.offences[0] > penalty.window_s:
            bucket.offences.popleft()
        repeats = len(bucket.offences)
        bucket.offences.append(now)
        until_token = (1.0 - bucket.tokens) / rate
        wait = min(penalty.max_wait_s, max(1.0, until_token) * penalty.growth ** repeats)
        seconds = max(1, math.ceil(wait))
        bucket.box_until = now + seconds
        return self._answer(family, seconds)

    def _answer(self, family: Family, seconds: int) -> int:
        self.answered[family.name] = self.answered.get(family.name, 0) + 1
        self.waited_s[family.name] = self.waited_s.get(family.name, 0) + seconds
        return seconds

    def stats(self) -> dict:
        return {"model": self.model.name, "passed": dict(self.passed),
                "flood_waits": dict(self.answered), "flood_wait_seconds": dict(self.waited_s)}
