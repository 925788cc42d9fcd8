"""tobsctl doctor [--config FILE]: check what tobsd needs, one line per check.

Checks the socket (present, permitted, answering), the API version (and
says when tobsd and tobsctl are different releases), what media processing
runs on (the GPU the daemon's test jobs found, or the CPU), ffmpeg on PATH and,
in tobsd's configuration file (--config, else where the units read it:
~/.config/tobsd/tobsd.toml, or /etc/tobs/$USER.toml for the system
template), that the vault folder is writable and the session file is mode
0600. Exit 9 when a check fails."""
from __future__ import annotations

import shutil
from importlib import metadata

from tobs.v1 import pb
from tobsctl import exits
from tobsctl.client import Client, Failure
from tobsctl.setupcheck import config_checks

NAME = "doctor"
HELP = "check the socket, versions, vault, session file and ffmpeg"


def add_arguments(p) -> None:
    p.add_argument("--config", "-c", help="tobsd's configuration file, for the vault and session checks "
                                          "(default: where the systemd units read it)")


def run(ctx) -> int:
    checks: list[dict] = []

    def check(name: str, ok: bool, detail: str) -> None:
        checks.append({"check": name, "ok": ok, "detail": detail})

    try:
        client = Client.connect(ctx.socket, check_version=False)
        check("socket", True, f"{ctx.socket} answers")
        try:
            v = client.check_version()
            mine = _tobsctl_version()
            check("version", True, f"tobsd {v.daemon_version}, API v{v.api_version}"
                  + ("" if v.daemon_version == mine else f" (tobsctl {mine}: the same API, "
                                                          "another release)"))
            _accelerator_check(client, check)
        except Failure as exc:
            check("version", False, str(exc))
        client.close()
    except Failure as exc:
        check("socket", False, str(exc))
    ffmpeg = shutil.which("ffmpeg")
    check("ffmpeg", bool(ffmpeg), ffmpeg or "ffmpeg not found on PATH (apt-get install ffmpeg)")
    config_checks(ctx.args.config, getattr(ctx.args, "profile", None), check)
    ok = all(c["ok"] for c in checks)

    def human():
        for c in checks:
            ctx.out.say(f"{'ok  ' if c['ok'] else 'FAIL'} {c['check']}: {c['detail']}")
    ctx.out.emit({"ok": ok, "checks": checks}, human)
    return exits.OK if ok else exits.DOCTOR


def _accelerator_check(client: Client, check) -> None:
    """What media processing runs on (the daemon's start-up test jobs). The
    CPU is a working answer, so this check fails only when status cannot be read."""
    try:
        acc = client.call("GetStatus", pb.GetStatusRequest()).daemon
    except Failure as exc:
        check("accelerators", False, f"status not readable: {exc}")
        return
    if not acc.HasField("accelerators"):
        check("accelerators", True, "the daemon is still testing the GPUs; ask again in a moment")
        return
    a = acc.accelerators
    if a.used == "cpu":
        detail = "media processing on the CPU" + (f" ({'; '.join(a.notes)})" if a.notes else "")
    else:
        detail = (f"media processing on {a.used}: {a.found.get(a.used, '')}"
                  f"; {a.fallbacks} jobs fell back to the CPU")
    check("accelerators", True, detail)


def _tobsctl_version() -> str:
    try:
        return metadata.version("tobs")
    except metadata.PackageNotFoundError:
        return "0+unknown"
