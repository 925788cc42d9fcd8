"""Fault injection: rules that make chosen requests fail the way Telegram fails.

A rule matches by method name ("messages.getHistory", a prefix such as
"upload.*", or "*"), optionally by DC and by the chat the request addresses,
and fires on the n-th matching call, a number of times, or for a period.
The error is a Telegram error name ("FLOOD_WAIT_5", "TAKEOUT_INIT_DELAY_30",
"FILE_REFERENCE_EXPIRED", "AUTH_KEY_UNREGISTERED", "CHANNEL_PRIVATE",
"RPC_CALL_FAIL", ...) or "drop", which closes the connection in the middle of
the answer. "FLOOD_WAIT" without a number, with a period, waits out the
period's remaining seconds.
"""
from __future__ import annotations

import itertools
import math
import time
from dataclasses import asdict, dataclass, field

_CODES = (
    ("FLOOD_WAIT_", 420), ("FLOOD_WAIT", 420), ("TAKEOUT_INIT_DELAY_", 420),
    ("FLOOD_PREMIUM_WAIT_", 420), ("SLOWMODE_WAIT_", 420),
    ("AUTH_KEY_UNREGISTERED", 401), ("SESSION_REVOKED", 401),
    ("USER_DEACTIVATED", 401), ("SESSION_EXPIRED", 401), ("AUTH_KEY_INVALID", 401),
    ("FILE_MIGRATE_", 303), ("NETWORK_MIGRATE_", 303), ("USER_MIGRATE_", 303),
    ("RPC_CALL_FAIL", 500), ("INTERNAL", 500), ("CHANNEL_PRIVATE", 400),
    ("FILE_REFERENCE_EXPIRED", 400),
)


def error_code(name: str) -> int:
    """The code Telegram sends with this error name."""
    for prefix, code in _CODES:
        if name == prefix or (prefix.endswith("_") and name.startswith(prefix)):
            return code
    return 400


@dataclass
class FaultRule:
    error: str
    method: str = "*"
    code: int | None = None
    nth: int | None = None
    times: int | None = None
    duration_s: float | None = None
    dc: int | None = None
    peer_id: int | None = None
    id: int = 0
    added_at: float = field(default_factory=time.monotonic)
    seen: int = 0
    fired: int = 0

    def matches_method(self, method: str) -> bool:
        if self.method in ("*", method):
            return True
        return self.method.endswith("*") and method.startswith(self.method[:-1])

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("added_at")
        return d


@dataclass(frozen=True)
class Fault:
    """What to do with a request: answer an error, or drop the connection."""
    drop: bool
    code: int = 0
    message: str = ""


class FaultInjector:
    """The active rules; `check` is called once per request before its handler."""

    def __init__(self):
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)

    def add(self, rule: FaultRule) -> FaultRule:
        rule.id = next(self._ids)
        rule.added_at = time.monotonic()
        if rule.code is None and rule.error != "drop":
            rule.code = error_code(rule.error)
        self._rules.append(rule)
        return rule

    def remove(self, rule_id: int) -> bool:
        before = len(self._rules)
        self._rules = [r for r in self._rules if r.id != rule_id]
        return len(self._rules) != before

    def clear(self) -> None:
        self._rules.clear()

    def rules(self) -> list[FaultRule]:
        return list(self._rules)

    def check(self, method: str, dc_id: int, peer_id: int | None) -> Fault | None:
        now = time.monotonic()
        for rule in list(self._rules):
            if not rule.matches_method(method):
                continue
            if rule.dc is not None and rule.dc != dc_id:
                continue
            if rule.peer_id is not None and rule.peer_id != peer_id:
                continue
            elapsed = now - rule.added_at
            if rule.duration_s is not None and elapsed > rule.duration_s:
                self._rules.remove(rule)
                continue
            rule.seen += 1
            if rule.nth is not None and rule.seen != rule.nth:
                continue
            rule.fired += 1
            if (rule.times is not None and rule.fired >= rule.times) or \
                    (rule.nth is not None and rule.times is None):
                self._rules.remove(rule)
            if rule.error == "drop":
                return Fault(drop=True)
            message = rule.error
            if message == "FLOOD_WAIT":
                remaining = (rule.duration_s or 1) - elapsed
                message = f"FLOOD_WAIT_{max(1, math.ceil(remaining))}"
            return Fault(drop=False, code=rule.code or error_code(message), message=message)
        return None


def method_name(request) -> str:
    """Telegram's name of a Telethon request object: "messages.getHistory"."""
    cls = type(request)
    name = cls.__name__
    if name.endswith("Request"):
        name = name[:-len("Request")]
    name = name[:1].lower() + name[1:]
    namespace = cls.__module__.rsplit(".", 1)[-1]
    return name if namespace == "functions" else f"{namespace}.{name}"


def request_peer_id(request) -> int | None:
    """The chat, channel or user id a request addresses, if it names one."""
    for attr in ("peer", "channel"):
        peer = getattr(request, attr, None)
        if peer is None:
            continue
        for field_name in ("channel_id", "chat_id", "user_id"):
            value = getattr(peer, field_name, None)
            if value is not None:
                return value
    return None
