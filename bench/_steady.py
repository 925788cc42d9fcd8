"""tobsd after the backfill: what a restart with nothing new costs, and how
fast live messages reach the vault.

* `noop_resync`: restart tobsd on a fully synced state and count the
  requests fakegram served from the restart until the status shows the chat
  live again, split into connection setup (not counted), account-wide
  requests that name no chat (catching up on updates: counted once per
  account, whatever the number of chats) and requests about a chat.
* `live_latency`: with tobsd live, post messages through fakegram's control
  endpoint and time each from the post returning to tobsd's index holding
  it. tobsd commits an index row only after the note with the message's
  block is durably written (fsync, rename), so this is the time to the
  block being in the vault plus one commit; the blocks are then read back
  from the vault (tests.vaultscan's parser) to check that every one is there.
"""
from __future__ import annotations

import math
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path

from _fakegram import FakegramProcess
from _tobsd import TobsdRun

# Requests a client makes to set up or tear down its connection, whatever
# it syncs: not counted as the cost of a resync.
SETUP_METHODS = frozenset({
    "help.getConfig", "help.getNearestDc", "help.getAppConfig",
    "updates.getState", "users.getUsers", "users.getFullUser",
    "account.initTakeoutSession", "account.finishTakeoutSession",
    "auth.exportAuthorization", "auth.importAuthorization",
    "invokeWithLayer", "initConnection", "ping", "ping_delay_disconnect",
})


def noop_resync(fg: FakegramProcess, run: TobsdRun, chats: int = 1,
                timeout: float = 60) -> dict:
    """Start `run` (a config whose state is fully synced) and count requests
    until it is live. Leaves it running for the live measurement."""
    since = fg.last_request_seq()
    run.start()
    run.wait_live(timeout)
    served = fg.control.requests(since=since)
    work = [r for r in served if r["method"] not in SETUP_METHODS]
    per_chat = Counter(r["method"] for r in work if r["peer_id"] is not None)
    account = Counter(r["method"] for r in work if r["peer_id"] is None)
    excluded = Counter(r["method"] for r in served if r["method"] in SETUP_METHODS)
    return {"requests_per_chat": sum(per_chat.values()) / chats,
            "account_requests": sum(account.values()),
            "counted": dict(sorted(per_chat.items())),
            "account": dict(sorted(account.items())),
            "excluded": dict(sorted(excluded.items()))}


class IndexWatcher(threading.Thread):
    """Polls tobsd's index (read-only) and notes when each id above `above`
    first appears."""

    def __init__(self, db_path: Path, above: int, interval: float = 0.005):
        super().__init__(daemon=True)
        self.db_path, self.above, self.interval = db_path, above, interval
        self.seen: dict[int, float] = {}
        self._stop_event = threading.Event()

    def run(self) -> None:
        db = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=1,
                             check_same_thread=False)
        try:
            while not self._stop_event.is_set():
                try:
                    rows = db.execute("SELECT msg_id FROM message_index WHERE msg_id > ?",
                                      (self.above,)).fetchall()
                except sqlite3.OperationalError:
                    rows = []   # a writer held a lock past the timeout; try again
                now = time.perf_counter()
                for (msg_id,) in rows:
                    self.seen.setdefault(msg_id, now)
                self._stop_event.wait(self.interval)
        finally:
            db.close()

    def stop(self) -> None:
        self._stop_event.set()
        self.join(2)


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile; None when the rank falls on a missing value (inf)."""
    if not values:
        return None
    ordered = sorted(values)
    value = ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]
    return None if math.isinf(value) else value


def live_latency(fg: FakegramProcess, run: TobsdRun, *, above_id: int, posts: int = 200,
                 settle_s: float = 10) -> dict:
    """Post `posts` messages (spaced 20-50 ms) to @synthetic while `run` is live."""
    phase_start = time.time()
    watcher = IndexWatcher(run.state_dir / "tobsd.db", above_id)
    watcher.start()
    posted: dict[int, float] = {}
    texts: dict[int, str] = {}
    try:
        for i in range(posts):
            text = f"live message {i}"
            answer = fg.control.post("@synthetic", text)
            posted[answer["id"]] = time.perf_counter()
            texts[answer["id"]] = text
            time.sleep(0.02 + (i % 4) * 0.01)   # 20, 30, 40, 50 ms: steady, not a burst
        deadline = time.monotonic() + settle_s
        while time.monotonic() < deadline and not set(posted) <= set(watcher.seen):
            time.sleep(0.05)
    finally:
        watcher.stop()
    latencies = [max(0.0, watcher.seen[i] - t) if i in watcher.seen else math.inf
                 for i, t in posted.items()]
    in_vault = blocks_in_vault(run.vault, since=phase_start - 1)
    wrong = [i for i, text in texts.items() if in_vault.get(i) != text]
    return {"posts": posts, "missing_from_index": sum(1 for x in latencies if math.isinf(x)),
            "missing_or_wrong_in_vault": len(wrong),
            "p50_s": percentile(latencies, 50), "p99_s": percentile(latencies, 99),
            "max_s": None if any(math.isinf(x) for x in latencies) else max(latencies)}


def blocks_in_vault(vault: Path, since: float) -> dict[int, str]:
    """msg_id -> text of the blocks in notes changed since `since` (epoch s),
    read with the tests' reader, which shares no code with tobsd's writer."""
    from tests.vaultscan import read_blocks
    out: dict[int, str] = {}
    for path in vault.rglob("*.md"):
        if path.stat().st_mtime < since:
            continue
        for block in read_blocks(path.read_text(encoding="utf-8")):
            out[block.msg_id] = block.text
    return out
