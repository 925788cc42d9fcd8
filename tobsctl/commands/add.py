"""tobsctl add CHAT [--since DATE] [--no-media] [--remove-deleted]."""
from __future__ import annotations

import argparse

from tobs.v1 import pb

from .chatinfo import one

NAME = "add"
HELP = "track a chat (@username, t.me link, numeric id or exact title); kept across restarts"


def add_arguments(p) -> None:
    p.add_argument("chat")
    p.add_argument("--since", default="", help="skip history older than this date (YYYY-MM-DD)")
    p.add_argument("--media", action=argparse.BooleanOptionalAction, default=None,
                   help="download media (default: [sync] media of the configuration)")
    p.add_argument("--remove-deleted", action=argparse.BooleanOptionalAction, default=None,
                   help="drop deleted messages instead of marking them")


def run(ctx) -> int:
    a = ctx.args
    req = pb.AddChatRequest(chat=a.chat, since=a.since)
    if a.media is not None:
        req.media = a.media
    if a.remove_deleted is not None:
        req.remove_deleted = a.remove_deleted
    return one(ctx, "added", ctx.client.call("AddChat", req, timeout=120))
