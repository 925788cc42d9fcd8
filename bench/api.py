"""Benchmark: the control API under load.

    .venv/bin/python bench/api.py            # 500 chats, a 200,000-message backfill, 7 sync rounds (10+ minutes)
    .venv/bin/python bench/api.py --quick --json              # about 2 minutes
    .venv/bin/python bench/api.py --watch-only --rounds 5     # only the WatchEvents measure

1. GetStatus latency: fakegram serves 499 small channels and one big one; a
   tobsd tracks all 500 (declared in its configuration). Once all 500 are in
   its status and while the big channel is still backfilling, GetStatus is
   called back to back over the Unix socket (the generated client, as
   tobsctl uses it); p50/p99/max of the round trip. Target: p99 < 10 ms.
   Only calls made while the backfill ran are counted.
2. WatchEvents cost: a fresh tobsd syncs one synthetic channel, alone and
   with a `WatchEvents` client (log lines at info) reading every event
   (target: the watched sync at most 2% slower). Each round runs one of
   each, in alternating order (plain-watched, watched-plain, ...), so a
   machine that gets busier or quieter over the benchmark weighs on both
   alike. Two measures, each the median over the rounds of the watched/plain
   ratio within a round: wall time to the synced status, and the CPU time
   tobsd (daemon and vault writer) spent until then, which a loaded,
   shared machine disturbs far less than wall time. The spread of the plain
   runs is printed as the noise to read the ratios against.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
from _fakegram import FakegramProcess
from _report import machine_info
from _tobsd import TobsdRun, stop_quietly, toml_str, write_config

from tobs.v1 import pb
from tobsctl.client import Client

P99_TARGET_MS = 10.0
WATCH_TARGET = 1.02


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def world_file(path: Path, small: int, per_small: int, big: int) -> Path:
    chats = [{"kind": "synthetic", "title": "Big", "username": "bigchannel", "count": big}]
    chats += [{"kind": "synthetic", "title": f"Small {i:03d}", "username": f"small{i:03d}",
               "count": per_small} for i in range(small)]
    path.write_text(json.dumps({"seed": 3, "chats": chats}))
    return path


def measure_status(tmp: Path, chats: int, per_small: int, big: int, calls: int) -> dict:
    world = world_file(tmp / "world.json", chats - 1, per_small, big)
    with FakegramProcess(sys.executable, str(world), tmp / "fakegram-state", tmp / "fakegram") as fg:
        config = write_config(tmp / "status", fg, workers=6, chat="@bigchannel", log_level="warning")
        with open(config, "a") as f:
            for i in range(chats - 1):
                f.write(f"\n[[chats]]\nchat = {toml_str(f'@small{i:03d}')}\n")
        run = TobsdRun(config).start()
        try:
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                status = run.status()
                if status and len(status["chats"]) == chats:
                    break
                time.sleep(0.2)
            else:
                raise RuntimeError("tobsd did not track every chat in time:\n" + run.log()[-2000:])
            progress(f"  {chats} chats tracked after {time.perf_counter() - run.started_at:.1f} s")
            client = Client.connect(run.socket)
            samples, during = [], 0
            try:
                for _ in range(calls):
                    t0 = time.perf_counter()
                    resp = client.call("GetStatus", pb.GetStatusRequest())
                    ms = (time.perf_counter() - t0) * 1000
                    big_state = next(c.state for c in resp.chats if c.title == "Big")
                    if big_state != "backfilling":
                        if samples:
                            break          # the backfill is over: stop measuring
                        continue           # not started yet
                    samples.append(ms)
                    during += 1
            finally:
                client.close()
        finally:
            stop_quietly(run)
    if not samples:
        raise RuntimeError("no GetStatus call overlapped the backfill; use a bigger --big")
    samples.sort()
    return {"chats": chats, "status_calls_during_backfill": during,
            "get_status_p50_ms": round(samples[len(samples) // 2], 3),
            "get_status_p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 3),
            "get_status_max_ms": round(samples[-1], 3)}


class Watcher(threading.Thread):
    """Reads every WatchEvents event (log lines at info) until stopped."""

    def __init__(self, socket: Path):
        super().__init__(daemon=True)
        self.socket, self.events, self.stream = socket, 0, None

    def run(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                client = Client.connect(self.socket)
                break
            except Exception:
                time.sleep(0.01)
        else:
            return
        try:
            self.stream = client.stub.WatchEvents(pb.WatchEventsRequest(log_level="info"))
            for _ in self.stream:
                self.events += 1
        except Exception:
            pass     # cancelled at the end, or tobsd stopped
        finally:
            client.close()

    def stop(self) -> None:
        if self.stream is not None:
            self.stream.cancel()
        self.join(5)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of tobsd and its live children (the vault writer)."""
    proc = psutil.Process(pid)
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def one_sync(tmp: Path, fg: FakegramProcess, n: int, watched: bool, index: int) -> dict:
    config = write_config(tmp / f"sync-{index}", fg, workers=6, chat="@synthetic", log_level="info")
    run = TobsdRun(config).start()
    watcher = Watcher(run.socket) if watched else None
    if watcher:
        watcher.start()
    try:
        done = run.wait_synced(n, 600, watch_index=False)
        cpu = cpu_seconds(run.proc.pid)          # read before the stop: the writer is alive
    finally:
        if watcher:
            watcher.stop()
        stop_quietly(run)
    return {"wall_s": done["status_s"], "cpu_s": cpu, "events": watcher.events if watcher else 0}


def measure_watch(tmp: Path, n: int, rounds: int) -> dict:
    runs: dict[bool, list[dict]] = {False: [], True: []}
    with FakegramProcess(sys.executable, f"synthetic:{n}", tmp / "fakegram-state",
                         tmp / "fakegram-sync") as fg:
        for r in range(rounds):
            for w in ((False, True) if r % 2 == 0 else (True, False)):
                got = one_sync(tmp, fg, n, w, 2 * r + w)
                runs[w].append(got)
                progress(f"  round {r + 1}: sync of {n} messages {'with' if w else 'without'} a watcher: "
                         f"{got['wall_s']:.2f} s wall, {got['cpu_s']:.2f} s CPU")
    plain, watched = runs[False], runs[True]

    def ratio(key: str) -> float:
        return statistics.median(w[key] / p[key] for p, w in zip(plain, watched))

    def spread(key: str) -> float | None:
        values = [p[key] for p in plain]
        return round((max(values) - min(values)) / statistics.median(values), 4) if len(values) > 1 else None
    return {"watch_sync_messages": n, "watch_rounds": rounds,
            "sync_s_plain": [round(p["wall_s"], 3) for p in plain],
            "sync_s_watched": [round(w["wall_s"], 3) for w in watched],
            "cpu_s_plain": [round(p["cpu_s"], 3) for p in plain],
            "cpu_s_watched": [round(w["cpu_s"], 3) for w in watched],
            "watch_events_read": sum(w["events"] for w in watched),
            "watch_slowdown_ratio": round(ratio("wall_s"), 4),
            "watch_cpu_ratio": round(ratio("cpu_s"), 4),
            "plain_run_spread": spread("wall_s"), "plain_cpu_spread": spread("cpu_s")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts (about 2 minutes)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--chats", type=int, default=500)
    parser.add_argument("--big", type=int, help="messages in the channel that backfills meanwhile")
    parser.add_argument("--calls", type=int, default=3000, help="GetStatus calls at most")
    parser.add_argument("--sync-messages", type=int, help="messages per WatchEvents sync run")
    parser.add_argument("--rounds", type=int, help="plain/watched pairs of sync runs")
    parser.add_argument("--watch-only", action="store_true", help="only the WatchEvents measure")
    args = parser.parse_args(argv)
    big = args.big or (60000 if args.quick else 200000)
    sync_n = args.sync_messages or (20000 if args.quick else 60000)
    rounds = args.rounds or (3 if args.quick else 7)
    r: dict = {}
    with tempfile.TemporaryDirectory(prefix="tobs-bench-api-") as tmp:
        tmp = Path(tmp)
        if not args.watch_only:
            progress(f"GetStatus with {args.chats} chats while {big} messages backfill ...")
            r.update(measure_status(tmp, args.chats, 20, big, args.calls))
        progress("WatchEvents: sync time with and without a watcher ...")
        r.update(measure_watch(tmp, sync_n, rounds))
    r["targets"] = {}
    if "get_status_p99_ms" in r:
        r["targets"]["get_status_p99_ms"] = {
            "value": r["get_status_p99_ms"], "op": "<", "bound": P99_TARGET_MS,
            "pass": r["get_status_p99_ms"] < P99_TARGET_MS}
    for key in ("watch_slowdown_ratio", "watch_cpu_ratio"):
        r["targets"][key] = {"value": r[key], "op": "<=", "bound": WATCH_TARGET,
                             "pass": r[key] <= WATCH_TARGET}
    r["machine"] = machine_info()
    if args.json:
        print(json.dumps(r))
    else:
        for key, value in r.items():
            if key not in ("machine", "targets"):
                print(f"{key:32} {value}")
        for name, t in r["targets"].items():
            print(f"{name:32} {t['value']} {t['op']} {t['bound']}: {'pass' if t['pass'] else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
