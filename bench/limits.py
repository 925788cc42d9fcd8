"""Benchmark: tobsd riding Telegram's rate limits, against its peers under the same limits.

    python bench/limits.py                    # 20,000 messages, four models, RTT 100 ms
    python bench/limits.py --messages 5000 --models default --skip-peers
    python bench/limits.py --scale 10 --json  # every model ten times as generous (a quick look)

fakegram serves a synthetic channel (@synthetic) and enforces a flood model
(fakegram/flood.py). For each model, on a server restarted with fresh
buckets:

* `default`: fakegram's default model (history: 1 request/s, burst 30;
  in Takeout 3/s, burst 90); `strict`: half of it; `generous`: ten times
  it; `changing`: the default until tobsd has indexed half the channel,
  then twice as strict (fresh buckets at the switch);
* tobsd from empty state (16 requests in flight) until its status shows the
  chat live and backfilled, while one message a second is posted live (from
  the first message indexed on) and timed to tobsd's index (the block is in
  the vault by then);
* the plain Telethon loop (`iter_messages` with Telethon's default
  `wait_time`; Telethon sleeps through flood waits under 60 s itself), with
  `--skip-peers` left out.

The model's ceiling is the best a client can do with the bucket it uses:
the pages the burst allows at once, the rest at the sustained rate, 100
messages a page; for tobsd (history through Takeout) the Takeout bucket, for
the loop the plain one. `<model>_fraction_of_ceiling` is tobsd's messages
per second over that ceiling. Flood waits and the seconds they asked for
come from fakegram's count for the run. JSON (`--json`) has `targets` with a
`pass` per target, as bench/sync.py does.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _fakegram import FakegramProcess  # noqa: E402
from _peers import PeerFailed, run_telethon_loop  # noqa: E402
from _report import machine_info  # noqa: E402
from _steady import IndexWatcher, percentile  # noqa: E402
from _tobsd import TobsdRun, stop_quietly, write_config  # noqa: E402

from fakegram.flood import FloodModel, default_model  # noqa: E402

PAGE = 100
WORKERS = 16
MODELS = ("default", "strict", "generous", "changing")


def progress(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def model_for(name: str, scale: float) -> tuple[FloodModel, FloodModel | None]:
    """The model a run starts with, and the one it switches to halfway (if any)."""
    base = default_model().scaled(scale, name=f"default x{scale:g}") if scale != 1 else default_model()
    if name == "default":
        return base, None
    if name == "strict":
        return base.scaled(0.5, name="strict"), None
    if name == "generous":
        return base.scaled(10, name="generous"), None
    if name == "changing":
        return base, base.scaled(0.5, name="changing: then strict")
    raise SystemExit(f"unknown model {name!r}; choose from {', '.join(MODELS)}")


def ceiling_seconds(model: FloodModel, messages: int, takeout: bool) -> float:
    """The least time any client needs for `messages` from one history bucket."""
    rate, burst = model.family_of("messages.getHistory").limits(takeout)
    pages = math.ceil(messages / PAGE)
    return max(0.0, pages - math.floor(burst)) / rate


def ceiling_msgs_per_s(first: FloodModel, then: FloodModel | None, messages: int,
                       takeout: bool) -> float | None:
    """Messages per second if every token were used (None: all fit in the burst)."""
    if then is None:
        seconds = ceiling_seconds(first, messages, takeout)
    else:   # half under each model, each starting with a full bucket
        seconds = (ceiling_seconds(first, messages // 2, takeout)
                   + ceiling_seconds(then, messages - messages // 2, takeout))
    return None if seconds <= 0 else messages / seconds


class LivePoster(threading.Thread):
    """Posts one message a second to @synthetic until stopped."""

    def __init__(self, fg: FakegramProcess):
        super().__init__(daemon=True)
        self.fg = fg
        self.posted: dict[int, float] = {}
        self._stop_event = threading.Event()

    def run(self) -> None:
        i = 0
        while not self._stop_event.wait(1.0):
            answer = self.fg.control.post("@synthetic", f"live during the limited backfill {i}")
            self.posted[answer["id"]] = time.perf_counter()
            i += 1

    def stop(self) -> None:
        self._stop_event.set()
        self.join(5)


def backfilled(status: dict | None, expected: int) -> bool:
    chats = (status or {}).get("chats") or []
    return (bool(chats) and chats[0]["state"] == "live" and bool(chats[0].get("backfill_done"))
            and chats[0].get("indexed", 0) >= expected)


def run_tobsd(r: dict, name: str, fg: FakegramProcess, base: Path, n: int,
              then: FloodModel | None, timeout: float) -> None:
    run = TobsdRun(write_config(base, fg, workers=WORKERS)).start()
    watcher = IndexWatcher(run.state_dir / "tobsd.db", above=n, interval=0.02)
    poster = LivePoster(fg)
    switched = then is None
    try:
        deadline = time.monotonic() + timeout
        # Live posts start once the chat is being synced (before that, tobsd
        # has not resolved it and a post waits for the start, not the limit).
        while run.indexed() == 0:
            if time.monotonic() > deadline or run.proc.poll() is not None:
                raise RuntimeError("tobsd indexed nothing:\n" + run.log()[-2000:])
            time.sleep(0.05)
        watcher.start()
        poster.start()
        status = None
        while not backfilled(status, n):
            if time.monotonic() > deadline:
                raise RuntimeError(f"not backfilled in {timeout:.0f} s; status {status}")
            if run.proc.poll() is not None:
                raise RuntimeError(f"tobsd exited:\n{run.log()[-2000:]}")
            if not switched and run.indexed() >= n // 2:
                fg.control.set_flood_model(then.to_dict())
                switched = True
                progress(f"{name}: switched to {then.name} at half the channel")
            time.sleep(0.05)
            status = run.status()
        seconds = time.perf_counter() - run.started_at
        poster.stop()
        settle = time.monotonic() + 10
        while time.monotonic() < settle and not set(poster.posted) <= set(watcher.seen):
            time.sleep(0.05)
    finally:
        poster.stop()
        watcher.stop()
        stop_quietly(run)
    latencies = [watcher.seen[i] - t if i in watcher.seen else math.inf
                 for i, t in poster.posted.items()]
    stats = fg.control.flood_model()
    r[f"{name}_tobsd_msgs_per_s"] = n / seconds
    r[f"{name}_tobsd_seconds"] = seconds
    r[f"{name}_tobsd_flood_waits"] = sum(stats.get("flood_waits", {}).values())
    r[f"{name}_tobsd_flood_wait_seconds"] = sum(stats.get("flood_wait_seconds", {}).values())
    r[f"{name}_tobsd_pacing"] = {p["key"]: {k: v for k, v in p.items() if k != "key"}
                                 for p in (status or {}).get("daemon", {}).get("pacing", [])} or None
    r[f"{name}_live_posts"] = len(latencies)
    r[f"{name}_live_p99_s"] = percentile(latencies, 99)


def measure_model(r: dict, name: str, n: int, scale: float, tmp: Path, skip_peers: bool,
                  rtt: int) -> None:
    first, then = model_for(name, scale)
    r[f"{name}_ceiling_msgs_per_s"] = ceiling_msgs_per_s(first, then, n, takeout=True)
    r[f"{name}_loop_ceiling_msgs_per_s"] = ceiling_msgs_per_s(first, then, n, takeout=False)
    timeout = 120 + 3 * n / PAGE / first.family_of("messages.getHistory").limits(True)[0]
    with FakegramProcess(sys.executable, f"synthetic:{n}", tmp / "fakegram-state",
                         tmp / f"fakegram-{name}", rtt_ms=rtt) as fg:
        fg.control.set_flood_model(first.to_dict())
        progress(f"{name}: tobsd ({first.name})")
        try:
            run_tobsd(r, name, fg, tmp / f"tobsd-{name}", n, then, timeout)
        except RuntimeError as exc:
            r["notes"].append(f"{name}: tobsd failed: {str(exc)[:400]}")
        ceiling = r[f"{name}_ceiling_msgs_per_s"]
        got = r.get(f"{name}_tobsd_msgs_per_s")
        r[f"{name}_fraction_of_ceiling"] = None if ceiling is None or got is None else got / ceiling
        if skip_peers:
            return
        fg.control.set_flood_model(first.to_dict())       # fresh buckets for the peer
        progress(f"{name}: Telethon loop")
        session = fg.write_session(tmp / f"loop-{name}" / "loop.session")
        # The live posts made during tobsd's run are in the channel now too.
        total = sum(c["count"] for c in fg.control.state()["chats"])
        try:
            loop = run_telethon_loop(fg, session, tmp / f"loop-{name}", total, default_wait=True)
            r[f"{name}_loop_msgs_per_s"] = loop["msgs_per_s"]
            r[f"{name}_loop_messages"] = total
        except (PeerFailed, OSError) as exc:
            r["notes"].append(f"{name}: Telethon loop: {str(exc)[:300]}")
        stats = fg.control.flood_model()
        r[f"{name}_loop_flood_waits"] = sum(stats.get("flood_waits", {}).values())


def add_targets(r: dict, models: list[str]) -> None:
    targets = {}
    for name in models:
        value = r.get(f"{name}_fraction_of_ceiling")
        targets[f"{name}_fraction_of_ceiling"] = {
            "value": value, "op": ">=", "bound": 0.85, "pass": None if value is None else value >= 0.85}
        p99 = r.get(f"{name}_live_p99_s")
        targets[f"{name}_live_p99_s"] = {
            "value": p99, "op": "<=", "bound": 1.0, "pass": None if p99 is None else p99 <= 1.0}
    r["targets"] = targets


def run(args) -> dict:
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    r = {"benchmark": "limits", "messages": args.messages, "rtt_ms": args.rtt, "scale": args.scale,
         "models": models, "machine": machine_info(), "notes": []}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tobs-bench-limits-") as tmp_name:
        for name in models:
            measure_model(r, name, args.messages, args.scale, Path(tmp_name), args.skip_peers,
                          args.rtt)
    r["duration_s"] = time.perf_counter() - started
    add_targets(r, models)
    return r


def table(r: dict) -> str:
    lines = [f"limits: {r['messages']:,} messages, RTT {r['rtt_ms']} ms, scale {r['scale']:g}",
             f"{'model':<10} {'ceiling':>9} {'tobsd':>9} {'fraction':>9} {'floods':>7} "
             f"{'waited s':>9} {'live p99':>9} {'loop':>9}"]
    for name in r["models"]:
        def f(key, digits=0):
            v = r.get(f"{name}_{key}")
            return "n/a" if v is None else f"{v:,.{digits}f}"
        lines.append(f"{name:<10} {f('ceiling_msgs_per_s'):>9} {f('tobsd_msgs_per_s'):>9} "
                     f"{f('fraction_of_ceiling', 2):>9} {f('tobsd_flood_waits'):>7} "
                     f"{f('tobsd_flood_wait_seconds'):>9} {f('live_p99_s', 3):>9} "
                     f"{f('loop_msgs_per_s'):>9}")
    lines += [f"note: {n}" for n in r["notes"]]
    lines += [f"target {k}: {v['value']} {v['op']} {v['bound']}: {v['pass']}"
              for k, v in r["targets"].items()]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--messages", type=int, default=20_000)
    p.add_argument("--models", default=",".join(MODELS), help="comma-separated: " + ", ".join(MODELS))
    p.add_argument("--scale", type=float, default=1.0, help="multiply every model's rates and bursts")
    p.add_argument("--rtt", type=int, default=100, help="fakegram's round-trip time in ms")
    p.add_argument("--skip-peers", action="store_true", help="tobsd only")
    p.add_argument("--json", action="store_true", help="print one JSON object, nothing else")
    args = p.parse_args(argv)
    result = run(args)
    print(json.dumps(result, indent=1, default=str) if args.json else table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
