"""Benchmark: tobsd's media downloads against Telethon's `download_media`, in one run.

    python bench/media.py                         # 48 MiB file, RTT 100 ms (about 2 minutes)
    python bench/media.py --size-mb 200           # the full run: a 200 MiB file
    python bench/media.py --json                  # one JSON object on stdout

fakegram serves `--world media:SIZE` (fakegram/world/media_bench.py): a
document of SIZE MiB on DC 4 (the account's home is DC 2), a channel full
of reposts, and a text channel. In this order:

1. throughput at RTT `--rtt-ms`: a fresh tobsd follows @bigfile and
   @synthetic; its download is timed from its partial file appearing in the
   state folder to the file landing in the vault (both polled every 10 ms);
   while the file downloads, 60 text posts to @synthetic are timed until
   they are in the index (the live latency during a large media backfill);
2. Telethon's `client.download_media` of the same message in its own
   process at the same RTT, timed around the call only;
3. resume: a fresh tobsd at RTT `--rtt-ms` is killed with SIGKILL once a
   third of the parts are recorded, restarted at RTT 0, and the parts
   fetched beyond the file's own count are counted from fakegram's request
   log (target: at most one per parallel stream);
4. dedup: a fresh tobsd at RTT 0 follows @reposts; bytes fetched (the
   daemon's status) against bytes the notes link to.

5. processing throughput (bench/media_processing.py's quick corpus on the
   CPU pool, one worker, and the GPU when detection finds one), under the
   key `processing` (`--skip-processing` leaves it out).

Progress goes to stderr.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _fakegram import FakegramProcess  # noqa: E402
from _report import fmt, machine_info  # noqa: E402
from _steady import percentile  # noqa: E402
from _tobsd import TobsdRun, stop_quietly, write_config  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
PART = MIB
TARGETS = {
    "download_vs_download_media": ("ratio_vs_download_media", ">=", 5.0),
    "resume_refetched_parts_per_stream": ("resume_refetched_per_stream", "<=", 1.0),
    "live_latency_p99_s": ("live_latency_p99_s", "<=", 1.0),
}


def progress(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def config_for(base: Path, fg: FakegramProcess, chats: list[str]) -> Path:
    path = write_config(base, fg, workers=6, chat=chats[0])
    extra = "".join(f'\n[[chats]]\nchat = "{c}"\n' for c in chats[1:])
    path.write_text(path.read_text() + extra)
    return path


def wait(predicate, timeout: float, what: str, run: TobsdRun | None = None, interval: float = 0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if run is not None and run.proc.poll() is not None:
            raise RuntimeError(f"tobsd exited waiting for {what}:\n{run.log()[-2000:]}")
        time.sleep(interval)
    raise RuntimeError(f"timed out waiting for {what}" + (f":\n{run.log()[-2000:]}" if run else ""))


def landed(vault: Path, size: int) -> Path | None:
    for path in vault.rglob("*big*.bin"):
        if path.stat().st_size == size:
            return path
    return None


def partials(state: Path) -> list[Path]:
    folder = state / "media-partial"
    return list(folder.glob("*.parts")) if folder.is_dir() else []


def recorded_parts(state: Path) -> int:
    return sum(p.read_bytes().count(b"\n") for p in partials(state))


def successful_getfile(fg: FakegramProcess, since: int) -> tuple[int, int]:
    """(successful upload.getFile requests after log position `since`, the new position)."""
    rows = fg.control.requests(since=since, method="upload.getFile")
    last = max((r.get("seq", since) for r in rows), default=since)
    return sum(1 for r in rows if not r.get("error")), last


def live_posts(fg: FakegramProcess, run: TobsdRun, posts: int, busy) -> list[float]:
    """Post to @synthetic while `busy()`; seconds each took to reach the index."""
    import sqlite3
    db = sqlite3.connect(f"file:{run.state_dir / 'tobsd.db'}?mode=ro", uri=True, timeout=5)
    chat_id = next(c["id"] for c in run.status()["chats"] if c["title"] == "Synthetic")
    latencies: list[float] = []
    try:
        for i in range(posts):
            if not busy():
                break
            answer = fg.control.post("@synthetic", f"live during media {i}")
            sent = time.perf_counter()
            deadline = sent + 10
            while time.perf_counter() < deadline:
                row = db.execute("SELECT 1 FROM message_index WHERE chat_id = ? AND msg_id = ?",
                                 (int(chat_id), answer["id"])).fetchone()
                if row:
                    latencies.append(time.perf_counter() - sent)
                    break
                time.sleep(0.005)
            else:
                latencies.append(math.inf)
            time.sleep(0.02 + (i % 4) * 0.01)
    finally:
        db.close()
    return latencies


def phase_throughput(r: dict, fg: FakegramProcess, tmp: Path, size: int, rtt: int) -> None:
    fg.control.set_rtt(rtt)
    run = TobsdRun(config_for(tmp / "tobsd-speed", fg, ["@synthetic", "@bigfile"]))
    progress(f"tobsd: {size // MIB} MiB from DC 4 at RTT {rtt} ms")
    run.start()
    try:
        wait(lambda: partials(run.state_dir), 300, "the download to start", run)
        started = time.perf_counter()
        wait(lambda: (run.status() or {}).get("chats") and all(
            c["state"] == "live" for c in run.status()["chats"]), 120, "the chats live", run, 0.05)
        latencies = live_posts(fg, run, 60, lambda: landed(run.vault, size) is None)
        path = wait(lambda: landed(run.vault, size), 3600, "the file in the vault", run)
        seconds = time.perf_counter() - started
        r.update(tobsd_seconds=seconds, tobsd_mb_per_s=size / MIB / seconds)
        r["live_posts_during_download"] = len(latencies)
        r["live_latency_p50_s"] = percentile(latencies, 50)
        r["live_latency_p99_s"] = percentile(latencies, 99)
        if len(latencies) < 20:
            r["notes"].append(f"only {len(latencies)} live posts fitted in the download: "
                              "the latency percentiles rest on few samples")
        r["tobsd_file_ok"] = path.stat().st_size == size
    finally:
        stop_quietly(run)


def phase_peer(r: dict, fg: FakegramProcess, tmp: Path, size: int, rtt: int) -> None:
    fg.control.set_rtt(rtt)
    session = fg.write_session(tmp / "peer" / "peer.session")
    out = tmp / "peer" / "big.bin"
    progress(f"Telethon download_media at RTT {rtt} ms")
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "_download_media.py"),
                             "--ready-file", str(fg.ready_file), "--session", str(session),
                             "--out", str(out)], capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        r["notes"].append(f"download_media failed: {result.stderr[-800:]}")
        return
    peer = json.loads(result.stdout.strip().splitlines()[-1])
    if peer["bytes"] != size:
        r["notes"].append(f"download_media wrote {peer['bytes']} bytes of {size}")
        return
    r.update(download_media_seconds=peer["seconds"], download_media_mb_per_s=size / MIB / peer["seconds"])
    out.unlink()


def phase_resume(r: dict, fg: FakegramProcess, tmp: Path, size: int, rtt: int) -> None:
    parts = math.ceil(size / PART)
    fg.control.set_rtt(rtt)
    _, mark = successful_getfile(fg, 0)
    run = TobsdRun(config_for(tmp / "tobsd-resume", fg, ["@bigfile"]))
    progress(f"resume: kill -9 after {parts // 3} of {parts} parts")
    run.start()
    try:
        wait(lambda: recorded_parts(run.state_dir) >= parts // 3, 600, "a third of the parts", run)
    finally:
        run.proc.send_signal(signal.SIGKILL)
        run.proc.wait(10)
        run.rss.stop()
    held = recorded_parts(run.state_dir)
    before, mark = successful_getfile(fg, mark)
    fg.control.set_rtt(0)
    run = TobsdRun(run.config)
    run.start()
    try:
        wait(lambda: landed(run.vault, size), 600, "the resumed file in the vault", run)

        def resumed():   # the status snapshot is refreshed every second
            s = run.status() or {}
            return s if int(((s.get("daemon") or {}).get("media") or {}).get("files_stored", 0)) else None
        status = wait(resumed, 30, "the status to count the landed file", run, 0.1)
    finally:
        stop_quietly(run)
    after, _ = successful_getfile(fg, mark)
    refetched = before + after - parts
    r.update(resume_parts=parts, resume_parts_held_at_kill=held, resume_parts_fetched_before_kill=before,
             resume_parts_fetched_after=after, resume_refetched_parts=refetched,
             resume_streams=r["streams_per_dc"],
             resume_refetched_per_stream=refetched / r["streams_per_dc"],
             resume_parts_resumed_reported=int(((status.get("daemon") or {}).get("media") or {})
                                               .get("parts_resumed", 0)))


def phase_dedup(r: dict, fg: FakegramProcess, tmp: Path) -> None:
    fg.control.set_rtt(0)
    run = TobsdRun(config_for(tmp / "tobsd-dedup", fg, ["@reposts"]))
    progress("dedup: a channel of reposts")
    run.start()
    try:
        def done():
            s = run.status()
            chats = (s or {}).get("chats") or []
            media = chats[0].get("media") if chats else None
            return s if media and int(media.get("done", 0)) > 0 and not int(media.get("queued", 0)) else None
        status = wait(done, 600, "every repost's media", run, 0.1)
    finally:
        stop_quietly(run)
    media = status["daemon"]["media"]
    fetched, referenced = int(media["bytes_fetched"]), int(media["referenced_bytes"])
    r.update(dedup_files_linked=int(status["chats"][0]["media"]["done"]),
             dedup_bytes_fetched=fetched, dedup_bytes_referenced=referenced,
             dedup_bytes_stored=int(media["stored_bytes"]),
             dedup_saving_ratio=referenced / fetched if fetched else None,
             dedup_by_id=int(media["dedup_by_id"]), dedup_by_content=int(media["dedup_by_content"]))


def run(args) -> dict:
    size = int(args.size_mb * MIB)
    r = {"benchmark": "media", "size_mb": args.size_mb, "rtt_ms": args.rtt_ms, "notes": [],
         "machine": machine_info(), "streams_per_dc": 4}
    for key in ("tobsd_mb_per_s", "download_media_mb_per_s", "live_latency_p99_s",
                "resume_refetched_per_stream", "dedup_saving_ratio"):
        r[key] = None
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tobs-bench-media-") as tmp_name:
        tmp = Path(tmp_name)
        world = f"media:{args.size_mb:g}"
        progress(f"fakegram: {world}")
        with FakegramProcess(sys.executable, world, tmp / "fakegram-state", tmp / "fakegram") as fg:
            for name, phase in (("throughput", lambda: phase_throughput(r, fg, tmp, size, args.rtt_ms)),
                                ("download_media", lambda: phase_peer(r, fg, tmp, size, args.rtt_ms)),
                                ("resume", lambda: phase_resume(r, fg, tmp, size, args.rtt_ms)),
                                ("dedup", lambda: phase_dedup(r, fg, tmp))):
                try:
                    phase()
                except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
                    r["notes"].append(f"{name} failed: {str(exc)[:800]}")
    if args.skip_processing:
        r["notes"].append("processing throughput not measured (--skip-processing)")
    else:
        progress("processing throughput (bench/media_processing.py, quick corpus)")
        try:
            from media_processing import processing_throughput
            r["processing"] = processing_throughput(quick=True)
        except Exception as exc:   # reported, the download numbers stand
            r["notes"].append(f"processing throughput failed: {type(exc).__name__}: {str(exc)[:300]}")
    r["notes"].append(f"tobsd uses {r['streams_per_dc']} parallel 1 MiB part requests per DC "
                      "(fakegram's app config allows 5, [limits] connections_per_dc caps at 4)")
    r["duration_s"] = time.perf_counter() - started
    tobsd, peer = r.get("tobsd_mb_per_s"), r.get("download_media_mb_per_s")
    r["ratio_vs_download_media"] = tobsd / peer if tobsd and peer else None
    r["targets"] = {}
    for name, (key, op, bound) in TARGETS.items():
        value = r.get(key)
        passed = None if value is None else (value >= bound if op == ">=" else value <= bound)
        r["targets"][name] = {"value": value, "op": op, "bound": bound, "pass": passed}
    return r


def table(r: dict) -> str:
    rows = [
        ("file", f"{r['size_mb']:g} MiB on DC 4, RTT {r['rtt_ms']} ms"),
        ("tobsd", fmt(r.get("tobsd_mb_per_s"), " MiB/s", 1)),
        ("Telethon download_media", fmt(r.get("download_media_mb_per_s"), " MiB/s", 1)),
        ("ratio", fmt(r.get("ratio_vs_download_media"), "x", 2)),
        ("live latency p50 / p99 during the download",
         f"{fmt(r.get('live_latency_p50_s'), ' s', 3)} / {fmt(r.get('live_latency_p99_s'), ' s', 3)}"),
        ("resume: parts refetched (per stream)",
         f"{fmt(r.get('resume_refetched_parts'))} ({fmt(r.get('resume_refetched_per_stream'), '', 2)})"),
        ("processing, CPU pool / one worker",
         f"{fmt((r.get('processing') or {}).get('cpu', {}).get('files_per_s'), ' files/s', 2)} / "
         f"{fmt((r.get('processing') or {}).get('one_worker', {}).get('files_per_s'), ' files/s', 2)}"),
        ("dedup: bytes fetched / referenced",
         f"{fmt(r.get('dedup_bytes_fetched'))} / {fmt(r.get('dedup_bytes_referenced'))}"
         f"  ({fmt(r.get('dedup_saving_ratio'), 'x', 1)})"),
    ]
    width = max(len(n) for n, _ in rows)
    lines = ["TOBS media benchmark", ""] + [f"  {n:<{width}}  {v}" for n, v in rows] + ["", "  targets:"]
    for name, t in r["targets"].items():
        mark = {True: "PASS", False: "FAIL", None: "n/a "}[t["pass"]]
        lines.append(f"    {mark}  {name:<36} {fmt(t['value'], '', 3):>10} {t['op']} {t['bound']:g}")
    lines += ["", "  notes:"] + [f"    - {n}" for n in r["notes"]]
    lines.append(f"\n  run took {r['duration_s']:.0f} s on {r['machine']['cpu_count']} CPUs")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size-mb", type=float, default=48, help="the big file's size in MiB (full run: 200)")
    p.add_argument("--rtt-ms", type=int, default=100)
    p.add_argument("--json", action="store_true", help="print one JSON object, nothing else")
    p.add_argument("--skip-processing", action="store_true", help="leave out processing throughput")
    args = p.parse_args(argv)
    result = run(args)
    print(json.dumps(result, indent=1, default=str) if args.json else table(result))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
