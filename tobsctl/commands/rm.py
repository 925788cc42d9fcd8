"""tobsctl rm CHAT [--delete-notes]: stop tracking a chat added with tobsctl."""
from __future__ import annotations

from tobs.v1 import pb

from .chatinfo import one

NAME = "rm"
HELP = "stop tracking a chat added with tobsctl (its notes stay in the vault)"


def add_arguments(p) -> None:
    p.add_argument("chat")
    p.add_argument("--delete-notes", action="store_true",
                   help="also delete the notes tobsd wrote for it")


def run(ctx) -> int:
    resp = ctx.client.call("RemoveChat", pb.RemoveChatRequest(chat=ctx.args.chat,
                                                              delete_notes=ctx.args.delete_notes))
    return one(ctx, "removed", resp)
