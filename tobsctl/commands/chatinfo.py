"""Shared rendering of a chat (ChatInfo) for the chat commands."""
from __future__ import annotations

from rich.table import Table

from tobsctl.jsonout import to_json

ORIGIN_LABEL = {"config": "config file", "sync_all": "[sync] all", "api": "tobsctl"}


def one(ctx, verb: str, resp) -> int:
    """Print a response that carries one chat: all of it with --json."""
    chat = resp.chat
    ctx.out.emit(to_json(resp), lambda: ctx.out.say(f"{verb} {chat.title} ({chat.id})"))
    return 0


def table(chats) -> Table:
    t = Table(box=None, pad_edge=False)
    for col in ("ID", "TITLE", "KIND", "STATE", "FROM", "SINCE"):
        t.add_column(col, justify="right" if col == "ID" else "left")
    for c in chats:
        origin = to_json(c)["origin"]
        where = ORIGIN_LABEL.get(origin, origin)
        if origin == "config" and c.config_entry:
            where = c.config_entry.rsplit("/", 1)[-1]      # "tobsd.toml: chats[0]"
        t.add_row(str(c.id), c.title, c.kind, c.state, where, c.since or "")
    return t
