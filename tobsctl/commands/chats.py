"""tobsctl chats: the tracked chats and where each is declared."""
from __future__ import annotations

from tobs.v1 import pb
from tobsctl.jsonout import to_json

from .chatinfo import table

NAME = "chats"
HELP = "list the tracked chats and where each comes from (config file or tobsctl)"


def add_arguments(p) -> None:
    pass


def run(ctx) -> int:
    resp = ctx.client.call("ListChats", pb.ListChatsRequest())
    ctx.out.emit(to_json(resp), lambda: ctx.out.console.print(table(resp.chats)))
    return 0
