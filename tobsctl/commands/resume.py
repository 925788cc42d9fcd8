"""tobsctl resume CHAT: sync a paused chat again."""
from __future__ import annotations

from tobs.v1 import pb
from tobsctl.completion import chat_names

from .chatinfo import one

NAME = "resume"
HELP = "sync a paused chat again"


def add_arguments(p) -> None:
    p.add_argument("chat").completer = chat_names  # type: ignore[attr-defined]


def run(ctx) -> int:
    return one(ctx, "resumed", ctx.client.call("ResumeChat", pb.ResumeChatRequest(chat=ctx.args.chat)))
