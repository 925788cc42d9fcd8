"""tobsctl reload: read the configuration file again (as SIGHUP does)."""
from __future__ import annotations

from tobs.v1 import pb
from tobsctl.jsonout import to_json

NAME = "reload"
HELP = "read the configuration file again; an invalid file is refused and the old one stays"


def add_arguments(p) -> None:
    pass


def run(ctx) -> int:
    resp = ctx.client.call("ReloadConfig", pb.ReloadConfigRequest())

    def human():
        ctx.out.say(f"configuration reloaded: {resp.chats} chats")
        for u in resp.unresolved:
            ctx.out.say(f"  not resolved: {u.ref}: {u.error}")
    ctx.out.emit(to_json(resp), human)
    return 0
