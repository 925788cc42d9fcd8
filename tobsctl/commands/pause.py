"""tobsctl pause CHAT: stop syncing a chat until `tobsctl resume` (kept across restarts)."""
from __future__ import annotations

from tobs.v1 import pb

from .chatinfo import one

NAME = "pause"
HELP = "stop syncing a chat until `tobsctl resume`"


def add_arguments(p) -> None:
    p.add_argument("chat")


def run(ctx) -> int:
    return one(ctx, "paused", ctx.client.call("PauseChat", pb.PauseChatRequest(chat=ctx.args.chat)))
