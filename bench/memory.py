"""Benchmark: tobsd's peak memory while it syncs one very large channel.

    .venv/bin/python bench/memory.py                       # 1,000,000 messages (10-15 minutes on 2 cores)
    .venv/bin/python bench/memory.py --messages 100000 --json

fakegram serves `synthetic:N` (one channel, ids 1..N) at RTT 0; a fresh
tobsd (default 6 requests in flight) syncs all of it. psutil samples the
resident set size of tobsd and of its vault writer process every 100 ms;
the peak of their sum is the number that counts (`peak_rss_mb`, target
under 250 MB for a million messages). The run ends when tobsd's status
shows the chat live with its backfill done and every message indexed.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from _fakegram import FakegramProcess
from _tobsd import TobsdRun, write_config

TARGET_MB = 250


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def measure(n: int, workers: int, tmp: Path) -> dict:
    with FakegramProcess(sys.executable, f"synthetic:{n}", tmp / "fakegram-state",
                         tmp / "fakegram") as fg:
        config = write_config(tmp / "tobsd", fg, workers=workers)
        run = TobsdRun(config).start()
        samples: list[tuple[float, int]] = []
        try:
            deadline = time.monotonic() + max(600, n / 200)
            while time.monotonic() < deadline:
                done = run.indexed()
                samples.append((time.perf_counter() - run.started_at, done))
                if done >= n:
                    break
                if run.proc.poll() is not None:
                    raise RuntimeError(f"tobsd exited:\n{run.log()[-3000:]}")
                time.sleep(1)
                if len(samples) % 30 == 0:
                    progress(f"{done:,} / {n:,} messages, peak {run.rss.peak / 2**20:.0f} MB")
            finished = run.wait_synced(n, timeout=300, watch_index=False)
        finally:
            peak = run.stop()
    seconds = finished["status_s"]
    return {"messages": n, "requests_in_flight": workers, "seconds": round(seconds, 1),
            "msgs_per_s": round(n / seconds), "peak_rss_mb": round(peak / 2**20, 1),
            "target_mb": TARGET_MB, "pass": peak / 2**20 < TARGET_MB}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=6)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tobs-memory-") as tmp:
        result = measure(args.messages, args.workers, Path(tmp))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>20}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
