"""Run a real tobsd process against an in-process fakegram, for daemon tests
(and the crash tests): write its config and session, start it, watch its
status through the control API (the same client and JSON as `tobsctl --json
status`), stop it with SIGTERM or kill it with SIGKILL."""
from __future__ import annotations

import asyncio
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from fakegram.server import API_HASH, API_ID, Server
from fakegram.testing import write_session_file
from tobs.v1 import pb
from tobsctl.client import Client, Failure
from tobsctl.jsonout import to_json

from tests.conditions import slack

ROOT = Path(__file__).resolve().parents[1]


def toml_str(value: str) -> str:
    return json.dumps(value)   # a JSON string is a valid TOML basic string


MAX_SOCKET_PATH = 100


def socket_path(base: Path) -> Path:
    """The control socket for a test folder: in it when the path is short
    enough for a Unix socket, else in a folder of the temp dir named after it."""
    path = Path(base) / "tobsd.sock"
    if len(os.fsencode(path)) <= MAX_SOCKET_PATH:
        return path
    tag = hashlib.sha1(os.fsencode(Path(base).resolve())).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"tobs-{tag}" / "tobsd.sock"


def flat_status(status: dict) -> dict:
    """`tobsctl --json status` as the flat dict the daemon tests read:
    state, pid, chats (error None when empty, verify None when not
    verifying), source (takeout, flood waits, pacing), catch_up."""
    daemon = status["daemon"]
    chats = [{**c, "error": c["error"] or None, "id": c["id"] or None,
              "verify": c.get("verify")} for c in status["chats"]]
    return {"state": daemon["state"], "pid": daemon["pid"], "error": daemon["error"] or None,
            "chats": chats, "unresolved": status["unresolved"], "catch_up": daemon.get("catch_up"),
            "source": {"takeout": daemon["takeout"], "needs_login": daemon["state"] == "needs-login",
                       "flood_waits": {w["key"]: w["seconds_left"] for w in daemon["flood_waits"]},
                       "pacing": {p["key"]: {k: v for k, v in p.items() if k != "key"}
                                  for p in daemon["pacing"]}},
            "daemon": daemon}


def write_config(base: Path, server: Server, chats: list[str], *, extra: str = "",
                 workers: int = 4, daemon: str = "check_every_s = 2") -> Path:
    """A tobsd.toml for `server`, with the vault in base/vault and the state
    in base/state; `daemon`: more [daemon] keys."""
    (base / "vault").mkdir(parents=True, exist_ok=True)
    state = base / "state"
    state.mkdir(parents=True, exist_ok=True)
    session = state / "tobsd.session"
    if not session.exists():
        write_session_file(server.session_string(), session)
    dcs = ", ".join(f'"{dc}" = "{host}:{port}"' for dc, host, port in server.dc_options())
    chat_tables = "\n".join(f"[[chats]]\nchat = {toml_str(c)}\n" for c in chats)
    text = f"""
api_id = {API_ID}
api_hash = {toml_str(API_HASH)}
session = {toml_str(str(session))}

[vault]
path = {toml_str(str(base / "vault"))}

[daemon]
state_dir = {toml_str(str(state))}
socket = {toml_str(str(socket_path(base)))}
log_level = "info"
{daemon}

[limits]
backfill_requests_in_flight = {workers}

[telegram]
dc = {{ {dcs} }}
rsa_public_key = {toml_str(server.rsa_key.public_pem)}

{chat_tables}
{extra}
"""
    path = base / "tobsd.toml"
    path.write_text(text)
    return path


class Ran:
    def __init__(self, code: int, stdout: str, stderr: str):
        self.returncode, self.stdout, self.stderr = code, stdout, stderr

    def json(self):
        return json.loads(self.stdout)

    def __repr__(self) -> str:
        return f"<tobsctl exit {self.returncode}: {self.stdout[-800:]!r} {self.stderr[-800:]!r}>"


async def run_tobsctl(*args: str, timeout: float = 60, env: dict | None = None) -> Ran:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tobsctl", *args, cwd=ROOT, env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), slack(timeout))
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError(f"tobsctl {' '.join(args)} did not finish in {slack(timeout):g} s")
    return Ran(proc.returncode, out.decode(), err.decode())


@dataclass(frozen=True)
class ChatProgress:
    """One chat's reported sync progress."""
    state: str
    indexed: int          # messages in the index (deleted ones included)
    backfill_done: bool


class TobsdProcess:
    """One `python -m tobsd run` child process."""

    def __init__(self, config: Path, env: dict | None = None, prefix: list[str] | None = None,
                 socket: Path | None = None):
        self.config = Path(config)
        self.prefix = list(prefix or [])   # a wrapper command, such as the unit sandbox
        self.state_dir = self.config.parent / "state"
        # Where write_config puts it, unless the test's config leaves it to tobsd's default.
        self.socket = Path(socket) if socket else socket_path(self.config.parent)
        self.log_path = self.config.parent / "tobsd.log"
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen | None = None
        self._client: Client | None = None

    def start(self) -> "TobsdProcess":
        self._drop_client()
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([*self.prefix, sys.executable, "-m", "tobsd", "run",
                                      "--config", str(self.config)],
                                     stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=self.env)
        log.close()
        return self

    def status(self) -> dict | None:
        """The daemon's status through the API, or None while it does not
        answer. The connection is kept between calls (the test's event loop,
        where fakegram serves, waits while a call is made). The one place
        tests read the status: every other look (wait_for, progress) goes
        through here."""
        try:
            if self._client is None:
                self._client = Client.connect(self.socket)
            return flat_status(to_json(self._client.call("GetStatus", pb.GetStatusRequest(),
                                                         timeout=10)))
        except Failure:
            self._drop_client()
            return None

    def _drop_client(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    async def tobsctl(self, *args: str, timeout: float = 60) -> "Ran":
        """Run the real `tobsctl` command against this daemon (without
        blocking the event loop, where an in-process fakegram may serve)."""
        return await run_tobsctl("--socket", str(self.socket), *args, timeout=timeout)

    def progress(self) -> dict[str, ChatProgress]:
        """Per chat title, what this process last reported of its sync
        (empty until it reports; a status left by an earlier process is
        not this one's)."""
        status = self.status()
        if status is None or self.proc is None or status.get("pid") != self.proc.pid:
            return {}
        return {c["title"]: ChatProgress(c["state"], c["indexed"], bool(c["backfill_done"]))
                for c in status.get("chats", [])}

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    async def wait_for(self, predicate, timeout: float = 60, what: str = "condition") -> dict:
        """Poll the daemon's status until predicate(status) is true."""
        deadline = time.monotonic() + slack(timeout)
        while time.monotonic() < deadline:
            status = self.status()
            if status is not None and status.get("pid") == self.proc.pid and predicate(status):
                return status
            if self.proc.poll() is not None:
                raise AssertionError(f"tobsd exited ({self.proc.returncode}) waiting for {what}:\n"
                                     + self.log()[-4000:])
            await asyncio.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; status {self.status()}\n"
                             + self.log()[-4000:])

    async def wait_synced(self, chats: int, timeout: float = 90) -> dict:
        return await self.wait_for(
            lambda s: s["state"] == "running" and len(s["chats"]) == chats
            and all(c["state"] in ("live", "error") for c in s["chats"]),
            timeout, f"{chats} chats live")

    async def terminate(self, timeout: float = 30) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return await self._wait(timeout)

    async def kill(self) -> None:
        self.proc.kill()
        await self._wait(10)

    async def _wait(self, timeout: float) -> int:
        self._drop_client()
        deadline = time.monotonic() + slack(timeout)
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                self.proc.kill()
                raise AssertionError("tobsd did not stop in time:\n" + self.log()[-4000:])
            await asyncio.sleep(0.05)
        return self.proc.returncode
