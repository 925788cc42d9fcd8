"""Run fakegram as a child process for a benchmark, under a chosen Python.

Peers that pin an older Telethon (tg-archive) need the server to speak
their layer, and fakegram builds its TL objects from whatever Telethon the
interpreter has installed; so the server is started under the peer's own
interpreter with the project on PYTHONPATH.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fakegram.control import ControlClient  # noqa: E402


def project_env() -> dict:
    """The environment for a child that must import the project's packages."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


class FakegramProcess:
    """`python -m fakegram serve` with a ready file; `ready` holds its JSON.

    The state folder keeps the RSA key and the registered auth keys, so
    sharing it between servers of one run keeps every session valid and
    skips the key generation the second time."""

    def __init__(self, python: str, world: str, state_dir: Path, workdir: Path,
                 rtt_ms: float = 0):
        self.python, self.world, self.rtt_ms = python, world, rtt_ms
        self.state_dir, self.workdir = Path(state_dir), Path(workdir)
        self.ready_file = self.workdir / "fakegram-ready.json"
        self.log_path = self.workdir / "fakegram.log"
        self.proc: subprocess.Popen | None = None
        self.ready: dict = {}
        self.control: ControlClient | None = None

    def start(self, timeout: float = 120) -> "FakegramProcess":
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.ready_file.unlink(missing_ok=True)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.python, "-m", "fakegram", "serve", "--world", self.world,
             "--rtt-ms", str(self.rtt_ms), "--state-dir", str(self.state_dir),
             "--ready-file", str(self.ready_file)],
            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=project_env())
        log.close()
        deadline = time.monotonic() + timeout
        while not self.ready_file.exists():
            if self.proc.poll() is not None:
                raise RuntimeError(f"fakegram exited ({self.proc.returncode}):\n{self.log()[-2000:]}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("fakegram did not become ready in time")
            time.sleep(0.05)
        self.ready = json.loads(self.ready_file.read_text())
        self.control = ControlClient(self.ready["control"])
        return self

    def write_session(self, out: Path) -> Path:
        """A Telethon session file of the world's user, written by the
        server's own interpreter (so its format matches that Telethon)."""
        out.parent.mkdir(parents=True, exist_ok=True)
        if self.python == sys.executable:
            from fakegram.testing import write_session_file
            return Path(write_session_file(self.ready["session_string"], out))
        result = subprocess.run(
            [self.python, "-m", "fakegram", "session", "--ready-file", str(self.ready_file),
             "--out", str(out)],
            cwd=ROOT, env=project_env(), capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"fakegram session failed: {result.stderr[-2000:]}")
        return Path(result.stdout.strip().splitlines()[-1])

    def last_request_seq(self) -> int:
        """The request-log position now, for counting what comes after it."""
        log = self.control.requests(since=0)
        return log[-1]["seq"] if log else 0

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def __enter__(self) -> "FakegramProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
