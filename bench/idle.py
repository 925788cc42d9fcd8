"""Benchmark: what tobsd costs at rest, with 8 live chats and nothing happening.

    .venv/bin/python bench/idle.py                    # 30 s window, table
    .venv/bin/python bench/idle.py --window 60 --json
    .venv/bin/python bench/idle.py --log-level debug  # also: how fast the log grows

fakegram serves 8 channels of 200 messages; a fresh tobsd syncs them until
every chat is live with its backfill done, then, after a settling pause, psutil
reads the CPU time (user + system, every thread) and the voluntary context
switches (wake-ups, of the main thread) of the daemon and of its vault
writer process over the window.
The peer, measured in the same run over the same window, is a plain Telethon
client connected to the same server with updates on, doing nothing: the
floor any Telethon-based daemon pays. Target: daemon + writer under 0.5% of
one core (`cpu_percent.total`).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from _fakegram import ROOT, FakegramProcess, project_env
from _tobsd import TobsdRun, toml_str, write_config

CHATS = 8
MESSAGES = 200
TARGET_PERCENT = 0.5

PEER = r"""
import asyncio, json, sys
from telethon import TelegramClient
from telethon.crypto import rsa
from telethon.sessions import StringSession
info = json.load(open(sys.argv[1]))
rsa.add_key(info["rsa_public_key_pem"], old=False)
async def main():
    client = TelegramClient(StringSession(info["session_string"]), info["api_id"],
                            info["api_hash"], receive_updates=True)
    await client.connect()
    await client.get_me()
    print("ready", flush=True)
    await asyncio.sleep(10**9)
asyncio.run(main())
"""


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def world_file(tmp: Path) -> Path:
    chats = "\n".join(f'[[chats]]\nkind = "synthetic"\ntitle = "Idle {i}"\n'
                      f'username = "idle_chan_{i}"\ncount = {MESSAGES}\n' for i in range(1, CHATS + 1))
    path = tmp / "idle-world.toml"
    path.write_text(f'seed = 11\nnow = 1760000000\nhome_dc = 2\n\n[me]\nid = 1000\n'
                    f'first_name = "Ada"\nphone = "15550001000"\n\n{chats}')
    return path


class Usage:
    """CPU seconds and voluntary context switches of a set of processes."""

    def __init__(self, procs: dict[str, psutil.Process]):
        self.procs = procs

    def read(self) -> dict[str, tuple[float, int]]:
        out = {}
        for name, proc in self.procs.items():
            times, switches = proc.cpu_times(), proc.num_ctx_switches()
            out[name] = (times.user + times.system, switches.voluntary)
        return out


def measure(window: float, settle: float, log_level: str, tmp: Path) -> dict:
    with FakegramProcess(sys.executable, str(world_file(tmp)), tmp / "fakegram-state",
                         tmp / "fakegram") as fg:
        config = write_config(tmp / "tobsd", fg, workers=4, chat="@idle_chan_1",
                              log_level=log_level)
        extra = "".join(f"\n[[chats]]\nchat = {toml_str(f'@idle_chan_{i}')}\n"
                        for i in range(2, CHATS + 1))
        config.write_text(config.read_text() + extra)
        run = TobsdRun(config).start()
        peer = subprocess.Popen([sys.executable, "-c", PEER, str(fg.ready_file)], cwd=ROOT,
                                env=project_env(), stdout=subprocess.PIPE, text=True)
        try:
            status = run.wait_live(timeout=300)
            assert len(status["chats"]) == CHATS, status
            assert peer.stdout.readline().strip() == "ready"
            progress(f"{CHATS} chats live; settling {settle:.0f} s, then measuring {window:.0f} s")
            time.sleep(settle)
            daemon = psutil.Process(run.proc.pid)
            writers = [c for c in daemon.children() if "writer_process" in " ".join(c.cmdline())]
            assert len(writers) == 1, "the vault writer process was not found"
            usage = Usage({"daemon": daemon, "writer": writers[0], "peer": psutil.Process(peer.pid)})
            log_before = run.log_path.stat().st_size
            before, started = usage.read(), time.monotonic()
            time.sleep(window)
            after, elapsed = usage.read(), time.monotonic() - started
            log_growth = run.log_path.stat().st_size - log_before
            still = run.status()
            assert still and all(c["state"] == "live" for c in still["chats"]), still
        finally:
            peer.kill()
            peer.wait()
            run.stop()
    cpu = {name: round(100 * (after[name][0] - before[name][0]) / elapsed, 3) for name in after}
    wakeups = {name: round((after[name][1] - before[name][1]) / elapsed, 1) for name in after}
    total = round(cpu["daemon"] + cpu["writer"], 3)
    return {
        "benchmark": "idle", "chats": CHATS, "messages_per_chat": MESSAGES,
        "window_s": round(elapsed, 1), "log_level": log_level,
        "cpu_percent": {"daemon": cpu["daemon"], "writer": cpu["writer"], "total": total,
                        "peer_telethon": cpu["peer"]},
        "wakeups_per_s": {"daemon": wakeups["daemon"], "writer": wakeups["writer"],
                          "peer_telethon": wakeups["peer"]},
        "ratio_total_to_peer": round(total / cpu["peer"], 2) if cpu["peer"] else None,
        "log_bytes_per_s": round(log_growth / elapsed, 1),
        "target_percent": TARGET_PERCENT, "target_met": total < TARGET_PERCENT,
        "cpus": psutil.cpu_count(), "load_1m": round(psutil.getloadavg()[0], 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--window", type=float, default=30.0, help="seconds measured (30)")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds after live (5)")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tobs-idle-") as tmp:
        result = measure(args.window, args.settle, args.log_level, Path(tmp))
    if args.json:
        print(json.dumps(result))
    else:
        cpu, wake = result["cpu_percent"], result["wakeups_per_s"]
        print(f"{'process':<16}{'CPU %':>8}{'wake-ups/s':>12}")
        for name in ("daemon", "writer", "peer_telethon"):
            print(f"{name:<16}{cpu[name]:>8.3f}{wake[name]:>12.1f}")
        print(f"{'daemon+writer':<16}{cpu['total']:>8.3f}   target < {TARGET_PERCENT}%: "
              f"{'met' if result['target_met'] else 'NOT met'}")
        print(f"log growth: {result['log_bytes_per_s']} bytes/s at {result['log_level']}")
    return 0 if result["target_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
