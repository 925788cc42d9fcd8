"""tobsctl rm CHAT [--delete-notes]: stop tracking a chat added with tobsctl.

Its notes stay in the vault. With --delete-notes tobsd also removes the
chat's files that are its own alone: notes holding nothing but what tobsd
wrote, and the media files it downloaded for them. A note you edited, a
file you put there and any symbolic link stay; tobsctl lists them."""
from __future__ import annotations

from tobs.v1 import pb
from tobsctl.completion import chat_names
from tobsctl.jsonout import to_json

NAME = "rm"
HELP = "stop tracking a chat added with tobsctl (its notes stay unless --delete-notes)"


def add_arguments(p) -> None:
    p.add_argument("chat").completer = chat_names  # type: ignore[attr-defined]
    p.add_argument("--delete-notes", action="store_true",
                   help="also delete the chat's notes and media that only tobsd wrote "
                        "(notes you edited stay)")


def run(ctx) -> int:
    resp = ctx.client.call("RemoveChat", pb.RemoveChatRequest(chat=ctx.args.chat,
                                                              delete_notes=ctx.args.delete_notes))

    def human():
        ctx.out.say(f"removed {resp.chat.title} ({resp.chat.id})")
        if ctx.args.delete_notes:
            ctx.out.say(f"deleted {resp.notes_deleted} notes and {resp.media_deleted} media files")
            if resp.kept:
                ctx.out.say(f"kept {len(resp.kept)}:")
                for k in resp.kept:
                    ctx.out.say(f"  {k.path}  ({k.reason})")
    ctx.out.emit(to_json(resp), human)
    return 0
