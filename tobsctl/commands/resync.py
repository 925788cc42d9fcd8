"""tobsctl resync CHAT: compare a chat's whole history with Telegram.

Finds edits and deletions of old messages made while tobsd was not running
and writes again the notes you deleted; says what it changed. Takes a
request per 100 messages, so a long history takes a while."""
from __future__ import annotations

from tobs.v1 import pb
from tobsctl.completion import chat_names
from tobsctl.jsonout import to_json

NAME = "resync"
HELP = "compare a chat's whole history with Telegram; recreate deleted notes"
TIMEOUT_S = 3600


def add_arguments(p) -> None:
    p.add_argument("chat").completer = chat_names  # type: ignore[attr-defined]


def run(ctx) -> int:
    r = ctx.client.call("Resync", pb.ResyncRequest(chat=ctx.args.chat), timeout=TIMEOUT_S)
    ctx.out.emit(to_json(r), lambda: ctx.out.say(
        f"{r.chat.title}: {r.checked} messages checked, {r.changed} written, {r.deleted} deleted, "
        f"{r.recreated} notes recreated"))
    return 0
