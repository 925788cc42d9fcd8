"""tobsctl sync [CHAT]: reconcile one chat, or all, with Telegram now."""
from __future__ import annotations

from tobs.v1 import pb
from tobsctl.completion import chat_names
from tobsctl.jsonout import to_json

NAME = "sync"
HELP = "reconcile one chat (or every chat) with Telegram now"


def add_arguments(p) -> None:
    p.add_argument("chat", nargs="?", default="").completer = chat_names  # type: ignore[attr-defined]


def run(ctx) -> int:
    resp = ctx.client.call("SyncNow", pb.SyncNowRequest(chat=ctx.args.chat))
    ctx.out.emit(to_json(resp), lambda: ctx.out.say(f"reconciling {len(resp.chat_ids)} chats"))
    return 0
