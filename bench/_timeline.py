"""Where a limited run's seconds went, from fakegram's request log.

`timeline(records, spawned_at, done_at)` takes the request log of one tobsd
run (`at` is the server's wall clock when each request was answered) and
returns a compact account relative to tobsd's spawn: when the first and the
last history page passed, the flood waits answered to history requests
(when, what), history pages passed in each second of the run, and every
request of the run by method. All times in seconds.
"""
from __future__ import annotations

from collections import Counter

HISTORY = {"messages.getHistory", "messages.search", "messages.getReplies"}


def timeline(records: list[dict], spawned_at: float, done_at: float) -> dict:
    history = [r for r in records if r["method"] in HISTORY]
    passed = [r["at"] - spawned_at for r in history if not r.get("error")]
    floods = [(round(r["at"] - spawned_at, 3), r["error"]) for r in history
              if (r.get("error") or "").startswith("FLOOD_WAIT")]
    end = done_at - spawned_at
    per_s = [0] * (int(end) + 1)
    for t in passed:
        if 0 <= t <= end:
            per_s[int(t)] += 1
    return {
        "done_s": round(end, 3),
        "first_history_s": round(min(passed), 3) if passed else None,
        "last_history_s": round(max(passed), 3) if passed else None,
        "history_passed": len(passed),
        "history_flooded": len(floods),
        "floods": floods,
        "history_passed_per_s": per_s,
        "requests_by_method": dict(sorted(Counter(r["method"] for r in records).items())),
    }
