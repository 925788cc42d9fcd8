"""tobsctl doctor [--config FILE]: check what tobsd needs, one line per check.

Checks the socket (present, permitted, answering), the API version, ffmpeg
on PATH and, given the configuration file, that the vault folder is
writable and the session file is mode 0600. Exit 9 when a check fails."""
from __future__ import annotations

import os
import shutil
import stat
import tomllib
from pathlib import Path

from tobsctl import exits
from tobsctl.client import Client, Failure

NAME = "doctor"
HELP = "check the socket, versions, vault, session file and ffmpeg"


def add_arguments(p) -> None:
    p.add_argument("--config", "-c", help="tobsd's configuration file, for the vault and session checks")


def run(ctx) -> int:
    checks: list[dict] = []

    def check(name: str, ok: bool, detail: str) -> None:
        checks.append({"check": name, "ok": ok, "detail": detail})

    try:
        client = Client.connect(ctx.socket, check_version=False)
        check("socket", True, f"{ctx.socket} answers")
        try:
            v = client.check_version()
            check("version", True, f"tobsd {v.daemon_version}, API v{v.api_version}")
        except Failure as exc:
            check("version", False, str(exc))
        client.close()
    except Failure as exc:
        check("socket", False, str(exc))
    ffmpeg = shutil.which("ffmpeg")
    check("ffmpeg", bool(ffmpeg), ffmpeg or "ffmpeg not found on PATH (apt-get install ffmpeg)")
    if ctx.args.config:
        _config_checks(Path(ctx.args.config), check)
    ok = all(c["ok"] for c in checks)

    def human():
        for c in checks:
            ctx.out.say(f"{'ok  ' if c['ok'] else 'FAIL'} {c['check']}: {c['detail']}")
    ctx.out.emit({"ok": ok, "checks": checks}, human)
    return exits.OK if ok else exits.DOCTOR


def _config_checks(path: Path, check) -> None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        check("config", False, f"{path}: {exc}")
        return
    base = path.resolve().parent

    def resolve(value: str) -> Path:
        p = Path(os.path.expanduser(value))
        return p if p.is_absolute() else base / p
    vault = data.get("vault", {}).get("path")
    if vault:
        folder = resolve(vault)
        writable = folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)
        check("vault", writable, f"{folder} is writable" if writable else f"{folder} is not a writable folder")
    session = data.get("session")
    if session:
        file = resolve(session)
        try:
            mode = stat.S_IMODE(file.stat().st_mode)
            check("session", mode == 0o600, f"{file} mode {mode:o}" + ("" if mode == 0o600 else
                                                                      f"; run chmod 600 {file}"))
        except FileNotFoundError:
            check("session", False, f"{file} does not exist; run `tobsd login` or `tobsctl login`")
