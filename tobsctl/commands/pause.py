"""tobsctl pause CHAT: stop syncing a chat until `tobsctl resume` (kept across restarts)."""
from __future__ import annotations

from tobs.v1 import pb
from tobsctl.completion import chat_names

from .chatinfo import one

NAME = "pause"
HELP = "stop syncing a chat until `tobsctl resume`"


def add_arguments(p) -> None:
    p.add_argument("chat").completer = chat_names  # type: ignore[attr-defined]


def run(ctx) -> int:
    return one(ctx, "paused", ctx.client.call("PauseChat", pb.PauseChatRequest(chat=ctx.args.chat)))
