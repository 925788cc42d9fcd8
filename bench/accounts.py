"""Benchmark: a whole account (hundreds of chats of every kind) synced by
tobsd against a plain Telethon loop over all dialogs, in one run on one world.

    python bench/accounts.py                  # account:400 (about 100,000 messages)
    python bench/accounts.py --chats 60 --idle-s 10 --skip-rtt100   # a short run
    python bench/accounts.py --json           # one JSON object on stdout

fakegram serves the generated account world (`account:N`: private chats,
basic groups, supergroups, channels; private chats' and groups' ids from
one account-wide sequence, interleaved by date). In this order:

1. tobsd from empty state at RTT 0, `[sync] all = true`, default
   `backfill_requests_in_flight` (6): timed from spawn until its status shows
   every chat `live` with `backfill_done` and `indexed` equal to the world's
   count for that chat. Meanwhile every status file is checked for a chat
   `live` with fewer messages indexed than it has (`chats_live_before_complete`);
   fakegram's request log gives the requests by method and the getHistory
   requests per chat; psutil the peak RSS and CPU of tobsd and its writer.
2. The plain Telethon loop (`bench/_telethon_loop.py --all-dialogs`:
   `iter_messages` over every dialog in turn) at RTT 0 and at RTT 100 ms,
   with its getHistory requests counted the same way.
3. tobsd from empty state at RTT 100 ms.
4. Back at RTT 0, the tobsd of step 1 is started until every attachment the
   backfill queued has landed (`tobsd_media_settled_after_restart_s`) and
   stopped; then restarted with nothing new: requests per chat until every
   chat is live again (connection setup apart, and the account-wide
   catch-up counted apart; see bench/_steady.py).
5. With that tobsd live: its CPU (daemon + writer) over `--idle-s` seconds
   with nothing happening, then one message posted to each of 50 random
   chats, each timed until its row is in tobsd's index (committed only after
   its note is durably written).
6. The steady state: tobsd restarted with `reconcile_every_s` set to
   `--steady-period-s` and `page_check_every_s` to six times that (60 and
   360 s: ten times as often as the defaults 600 and 3600 s, so
   that the periodic comparisons with Telegram come due many times inside
   the window), every chat live, then its CPU over `--steady-s` seconds
   with nothing happening (from a tenth of the page-check interval after
   every chat is live, when the checks come at their steady rate), with
   the requests it made meanwhile by method. What comes due once per period (a sweep, the chats' periodic checks or
   reconciles) costs the same CPU per period whatever its length, so the
   steady state at the default period is estimated as the idle CPU of step
   5 plus the window's CPU above it scaled by period / 600 s
   (`steady_idle_cpu_percent_default`, the figure the target holds).

tg-archive is not measured here (it is measured on one channel by sync.py).
"""
from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psutil  # noqa: E402

from _fakegram import FakegramProcess  # noqa: E402
from _peers import PeerFailed, run_telethon_loop  # noqa: E402
from _report import machine_info  # noqa: E402
from _steady import noop_resync, percentile  # noqa: E402
from _tobsd import TobsdRun, cpu_seconds, stop_quietly, write_config  # noqa: E402

WORKERS = 6           # tobsd's default backfill_requests_in_flight
DEFAULT_PERIOD_S = 600   # tobsd's default reconcile_every_s
PAGE_CHECK_PERIODS = 6   # tobsd's default page_check_every_s (3600) / reconcile_every_s
LATENCY_POSTS = 50

# name -> (key, op, bound)
TARGETS = {
    "tobsd_vs_loop_rtt100": ("ratio_tobsd_vs_loop_rtt100", ">=", 4.0),
    "history_requests_vs_loop": ("ratio_history_requests_vs_loop", "<=", 1.2),
    "no_chat_live_before_complete": ("chats_live_before_complete", "<=", 0),
    "noop_resync_requests_per_chat": ("noop_resync_requests_per_chat", "<=", 1.0),
    "idle_cpu_percent": ("idle_cpu_percent", "<=", 0.5),
    "steady_idle_cpu_percent_default": ("steady_idle_cpu_percent_default", "<=", 0.5),
}


def progress(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def marked_id(family: str, raw: int) -> int:
    """tobsd's chat id for a fakegram chat key (see tobsd.core.ports)."""
    return raw if family == "user" else -raw if family == "chat" else -(10**12 + raw)


def world_counts(chats: int) -> dict[int, tuple[str, int, list]]:
    """marked chat id -> (title, message count, fakegram key), from the same world."""
    from fakegram.world.account import account_world
    world = account_world(chats)
    out = {}
    for info in world.chats():
        title = info.title or world.users[info.id].display_name
        out[marked_id(info.family, info.id)] = (title, world.count(info.key), list(info.key))
    return out


def history_requests(fg: FakegramProcess, since: int) -> tuple[int, Counter, Counter]:
    served = fg.control.requests(since=since)
    methods = Counter(r["method"] for r in served)
    per_peer = Counter(r["peer_id"] for r in served if r["method"] == "messages.getHistory")
    return methods["messages.getHistory"], methods, per_peer


def tobsd_backfill(base: Path, fg: FakegramProcess, counts: dict, timeout: float) -> dict:
    """A fresh tobsd over every dialog, until every chat is complete."""
    config = write_config(base, fg, workers=WORKERS, chat=None)
    since = fg.last_request_seq()
    server_cpu = cpu_seconds(psutil.Process(fg.proc.pid))
    run = TobsdRun(config).start()
    early: set[str] = set()
    first_complete = first_note = None
    try:
        deadline = time.monotonic() + timeout
        while True:
            if run.proc.poll() is not None:
                raise RuntimeError(f"tobsd exited ({run.proc.returncode}):\n{run.log()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"not complete in {timeout:.0f} s; status {run.status()}")
            if first_note is None and next(run.vault.glob("Telegram/*/*/*.md"), None):
                first_note = time.perf_counter() - run.started_at   # a period note: YYYY/day.md
            status = run.status()
            if status is not None:
                done = 0
                for c in status["chats"]:
                    want = counts.get(c["id"], ("", 0))[1]
                    if c["state"] == "live":
                        if c["indexed"] < want or not c["backfill_done"]:
                            early.add(c["title"])
                        else:
                            done += 1
                if done and first_complete is None:
                    first_complete = time.perf_counter() - run.started_at
                if status["state"] == "running" and len(status["chats"]) == len(counts) \
                        and done == len(counts):
                    break
            time.sleep(0.05)
        seconds = time.perf_counter() - run.started_at
        daemon = psutil.Process(run.proc.pid)
        cpu = {"cpu_s_daemon": cpu_seconds(daemon),
               "cpu_s_writer": sum(cpu_seconds(c) for c in daemon.children(recursive=True)),
               "cpu_s_fakegram": cpu_seconds(psutil.Process(fg.proc.pid)) - server_cpu}
    finally:
        peak = stop_quietly(run)
    total, methods, per_peer = history_requests(fg, since)
    per_chat = [per_peer.get(key[1], 0) for _, _, key in counts.values()]
    return {"seconds": seconds, "first_chat_complete_s": first_complete,
            "first_note_s": first_note,
            "live_before_complete": sorted(early), "history_requests": total,
            "history_requests_per_chat_max": max(per_chat), "methods": dict(methods),
            "peak_rss_mb": peak / 2**20, "base": base, **{k: round(v, 2) for k, v in cpu.items()}}


def telethon_loop(fg: FakegramProcess, tmp: Path, expected: int, rtt: int) -> dict:
    session = tmp / "loop" / "loop.session"
    if not session.exists():
        fg.write_session(session)
    since = fg.last_request_seq()
    result = run_telethon_loop(fg, session, tmp / "loop", expected, all_dialogs=True)
    total, _, _ = history_requests(fg, since)
    progress(f"  loop at RTT {rtt}: {result['seconds']:.1f} s, {total} getHistory")
    return {"seconds": result["seconds"], "history_requests": total}


def idle_cpu(run: TobsdRun, seconds: float) -> float:
    """CPU percent of one core used by tobsd and its writer over `seconds` of quiet."""
    procs = [psutil.Process(run.proc.pid)]
    procs += procs[0].children(recursive=True)
    before = sum(cpu_seconds(p) for p in procs)
    start = time.perf_counter()
    time.sleep(seconds)
    used = sum(cpu_seconds(p) for p in procs) - before
    return 100.0 * used / (time.perf_counter() - start)


def post_latency(fg: FakegramProcess, run: TobsdRun, counts: dict, posts: int, seed: int = 7,
                 timeout: float = 10) -> dict:
    """One post to each of `posts` random chats, each timed until tobsd's index holds it."""
    rng = random.Random(seed)
    chosen = rng.sample(sorted(counts), min(posts, len(counts)))
    db = sqlite3.connect(f"file:{run.state_dir / 'tobsd.db'}?mode=ro", uri=True, timeout=1)
    latencies, missing = [], 0
    try:
        for cid in chosen:
            answer = fg.control.post(counts[cid][2], f"latency probe to {counts[cid][0]}")
            posted = time.perf_counter()
            while time.perf_counter() - posted < timeout:
                try:
                    row = db.execute("SELECT 1 FROM message_index WHERE chat_id = ? AND msg_id = ?",
                                     (cid, answer["id"])).fetchone()
                except sqlite3.Error:
                    row = None
                if row:
                    latencies.append(time.perf_counter() - posted)
                    break
                time.sleep(0.005)
            else:
                missing += 1
    finally:
        db.close()
    return {"posts": len(chosen), "missing": missing, "p50_s": percentile(latencies, 50),
            "p99_s": percentile(latencies, 99), "max_s": max(latencies, default=None)}


def add_targets(r: dict) -> None:
    loop100, tobsd100 = r.get("telethon_loop_seconds_rtt100"), r.get("tobsd_seconds_rtt100")
    r["ratio_tobsd_vs_loop_rtt100"] = loop100 / tobsd100 if loop100 and tobsd100 else None
    loop0, tobsd0 = r.get("telethon_loop_seconds_rtt0"), r.get("tobsd_seconds_rtt0")
    r["ratio_tobsd_vs_loop_rtt0"] = loop0 / tobsd0 if loop0 and tobsd0 else None
    a, b = r.get("tobsd_history_requests_rtt0"), r.get("telethon_loop_history_requests_rtt0")
    r["ratio_history_requests_vs_loop"] = a / b if a and b else None
    targets = {}
    for name, (key, op, bound) in TARGETS.items():
        value = r.get(key)
        passed = None if value is None else (value >= bound if op == ">=" else value <= bound)
        targets[name] = {"value": value, "op": op, "bound": bound, "pass": passed}
    r["targets"] = targets


def run(args) -> dict:
    r: dict = {"benchmark": "accounts", "chats": args.chats, "machine": machine_info(),
               "tobsd_backfill_requests_in_flight": WORKERS, "notes": []}
    counts = world_counts(args.chats)
    total = sum(n for _, n, _ in counts.values())
    r["messages"] = total
    timeout = 120 + total / 50
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tobs-bench-accounts-") as tmp_name:
        tmp = Path(tmp_name)
        progress(f"fakegram: account:{args.chats} ({total} messages)")
        with FakegramProcess(sys.executable, f"account:{args.chats}", tmp / "fg-state",
                             tmp / "fakegram") as fg:
            rtts = (0,) if args.skip_rtt100 else (0, 100)
            b0 = None
            for rtt in rtts:
                fg.control.set_rtt(rtt)
                progress(f"tobsd, RTT {rtt}")
                try:
                    b = tobsd_backfill(tmp / f"tobsd-rtt{rtt}", fg, counts, timeout)
                except RuntimeError as exc:
                    r["notes"].append(f"tobsd at RTT {rtt} failed: {str(exc)[:500]}")
                    continue
                b0 = b0 or b
                progress(f"  tobsd at RTT {rtt}: {b['seconds']:.1f} s, {b['history_requests']} getHistory")
                r.update({f"tobsd_seconds_rtt{rtt}": b["seconds"],
                          f"tobsd_first_chat_complete_s_rtt{rtt}": b["first_chat_complete_s"],
                          f"tobsd_first_note_s_rtt{rtt}": b["first_note_s"],
                          f"tobsd_history_requests_rtt{rtt}": b["history_requests"],
                          f"tobsd_history_requests_per_chat_max_rtt{rtt}":
                              b["history_requests_per_chat_max"],
                          f"tobsd_requests_by_method_rtt{rtt}": b["methods"],
                          f"tobsd_peak_rss_mb_rtt{rtt}": b["peak_rss_mb"],
                          f"chats_live_before_complete_rtt{rtt}": len(b["live_before_complete"]),
                          **{f"{k}_rtt{rtt}": b[k] for k in ("cpu_s_daemon", "cpu_s_writer",
                                                             "cpu_s_fakegram")}})
                if b["live_before_complete"]:
                    r["notes"].append(f"live before complete at RTT {rtt}: "
                                      f"{b['live_before_complete'][:10]}")
                progress(f"Telethon loop over all dialogs, RTT {rtt}")
                try:
                    loop = telethon_loop(fg, tmp, total, rtt)
                    r[f"telethon_loop_seconds_rtt{rtt}"] = loop["seconds"]
                    r[f"telethon_loop_history_requests_rtt{rtt}"] = loop["history_requests"]
                except (PeerFailed, OSError) as exc:
                    r["notes"].append(f"telethon loop at RTT {rtt}: {str(exc)[:300]}")
            live = [r.get(f"chats_live_before_complete_rtt{rtt}") for rtt in rtts]
            r["chats_live_before_complete"] = None if None in live else sum(live)
            fg.control.set_rtt(0)
            if b0 is not None:
                steady(r, fg, b0, counts, args)
    r["duration_s"] = time.perf_counter() - started
    add_targets(r)
    return r


def steady(r: dict, fg: FakegramProcess, b0: dict, counts: dict, args) -> None:
    """Steps 4 and 5 on the state of the RTT 0 run."""
    # The files of the backfill land after its messages: a restart with
    # nothing new, and idle, start once they have all landed.
    progress("tobsd until every file has landed")
    settle = TobsdRun(write_config(b0["base"], fg, workers=WORKERS, chat=None)).start()
    try:
        settle.wait_live(120)
        r["tobsd_media_settled_after_restart_s"] = settle.wait_media_settled(900)
    except RuntimeError as exc:
        r["notes"].append(f"media did not settle: {str(exc)[:300]}")
        return
    finally:
        stop_quietly(settle)
    progress("tobsd restart with nothing new")
    run = TobsdRun(write_config(b0["base"], fg, workers=WORKERS, chat=None))
    try:
        noop = noop_resync(fg, run, chats=len(counts), timeout=120)
        r.update(noop_resync_requests_per_chat=noop["requests_per_chat"],
                 noop_resync_account_requests=noop["account_requests"],
                 noop_resync_counted_methods=noop["counted"],
                 noop_resync_account_methods=noop["account"])
        progress(f"idle CPU over {args.idle_s} s")
        r["idle_s"] = args.idle_s
        r["idle_cpu_percent"] = idle_cpu(run, args.idle_s)
        progress(f"post -> index latency in {LATENCY_POSTS} random chats")
        lat = post_latency(fg, run, counts, LATENCY_POSTS)
        r.update({f"post_latency_{k}": v for k, v in lat.items()})
    except RuntimeError as exc:
        r["notes"].append(f"restart / idle / latency failed: {str(exc)[:300]}")
    finally:
        if run.proc is not None:
            stop_quietly(run)
    if args.steady_s > 0:
        steady_idle(r, fg, b0, args)


def steady_idle(r: dict, fg: FakegramProcess, b0: dict, args) -> None:
    """Step 6: idle CPU over a window in which the periodic comparisons come due."""
    period = args.steady_period_s
    progress(f"steady state: reconcile_every_s = {period}, CPU over {args.steady_s} s")
    run = TobsdRun(write_config(b0["base"], fg, workers=WORKERS, chat=None,
                                daemon=f"reconcile_every_s = {period}\n"
                                       f"page_check_every_s = {period * PAGE_CHECK_PERIODS}"))
    try:
        run.start()
        run.wait_live(120)
        # A chat's first page check comes 0.1 to 1 interval after it is
        # live: from then on they come at their steady rate.
        time.sleep(0.1 * period * PAGE_CHECK_PERIODS)
        since = fg.last_request_seq()
        r["steady_reconcile_every_s"] = period
        r["steady_s"] = args.steady_s
        r["steady_idle_cpu_percent"] = idle_cpu(run, args.steady_s)
        base = r.get("idle_cpu_percent")
        if base is not None:
            extra = max(0.0, r["steady_idle_cpu_percent"] - base)
            r["steady_idle_cpu_percent_default"] = base + extra * period / DEFAULT_PERIOD_S
        served = fg.control.requests(since=since)
        r["steady_requests_by_method"] = dict(sorted(Counter(x["method"] for x in served).items()))
        history = [x for x in served if x["method"] == "messages.getHistory"]
        # messages.messagesNotModified is a few bytes; any page is far larger.
        r["steady_history_not_modified"] = sum(1 for x in history if x["bytes"] <= 64)
        r["steady_history_pages_chats"] = len({x["peer_id"] for x in history if x["bytes"] > 64})
    except RuntimeError as exc:
        r["notes"].append(f"steady state failed: {str(exc)[:300]}")
    finally:
        if run.proc is not None:
            stop_quietly(run)


def table(r: dict) -> str:
    rows = [(k, r.get(k)) for k in (
        "chats", "messages", "tobsd_seconds_rtt0", "telethon_loop_seconds_rtt0", "tobsd_seconds_rtt100",
        "telethon_loop_seconds_rtt100", "tobsd_first_chat_complete_s_rtt0",
        "tobsd_first_note_s_rtt0", "tobsd_history_requests_rtt0", "telethon_loop_history_requests_rtt0",
        "tobsd_history_requests_per_chat_max_rtt0", "chats_live_before_complete",
        "tobsd_peak_rss_mb_rtt0", "noop_resync_requests_per_chat", "noop_resync_account_requests",
        "idle_cpu_percent", "steady_reconcile_every_s", "steady_idle_cpu_percent",
        "steady_idle_cpu_percent_default",
        "steady_requests_by_method", "steady_history_not_modified", "post_latency_p50_s", "post_latency_p99_s")]
    rows += [(f"target {n}", f"{t['value']} {t['op']} {t['bound']}: {t['pass']}")
             for n, t in r["targets"].items()]
    width = max(len(k) for k, _ in rows)
    lines = [f"{k:<{width}}  {v:.2f}" if isinstance(v, float) else f"{k:<{width}}  {v}"
             for k, v in rows]
    return "\n".join(lines + [f"note: {n}" for n in r["notes"]])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--chats", type=int, default=400, help="chats in the account (default 400)")
    p.add_argument("--idle-s", type=float, default=60.0, help="seconds of idle CPU measured")
    p.add_argument("--steady-period-s", type=int, default=60,
                   help="reconcile_every_s of the steady-state run (default 60)")
    p.add_argument("--steady-s", type=float, default=120.0,
                   help="seconds of steady-state CPU measured (0: skip that step)")
    p.add_argument("--skip-rtt100", action="store_true", help="only RTT 0 (a short run)")
    p.add_argument("--json", action="store_true", help="print one JSON object, nothing else")
    args = p.parse_args(argv)
    result = run(args)
    print(json.dumps(result, indent=1, default=str) if args.json else table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
