"""Benchmark: tobsd's sync against its peers, all in one run on one world.

    python bench/sync.py                     # 100,000 messages, every peer (several minutes)
    python bench/sync.py --quick             # 10,000 messages, no tg-archive (under a minute)
    python bench/sync.py --json              # one JSON object on stdout instead of the table
    python bench/sync.py --messages 50000 --skip-tg-archive

fakegram serves a synthetic world (one broadcast channel, @synthetic, ids
1..N). Against it, in this order:

1. tobsd from empty state at RTT 0 (the default `backfill_requests_in_flight`),
   timed from process start until its status shows the chat live with the
   backfill done and every message indexed; its RSS is sampled meanwhile;
2. the plain Telethon `iter_messages` loop at RTT 0, then at RTT 100 ms;
3. tobsd from empty state at RTT 100 ms (16 requests in flight);
4. back at RTT 0, the first tobsd restarted on its state with nothing new:
   the requests fakegram serves until the chat is live again (connection
   setup listed apart);
5. with that tobsd live, 200 messages posted through the control endpoint,
   each timed until it is in the vault (last: these posts grow the world);
6. tg-archive 1.3.1 (its own venv and Telethon, fakegram restarted under
   that venv's interpreter on the same world) at RTT 100 ms and at RTT 0.

Every tool is timed from spawn to done, so interpreter start-up and login
count for all alike. A tool that fails or misses messages reports null and
the reason goes into `notes`. Progress goes to stderr.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _fakegram import FakegramProcess  # noqa: E402
from _peers import (PeerFailed, run_telethon_loop, run_tg_archive, tg_archive_python,  # noqa: E402
                    tg_archive_telethon_version, TG_ARCHIVE_VERSION)
from _report import add_ratios_and_targets, machine_info, table  # noqa: E402
from _steady import SETUP_METHODS, live_latency, noop_resync  # noqa: E402
from _tobsd import TobsdRun, run_backfill, stop_quietly, write_config  # noqa: E402

WORKERS_RTT0 = 6      # tobsd's default backfill_requests_in_flight
WORKERS_RTT100 = 16
LIVE_POSTS = 200


def progress(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def empty_result(messages: int, quick: bool) -> dict:
    keys = ["tobsd_msgs_per_s_rtt0", "tobsd_msgs_per_s_rtt100", "telethon_loop_msgs_per_s_rtt0",
            "telethon_loop_msgs_per_s_rtt100", "tg_archive_msgs_per_s_rtt0",
            "tg_archive_msgs_per_s_rtt100", "tobsd_peak_rss_mb", "noop_resync_requests_per_chat",
            "live_latency_p50_s", "live_latency_p99_s"]
    r = {"benchmark": "sync", "messages": messages, "quick": quick, **dict.fromkeys(keys),
         "tobsd_backfill_requests_in_flight_rtt0": WORKERS_RTT0,
         "tobsd_backfill_requests_in_flight_rtt100": WORKERS_RTT100, "notes": []}
    r["noop_resync_setup_methods_excluded"] = sorted(SETUP_METHODS)
    return r


def tobsd_backfill(r: dict, base: Path, fg: FakegramProcess, rtt: int, n: int, workers: int,
                   timeout: float) -> dict | None:
    """One fresh tobsd backfill; its numbers go into `r` (null and a note if it fails)."""
    try:
        b = run_backfill(base, fg, expected=n, workers=workers, timeout=timeout)
    except RuntimeError as exc:
        r["notes"].append(f"tobsd at RTT {rtt} failed: {str(exc)[:500]}")
        return None
    r.update({f"tobsd_msgs_per_s_rtt{rtt}": b["msgs_per_s"], f"tobsd_seconds_rtt{rtt}": b["seconds"],
              f"tobsd_index_complete_s_rtt{rtt}": b["index_complete_s"],
              f"tobsd_peak_rss_mb_rtt{rtt}": b["peak_rss_mb"],
              **{f"{key}_rtt{rtt}": b[key] for key in ("cpu_s_daemon", "cpu_s_writer", "cpu_s_fakegram")}})
    return b


def measure_tobsd_and_loop(r: dict, fg: FakegramProcess, tmp: Path, n: int) -> None:
    """Steps 1-5, on a fakegram served by this interpreter (the project's Telethon)."""
    timeout = 60 + n / 100          # generous: 100 msgs per 100 ms round trip, sequentially
    peaks = []
    progress(f"tobsd, RTT 0, {WORKERS_RTT0} in flight")
    b0 = tobsd_backfill(r, tmp / "tobsd-rtt0", fg, 0, n, WORKERS_RTT0, timeout)
    if b0:
        peaks.append(b0["peak_rss_mb"])

    loop_session = fg.write_session(tmp / "loop" / "loop.session")
    for rtt in (0, 100):
        fg.control.set_rtt(rtt)
        progress(f"Telethon loop, RTT {rtt}")
        try:
            loop = run_telethon_loop(fg, loop_session, tmp / "loop", n)
            r[f"telethon_loop_msgs_per_s_rtt{rtt}"] = loop["msgs_per_s"]
        except (PeerFailed, OSError) as exc:
            r["notes"].append(f"telethon loop at RTT {rtt}: {exc}")

    progress(f"tobsd, RTT 100, {WORKERS_RTT100} in flight")
    b100 = tobsd_backfill(r, tmp / "tobsd-rtt100", fg, 100, n, WORKERS_RTT100, timeout)
    if b100:
        peaks.append(b100["peak_rss_mb"])
    if b0 is None:
        r["notes"].append("no-op resync and live latency not measured: the RTT 0 backfill failed")
        r["tobsd_peak_rss_mb"] = max(peaks, default=None)
        return

    # Last, because the live posts add messages to the world.
    fg.control.set_rtt(0)
    progress("tobsd restart with nothing new (no-op resync)")
    run = TobsdRun(write_config(b0["base"], fg, workers=WORKERS_RTT0))
    try:
        noop = noop_resync(fg, run)
        r.update(noop_resync_requests_per_chat=noop["requests_per_chat"],
                 noop_resync_account_requests=noop["account_requests"],
                 noop_resync_account_methods=noop["account"],
                 noop_resync_counted_methods=noop["counted"],
                 noop_resync_excluded_methods_seen=noop["excluded"])
        progress(f"live latency over {LIVE_POSTS} posts")
        live = live_latency(fg, run, above_id=n, posts=LIVE_POSTS)
        r.update(live_latency_p50_s=live["p50_s"], live_latency_p99_s=live["p99_s"],
                 live_latency_max_s=live["max_s"], live_posts=live["posts"],
                 live_missing_from_index=live["missing_from_index"],
                 live_missing_or_wrong_in_vault=live["missing_or_wrong_in_vault"])
        if live["missing_or_wrong_in_vault"]:
            r["notes"].append(f"live: {live['missing_or_wrong_in_vault']} of {LIVE_POSTS} posts "
                              "missing or wrong in the vault")
    except RuntimeError as exc:
        r["notes"].append(f"no-op resync / live latency failed: {str(exc)[:300]}")
    finally:
        if run.proc is not None:
            peaks.append(stop_quietly(run) / 2**20)
    r["tobsd_peak_rss_mb"] = max(peaks, default=None)


def measure_tg_archive(r: dict, tmp: Path, world: str, fg_state: Path, n: int) -> None:
    """Step 6: fakegram under tg-archive's interpreter, same world and keys."""
    progress("tg-archive: preparing its venv")
    try:
        python = tg_archive_python()
    except PeerFailed as exc:
        r["notes"].append(f"tg-archive not measured: {exc}")
        return
    r["tg_archive_version"] = TG_ARCHIVE_VERSION
    r["tg_archive_telethon"] = tg_archive_telethon_version(python)
    fg = FakegramProcess(str(python), world, fg_state, tmp / "fakegram-tga", rtt_ms=100)
    try:
        fg.start()
        for rtt in (100, 0):
            fg.control.set_rtt(rtt)
            progress(f"tg-archive, RTT {rtt}")
            try:
                res = run_tg_archive(fg, python, tmp / f"tg-archive-rtt{rtt}", n)
                r[f"tg_archive_msgs_per_s_rtt{rtt}"] = res["msgs_per_s"]
            except (PeerFailed, OSError) as exc:
                r["notes"].append(f"tg-archive at RTT {rtt}: {str(exc)[:500]}")
    except RuntimeError as exc:
        r["notes"].append(f"tg-archive not measured: fakegram under its venv: {str(exc)[:300]}")
    finally:
        fg.stop()


def run(args) -> dict:
    n = args.messages or (10_000 if args.quick else 100_000)
    skip_tga = args.skip_tg_archive or (args.quick and not args.tg_archive)
    r = empty_result(n, args.quick)
    r["machine"] = machine_info()
    world = f"synthetic:{n}"
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tobs-bench-sync-") as tmp_name:
        tmp = Path(tmp_name)
        fg_state = tmp / "fakegram-state"
        progress(f"fakegram: {world}")
        with FakegramProcess(sys.executable, world, fg_state, tmp / "fakegram") as fg:
            measure_tobsd_and_loop(r, fg, tmp, n)
        if skip_tga:
            r["notes"].append("tg-archive skipped (--skip-tg-archive or --quick)")
        else:
            measure_tg_archive(r, tmp, world, fg_state, n)
    r["notes"].append("tobsd rates are timed to its status (GetStatus over the control API) showing the chat synced "
                      "(written when the chat's state changes); *_index_complete_s is when "
                      "its index first held every message")
    r["duration_s"] = time.perf_counter() - started
    add_ratios_and_targets(r)
    return r


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="10,000 messages, no tg-archive")
    p.add_argument("--json", action="store_true", help="print one JSON object, nothing else")
    p.add_argument("--messages", type=int, help="messages in the channel (default 100,000)")
    p.add_argument("--skip-tg-archive", action="store_true")
    p.add_argument("--tg-archive", action="store_true", help="measure tg-archive in --quick too")
    args = p.parse_args(argv)
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=1, default=str))
    else:
        print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
