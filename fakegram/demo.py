"""`make demo`: the demo world synced by a real tobsd, end to end.

Starts fakegram with its demo world, points a tobsd process at it with the
vault in ./demo-vault, shows the backfill's progress, then posts, edits and
deletes messages through fakegram's control endpoint and shows each change
reaching the vault. Ctrl-C at any point stops everything it started.
Each run starts from a fresh demo vault (./demo-vault is the demo's own).
"""
from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from .control import ControlClient

ROOT = Path.cwd()
VAULT = ROOT / "demo-vault"
WORK = ROOT / ".fakegram-demo"


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
log_level = "warning"

[sync]
all = true

[telegram]
dc = {{ {dcs} }}
rsa_public_key = {json.dumps(info['rsa_public_key_pem'])}
""")
    return config


def read_status() -> dict | None:
    try:
        return json.loads((WORK / "tobsd" / "status.json").read_text())
    except (FileNotFoundError, ValueError):
        return None


def show_progress(tobsd: subprocess.Popen, timeout: float = 180) -> dict:
    """Print a line per second until every chat is live."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if tobsd.poll() is not None:
            raise SystemExit("tobsd stopped; see .fakegram-demo/tobsd.log")
        status = read_status()
        if status and status.get("pid") == tobsd.pid and status.get("chats"):
            chats = status["chats"]
            done = [c for c in chats if c["state"] in ("live", "error")]
            total = sum(c["indexed"] for c in chats)
            line = f"  {len(done)}/{len(chats)} chats live, {total} messages in the vault"
            if line != last:
                say(line)
                last = line
            if len(done) == len(chats) and status["state"] == "running":
                return status
        time.sleep(1)
    raise SystemExit("the backfill did not finish in time")


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


def stop(proc: subprocess.Popen | None, name: str) -> None:
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            say(f"{name} did not stop in 30 s; killing it")
            proc.kill()


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
        status = show_progress(tobsd)
        errors = [c for c in status["chats"] if c["state"] == "error"]
        for chat in errors:
            say(f"  {chat['title']}: {chat['error']}")
        control = ControlClient(info["control"])
        titles = [c["title"] for c in status["chats"] if c["state"] == "live"]
        live_changes(control, "Difference Engine Builders"
                     if "Difference Engine Builders" in titles else titles[0])
        notes = sum(1 for _ in VAULT.rglob("*.md"))
        say(f"\nThe vault is in {VAULT}/ ({notes} notes). Open it in Obsidian, or start with")
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
