"""`make demo`: the demo world synced by a real tobsd, end to end.

Starts fakegram with its demo world and a tobsd process against it with
the vault in ./demo-vault and one chat in its configuration file; adds two
more chats with `tobsctl add`, follows the backfill with `tobsctl status
--watch`, then posts, edits and deletes messages through fakegram's control
endpoint while `tobsctl events --follow` shows them arriving, and checks
each change in the vault. Ctrl-C at any point stops everything it started.
Each run starts from a fresh demo vault (./demo-vault is the demo's own).
Everything the demo knows of tobsd's state it reads through tobsctl.
"""
from __future__ import annotations

import json
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from .control import ControlClient

ROOT = Path.cwd()
VAULT = ROOT / "demo-vault"
WORK = ROOT / ".fakegram-demo"
CONFIG_CHAT = "Analytical Society"                     # declared in tobsd.toml
ADDED_CHATS = ("@engine_builders", "@engineweekly")     # added with tobsctl
LIVE_CHAT = "Difference Engine Builders"


def socket_path() -> Path:
    """tobsd's control socket: in the demo's folder when the path is short
    enough for a Unix socket (107 bytes), else in the temp folder."""
    path = WORK / "tobsd.sock"
    if len(os.fsencode(path)) <= 100:
        return path
    tag = hashlib.sha1(os.fsencode(WORK)).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"tobs-demo-{tag}" / "tobsd.sock"


def say(text: str = "") -> None:
    print(text, flush=True)


def start_fakegram() -> tuple[subprocess.Popen, dict]:
    ready = WORK / "ready.json"
    proc = subprocess.Popen([sys.executable, "-m", "fakegram", "serve", "--world", "demo",
                             "--state-dir", str(WORK / "fakegram"), "--ready-file", str(ready)],
                            stdout=subprocess.DEVNULL, stderr=open(WORK / "fakegram.log", "wb"))
    deadline = time.monotonic() + 60
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("fakegram did not start; see .fakegram-demo/fakegram.log")
        time.sleep(0.05)
    return proc, json.loads(ready.read_text())


def write_tobsd_config(info: dict) -> Path:
    from .testing import write_session_file
    state = WORK / "tobsd"
    state.mkdir(parents=True, exist_ok=True)
    session = write_session_file(info["session_string"], state / "tobsd.session")
    dcs = ", ".join(f'"{dc}" = "{host}:{port}"' for dc, (host, port) in info["dcs"].items())
    config = WORK / "tobsd.toml"
    config.write_text(f"""# tobsd's configuration for the demo (see packaging/tobsd.example.toml)
api_id = {info['api_id']}
api_hash = {json.dumps(info['api_hash'])}
session = {json.dumps(session)}

[vault]
path = {json.dumps(str(VAULT))}

[daemon]
state_dir = {json.dumps(str(state))}
socket = {json.dumps(str(socket_path()))}
log_level = "warning"

[[chats]]
chat = {json.dumps(CONFIG_CHAT)}

[telegram]
dc = {{ {dcs} }}
rsa_public_key = {json.dumps(info['rsa_public_key_pem'])}
""")
    return config


def tobsctl_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "tobsctl", "--socket", str(socket_path()), *args]


def tobsctl(*args: str, show: bool = True, check: bool = True) -> subprocess.CompletedProcess:
    """Run tobsctl; print the command line and, when `show`, its output."""
    if show:
        say(f"$ tobsctl {' '.join(args)}")
    run = subprocess.run(tobsctl_argv(*args), text=True,
                         stdout=None if show else subprocess.PIPE,
                         stderr=None if show else subprocess.PIPE)
    if check and run.returncode != 0:
        raise SystemExit(f"tobsctl {' '.join(args)} failed (exit {run.returncode})"
                         + (f": {run.stderr.strip()}" if run.stderr else ""))
    return run


def wait_running(tobsd: subprocess.Popen, timeout: float = 60) -> dict:
    """Poll `tobsctl --json status` until tobsd is logged in and running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if tobsd.poll() is not None:
            raise SystemExit("tobsd stopped; see .fakegram-demo/tobsd.log")
        run = tobsctl("--json", "status", show=False, check=False)
        if run.returncode == 0:
            status = json.loads(run.stdout)
            if status["daemon"]["state"] == "running":
                return status
        time.sleep(0.2)
    raise SystemExit("tobsd did not start in time; see .fakegram-demo/tobsd.log")


def find_block(msg_id: int, chat_title: str, want) -> tuple[str, str] | None:
    """(note path, block text) of the message in the chat's folder, when want(block)."""
    from tobsd.vault.blocks import parse_note
    folder = VAULT / "Telegram" / chat_title
    for path in sorted(folder.rglob("*.md"), key=lambda p: p.stat().st_mtime, reverse=True)[:5]:
        for block in parse_note(path.read_text(encoding="utf-8")).blocks():
            if block.msg_id == msg_id and want(block):
                return str(path.relative_to(ROOT)), block.text()[0]
    return None


def wait_in_vault(what: str, msg_id: int, chat_title: str, want, timeout: float = 10) -> None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        found = find_block(msg_id, chat_title, want)
        if found:
            say(f"  {what}: in the vault after {(time.monotonic() - started) * 1000:.0f} ms"
                f" -> {found[0]}")
            return
        time.sleep(0.02)
    say(f"  {what}: NOT in the vault after {timeout:.0f} s")


def live_changes(control: ControlClient, chat_title: str) -> None:
    chat = [c for c in control.state()["chats"] if c["title"] == chat_title][0]
    ref = [chat["family"], chat["id"]]
    say(f"\nLive changes in \"{chat_title}\", made through fakegram's control endpoint:")
    posts = []
    for text in ("Live from the demo: tobsd follows new messages.",
                 "A second one, with **Markdown-looking** text that stays text.",
                 "And a third, to be deleted."):
        posted = control.post(ref, text)
        posts.append(posted["id"])
        wait_in_vault(f"new message {posted['id']}", posted["id"], chat_title,
                      lambda b, t=text: b.text()[0] == t)
    control.edit(ref, posts[0], "Live from the demo: edited after posting.")
    wait_in_vault(f"edit of {posts[0]}", posts[0], chat_title,
                  lambda b: b.text()[0].startswith("Live from the demo: edited"))
    control.delete(ref, [posts[2]])
    wait_in_vault(f"deletion of {posts[2]}", posts[2], chat_title, lambda b: b.deleted_mark)


class EventRelay:
    """Prints what `tobsctl events --follow --json` streams, one line per
    event, from a thread; the stream's first event (the daemon's state)
    arrives before the constructor returns, so nothing after is missed."""

    def __init__(self, proc: subprocess.Popen, timeout: float = 30):
        self.proc = proc
        self.seen: list[dict] = []
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        self.wait_for(lambda ev: True, timeout)

    def _read(self) -> None:
        for line in self.proc.stdout:
            ev = json.loads(line)
            say("  event: " + describe(ev))
            with self.cond:
                self.seen.append(ev)
                self.cond.notify_all()

    def wait_for(self, pred, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not any(pred(ev) for ev in self.seen):
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    say("  (the expected event did not come)")
                    return
                self.cond.wait(left)


def describe(ev: dict) -> str:
    if ev.get("chat_state"):
        c = ev["chat_state"]
        return f"{c['title']}: {c['state']}" + (f" ({c['error']})" if c["error"] else "")
    if ev.get("progress"):
        p = ev["progress"]
        return f"{p['title']}: {p['indexed']} messages, {p['written']} written since start"
    if ev.get("daemon_state"):
        return f"tobsd {ev['daemon_state']['state']}"
    return json.dumps(ev)


def stop(proc: subprocess.Popen | None, name: str) -> None:
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            say(f"{name} did not stop in 30 s; killing it")
            proc.kill()


EMBED = re.compile(r"!?\[\[([^\]|#]+)(?:\|[^\]]*)?\]\]")


def wait_media(timeout: float = 300) -> None:
    """Until no chat has an attachment queued (as `tobsctl status` reports)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = tobsctl("--json", "status", show=False, check=False)
        if run.returncode == 0:
            chats = json.loads(run.stdout)["chats"]
            if chats and not any(int((c.get("media") or {}).get("queued", 0)) for c in chats):
                return
        time.sleep(0.5)
    raise SystemExit("media downloads did not finish; see .fakegram-demo/tobsd.log")


def check_embeds() -> tuple[list[str], int]:
    """Attachment links of the notes that name no file (and how many do)."""
    missing, found = [], 0
    for note in (VAULT / "Telegram").rglob("*.md"):
        for target in EMBED.findall(note.read_text(encoding="utf-8")):
            if target.endswith(".md") or "." not in target.rsplit("/", 1)[-1]:
                continue
            if (VAULT / target).is_file():
                found += 1
            else:
                missing.append(target)
    return missing, found


def main() -> int:
    for path in (VAULT, WORK):
        if path.exists():
            shutil.rmtree(path)
    VAULT.mkdir()
    WORK.mkdir()
    fakegram = tobsd = None
    try:
        say("Starting fakegram (our Telegram server) with the demo world ...")
        fakegram, info = start_fakegram()
        say(f"  {len(info['dcs'])} data centres on 127.0.0.1, control at {info['control']}")
        config = write_tobsd_config(info)
        say(f"Starting tobsd (config {config.relative_to(ROOT)}), vault in {VAULT.relative_to(ROOT)}/ ...")
        tobsd = subprocess.Popen([sys.executable, "-m", "tobsd", "run", "--config", str(config)],
                                 stdout=subprocess.DEVNULL,
                                 stderr=open(WORK / "tobsd.log", "wb"))
        wait_running(tobsd)
        say(f"\ntobsd is running; its control socket is {socket_path()}."
            f" \"{CONFIG_CHAT}\" comes from the configuration file; two more chats:")
        for chat in ADDED_CHATS:
            tobsctl("add", chat)
        tobsctl("chats")
        say("\nThe backfill, until every chat is live:")
        tobsctl("status", "--watch", "--until-live")
        control = ControlClient(info["control"])
        say("\nWhat tobsd does, as `tobsctl events --follow` shows it:")
        events = subprocess.Popen(tobsctl_argv("events", "--follow", "--json"),
                                  stdout=subprocess.PIPE, text=True)
        try:
            relay = EventRelay(events)
            live_changes(control, LIVE_CHAT)
            relay.wait_for(lambda ev: (ev.get("progress") or {}).get("title") == LIVE_CHAT
                           and ev["progress"]["written"] >= 5)
        finally:
            events.send_signal(signal.SIGINT)
            events.wait(10)
        say("\nWaiting for the media downloads (a side stream: the notes were written first) ...")
        wait_media()
        say("")
        tobsctl("status")
        missing, found = check_embeds()
        if missing:
            say(f"\n{len(missing)} embeds do not resolve to a file: {missing[:5]}")
            return 1
        say(f"\nEvery one of the {found} attachment embeds in the notes resolves to a real file.")
        notes = sum(1 for _ in VAULT.rglob("*.md"))
        say(f"\nThe vault is in {VAULT}/ ({notes} notes). To open it in Obsidian: "
            "\"Open folder as vault\" and pick that folder. Start with")
        chat_notes = sorted((VAULT / "Telegram").glob("*/*.md"))
        for note in chat_notes[:3]:
            say(f"  {note.relative_to(ROOT)}")
    except KeyboardInterrupt:
        say("\nInterrupted; stopping.")
    finally:
        stop(tobsd, "tobsd")
        stop(fakegram, "fakegram")
    say("Stopped tobsd and fakegram.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
