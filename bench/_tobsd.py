"""Drive a real `python -m tobsd run` for the sync benchmark.

`TobsdRun` writes the config for a running fakegram (from its ready file),
starts tobsd, samples its RSS, and tells when the chat is synced. "Synced"
is read from what tobsd itself publishes through its control API (GetStatus,
the same client and JSON as `tobsctl --json status`): the chat `live` with
`backfill_done` and `indexed` equal to the world's count (tobsd refreshes
its status as soon as a chat's state changes, and once a second besides). The benchmark also polls tobsd's SQLite index (read-only)
and records when it first held every message, since an index row is
committed only after its note is durably in the vault.
"""
from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from _fakegram import ROOT, FakegramProcess, project_env
from tobs.v1 import pb
from tobsctl.client import Client, Failure
from tobsctl.jsonout import to_json

POLL_S = 0.05


def toml_str(value: str) -> str:
    return json.dumps(value)   # a JSON string is a valid TOML basic string


def write_config(base: Path, fg: FakegramProcess, *, workers: int, chat: str | None = "@synthetic",
                 log_level: str = "info", daemon: str = "") -> Path:
    """tobsd.toml for `fg`, vault in base/vault, state in base/state; the
    session file is written once and kept (a restart reuses everything).
    `chat` None: every dialog (`[sync] all = true`). `daemon`: more [daemon] keys."""
    (base / "vault").mkdir(parents=True, exist_ok=True)
    state = base / "state"
    state.mkdir(parents=True, exist_ok=True)
    session = state / "tobsd.session"
    if not session.exists():
        fg.write_session(session)
    dcs = ", ".join(f'"{dc}" = "{host}:{port}"' for dc, (host, port) in fg.ready["dcs"].items())
    text = f"""api_id = {fg.ready['api_id']}
api_hash = {toml_str(fg.ready['api_hash'])}
session = {toml_str(str(session))}

[vault]
path = {toml_str(str(base / "vault"))}

[daemon]
state_dir = {toml_str(str(state))}
log_level = {toml_str(log_level)}
{daemon}

[limits]
backfill_requests_in_flight = {workers}

[telegram]
dc = {{ {dcs} }}
rsa_public_key = {toml_str(fg.ready['rsa_public_key_pem'])}

""" + (f"\n[[chats]]\nchat = {toml_str(chat)}\n" if chat else "\n[sync]\nall = true\n")
    path = base / "tobsd.toml"
    path.write_text(text)
    return path


class RssSampler(threading.Thread):
    """Samples the resident set size of a process and its children (tobsd
    and its vault writer process), summed, until stopped; `peak` in bytes."""

    def __init__(self, pid: int, interval: float = 0.1):
        super().__init__(daemon=True)
        self.proc = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                rss = self.proc.memory_info().rss
            except psutil.Error:
                return
            for child in self.proc.children(recursive=True):
                try:
                    rss += child.memory_info().rss
                except psutil.Error:
                    pass   # exited between the listing and the read
            self.peak = max(self.peak, rss)
            self._stop_event.wait(self.interval)

    def stop(self) -> int:
        self._stop_event.set()
        self.join(2)
        return self.peak


class TobsdRun:
    """One tobsd process over one config (state and vault next to it)."""

    def __init__(self, config: Path):
        self.config = Path(config)
        self.base = self.config.parent
        self.state_dir = self.base / "state"
        self.vault = self.base / "vault"
        self.log_path = self.base / "tobsd.log"
        self.proc: subprocess.Popen | None = None
        self.rss: RssSampler | None = None
        self.started_at = 0.0
        self._db: sqlite3.Connection | None = None
        self._client: Client | None = None

    @property
    def socket(self) -> Path:
        return self.state_dir / "tobsd.sock"

    def start(self) -> "TobsdRun":
        log = open(self.log_path, "ab")
        self.started_at = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-m", "tobsd", "run", "--config",
                                      str(self.config)],
                                     stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                     env=project_env())
        log.close()
        self.rss = RssSampler(self.proc.pid)
        self.rss.start()
        return self

    # --- what tobsd publishes ------------------------------------------------------------
    def status(self) -> dict | None:
        """`tobsctl --json status` of this run, with the daemon's state and
        pid also at the top; None while tobsd does not answer yet."""
        try:
            if self._client is None:
                self._client = Client.connect(self.socket)
            status = to_json(self._client.call("GetStatus", pb.GetStatusRequest(), timeout=10))
        except Failure:
            self._close_client()
            return None
        status.update(state=status["daemon"]["state"], pid=status["daemon"]["pid"])
        return status if status["pid"] == self.proc.pid else None

    def _close_client(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def indexed(self) -> int:
        """Messages in tobsd's index right now (a read-only look at its DB;
        the connection is kept, since opening one costs more than the count)."""
        try:
            if self._db is None:
                db_path = self.state_dir / "tobsd.db"
                if not db_path.exists():
                    return 0
                self._db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1)
            return self._db.execute("SELECT count(*) FROM message_index").fetchone()[0]
        except sqlite3.Error:
            return 0   # not created yet, or busy: try again on the next poll

    def _close_db(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def wait_synced(self, expected: int, timeout: float, watch_index: bool = True) -> dict:
        """Block until the status shows the chat live, backfilled and holding
        `expected` messages. Returns seconds from start to that status
        (`status_s`) and to the index first holding them (`index_s`)."""
        deadline = time.monotonic() + timeout
        index_s = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"tobsd exited ({self.proc.returncode}):\n{self.log()[-3000:]}")
            if watch_index and index_s is None and self.indexed() >= expected:
                index_s = time.perf_counter() - self.started_at
            status = self.status()
            if status is not None and synced(status, expected):
                status_s = time.perf_counter() - self.started_at
                return {"status_s": status_s, "index_s": index_s if index_s else status_s,
                        "status": status}
            time.sleep(POLL_S)
        raise RuntimeError(f"tobsd not synced in {timeout:.0f} s; status {self.status()}\n"
                           + self.log()[-3000:])

    def wait_live(self, timeout: float) -> dict:
        """Block until the status shows every chat live with its backfill done."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"tobsd exited ({self.proc.returncode}):\n{self.log()[-3000:]}")
            status = self.status()
            if status is not None and status.get("state") == "running" and status["chats"] and \
                    all(c["state"] == "live" and c.get("backfill_done") for c in status["chats"]):
                return status
            time.sleep(POLL_S)
        raise RuntimeError(f"tobsd not live in {timeout:.0f} s; status {self.status()}")

    def wait_media_settled(self, timeout: float) -> float:
        """Block until no download is queued or under way in any chat (the
        files of a backfill land after its messages); returns the seconds waited."""
        start = deadline = time.monotonic()
        deadline += timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"tobsd exited ({self.proc.returncode}):\n{self.log()[-3000:]}")
            status = self.status()
            if status is not None and media_settled(status):
                return time.monotonic() - start
            time.sleep(POLL_S)
        raise RuntimeError(f"tobsd's media not settled in {timeout:.0f} s; status {self.status()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM and wait (a clean stop); returns the peak RSS in bytes."""
        peak = self.rss.stop() if self.rss else 0
        self._close_db()
        self._close_client()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
                raise RuntimeError("tobsd did not stop within "
                                   f"{timeout:.0f} s of SIGTERM:\n{self.log()[-3000:]}")
        return peak


def media_settled(status: dict) -> bool:
    """Nothing queued for download in any chat and no download under way."""
    media = status["daemon"].get("media") or {}
    return not int(media.get("downloading", 0)) and \
        all(not int((c.get("media") or {}).get("queued", 0)) for c in status["chats"])


def synced(status: dict, expected: int) -> bool:
    chats = status.get("chats") or []
    return (status.get("state") == "running" and len(chats) == 1 and chats[0]["state"] == "live"
            and bool(chats[0].get("backfill_done")) and chats[0].get("indexed") == expected)


def run_backfill(base: Path, fg: FakegramProcess, *, expected: int, workers: int,
                 timeout: float) -> dict:
    """A fresh tobsd (empty state and vault) syncing the whole channel."""
    config = write_config(base, fg, workers=workers)
    server = psutil.Process(fg.proc.pid)
    server_cpu = cpu_seconds(server)
    run = TobsdRun(config).start()
    try:
        done = run.wait_synced(expected, timeout)
        daemon = psutil.Process(run.proc.pid)
        cpu = {"cpu_s_daemon": cpu_seconds(daemon),
               "cpu_s_writer": sum(cpu_seconds(c) for c in daemon.children(recursive=True)),
               "cpu_s_fakegram": cpu_seconds(server) - server_cpu}
    finally:
        peak = run.stop()
    return {"seconds": done["status_s"], "index_complete_s": done["index_s"],
            "msgs_per_s": expected / done["status_s"], "peak_rss_mb": peak / 2**20,
            "workers": workers, "base": base, **{k: round(v, 2) for k, v in cpu.items()}}


def cpu_seconds(proc: psutil.Process) -> float:
    """User + system CPU seconds a process has used so far (0 if it is gone)."""
    try:
        times = proc.cpu_times()
    except psutil.Error:
        return 0.0
    return times.user + times.system


def stop_quietly(run: TobsdRun) -> int:
    """Stop `run` if it is running, for cleanup paths; returns its peak RSS in bytes."""
    try:
        return run.stop()
    except RuntimeError:
        return run.rss.peak if run.rss else 0
