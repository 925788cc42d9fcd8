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
  `wait_time`; Telethon sleeps through flood waits under 60 s itself) and
  tg-archive (its own venv, see _peers.py; fakegram under its interpreter
  with the same model and fresh buckets), with `--skip-peers` left out.
  Under a binding model a peer would take many minutes, so each runs for
  at most `--peer-seconds` (60 by default; 0: to the end): a peer still
  running then is stopped and rated by the messages fakegram delivered to
  it in that window (100 a history page answered), over the window. The
  window starts at the peer's spawn, as tobsd's run does, and holds the
  peer's whole burst: a short window favours the peer, so the comparison
  stays on the peer's side (`<model>_loop_complete` /
  `<model>_tg_archive_complete` say which kind of rate it is).

Once per run, tobsd also syncs the same channel with no flood model
(`unlimited_tobsd_msgs_per_s`): what tobsd itself can do on this machine.

The model's ceiling is the best a client can do with the bucket it uses:
the pages the burst allows at once, the rest at the sustained rate, 100
messages a page; for tobsd (history through Takeout) the Takeout bucket, for
the loop the plain one. Where the burst holds (nearly) the whole channel
that ceiling is unbounded or beyond any client, so the ceiling tobsd is held
to is the lower of it and tobsd's own unlimited rate
(`<model>_effective_ceiling_msgs_per_s`): `<model>_fraction_of_ceiling` is
tobsd's messages per second over that; `<model>_fraction_of_model_ceiling`
over the model's alone.

Flood waits once learned: the run is polled every half second; the pacer
has learned once its history pacer, having met a flood wait, paces at 85%
to 100% of the model's sustained rate (at the start, if nothing ever
flooded), counted again from the switch in `changing`. `<model>_flood_waits_after_learning` are
fakegram's flood waits from then on; the target allows one per started ten
minutes. Flood waits and the seconds they asked for
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
from _peers import (PeerFailed, TG_ARCHIVE_VERSION, run_telethon_loop,  # noqa: E402
                    run_tg_archive, tg_archive_python, tg_archive_telethon_version)
from _report import machine_info  # noqa: E402
from _steady import IndexWatcher, percentile  # noqa: E402
from _timeline import timeline  # noqa: E402
from _tobsd import TobsdRun, stop_quietly, write_config  # noqa: E402

from fakegram.flood import FloodModel, default_model  # noqa: E402

PAGE = 100
WORKERS = 16
MODELS = ("default", "strict", "generous", "changing")
KEEP_LOGS: Path | None = None     # --keep-logs: tobsd's log of each model is copied there
TIMELINE = False                  # --timeline: where each model's seconds went


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


def floods_now(fg: FakegramProcess) -> int:
    return sum(fg.control.flood_model().get("flood_waits", {}).values())


def learned(status: dict | None, rate: float) -> bool:
    """Whether tobsd's history pacer paces at 85% to 100% of the model's
    sustained `rate` (requests per second): fast enough for the target, not
    so fast that it must flood."""
    for p in (status or {}).get("daemon", {}).get("pacing", []):
        if p["key"].startswith("messages.getHistory") and p.get("high") is not None:
            if 0.85 * rate <= p["rate"] <= rate:
                return True
    return False


class Learning:
    """When the pacer had learned, and fakegram's flood count then."""

    def __init__(self, fg: FakegramProcess, model: FloodModel):
        self.fg = fg
        self.rate = model.family_of("messages.getHistory").limits(True)[0]
        self.at: float | None = None
        self.floods_then = 0
        self._polled = 0.0

    def reset(self, model: FloodModel) -> None:          # the limit changed: learn again
        self.rate = model.family_of("messages.getHistory").limits(True)[0]
        self.at = None

    def poll(self, status: dict | None, started: float) -> None:
        now = time.perf_counter()
        if self.at is not None or now - self._polled < 0.5:
            return
        self._polled = now
        floods = floods_now(self.fg)
        if learned(status, self.rate):
            self.at, self.floods_then = now - started, floods

    def end(self) -> None:
        """At the end of the run: a pacer that never met a flood wait had
        nothing to learn."""
        if self.at is None and floods_now(self.fg) == 0:
            self.at, self.floods_then = 0.0, 0


def backfilled(status: dict | None, expected: int) -> bool:
    chats = (status or {}).get("chats") or []
    return (bool(chats) and chats[0]["state"] == "live" and bool(chats[0].get("backfill_done"))
            and chats[0].get("indexed", 0) >= expected)


def run_tobsd(r: dict, name: str, fg: FakegramProcess, base: Path, n: int,
              first: FloodModel, then: FloodModel | None, timeout: float) -> None:
    log_from = fg.last_request_seq()
    spawned_at = time.time()
    run = TobsdRun(write_config(base, fg, workers=WORKERS)).start()
    watcher = IndexWatcher(run.state_dir / "tobsd.db", above=n, interval=0.02)
    poster = LivePoster(fg)
    learning = Learning(fg, first)
    switched = then is None
    before: dict = {}
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
                before = fg.control.flood_model()   # a new model starts new counts
                fg.control.set_flood_model(then.to_dict())
                switched = True
                learning.reset(then)
                progress(f"{name}: switched to {then.name} at half the channel")
            time.sleep(0.05)
            status = run.status()
            learning.poll(status, run.started_at)
        seconds = time.perf_counter() - run.started_at
        done_at = time.time()
        learning.end()
        poster.stop()
        settle = time.monotonic() + 10
        while time.monotonic() < settle and not set(poster.posted) <= set(watcher.seen):
            time.sleep(0.05)
    finally:
        poster.stop()
        watcher.stop()
        stop_quietly(run)
        if KEEP_LOGS is not None:
            KEEP_LOGS.mkdir(parents=True, exist_ok=True)
            (KEEP_LOGS / f"tobsd-{name}.log").write_text(run.log())
    latencies = [watcher.seen[i] - t if i in watcher.seen else math.inf
                 for i, t in poster.posted.items()]
    stats = fg.control.flood_model()
    if TIMELINE:
        r[f"{name}_timeline"] = timeline(fg.control.requests(since=log_from), spawned_at, done_at)

    def total(key: str) -> int:
        return sum(stats.get(key, {}).values()) + sum(before.get(key, {}).values())

    r[f"{name}_tobsd_msgs_per_s"] = n / seconds
    r[f"{name}_tobsd_seconds"] = seconds
    r[f"{name}_tobsd_flood_waits"] = total("flood_waits")
    r[f"{name}_tobsd_flood_wait_seconds"] = total("flood_wait_seconds")
    if learning.at is not None:
        r[f"{name}_learned_after_s"] = learning.at
        r[f"{name}_seconds_after_learning"] = seconds - learning.at
        r[f"{name}_flood_waits_after_learning"] = \
            sum(stats.get("flood_waits", {}).values()) - learning.floods_then
    else:
        r["notes"].append(f"{name}: the pacer never paced at 85-100% of the model's rate")
    r[f"{name}_tobsd_pacing"] = {p["key"]: {k: v for k, v in p.items() if k != "key"}
                                 for p in (status or {}).get("daemon", {}).get("pacing", [])} or None
    r[f"{name}_live_posts"] = len(latencies)
    r[f"{name}_live_p50_s"] = percentile(latencies, 50)
    r[f"{name}_live_p99_s"] = percentile(latencies, 99)
    r[f"{name}_live_max_s"] = max(latencies, default=None)
    if TIMELINE:   # each live post: when it was posted (from spawn) and its latency
        r[f"{name}_timeline"]["live"] = [
            (round(t - run.started_at, 3), round(watcher.seen[i] - t, 3) if i in watcher.seen else None)
            for i, t in sorted(poster.posted.items(), key=lambda kv: kv[1])]


def measure_model(r: dict, name: str, n: int, scale: float, tmp: Path, skip_peers: bool,
                  rtt: int, peer_s: float | None) -> None:
    first, then = model_for(name, scale)
    r[f"{name}_ceiling_msgs_per_s"] = ceiling_msgs_per_s(first, then, n, takeout=True)
    r[f"{name}_loop_ceiling_msgs_per_s"] = ceiling_msgs_per_s(first, then, n, takeout=False)
    timeout = 120 + 3 * n / PAGE / first.family_of("messages.getHistory").limits(True)[0]
    ceiling = r[f"{name}_ceiling_msgs_per_s"]
    unlimited = r.get("unlimited_tobsd_msgs_per_s")
    bounds = [c for c in (ceiling, unlimited) if c is not None]
    r[f"{name}_effective_ceiling_msgs_per_s"] = min(bounds) if bounds else None
    with FakegramProcess(sys.executable, f"synthetic:{n}", tmp / "fakegram-state",
                         tmp / f"fakegram-{name}", rtt_ms=rtt) as fg:
        fg.control.set_flood_model(first.to_dict())
        progress(f"{name}: tobsd ({first.name})")
        try:
            run_tobsd(r, name, fg, tmp / f"tobsd-{name}", n, first, then, timeout)
        except RuntimeError as exc:
            r["notes"].append(f"{name}: tobsd failed: {str(exc)[:400]}")
        got = r.get(f"{name}_tobsd_msgs_per_s")
        effective = r[f"{name}_effective_ceiling_msgs_per_s"]
        r[f"{name}_fraction_of_ceiling"] = None if effective is None or got is None else got / effective
        r[f"{name}_fraction_of_model_ceiling"] = \
            None if ceiling is None or got is None else got / ceiling
        if skip_peers:
            return
        fg.control.set_flood_model(first.to_dict())       # fresh buckets for the peer
        progress(f"{name}: Telethon loop")
        session = fg.write_session(tmp / f"loop-{name}" / "loop.session")
        # The live posts made during tobsd's run are in the channel now too.
        total = sum(c["count"] for c in fg.control.state()["chats"])
        try:
            loop = run_telethon_loop(fg, session, tmp / f"loop-{name}", total, default_wait=True,
                                     window_s=peer_s)
            r[f"{name}_loop_msgs_per_s"] = loop["msgs_per_s"]
            r[f"{name}_loop_messages"] = loop["messages"]
            r[f"{name}_loop_seconds"] = loop["seconds"]
            r[f"{name}_loop_complete"] = loop.get("complete", True)
        except (PeerFailed, OSError) as exc:
            r["notes"].append(f"{name}: Telethon loop: {str(exc)[:300]}")
        stats = fg.control.flood_model()
        r[f"{name}_loop_flood_waits"] = sum(stats.get("flood_waits", {}).values())
    measure_tg_archive(r, name, first, n, tmp, rtt, peer_s)


def measure_tg_archive(r: dict, name: str, model: FloodModel, n: int, tmp: Path, rtt: int,
                       peer_s: float | None) -> None:
    """tg-archive under the same model, against fakegram run by its own
    interpreter (the same world, fresh buckets)."""
    progress(f"{name}: tg-archive")
    try:
        python = tg_archive_python()
    except PeerFailed as exc:
        r["notes"].append(f"{name}: tg-archive not measured: {exc}")
        return
    r["tg_archive_version"] = TG_ARCHIVE_VERSION
    r["tg_archive_telethon"] = tg_archive_telethon_version(python)
    fg = FakegramProcess(str(python), f"synthetic:{n}", tmp / f"fakegram-tga-state-{name}",
                         tmp / f"fakegram-tga-{name}", rtt_ms=rtt)
    try:
        fg.start()
        fg.control.set_flood_model(model.to_dict())
        res = run_tg_archive(fg, python, tmp / f"tg-archive-{name}", n, window_s=peer_s)
        r[f"{name}_tg_archive_msgs_per_s"] = res["msgs_per_s"]
        r[f"{name}_tg_archive_messages"] = res["messages"]
        r[f"{name}_tg_archive_seconds"] = res["seconds"]
        r[f"{name}_tg_archive_complete"] = res.get("complete", True)
        r[f"{name}_tg_archive_flood_waits"] = floods_now(fg)
    except (PeerFailed, OSError, RuntimeError) as exc:
        r["notes"].append(f"{name}: tg-archive: {str(exc)[:400]}")
    finally:
        fg.stop()


def measure_unlimited(r: dict, n: int, tmp: Path, rtt: int) -> None:
    """tobsd on the same channel with no flood model: its own speed here."""
    with FakegramProcess(sys.executable, f"synthetic:{n}", tmp / "fakegram-state",
                         tmp / "fakegram-unlimited", rtt_ms=rtt) as fg:
        progress("unlimited: tobsd (no flood model)")
        run = TobsdRun(write_config(tmp / "tobsd-unlimited", fg, workers=WORKERS)).start()
        try:
            deadline = time.monotonic() + 300
            status = None
            while not backfilled(status, n):
                if time.monotonic() > deadline or run.proc.poll() is not None:
                    raise RuntimeError("tobsd without limits did not finish:\n" + run.log()[-1500:])
                time.sleep(0.05)
                status = run.status()
            r["unlimited_tobsd_msgs_per_s"] = n / (time.perf_counter() - run.started_at)
        except RuntimeError as exc:
            r["notes"].append(f"unlimited: {str(exc)[:400]}")
        finally:
            stop_quietly(run)


def add_targets(r: dict, models: list[str]) -> None:
    targets = {}
    for name in models:
        value = r.get(f"{name}_fraction_of_ceiling")
        targets[f"{name}_fraction_of_ceiling"] = {
            "value": value, "op": ">=", "bound": 0.85, "pass": None if value is None else value >= 0.85}
        p99 = r.get(f"{name}_live_p99_s")
        targets[f"{name}_live_p99_s"] = {
            "value": p99, "op": "<=", "bound": 1.0, "pass": None if p99 is None else p99 <= 1.0}
        floods = r.get(f"{name}_flood_waits_after_learning")
        after = r.get(f"{name}_seconds_after_learning")
        allowed = None if after is None else float(max(1, math.ceil(after / 600)))
        targets[f"{name}_flood_waits_after_learning"] = {
            "value": floods, "op": "<=", "bound": allowed,
            "pass": None if floods is None else floods <= allowed}
    r["targets"] = targets


def run(args) -> dict:
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    peer_s = args.peer_seconds if args.peer_seconds > 0 else None
    r = {"benchmark": "limits", "messages": args.messages, "rtt_ms": args.rtt, "scale": args.scale,
         "models": models, "peer_seconds": peer_s, "machine": machine_info(), "notes": []}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tobs-bench-limits-") as tmp_name:
        measure_unlimited(r, args.messages, Path(tmp_name), args.rtt)
        for name in models:
            measure_model(r, name, args.messages, args.scale, Path(tmp_name), args.skip_peers,
                          args.rtt, peer_s)
    r["duration_s"] = time.perf_counter() - started
    add_targets(r, models)
    return r


def table(r: dict) -> str:
    lines = [f"limits: {r['messages']:,} messages, RTT {r['rtt_ms']} ms, scale {r['scale']:g}, "
             f"tobsd without limits {r.get('unlimited_tobsd_msgs_per_s') or 0:,.0f} msgs/s",
             f"{'model':<10} {'ceiling':>9} {'tobsd':>9} {'fraction':>9} {'floods':>7} "
             f"{'waited s':>9} {'learned':>8} {'live p99':>9} {'loop':>9} {'tg-arch':>9}"]
    for name in r["models"]:
        def f(key, digits=0):
            v = r.get(f"{name}_{key}")
            return "n/a" if v is None else f"{v:,.{digits}f}"
        lines.append(f"{name:<10} {f('effective_ceiling_msgs_per_s'):>9} {f('tobsd_msgs_per_s'):>9} "
                     f"{f('fraction_of_ceiling', 2):>9} {f('tobsd_flood_waits'):>7} "
                     f"{f('tobsd_flood_wait_seconds'):>9} {f('flood_waits_after_learning'):>8} "
                     f"{f('live_p99_s', 3):>9} {f('loop_msgs_per_s'):>9} "
                     f"{f('tg_archive_msgs_per_s'):>9}")
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
    p.add_argument("--peer-seconds", type=float, default=60.0,
                   help="stop each peer after this many seconds and rate it by what fakegram "
                        "delivered to it meanwhile (0: run each peer to the end)")
    p.add_argument("--json", action="store_true", help="print one JSON object, nothing else")
    p.add_argument("--timeline", action="store_true",
                   help="add <model>_timeline: history pages per second and flood waits from spawn on")
    p.add_argument("--keep-logs", type=Path, help="copy tobsd's log of each model into this folder")
    args = p.parse_args(argv)
    global KEEP_LOGS, TIMELINE
    KEEP_LOGS, TIMELINE = args.keep_logs, args.timeline
    result = run(args)
    print(json.dumps(result, indent=1, default=str) if args.json else table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
